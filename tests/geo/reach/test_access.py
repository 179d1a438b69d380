"""Access: nearest station per child and level, hand-made cases and a networkx cross-check."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.reach.access import child_access, household_access, service_standards
from geo.reach.roads import build_network
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import MissingLayerError, SettingsError

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0


def gdf(data, geoms):
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def river_dataset(stations_xy=((0, 10),), levels=("village",)):
    """Two banks 200 m apart joined by one bridge at x = 1800 (see test_network)."""
    lines = [
        [(0, 0), (1000, 0), (1800, 0), (2000, 0)],
        [(0, 200), (1800, 200), (2000, 200)],
        [(1800, 0), (1800, 200)],
    ]
    roads = gdf(
        {"road_id": ["a", "b", "bridge"], "road_class": ["rural"] * 3, "oneway": [False] * 3},
        [LineString([(X0 + x, Y0 + y) for x, y in c]) for c in lines],
    )
    hh = gdf(
        {"household_id": ["near", "far", "east"], "village_code": ["340123101001"] * 3, "caregiver": [None] * 3},
        [Point(X0 + 0, Y0 + 190), Point(X0 + 300, Y0 - 10), Point(X0 + 1900, Y0 + 210)],
    )
    children = pd.DataFrame(
        {"child_id": ["c1", "c2", "c3", "c4"], "household_id": ["near", "far", "east", "nowhere"],
         "left_behind": [True, False, True, False]}
    )
    stations = gdf(
        {"station_id": [f"s{i}" for i in range(len(stations_xy))],
         "kind": ["childrens_home"] * len(stations_xy), "level": list(levels) * len(stations_xy)},
        [Point(X0 + x, Y0 + y) for x, y in stations_xy],
    )
    return Dataset({"roads": roads, "households": hh, "children": children, "stations": stations})


def test_far_bank_is_far_by_road_and_near_by_straight_line():
    ds = river_dataset()
    acc = child_access(ds, levels=["village"]).set_index("child_id")
    assert acc.loc["c1", "distance_m"] == pytest.approx(10 + 1800 + 200 + 1800 + 10)
    assert acc.loc["c2", "distance_m"] == pytest.approx(10 + 300 + 10)
    assert acc.loc["c3", "distance_m"] == pytest.approx(10 + 1800 + 200 + 100 + 10)
    assert list(acc["covered"]) == [False, True, False, False]  # standard 2 km
    assert pd.isna(acc.loc["c4", "distance_m"]) and pd.isna(acc.loc["c4", "station_id"])
    assert acc.loc["c2", "station_id"] == "s0"
    assert acc.loc["c2", "time_min"] == pytest.approx(320 / (settings.walk_speed_kmh / 3.6) / 60)
    eu = child_access(ds, levels=["village"], metric="euclidean").set_index("child_id")
    assert eu.loc["c1", "distance_m"] == pytest.approx(180)
    assert eu.loc["c1", "covered"]


def test_nearest_station_is_named_and_standards_apply(monkeypatch):
    ds = river_dataset(stations_xy=((0, 10), (2000, 190)))
    acc = child_access(ds, levels=["village"]).set_index("child_id")
    assert acc.loc["c3", "station_id"] == "s1"
    assert acc.loc["c3", "distance_m"] == pytest.approx(10 + 100 + 10)
    monkeypatch.setattr(settings, "service_standard", {"village": (100.0, "walk")})
    acc = child_access(ds).set_index("child_id")
    assert set(acc["level"]) == {"village"}
    assert not acc["covered"].any()


def test_no_station_of_a_level():
    acc = child_access(river_dataset(), levels=["township"])
    assert acc["station_id"].isna().all() and not acc["covered"].any()


def test_errors():
    ds = river_dataset()
    with pytest.raises(SettingsError):
        child_access(ds, metric="crow")
    with pytest.raises(SettingsError):
        child_access(ds, levels=["galaxy"])
    with pytest.raises(SettingsError):
        service_standards({"village": (-1, "walk")})
    with pytest.raises(SettingsError):
        household_access(ds["households"], ds["stations"], level="village", metric="network")
    with pytest.raises(MissingLayerError):
        child_access(Dataset({"roads": ds["roads"]}))


def grid(rng, n=7, step=120.0):
    pts = np.array([[X0 + i * step + rng.uniform(-30, 30), Y0 + j * step + rng.uniform(-30, 30)]
                    for i in range(n) for j in range(n)]).reshape(n, n, 2)
    lines = []
    for i in range(n):
        for j in range(n):
            if i + 1 < n and rng.random() > 0.25:
                lines.append(LineString([pts[i, j], pts[i + 1, j]]))
            if j + 1 < n and rng.random() > 0.25:
                lines.append(LineString([pts[i, j], pts[i, j + 1]]))
    return lines


def networkx_point_distances(net, hs, ss, mode):
    """The same question answered with networkx: virtual nodes for points, multi-source search."""
    g = net.to_networkx(mode)
    fwd = np.ones(net.n_edges, bool)
    back = fwd if mode == "walk" else ~net.edge_oneway
    for j in range(len(ss.edge)):
        e = ss.edge[j]
        if fwd[e]:
            g.add_edge(net.edge_u[e], ("s", j), weight=ss.along[j] + ss.offset[j])
        if back[e]:
            g.add_edge(net.edge_v[e], ("s", j), weight=ss.rest[j] + ss.offset[j])
    for i in range(len(hs.edge)):
        e = hs.edge[i]
        if back[e]:
            g.add_edge(("h", i), net.edge_u[e], weight=hs.along[i] + hs.offset[i])
        if fwd[e]:
            g.add_edge(("h", i), net.edge_v[e], weight=hs.rest[i] + hs.offset[i])
        for j in range(len(ss.edge)):  # same segment: straight along it
            if ss.edge[j] == e:
                delta = ss.along[j] - hs.along[i]
                if (delta >= 0 and fwd[e]) or (delta < 0 and back[e]):
                    g.add_edge(("h", i), ("s", j), weight=hs.offset[i] + abs(delta) + ss.offset[j])
    rev = g.reverse(copy=True)
    d = nx.multi_source_dijkstra_path_length(rev, {("s", j) for j in range(len(ss.edge))})
    return np.array([d.get(("h", i), np.inf) for i in range(len(hs.edge))])


@hsettings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_st=st.integers(1, 5), mode=st.sampled_from(["walk", "drive"]))
def test_distances_equal_networkx(seed, n_st, mode):
    rng = np.random.default_rng(seed)
    lines = grid(rng)
    roads = gdf({"road_id": [str(i) for i in range(len(lines))], "road_class": ["rural"] * len(lines),
                 "oneway": list(rng.random(len(lines)) < 0.3)}, lines)
    net = build_network(roads)
    hh = gdf({"household_id": [f"h{i}" for i in range(40)]},
             [Point(X0 + x, Y0 + y) for x, y in rng.uniform(-50, 770, (40, 2))])
    sts = gdf({"station_id": [f"s{i}" for i in range(n_st)], "kind": ["childrens_home"] * n_st,
               "level": ["village"] * n_st},
              [Point(X0 + x, Y0 + y) for x, y in rng.uniform(-50, 770, (n_st, 2))])
    std = {"village": (2000.0, mode)}
    ours = household_access(hh, sts, level="village", network=net, standards=std)
    hs, ss = net.snap_points(hh.geometry), net.snap_points(sts.geometry)
    expect = networkx_point_distances(net, hs, ss, mode)
    got = ours["distance_m"].fillna(np.inf).to_numpy()
    np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-5)
    # the named station is at that distance
    for i, sid in enumerate(ours["station_id"]):
        if pd.notna(sid):
            one = household_access(hh.iloc[[i]], sts[sts["station_id"] == sid], level="village",
                                   network=net, standards=std)
            assert one["distance_m"].iloc[0] == pytest.approx(got[i])


@hsettings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), metric=st.sampled_from(["network", "euclidean"]))
def test_adding_a_station_never_lowers_coverage(seed, metric):
    rng = np.random.default_rng(seed)
    lines = grid(rng)
    roads = gdf({"road_id": [str(i) for i in range(len(lines))], "road_class": ["rural"] * len(lines),
                 "oneway": [False] * len(lines)}, lines)
    net = build_network(roads)
    hh = gdf({"household_id": [f"h{i}" for i in range(30)]},
             [Point(X0 + x, Y0 + y) for x, y in rng.uniform(0, 720, (30, 2))])
    pts = rng.uniform(0, 720, (4, 2))
    std = {"village": (float(rng.uniform(100, 600)), "walk")}

    def covered(k):
        sts = gdf({"station_id": [f"s{i}" for i in range(k)], "kind": ["childrens_home"] * k,
                   "level": ["village"] * k}, [Point(X0 + x, Y0 + y) for x, y in pts[:k]])
        return household_access(hh, sts, level="village", network=net, metric=metric, standards=std)

    before = covered(3)
    after = covered(4)
    assert (after["covered"] >= before["covered"]).all()
    assert (after["distance_m"].fillna(np.inf) <= before["distance_m"].fillna(np.inf) + 1e-9).all()
