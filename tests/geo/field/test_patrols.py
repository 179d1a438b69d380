"""Patrol planning: hand-made matrices and a small road grid."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo.field.patrols import (
    PatrolPlan,
    nearest_neighbour_tour,
    plan_patrols,
    route_time,
    routes_to_gpx,
    two_opt,
)
from geo.reach.roads import build_network
from geo.store.dataset import Dataset
from geo.store.errors import ValidationError

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0


def _line_matrix(xs):
    xs = np.asarray(xs, dtype=float)
    return np.abs(xs[:, None] - xs[None, :])


@pytest.mark.parametrize("method", ["greedy", "ortools"])
def test_shift_limits_the_route_and_best_prizes_win(method):
    # depot at 0; sites at 10, 20, 100 (prizes 1, 1, 5); shift 60 s, no service: only 10 and 20 fit
    T = _line_matrix([0, 10, 20, 100])
    plan = PatrolPlan.from_cost_matrix(T, [0, 1, 1, 5], starts=[0], shift=60).solve(method=method, time_limit=0.5)
    assert plan.routes[0][0] == 0 and plan.routes[0][-1] == 0
    assert plan.visited == [1, 2] and plan.collected == 2
    assert plan.duration[0] <= 60
    # a longer shift reaches the big prize
    plan = PatrolPlan.from_cost_matrix(T, [0, 1, 1, 5], starts=[0], shift=200).solve(method=method, time_limit=0.5)
    assert plan.visited == [1, 2, 3] and plan.duration[0] == 200


@pytest.mark.parametrize("method", ["greedy", "ortools"])
def test_service_time_counts(method):
    T = _line_matrix([0, 10, 20])
    plan = PatrolPlan.from_cost_matrix(T, [0, 1, 1], starts=[0], shift=45, service=10).solve(
        method=method, time_limit=0.5)
    assert plan.visited == [1]            # both: 40 travel + 20 service = 60 > 45
    assert plan.arrival[0] == [0, 10, 30]  # arrive at 10, stay 10, back at 30


@pytest.mark.parametrize("method", ["greedy", "ortools"])
def test_pinned_site_is_visited(method):
    T = _line_matrix([0, 10, -40])
    plan = PatrolPlan.from_cost_matrix(T, [0, 5, 0.1], starts=[0], shift=80, pinned=[2]).solve(
        method=method, time_limit=0.5)
    assert 2 in plan.visited and plan.missed_pinned == []


@pytest.mark.parametrize("method", ["greedy", "ortools"])
def test_two_teams_two_bases(method):
    # bases at 0 and 1000; sites near each base; a 100 s shift cannot cross
    T = _line_matrix([0, 1000, 20, 30, 980, 970])
    plan = PatrolPlan.from_cost_matrix(T, [0, 0, 1, 1, 1, 1], starts=[0, 1], shift=100).solve(
        method=method, time_limit=0.5)
    assert sorted(plan.routes[0][1:-1]) == [2, 3] and sorted(plan.routes[1][1:-1]) == [4, 5]
    assert max(plan.duration) <= 100


def test_two_opt_reaches_brute_force_optimum_on_small_tours():
    rng = np.random.default_rng(3)
    for _ in range(5):
        xy = rng.uniform(0, 100, (7, 2))
        T = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
        best = min(route_time(T, [0, *p, 0]) for p in itertools.permutations(range(1, 7)))
        tour = two_opt(T, nearest_neighbour_tour(T, range(7), 0))
        assert sorted(tour[1:-1]) == list(range(1, 7))
        assert route_time(T, tour) <= best * 1.15
        plan = PatrolPlan.from_cost_matrix(T, [0] + [1] * 6, starts=[0], shift=1e9).solve(
            method="ortools", time_limit=0.3)
        assert route_time(T, plan.routes[0]) == pytest.approx(best, rel=1e-6)


def test_bad_inputs():
    with pytest.raises(ValidationError):
        PatrolPlan.from_cost_matrix(np.zeros((2, 3)), [0, 0], starts=[0], shift=10)
    with pytest.raises(ValidationError):
        PatrolPlan.from_cost_matrix(np.zeros((2, 2)), [0, 1], starts=[0], shift=0)
    with pytest.raises(ValidationError):
        PatrolPlan.from_cost_matrix(np.zeros((2, 2)), [0, 1], starts=[0], shift=10).solve(method="magic")


# --- on a road grid -------------------------------------------------------------------------


def _grid_dataset():
    """Roads: a 5 x 5 grid of rural roads, 1 km apart; sites beside the roads; one station."""
    lines = []
    for i in range(5):
        lines.append(LineString([(X0, Y0 + i * 1000), (X0 + 4000, Y0 + i * 1000)]))
        lines.append(LineString([(X0 + i * 1000, Y0), (X0 + i * 1000, Y0 + 4000)]))
    # split lines at crossings so the grid connects
    import shapely
    merged = shapely.node(shapely.GeometryCollection(lines))
    segs = list(shapely.get_parts(merged))
    roads = gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(len(segs))], "road_class": ["rural"] * len(segs),
                              "oneway": [False] * len(segs)}, geometry=segs, crs=CRS)
    rng = np.random.default_rng(0)
    pts = [Point(X0 + 500 + 1000 * (i % 4), Y0 + 20 + 1000 * (i // 4)) for i in range(16)]
    sites = gpd.GeoDataFrame({"site_id": [f"s{i:02d}" for i in range(16)], "risk": rng.uniform(1, 10, 16),
                              "kit_status": ["none"] * 16}, geometry=pts, crs=CRS)
    stations = gpd.GeoDataFrame({"station_id": ["S1"], "kind": ["minor_protection_workstation"], "name": ["x"],
                                 "level": ["township"], "capacity": pd.array([None], dtype="Int64")},
                                geometry=[Point(X0, Y0)], crs=CRS)
    ds = Dataset({"roads": roads, "stations": stations})
    return ds, sites, build_network(roads)


@pytest.mark.parametrize("method", ["greedy", "ortools"])
def test_plan_on_grid_respects_shift(method):
    ds, sites, net = _grid_dataset()
    routes, stops, plan = plan_patrols(ds, teams=2, shift_hours=1.0, bases=["S1"], sites=sites, network=net,
                                       stop_minutes=5, method=method, time_limit=1.0)
    assert (routes["duration_min"] <= 60 + 1e-6).all()
    assert len(routes) == 2 and set(stops["team"]) <= {1, 2}
    assert stops["site_id"].is_unique
    # at 30 km/h a 1 km block takes 2 min; a route's line starts and ends at the base
    for _, r in routes.iterrows():
        if r["stops"]:
            assert Point(r.geometry.coords[0]).distance(Point(X0, Y0)) < 1e-6
            assert Point(r.geometry.coords[-1]).distance(Point(X0, Y0)) < 1e-6
            assert r["length_m"] >= 1000
    # arrival times increase along each route
    for _, g in stops.groupby("team"):
        assert g.sort_values("order")["arrive_min"].is_monotonic_increasing
    # the duration equals travel along the line at 30 km/h plus stops (legs walked at 4 km/h)
    gpx = routes_to_gpx(routes, stops)
    assert gpx.count("<wpt") == len(stops) and "<trk>" in gpx


def test_plan_pinned_and_errors():
    ds, sites, net = _grid_dataset()
    low = sites.sort_values("risk")["site_id"].iloc[0]
    for method in ("greedy", "ortools"):
        _, stops, plan = plan_patrols(ds, teams=1, shift_hours=1.0, bases=["S1"], sites=sites, network=net,
                                      candidates=3, pinned=[low], method=method, time_limit=0.5)
        assert low in set(stops["site_id"]) and plan.missed_pinned == []
    # too far for a 10-minute shift: reported, not silently dropped
    _, stops, plan = plan_patrols(ds, teams=1, shift_hours=1 / 6, bases=["S1"], sites=sites, network=net,
                                  pinned=["s15"], method="greedy")
    assert len(plan.missed_pinned) == 1 and "s15" not in set(stops["site_id"])
    with pytest.raises(ValidationError, match="unknown pinned"):
        plan_patrols(ds, teams=1, shift_hours=1, bases=["S1"], sites=sites, network=net, pinned=["zz"])
    with pytest.raises(ValidationError, match="unknown base"):
        plan_patrols(ds, teams=1, shift_hours=1, bases=["S9", "abc"], sites=sites, network=net)
    with pytest.raises(ValidationError, match="teams"):
        plan_patrols(ds, teams=0, shift_hours=1, sites=sites, network=net)


def test_default_base_and_point_base():
    ds, sites, net = _grid_dataset()
    routes, _, _ = plan_patrols(ds, teams=1, shift_hours=1, sites=sites, network=net, method="greedy")
    assert routes["base"].tolist() == ["S1"]
    lonlat = gpd.GeoSeries([Point(X0 + 4000, Y0 + 4000)], crs=CRS).to_crs("EPSG:4326").iloc[0]
    routes, _, _ = plan_patrols(ds, teams=1, shift_hours=1, sites=sites, network=net, method="greedy",
                                bases=[f"{lonlat.x},{lonlat.y}"])
    assert Point(routes.geometry.iloc[0].coords[0]).distance(Point(X0 + 4000, Y0 + 4000)) < 0.01
