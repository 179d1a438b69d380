"""Coverage table per unit, service areas and gap areas on a hand-made village pair."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from road_villages import V1, V2, X0, Y0, gdf, households, road
from shapely.geometry import Point, box

from geo.reach.access import child_access
from geo.reach.coverage import child_groups, coverage_by_unit, coverage_summary, service_areas
from geo.reach.gaps import gap_areas, hex_cells, hex_polygons, vulnerability
from geo.reach.roads import build_network
from geo.store.dataset import Dataset


@pytest.fixture
def two_villages():
    """A 6 km road; village 1 west (station at x=0), village 2 east with no station nearby."""
    roads = road()
    admin = gdf({"code": ["340123", "340123101", V1, V2], "name": ["County", "Town", "West", "East"],
                 "level": ["county", "township", "village", "village"],
                 "parent_code": [None, "340123", "340123101", "340123101"]},
                [box(X0 - 100, Y0 - 100, X0 + 6100, Y0 + 100), box(X0 - 100, Y0 - 100, X0 + 6100, Y0 + 100),
                 box(X0 - 100, Y0 - 100, X0 + 3000, Y0 + 100), box(X0 + 3000, Y0 - 100, X0 + 6100, Y0 + 100)])
    # households at x = 500, 1500 (village 1), 4000, 5800 (village 2); all 10 m off the road
    hh = households()
    children = pd.DataFrame({
        "child_id": ["a", "b", "c", "d", "e"],
        "household_id": ["h1", "h2", "h3", "h3", "h4"],
        "left_behind": [True, False, True, False, True],
        "difficulty": [None, "family", "self;guardianship", None, "family"],
        "guardianship": ["good", "poor", "good", "good", None],
        "disability": [False, False, True, False, False],
    })
    stations = gdf({"station_id": ["s1", "t1"], "kind": ["childrens_home", "social_work_station"],
                    "level": ["village", "township"]}, [Point(X0, Y0), Point(X0 + 3000, Y0)])
    return Dataset({"roads": roads, "admin_units": admin, "households": hh, "children": children,
                    "stations": stations})


def test_groups_and_vulnerability(two_villages):
    g = child_groups(two_villages["children"])
    assert list(g["left_behind"]) == [True, False, True, False, True]
    assert list(g["difficulty"]) == [False, True, True, False, True]
    assert list(g["guardianship"]) == [False, False, True, False, False]
    assert list(vulnerability(two_villages["children"])) == [2, 3, 4, 1, 3]


def test_coverage_by_unit(two_villages):
    acc = child_access(two_villages, levels=["village", "township"])
    # village standard 2 km on foot: a (510 m) and b (1510 m) are covered, c, d, e are not
    table = coverage_by_unit(two_villages, acc).set_index(["code", "station_level"])
    row = table.loc[(V1, "village")]
    assert (row["children"], row["covered"], row["covered_share"]) == (2, 2, 1.0)
    row = table.loc[(V2, "village")]
    assert (row["children"], row["covered"], row["covered_share"]) == (3, 0, 0.0)
    town = table.loc[("340123101", "village")]
    assert (town["children"], town["covered"]) == (5, 2)
    assert town["name"] == "Town" and town["level"] == "township"
    assert town["left_behind_children"] == 3 and town["left_behind_covered"] == 1
    assert town["difficulty_children"] == 3 and town["difficulty_covered"] == 1
    assert town["family_children"] == 2 and town["self_children"] == 1
    county = table.loc[("340123", "township")]
    assert (county["children"], county["covered"]) == (5, 5)  # 15 km by road
    summary = coverage_summary(acc).set_index("station_level")
    assert summary.loc["village", "covered_share"] == pytest.approx(2 / 5)


def test_service_areas(two_villages):
    net = build_network(two_villages["roads"])
    areas = service_areas(two_villages, net, levels=["village"])
    assert list(areas["station_id"]) == ["s1"]
    poly = areas.geometry.iloc[0]
    # reaches 2 km east along the road (plus the drawing buffer), not 3 km
    assert poly.contains(Point(X0 + 1900, Y0)) and not poly.contains(Point(X0 + 2500, Y0))
    eu = service_areas(two_villages, net, levels=["village"], metric="euclidean")
    assert eu.geometry.iloc[0].area == pytest.approx(np.pi * 2000**2, rel=0.01)


def test_gap_areas(two_villages):
    acc = child_access(two_villages, levels=["village"])
    gaps = gap_areas(two_villages, acc, size_m=500)
    # c, d at x=4000 share a hexagon; e at x=5800 is in another
    assert list(gaps["children"]) == [2, 1]
    assert list(gaps["rank"]) == [1, 2]
    assert list(gaps["vulnerability"]) == [5, 3]
    assert gaps["village_code"].tolist() == [V2, V2]
    assert gaps.geometry.iloc[0].contains(Point(X0 + 4000, Y0 + 10))


def test_hex_cells_contain_their_points():
    rng = np.random.default_rng(1)
    xy = rng.uniform(-5000, 5000, (500, 2))
    q, r = hex_cells(xy, 300.0)
    polys = hex_polygons(q, r, 300.0)
    assert shapely.covers(polys, shapely.points(xy)).all()
    assert polys[0].area == pytest.approx(3 * np.sqrt(3) / 2 * 300**2)
