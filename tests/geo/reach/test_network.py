"""Routing network: hand-made networks with known distances, and networkx cross-checks."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.reach.network import snap_points
from geo.reach.roads import build_network, network_for_dataset
from geo.store import settings
from geo.store.errors import CRSError, MissingLayerError, ValidationError

CRS = "EPSG:32650"


def roads(lines, classes=None, oneway=None):
    n = len(lines)
    return gpd.GeoDataFrame(
        {
            "road_id": [f"r{i}" for i in range(n)],
            "road_class": classes or ["rural"] * n,
            "oneway": oneway or [False] * n,
        },
        geometry=[LineString(c) for c in lines],
        crs=CRS,
    )


@pytest.fixture
def river_roads():
    """Two banks 200 m apart, joined by one bridge at x = 1800; a ford line crosses both banks
    at x = 500 without sharing a vertex (so it does not connect them)."""
    return roads(
        [
            [(0, 0), (1000, 0), (1800, 0), (2000, 0)],  # south bank
            [(0, 200), (1800, 200), (2000, 200)],  # north bank
            [(1800, 0), (1800, 200)],  # the bridge
            [(500, -100), (500, 300)],  # crosses both roads without a shared vertex
        ]
    )


def test_nodes_and_edges(river_roads):
    net = build_network(river_roads)
    # 4 + 3 vertices, the bridge's ends are shared, the ford adds 2
    assert net.n_nodes == 4 + 3 + 2
    assert net.n_edges == 3 + 2 + 1 + 1
    assert net.edge_length.sum() == pytest.approx(2000 + 2000 + 200 + 400)


def test_river_with_one_bridge_makes_the_far_bank_far(river_roads):
    net = build_network(river_roads)
    station = snap_points(net, [Point(0, 10)])
    child = snap_points(net, [Point(0, 190), Point(300, -10)])
    assert child.offset == pytest.approx([10, 10])
    dist, source = net.nearest_source(station)
    d, _ = net.point_weights(child, dist)
    assert d[0] == pytest.approx(10 + 1800 + 200 + 1800 + 10)
    # same bank, same edge: along the road
    i, j, w = net.same_edge_weights(child, station)
    assert list(i) == [1] and w[0] == pytest.approx(10 + 300 + 10)
    assert d[1] == pytest.approx(10 + 300 + 10)
    assert set(source[np.isfinite(dist)]) == {0}


def test_the_ford_line_is_not_connected(river_roads):
    net = build_network(river_roads)
    ford = net.snap_points([Point(500, 300)], past_fragments=False)
    dist, source = net.nearest_source(net.snap_points([Point(0, 0)]))
    d, _ = net.point_weights(ford, dist)
    assert np.isinf(d[0])
    # the ford is a fragment (2 nodes): by default a point on it joins the north bank, 100 m away
    past = net.snap_points([Point(500, 300)])
    assert past.past_fragment[0] and past.past_m[0] == pytest.approx(100)
    assert net.point_weights(past, dist)[0][0] == pytest.approx(100 + 1300 + 200 + 1800)


def test_oneway_is_honoured_for_driving_only():
    # a one-way road a -> b (1 km) and a two-way detour b - c - a (3 km)
    net = build_network(
        roads(
            [[(0, 0), (1000, 0)], [(1000, 0), (1000, 1000), (0, 1000), (0, 0)]],
            oneway=[True, False],
        )
    )
    a = net.snap_points([Point(0, 0)]).u[0]
    b = net.snap_points([Point(1000, 0)]).v[0]
    walk = net.shortest_paths([b], mode="walk")
    drive = net.shortest_paths([b], mode="drive")
    assert walk[0, a] == pytest.approx(1000)
    assert drive[0, a] == pytest.approx(3000)
    assert net.shortest_paths([a], mode="drive")[0, b] == pytest.approx(1000)


def test_travel_time_by_class(monkeypatch):
    net = build_network(roads([[(0, 0), (3000, 0)], [(3000, 0), (6000, 0)]], classes=["primary", "path"]))
    monkeypatch.setattr(settings, "drive_speed_kmh", {"primary": 60.0, "path": 6.0})
    t = net.shortest_paths([0], mode="drive", weight="time")[0]
    far = int(np.argmax(net.xy[:, 0]))
    assert t[far] == pytest.approx(3000 / (60 / 3.6) + 3000 / (6 / 3.6))
    monkeypatch.setattr(settings, "walk_speed_kmh", 5.0)
    assert net.shortest_paths([0], mode="walk", weight="time")[0, far] == pytest.approx(6000 / (5 / 3.6))


def test_path_geometry(river_roads):
    net = build_network(river_roads)
    a = int(np.flatnonzero((net.xy == (0, 0)).all(axis=1))[0])
    b = int(np.flatnonzero((net.xy == (0, 200)).all(axis=1))[0])
    line = net.path_geometry(a, b)
    assert line.length == pytest.approx(3800)
    assert net.path_nodes(a, b)[0] == a
    ford = int(np.flatnonzero((net.xy == (500, 300)).all(axis=1))[0])
    assert net.path_geometry(a, ford) is None


def test_parallel_edges_keep_the_shorter():
    net = build_network(roads([[(0, 0), (1000, 0)], [(0, 0), (500, 400), (1000, 0)], [(0, 0), (1000, 0)]]))
    assert net.graph().nnz == 2 * 3  # a-b once, a-m, m-b, both ways
    assert net.shortest_paths([0], mode="walk").max() == pytest.approx(1000)  # not summed


def test_snap_exact_projection():
    net = build_network(roads([[(0, 0), (100, 0), (100, 100)]]))
    s = net.snap_points(np.array([[30.0, 5.0], [120.0, 50.0], [-10.0, 0.0]]))
    assert s.offset == pytest.approx([5, 20, 10])
    assert s.along == pytest.approx([30, 50, 0])
    assert s.rest == pytest.approx([70, 50, 100])
    assert s.valid.all()


def test_snap_missing_geometry_and_crs_mismatch():
    net = build_network(roads([[(0, 0), (100, 0)]]))
    s = net.snap_points(gpd.GeoSeries([Point(1, 1), None], crs=CRS))
    assert list(s.valid) == [True, False]
    with pytest.raises(CRSError):
        net.snap_points(gpd.GeoSeries([Point(1, 1)], crs="EPSG:32651"))


def test_bad_input():
    with pytest.raises(CRSError):
        build_network(roads([[(0, 0), (1, 1)]]).set_crs(None, allow_override=True))
    with pytest.raises(CRSError):
        build_network(roads([[(0, 0), (1, 1)]]).set_crs("EPSG:4326", allow_override=True))
    bad = gpd.GeoDataFrame({"road_class": ["rural"]}, geometry=[Point(0, 0)], crs=CRS)
    with pytest.raises(ValidationError):
        build_network(bad)
    net = build_network(roads([[(0, 0), (1, 1)]]))
    with pytest.raises(ValidationError):
        net.graph("fly")
    with pytest.raises(ValidationError):
        net.graph("walk", "cost")


def test_network_for_dataset_is_cached(tmp_path, tiny_dataset):
    from geo.store.dataset import Dataset, read_dataset, write_dataset

    with pytest.raises(MissingLayerError):
        network_for_dataset(tiny_dataset)
    ds = Dataset({**tiny_dataset, "roads": roads([[(499000, 3500000), (501000, 3500000)]]).to_crs(4326)})
    path = tmp_path / "d.gpkg"
    write_dataset(ds, path)
    ds = read_dataset(path)
    a = network_for_dataset(ds)
    assert network_for_dataset(ds) is a
    assert a.crs.is_projected and a.edge_length.sum() == pytest.approx(2000, rel=1e-3)


def grid_roads(rng, n=6, step=100.0, drop=0.2):
    lines = []
    for i in range(n):
        for j in range(n):
            p = (i * step + rng.uniform(-20, 20), j * step + rng.uniform(-20, 20))
            lines.append(p)
    pts = np.array(lines).reshape(n, n, 2)
    out = []
    for i in range(n):
        for j in range(n):
            if i + 1 < n and rng.random() > drop:
                out.append([tuple(pts[i, j]), tuple(pts[i + 1, j])])
            if j + 1 < n and rng.random() > drop:
                out.append([tuple(pts[i, j]), tuple(pts[i, j + 1])])
    return out


@hsettings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), mode=st.sampled_from(["walk", "drive"]))
def test_distances_equal_networkx(seed, k, mode):
    rng = np.random.default_rng(seed)
    lines = grid_roads(rng)
    net = build_network(
        roads(lines, classes=list(rng.choice(["primary", "rural", "path"], len(lines))),
              oneway=list(rng.random(len(lines)) < 0.3))
    )
    sources = rng.choice(net.n_nodes, size=k, replace=False)
    for weight in ("length", "time"):
        ours = net.shortest_paths(sources, mode=mode, weight=weight, min_only=True)
        g = net.to_networkx(mode, weight)
        theirs = nx.multi_source_dijkstra_path_length(g, set(sources.tolist()))
        expect = np.array([theirs.get(i, np.inf) for i in range(net.n_nodes)])
        np.testing.assert_allclose(ours, expect, rtol=1e-9, atol=1e-6)
