"""``childsafe info`` and the CLI's error handling."""

from __future__ import annotations

import json

from click.testing import CliRunner

from geo.cli import main  # noqa: F401  (console-script entry point exists)
from geo.cli._main import cli
from geo.store.dataset import write_dataset


def test_info_lists_every_layer_with_counts(tiny_dataset, tmp_path):
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    res = CliRunner().invoke(cli, ["info", str(path)])
    assert res.exit_code == 0, res.output
    assert "households" in res.output and "audit_log" in res.output
    assert "EPSG:4326" in res.output and "32650" in res.output
    res = CliRunner().invoke(cli, ["info", str(path), "--json"])
    data = json.loads(res.output)
    assert data["layers"]["households"] == 3 and data["layers"]["stations"] == 0
    assert data["problems"] == []


def test_info_reports_content_problems(tiny_dataset, tmp_path):
    ds = tiny_dataset.copy()
    ch = ds["children"].copy()
    ch.loc[0, "household_id"] = "nowhere"
    ds["children"] = ch
    path = write_dataset(ds, tmp_path / "d.gpkg")
    res = CliRunner().invoke(cli, ["info", str(path)])
    assert res.exit_code == 0
    assert "children.household_id: 1 value(s) not found in households.household_id" in res.output


def test_bad_file_is_one_message_and_exit_2(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("hello")
    res = CliRunner().invoke(cli, ["info", str(bad)])
    assert res.exit_code == 2
    assert "not a GeoPackage" in res.output
    assert "Traceback" not in res.output


def test_every_command_has_help():
    runner = CliRunner()
    res = runner.invoke(cli, ["--help"])
    assert res.exit_code == 0
    for name in cli.commands:
        sub = runner.invoke(cli, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage" in sub.output


def test_info_reports_the_road_networks_health(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from geo.store.dataset import Dataset, empty_layer

    lines = [[(500000, 3500000), (500500, 3500000), (501000, 3500000)],   # main road
             [(500300, 3500002), (500300, 3500300)],                     # 2 m short: a near miss
             [(503000, 3500500), (503010, 3500500), (503020, 3500500)]]  # a fragment
    roads = gpd.GeoDataFrame({"road_id": ["a", "b", "c"], "road_class": ["rural"] * 3,
                              "oneway": [False] * 3},
                             geometry=[LineString(c) for c in lines], crs="EPSG:32650").to_crs(4326)
    homes = empty_layer("households")
    homes = gpd.GeoDataFrame(
        {c: [None] for c in homes.columns if c != "geometry"},
        geometry=gpd.GeoSeries([Point(503010, 3500510)], crs="EPSG:32650").to_crs(4326),
        crs=4326).assign(household_id="h1", village_code="340121100201")
    ds = Dataset({"roads": roads, "households": homes})
    path = write_dataset(ds, tmp_path / "roads.gpkg")
    res = CliRunner().invoke(cli, ["info", str(path), "--json"])
    assert res.exit_code == 0, res.output
    h = json.loads(res.output)["road_network"]
    assert h["components"] == 3 and h["fragments"] == 2 and h["near_misses"] == 1
    assert h["households"] == 1 and h["homes_on_fragments"] == 1
    text = CliRunner().invoke(cli, ["info", str(path)]).output
    assert "near misses 1" in text and "fragments 2" in text and "homes nearest a fragment 1 of 1" in text
