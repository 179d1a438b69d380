"""``childsafe coverage`` and ``childsafe site stations`` on a small hand-made dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner
from road_villages import V1, V2, write_county

from geo.cli._main import cli


@pytest.fixture
def dataset_file(tmp_path) -> Path:
    """A 6 km road; a village station at x = 0; households at 500, 1500, 4000, 5800 m."""
    return write_county(tmp_path)


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def test_coverage_writes_layers(dataset_file, tmp_path):
    out = tmp_path / "res.gpkg"
    r = run("coverage", dataset_file, "--out", out, "--level", "village", "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["levels"]["village"] == {"covered": 2, "children": 5, "share": 0.4}
    # no road fragments here: every household joined its nearest road
    assert summary["households_snap"]["past_fragment"] == 0 and summary["households_snap"]["points"] >= 4
    layers = set(pyogrio.list_layers(out)[:, 0])
    assert {"child_access", "coverage_by_unit", "service_areas", "gap_areas"} <= layers
    acc = pyogrio.read_dataframe(out, layer="child_access")
    assert list(acc.columns[:6]) == ["child_id", "level", "station_id", "distance_m", "time_min", "covered"]
    assert acc.set_index("child_id").loc["b", "distance_m"] == pytest.approx(1510, abs=0.5)
    table = pyogrio.read_dataframe(out, layer="coverage_by_unit").set_index("code")
    assert table.loc[V2, "covered"] == 0 and table.loc[V1, "covered_share"] == 1.0
    r = run("coverage", dataset_file, "--out", out, "--metric", "euclidean")
    assert r.exit_code == 0 and "covered" in r.output


def test_site_stations(dataset_file, tmp_path):
    out = tmp_path / "sites.gpkg"
    r = run("site", "stations", dataset_file, "--level", "village", "--new", "1", "--out", out, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert (s["covered_before"], s["covered_after"], s["status"]) == (2, 5, "optimal")
    prop = pyogrio.read_dataframe(out, layer="proposed_stations")
    assert list(prop["order"]) == [1] and list(prop["children_newly_covered"]) == [3]
    r = run("site", "stations", dataset_file, "--level", "village", "--target", "0.9", "--radius", "1000",
            "--out", out)
    assert r.exit_code == 0, r.output
    assert "covered before" in r.output and "bound" in r.output and "status" in r.output


def test_site_stations_errors(dataset_file, tmp_path):
    out = tmp_path / "x.gpkg"
    r = run("site", "stations", dataset_file, "--level", "village", "--out", out)
    assert r.exit_code == 2 and "--new" in r.output
    r = run("site", "stations", dataset_file, "--level", "village", "--target", "0.5", "--capacity", "3",
            "--out", out)
    assert r.exit_code == 2 and "capacity" in r.output
    bad = tmp_path / "c.csv"
    bad.write_text("x,y\n1,2\n")
    r = run("site", "stations", dataset_file, "--level", "village", "--new", "1", "--candidates", bad,
            "--out", out)
    assert r.exit_code == 2 and "candidate" in r.output
