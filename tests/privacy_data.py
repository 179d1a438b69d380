"""Two villages for the privacy tests: whatever belongs to village B carries a "B" marker."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from geo.store.dataset import Dataset

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0
COUNTY, TOWNSHIP = "340123", "340123101"
VILLAGE_A, VILLAGE_B = "340123101001", "340123101002"
SALT = "s3cret-salt-value"
#: the password of test accounts
PW = "correct horse battery"
#: strings that only village B's records contain
B_MARKERS = (VILLAGE_B, "hhB1", "hhB2", "chB1", "chB2", "visB", "River B", "watB", "kitB",
             "staB", "roadB", "insB", "Village B", "Home B", "note B", "checked B", "Unit B")


def two_villages(payload: str | None = None) -> Dataset:
    """Village A (6 households, 7 children) at x 0-2 km and village B (2, 2) at x 5-7 km.

    ``payload`` replaces every free-text field (names, notes) when given (XSS tests).
    """
    def text(value: str) -> str:
        return payload if payload is not None else value

    a, b = box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 5000, Y0, X0 + 7000, Y0 + 2000)
    admin = gpd.GeoDataFrame(
        {"code": [COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_B],
         "name": [text("County"), text("Township"), text("Village A"), text("Village B")],
         "level": ["county", "township", "village", "village"],
         "parent_code": [None, COUNTY, TOWNSHIP, TOWNSHIP]},
        geometry=[box(X0 - 3000, Y0 - 3000, X0 + 10000, Y0 + 5000),
                  box(X0 - 2000, Y0 - 2000, X0 + 9000, Y0 + 4000), a, b], crs=CRS)
    hh_a = [f"hA{i}" for i in range(1, 7)]
    households = gpd.GeoDataFrame(
        {"household_id": hh_a + ["hhB1", "hhB2"],
         "village_code": [VILLAGE_A] * 6 + [VILLAGE_B] * 2,
         "caregiver": ["grandparents", "parents", "one_parent", "parents", "relatives", "none",
                       "grandparents", "parents"]},
        geometry=[Point(X0 + 200 * i, Y0 + 500) for i in range(1, 7)]
        + [Point(X0 + 6000, Y0 + 500), Point(X0 + 6200, Y0 + 500)], crs=CRS)
    # hA1 has 2 children (one left-behind under 6), hA2..hA6 one each; hhB1, hhB2 one each
    children = pd.DataFrame({
        "child_id": [f"cA{i}" for i in range(1, 8)] + ["chB1", "chB2"],
        "household_id": ["hA1", "hA1", "hA2", "hA3", "hA4", "hA5", "hA6", "hhB1", "hhB2"],
        "birth_year": [pd.Timestamp.now().year - 3, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019],
        "sex": ["M", "F", "M", "F", "M", "F", "M", "F", "M"],
        "left_behind": [True, False, True, False, False, False, False, True, False],
        "difficulty": ["family", None, None, None, None, None, None, "self", None],
        "guardianship": ["poor"] + ["good"] * 8,
        "disability": [False] * 9, "serious_illness": [False] * 9, "psych_concern": [False] * 9,
        "lives_alone": [False] * 9, "single_parent": [False] * 9,
        "last_contact": pd.to_datetime(["2024-04-01"] * 9),
        "last_home_visit": pd.to_datetime([None] * 9),
    })
    water = gpd.GeoDataFrame(
        {"water_id": ["wA", "watB"], "kind": ["pond", "river"], "name": [text("Pond A"), text("River B")],
         "responsible_unit": [text("Unit A"), text("Unit B")], "barrier": [False, True]},
        geometry=[box(X0 + 900, Y0 + 900, X0 + 1000, Y0 + 1000),
                  LineString([(X0 + 6500, Y0), (X0 + 6500, Y0 + 2000)])], crs=CRS)
    kits = gpd.GeoDataFrame(
        {"kit_id": ["kA", "kitB"], "water_id": ["wA", "watB"], "sign": [True, True],
         "buoy": [True, False], "rope": [True, False], "pole": [True, False],
         "inspected_on": pd.to_datetime(["2024-05-01", "2024-05-02"])},
        geometry=[Point(X0 + 950, Y0 + 890), Point(X0 + 6510, Y0 + 1000)], crs=CRS)
    stations = gpd.GeoDataFrame(
        {"station_id": ["sA", "staB"], "kind": ["childrens_home", "childrens_home"],
         "name": [text("Home A"), text("Home B")], "level": ["village", "village"],
         "capacity": pd.array([20, 10], dtype="Int64")},
        geometry=[Point(X0 + 1500, Y0 + 1500), Point(X0 + 6800, Y0 + 1500)], crs=CRS)
    roads = gpd.GeoDataFrame(
        {"road_id": ["rA1", "roadB"], "road_class": ["rural", "rural"], "oneway": [False, False]},
        geometry=[LineString([(X0, Y0 + 100), (X0 + 2000, Y0 + 100)]),
                  LineString([(X0 + 5000, Y0 + 100), (X0 + 7000, Y0 + 100)])], crs=CRS)
    directors = pd.DataFrame({"village_code": [VILLAGE_A, VILLAGE_B],
                              "directors": pd.array([1, 1], dtype="Int64")})
    visits = pd.DataFrame({"visit_id": ["vA1", "visB"], "child_id": ["cA1", "chB1"],
                           "visited_on": pd.to_datetime(["2024-04-01", "2024-04-02"]),
                           "kind": ["contact", "home_visit"], "recorded_by": ["dirA", "dirB"],
                           "note": [text("note A"), text("note B")]})
    inspections = pd.DataFrame({
        "inspection_id": ["iA", "insB"], "kit_id": ["kA", "kitB"], "water_id": ["wA", "watB"],
        "inspected_on": pd.to_datetime(["2024-05-01", "2024-05-02"]),
        "sign": [True, True], "buoy": [True, False], "rope": [True, False], "pole": [True, False],
        "barrier": [False, True], "recorded_by": ["so", "so"],
        "note": [text("checked A"), text("checked B")]})
    ds = Dataset({"admin_units": admin, "households": households, "children": children,
                  "water_bodies": water, "safety_kits": kits, "stations": stations, "roads": roads,
                  "child_directors": directors, "visits": visits, "inspections": inspections},
                 settings={"pseudonym_salt": SALT, "visit_preset": "national"})
    return ds.to_crs("EPSG:4326")


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    """Cheap argon2 parameters for tests (the real ones cost ~0.1-0.5 s per hash)."""
    from argon2 import PasswordHasher

    import geo.privacy.accounts

    monkeypatch.setattr(geo.privacy.accounts, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))

