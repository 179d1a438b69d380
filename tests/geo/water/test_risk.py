"""Exposure and risk: hand-computed cases, decay, vulnerability, and monotonicity properties."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from geo.store import settings
from geo.store.errors import ValidationError
from geo.water.kits import kit_status
from geo.water.risk import (
    age_weight,
    child_vulnerability,
    decay_weight,
    rank_desc,
    site_household_pairs,
    site_risk,
)
from geo.water.sites import sites_from_water

CRS = "EPSG:32650"
AS_OF = dt.date(2024, 6, 1)


def _risk(ds):
    sites = sites_from_water(ds["water_bodies"])
    status = kit_status(sites, ds["safety_kits"], water=ds["water_bodies"])
    return sites, status, site_risk(sites, status, ds["households"], ds["children"], as_of=AS_OF)


def test_tiny_dataset_by_hand(tiny_dataset):
    ds = tiny_dataset.metric()
    sites, status, risk = _risk(ds)
    pond = risk.iloc[0]
    # c1: age 3 -> 1.0; left-behind 1.5; grandparents 1.3; guardianship average 1.2; at 50 m decay 1
    v1 = 1.0 * 1.5 * 1.3 * 1.2
    # c2: age 9 -> 16.8/19.3; good; at 150 m decay (1000-150)/900
    v2 = 16.8 / 19.3 * (850 / 900)
    # c3: age 14 -> 14.0/19.3; disability 1.5; at 600 m decay 400/900
    v3 = 14.0 / 19.3 * 1.5 * (400 / 900)
    assert pond["exposure"] == pytest.approx(v1 + v2 + v3, rel=1e-9)
    assert pond["hazard"] == pytest.approx(1.25)  # partial kit: pole missing
    assert pond["risk"] == pytest.approx(1.25 * (v1 + v2 + v3), rel=1e-9)
    assert (pond["children_100m"], pond["children_500m"]) == (1, 2)
    assert pond["nearest_child_m"] == pytest.approx(50.0)
    assert pond["risk_rank"] == 1
    # canal: barrier, no kit -> hazard 2 x 0.5; households 550+ m away
    assert np.allclose(risk.iloc[1:]["hazard"], 1.0)
    assert (risk.iloc[1:]["children_100m"] == 0).all() and (risk.iloc[1:]["children_500m"] == 0).all()
    assert sorted(risk["risk_rank"]) == [1, 2, 3, 4, 5]


def test_decay_weight():
    d = np.array([0, 100, 550, 1000, 1500])
    assert decay_weight(d).tolist() == pytest.approx([1, 1, 0.5, 0, 0])
    assert decay_weight(d, full=200, zero=200).tolist() == [1, 1, 0, 0, 0]
    with pytest.raises(ValidationError, match="decay"):
        decay_weight(d, full=500, zero=100)


def test_age_weight_bands():
    w = age_weight(np.array([0, 1, 4, 5, 9, 10, 14, 15, 17, 18, np.nan]))
    assert w.tolist() == pytest.approx(
        [9.65 / 19.3, 1, 1, 16.8 / 19.3, 16.8 / 19.3, 14 / 19.3, 14 / 19.3, 7 / 19.3, 7 / 19.3, 0, 1.0]
    )


def test_vulnerability_supervision(monkeypatch):
    hh = pd.DataFrame({"household_id": ["a", "b"], "caregiver": ["none", "parents"]})
    ch = pd.DataFrame({"child_id": ["1", "2"], "household_id": ["a", "b"], "birth_year": [2020, 2020],
                       "lives_alone": [True, False], "left_behind": [False, False],
                       "disability": [False, False], "guardianship": ["poor", None]})
    v = child_vulnerability(ch, hh, as_of=AS_OF)
    assert v.tolist() == pytest.approx([2.0 * 2.0 * 1.5, 1.0])
    monkeypatch.setitem(settings.water_supervision_weights, "lives_alone", 1.0)
    assert child_vulnerability(ch, hh, as_of=AS_OF).iloc[0] == pytest.approx(2.0 * 1.5)


def test_pairs_exact_against_buffers_free_distance():
    rng = np.random.default_rng(1)
    pts = shapely.points(rng.uniform(-2000, 2000, (500, 2)))
    sites = gpd.GeoSeries([LineString([(0, 0), (400, 300)]), Polygon([(900, 900), (1000, 900), (1000, 1000)])], crs=CRS)
    s, p, d = site_household_pairs(sites, pts, 500.0)
    full = shapely.distance(sites.to_numpy()[:, None], pts[None, :])
    expect = np.argwhere(full <= 500.0)
    got = np.column_stack([s, p])
    assert sorted(map(tuple, got)) == sorted(map(tuple, expect))
    assert np.allclose(d, full[s, p])


def test_children_of_unknown_households_left_out(tiny_dataset):
    ds = tiny_dataset.metric()
    ds["children"] = pd.concat([ds["children"], ds["children"].iloc[[0]].assign(child_id="cx", household_id="nope")])
    _, _, risk = _risk(ds)
    assert risk.iloc[0]["children_100m"] == 1


def test_rank_ties():
    assert rank_desc(np.array([1.0, 3.0, 1.0, 0.0]), np.array([0, 0, 5, 0]), np.array(["b", "a", "c", "d"])).tolist() == [3, 1, 2, 4]


# --- properties ------------------------------------------------------------------------------

def _world(house_xy, items, barrier):
    water = gpd.GeoDataFrame(
        {"water_id": ["p", "r"], "kind": ["pond", "river"], "barrier": [barrier, False]},
        geometry=[Polygon([(0, 0), (100, 0), (100, 100), (0, 100)]), LineString([(-800, -300), (900, -300)])],
        crs=CRS,
    )
    kits = gpd.GeoDataFrame(
        {"kit_id": ["k1", "k2"], "water_id": ["p", "r"], "sign": [items[0], items[4]], "buoy": [items[1], items[5]],
         "rope": [items[2], items[6]], "pole": [items[3], items[7]], "inspected_on": pd.to_datetime([None, None])},
        geometry=[Point(50, -20), Point(0, -310)], crs=CRS,
    )
    hh = gpd.GeoDataFrame(
        {"household_id": [f"h{i}" for i in range(len(house_xy))], "village_code": ["1"] * len(house_xy),
         "caregiver": ["grandparents", "parents", "none"][: len(house_xy)] + ["parents"] * max(0, len(house_xy) - 3)},
        geometry=[Point(x, y) for x, y in house_xy], crs=CRS,
    )
    ch = pd.DataFrame({"child_id": [f"c{i}" for i in range(len(house_xy))], "household_id": hh["household_id"],
                       "birth_year": [2020 - 3 * i for i in range(len(house_xy))], "left_behind": [True] * len(house_xy),
                       "guardianship": ["average"] * len(house_xy)})
    return water, kits, hh, ch


def _total_risk(water, kits, hh, ch):
    sites = sites_from_water(water)
    status = kit_status(sites, kits, water=water)
    return site_risk(sites, status, hh, ch, as_of=AS_OF)["risk"].to_numpy()


coords = st.tuples(st.floats(-1500, 1500), st.floats(-1500, 1500))


@hsettings(max_examples=40, deadline=None)
@given(st.lists(coords, min_size=1, max_size=5), st.lists(st.booleans(), min_size=8, max_size=8),
       st.integers(0, 7), st.booleans())
def test_adding_a_kit_item_never_raises_risk(houses, items, which, barrier):
    before = _total_risk(*_world(houses, items, barrier))
    more = list(items)
    more[which] = True
    after = _total_risk(*_world(houses, more, barrier))
    assert (after <= before + 1e-12).all()


@hsettings(max_examples=40, deadline=None)
@given(st.lists(coords, min_size=1, max_size=5), st.lists(st.booleans(), min_size=8, max_size=8),
       st.integers(0, 4), st.floats(1.0, 3.0))
def test_moving_a_child_farther_never_raises_risk(houses, items, which, factor):
    which = which % len(houses)
    w, k, hh, ch = _world(houses, items, False)
    before = _total_risk(w, k, hh, ch)
    # move the house away from every site: scale its offset from the pond centre... and from the river
    # a point moved along the ray from its nearest point on a convex site gets farther from it; here
    # we move it away from both sites by placing it farther along its own direction from each.
    x, y = houses[which]
    sites = sites_from_water(w)
    d_before = shapely.distance(sites.geometry.to_numpy(), Point(x, y))
    moved = list(houses)
    moved[which] = (x * factor + 50 * (factor - 1), y * factor + 50 * (factor - 1))
    d_after = shapely.distance(sites.geometry.to_numpy(), Point(*moved[which]))
    w2, k2, hh2, ch2 = _world(moved, items, False)
    after = _total_risk(w2, k2, hh2, ch2)
    farther = d_after >= d_before - 1e-9
    # sites the child got (weakly) farther from never gain risk; the others are not claimed
    assert (after[farther] <= before[farther] + 1e-9).all()


def test_pipeline_explanation_and_errors(tiny_dataset):
    from geo.store.errors import MissingLayerError
    from geo.water.pipeline import RESULT_COLUMNS, site_explanation, water_sites

    ds = tiny_dataset.copy()
    ds.settings["reference_date"] = "2024-06-01"  # ages at the dataset's date
    sites = water_sites(ds)
    assert list(sites.columns[:-1]) == RESULT_COLUMNS and sites["risk_rank"].tolist() == [1, 2, 3, 4, 5]
    why = site_explanation(ds, sites.to_crs("EPSG:4326"), "w1-000")
    assert why["missing_items"] == ["pole"] and why["kit_status"] == "partial"
    bands = {r["age_band"]: r for r in why["by_age"]}
    assert bands["1-4"]["within_100m"] == 1 and bands["5-9"]["within_500m"] == 1
    assert bands["10-14"]["within_reach"] == 1 and bands["10-14"]["within_500m"] == 0
    assert sum(r["share_of_exposure"] for r in why["by_age"]) == pytest.approx(1.0)
    assert not any("child_id" in r or "household_id" in r for r in why["by_age"])
    with pytest.raises(KeyError):
        site_explanation(ds, sites, "nope")
    ds._layers.pop("water_bodies")
    with pytest.raises(MissingLayerError, match="water_bodies"):
        water_sites(ds)


def test_site_household_pairs_same_with_and_without_threads(monkeypatch):
    import numpy as np
    import shapely

    from geo.store import settings
    from geo.water import risk

    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 5000, (300, 2))
    lines = shapely.linestrings(np.stack([starts, starts + rng.uniform(-300, 300, (300, 2))], axis=1))
    ponds = shapely.buffer(shapely.points(rng.uniform(0, 5000, (100, 2))), 30, quad_segs=3)
    sites = np.concatenate([lines, ponds])
    pts = shapely.points(rng.uniform(-500, 5500, (2000, 2)))
    monkeypatch.setattr(risk, "_CHUNK_MIN_SITES", 10**9)
    one = risk.site_household_pairs(sites, pts, 1000.0)
    monkeypatch.setattr(risk, "_CHUNK_MIN_SITES", 50)
    monkeypatch.setattr(settings, "threads", 2)
    many = risk.site_household_pairs(sites, pts, 1000.0)
    key = lambda r: np.lexsort((r[1], r[0]))  # noqa: E731
    for a, b in zip((x[key(one)] for x in one), (x[key(many)] for x in many), strict=True):
        np.testing.assert_allclose(a, b)
    ref = shapely.distance(sites[one[0]], pts[one[1]])
    np.testing.assert_allclose(one[2], ref, atol=1e-6)
    assert len(one[0]) == int((shapely.distance(sites[:, None], pts[None, :]) <= 1000).sum())
