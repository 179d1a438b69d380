"""Kit compliance: complete/partial/none, service distance, water matching, inspections."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo.store import settings
from geo.water.kits import apply_inspections, item_hazard, kit_status
from geo.water.sites import sites_from_water

CRS = "EPSG:32650"


def _kits(rows):
    return gpd.GeoDataFrame(
        {"kit_id": [r[0] for r in rows], "water_id": [r[1] for r in rows],
         "sign": [r[2][0] for r in rows], "buoy": [r[2][1] for r in rows],
         "rope": [r[2][2] for r in rows], "pole": [r[2][3] for r in rows],
         "inspected_on": pd.to_datetime(["2024-01-01"] * len(rows))},
        geometry=[Point(*r[3]) for r in rows], crs=CRS,
    )


@pytest.fixture
def canal_sites():
    water = gpd.GeoDataFrame(
        {"water_id": ["c", "d"], "kind": ["canal", "ditch"], "barrier": [False, False]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(0, 60), (1000, 60)])], crs=CRS,
    )
    return water, sites_from_water(water)  # c-000 [0,500], c-001 [500,1000], d-000, d-001


def test_tiny_dataset_partial(tiny_dataset):
    ds = tiny_dataset.metric()
    sites = sites_from_water(ds["water_bodies"])
    st = kit_status(sites, ds["safety_kits"], water=ds["water_bodies"])
    pond = st.iloc[0]
    assert pond["kit_status"] == "partial" and pond["missing_items"] == "pole"
    assert pond["best_kit"] == "k1" and pond["kits_near"] == 1
    # the kit belongs to the pond: the canal 490 m away is not served
    assert (st.iloc[1:]["kit_status"] == "none").all()
    assert (st.iloc[1:]["missing_items"] == "sign;buoy;rope;pole").all()
    assert st["barrier"].tolist() == [False, True, True, True, True]


def test_complete_needs_one_kit_with_all_four(canal_sites):
    water, sites = canal_sites
    kits = _kits([
        ("a", "c", (True, True, False, False), (100, 10)),
        ("b", "c", (False, False, True, True), (120, 10)),
        ("full", "c", (True, True, True, True), (700, 99)),  # 99 m from c-001
        ("far", "c", (True, True, True, True), (200, 150)),  # 150 m: out of reach
    ])
    st = kit_status(sites, kits, water=water).set_index(sites["site_id"])
    assert st.loc["c-000", "kit_status"] == "partial"  # two halves do not make one kit
    assert st.loc["c-001", "kit_status"] == "complete" and st.loc["c-001", "missing_items"] == ""
    # kits of canal c never serve ditch d, though d is 39 m from "full"
    assert (st.loc[["d-000", "d-001"], "kit_status"] == "none").all()


def test_service_distance_setting(canal_sites, monkeypatch):
    water, sites = canal_sites
    kits = _kits([("far", "c", (True,) * 4, (200, 150))])
    assert kit_status(sites, kits)["kit_status"].iloc[0] == "none"
    monkeypatch.setattr(settings, "kit_service_distance_m", 160.0)
    assert kit_status(sites, kits)["kit_status"].iloc[0] == "complete"


def test_kit_without_water_id_joins_nearest_water(canal_sites):
    water, sites = canal_sites
    kits = _kits([("k", None, (True,) * 4, (300, 50)), ("u", "unknown", (True,) * 4, (800, -5))])
    st = kit_status(sites, kits).set_index(sites["site_id"])
    assert st.loc["d-000", "kit_status"] == "complete"  # 10 m from d, 50 m from c
    assert st.loc["c-000", "kit_status"] == "none"
    assert st.loc["c-001", "kit_status"] == "complete"


def test_latest_inspection_overrides(canal_sites):
    water, sites = canal_sites
    kits = _kits([("k", "c", (True, True, True, False), (100, 0))])
    ins = pd.DataFrame({
        "inspection_id": ["i1", "i2", "i3", "i4"],
        "kit_id": ["k", "k", None, None],
        "water_id": [None, None, "c", "c"],
        "inspected_on": pd.to_datetime(["2024-06-01", "2024-03-01", "2024-05-01", "2024-05-01"]),
        "sign": [True, False, False, False], "buoy": [True, False, False, False],
        "rope": [True, False, False, False], "pole": [True, False, False, False],
        "barrier": [False, False, False, True],
    })
    st = kit_status(sites, kits, water=water, inspections=ins).set_index(sites["site_id"])
    assert st.loc["c-000", "kit_status"] == "complete"  # i1 (latest) supplies the pole
    assert st.loc["c-000", "barrier"]  # i4: same date as i3 but a later row
    assert not st.loc["d-000", "barrier"]
    k2, w2 = apply_inspections(kits, water, ins.iloc[[1]])
    assert not k2[["sign", "buoy", "rope", "pole"]].to_numpy().any()


def test_inspection_without_a_column_names_nothing(canal_sites):
    water, sites = canal_sites
    kits = _kits([("k", "c", (True, True, True, False), (100, 0))])
    ins = pd.DataFrame({"inspection_id": ["i"], "kit_id": ["k"], "inspected_on": pd.to_datetime(["2024-06-01"]),
                        "pole": [True], "sign": [None]})
    k2, _ = apply_inspections(kits, water, ins)
    assert k2[["sign", "buoy", "rope", "pole"]].iloc[0].tolist() == [True, True, True, True]


def test_item_hazard():
    assert item_hazard([[True] * 4]).tolist() == [2.0]
    assert item_hazard([[False] * 4]).tolist() == [1.0]
    assert item_hazard([[False, False, False, True]], item_hazard={"pole": 0.4}).tolist() == [1.4]


def test_no_kits(canal_sites):
    water, sites = canal_sites
    empty = _kits([]).iloc[:0]
    st = kit_status(sites, empty)
    assert (st["kit_status"] == "none").all() and (st["kits_near"] == 0).all()
