"""Geometry drawn elsewhere: a bowtie pond is repaired, a flat one left out, Z dropped; the
water analysis no longer crashes on it and ``childsafe info`` says what it would trip on."""

from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import pandas as pd
from click.testing import CliRunner
from shapely.geometry import Polygon

from geo.cli._main import cli
from geo.ingest.imports import prepare_import
from geo.store.dataset import write_dataset
from geo.store.geometry import check_geometry, repaired
from geo.store.validate import dataset_problems

TODAY = date(2025, 6, 1)
X, Y = 117.2, 31.8
BOWTIE = Polygon([(X, Y), (X + 0.001, Y + 0.001), (X + 0.001, Y), (X, Y + 0.001), (X, Y)])
FLAT = Polygon([(X, Y), (X + 0.001, Y), (X + 0.002, Y), (X, Y)])
SQUARE_Z = Polygon([(X, Y, 5), (X + 0.001, Y, 5), (X + 0.001, Y + 0.001, 5), (X, Y + 0.001, 5)])


def test_check_geometry_repairs_drops_and_flattens():
    fixed, report = check_geometry(gpd.GeoSeries([BOWTIE, FLAT, SQUARE_Z, None]))
    assert list(report.repaired) == [0] and list(report.zero_area) == [1] and list(report.had_z) == [2]
    assert fixed[0].geom_type == "MultiPolygon" and fixed[0].is_valid and fixed[0].area > 0
    assert fixed[1] is None and not fixed[2].has_z and fixed[3] is None


def test_import_repairs_a_bowtie_quarantines_a_flat_pond_and_drops_z(tmp_path):
    frame = gpd.GeoDataFrame({"water_id": ["bow", "flat", "z"], "kind": ["pond"] * 3},
                             geometry=[BOWTIE, FLAT, SQUARE_Z], crs="EPSG:4326")
    src = tmp_path / "w.geojson"
    src.write_text(frame.to_json(), encoding="utf-8")
    res = prepare_import("water_bodies", src, today=TODAY)
    assert (res.imported, res.quarantined) == (2, 1)
    assert res.quarantine["water_id"].tolist() == ["flat"]
    assert "no area" in res.quarantine["reason"].iloc[0]
    warned = [p for p in res.problems if p.code == "repaired_geometry"]
    assert len(warned) == 1 and warned[0].severity == "warning" and warned[0].row == 1
    assert res.preview.geometry.is_valid.all() and not res.preview.geometry.has_z.any()
    assert any("Z" in n for n in res.notice_texts("en"))


def _with_bowtie(tiny_dataset):
    water = tiny_dataset["water_bodies"]
    x, y = water.geometry.iloc[0].bounds[:2]
    d = 0.001  # degrees, about 100 m
    bow = Polygon([(x - 3 * d, y), (x - 2 * d, y + d), (x - 2 * d, y), (x - 3 * d, y + d), (x - 3 * d, y)])
    flat = Polygon([(x - 5 * d, y), (x - 4 * d, y), (x - 4.5 * d, y)])
    extra = gpd.GeoDataFrame({"water_id": ["bowtie", "flat"], "kind": ["pond", "pond"]},
                             geometry=[bow, flat], crs=water.crs)
    tiny_dataset["water_bodies"] = pd.concat([water, extra], ignore_index=True)
    return tiny_dataset


def test_one_bowtie_pond_does_not_crash_water_and_info_finds_it(tiny_dataset, tmp_path):
    path = str(write_dataset(_with_bowtie(tiny_dataset), tmp_path / "bow.gpkg"))
    run = CliRunner().invoke(cli, ["water", path, "--out", str(tmp_path / "out.gpkg"), "--json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["sites"] >= 2
    info = CliRunner().invoke(cli, ["info", path])
    assert "bowtie" in info.output and "self-intersecting" in info.output
    assert "no area" in info.output and "no problems" not in info.output


def test_repaired_leaves_a_clean_layer_alone(tiny_dataset):
    water = tiny_dataset["water_bodies"]
    assert repaired(water) is water
    assert dataset_problems(tiny_dataset) == []
