"""``childsafe coverage`` and ``childsafe site stations`` on a small hand-made dataset."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, Point, box

from geo.cli._main import cli
from geo.dataset import Dataset, write_dataset
from geo.schema import LAYERS

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0
V1, V2 = "340123101001", "340123101002"


def gdf(data, geoms):
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


@pytest.fixture
def dataset_file(tmp_path):
    """A 6 km road; a village station at x = 0; households at 500, 1500, 4000, 5800 m."""
    roads = gdf({"road_id": ["r"], "road_class": ["rural"], "oneway": [False]},
                [LineString([(X0, Y0), (X0 + 3000, Y0), (X0 + 6000, Y0)])])
    admin = gdf({"code": [V1, V2], "name": ["West", "East"], "level": ["village", "village"],
                 "parent_code": ["340123101", "340123101"]},
                [box(X0 - 100, Y0 - 100, X0 + 3000, Y0 + 100), box(X0 + 3000, Y0 - 100, X0 + 6100, Y0 + 100)])
    hh = gdf({"household_id": ["h1", "h2", "h3", "h4"], "village_code": [V1, V1, V2, V2]},
             [Point(X0 + x, Y0 + 10) for x in (500, 1500, 4000, 5800)])
    children = pd.DataFrame({"child_id": ["a", "b", "c", "d", "e"],
                             "household_id": ["h1", "h2", "h3", "h3", "h4"],
                             "left_behind": [True, False, True, False, True]})
    stations = gdf({"station_id": ["s1"], "kind": ["childrens_home"], "level": ["village"]}, [Point(X0, Y0)])
    path = tmp_path / "county.gpkg"
    layers = {"roads": roads, "admin_units": admin, "households": hh, "children": children,
              "stations": stations}
    for name, frame in layers.items():
        for col in LAYERS[name].column_names:
            if col not in frame:
                frame[col] = None
    write_dataset(Dataset(layers).to_crs("EPSG:4326"), path)
    return path


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def test_coverage_writes_layers(dataset_file, tmp_path):
    out = tmp_path / "res.gpkg"
    r = run("coverage", dataset_file, "--out", out, "--level", "village", "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["levels"]["village"] == {"covered": 2, "children": 5, "share": 0.4}
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
