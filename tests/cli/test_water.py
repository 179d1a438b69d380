"""``childsafe water`` and ``childsafe site kits`` on the tiny dataset."""

from __future__ import annotations

import json

import pyogrio
import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.store.dataset import write_dataset


@pytest.fixture
def tiny_file(tiny_dataset, tmp_path):
    return str(write_dataset(tiny_dataset, tmp_path / "tiny.gpkg"))


def test_water_writes_sites_and_hexagons(tiny_file, tmp_path):
    out = tmp_path / "res.gpkg"
    res = CliRunner().invoke(cli, ["water", tiny_file, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    assert summary["sites"] == 5 and summary["kit_status"] == {"complete": 0, "partial": 1, "none": 4}
    assert summary["top"][0] == "w1-000"
    layers = [row[0] for row in pyogrio.list_layers(out)]
    assert "water_sites" in layers and "risk_hexagons" in layers
    sites = pyogrio.read_dataframe(out, layer="water_sites")
    for col in ["site_id", "water_id", "kind", "kit_status", "barrier", "children_100m", "children_500m",
                "risk", "risk_rank", "gi_z", "gi_p", "gi_bin", "missing_items", "township_code", "village_code"]:
        assert col in sites.columns
    assert sites.crs.to_epsg() == 4326
    pond = sites[sites["site_id"] == "w1-000"].iloc[0]
    assert pond["risk_rank"] == 1 and pond["children_100m"] == 1 and pond["children_500m"] == 2
    assert pond["missing_items"] == "pole" and pond["village_code"] == "340123101001"


def test_water_text_output(tiny_file, tmp_path):
    res = CliRunner().invoke(cli, ["water", tiny_file, "--out", str(tmp_path / "r.gpkg"), "--no-hexagons", "--top", "2"])
    assert res.exit_code == 0, res.output
    assert "5 water sites" in res.output and "w1-000" in res.output
    assert [r[0] for r in pyogrio.list_layers(tmp_path / "r.gpkg")] == ["water_sites"]


def test_site_kits(tiny_file, tmp_path):
    out = tmp_path / "kits.gpkg"
    res = CliRunner().invoke(cli, ["site", "kits", tiny_file, "--new", "2", "--barriers", "1", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    assert summary["kits"] == 2 and summary["barriers"] == 1 and summary["status"] == "optimal"
    kits = pyogrio.read_dataframe(out, layer="proposed_kits")
    assert {"site_id", "order", "risk_reduced", "measure"} <= set(kits.columns)
    assert kits["order"].tolist() == [1, 2, 1]
    text = CliRunner().invoke(cli, ["site", "kits", tiny_file, "--new", "1", "--out", str(out)])
    assert text.exit_code == 0 and "risk" in text.output


def test_missing_water_is_a_clear_error(tiny_dataset, tmp_path):
    ds = tiny_dataset.copy()
    ds._layers.pop("water_bodies")
    path = write_dataset(ds, tmp_path / "nowater.gpkg")
    res = CliRunner().invoke(cli, ["water", str(path), "--out", str(tmp_path / "x.gpkg")])
    assert res.exit_code == 2
    assert "water_bodies" in res.output
    res = CliRunner().invoke(cli, ["water", str(tmp_path / "nope.gpkg"), "--out", str(tmp_path / "x.gpkg")])
    assert res.exit_code == 2 and "does not exist" in res.output
