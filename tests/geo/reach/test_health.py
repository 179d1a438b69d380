"""Network health: components, fragments, dead ends, near misses, homes on fragments."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from geo.reach.health import dead_ends, health_features, near_misses, network_health
from geo.reach.roads import build_network

CRS = "EPSG:32650"


def roads(lines):
    n = len(lines)
    return gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(n)], "road_class": ["rural"] * n,
                             "oneway": [False] * n}, geometry=[LineString(c) for c in lines], crs=CRS)


MAIN = [(0, 0), (250, 0), (500, 0), (750, 0), (1000, 0)]
SHORT = [(300, 2), (300, 300)]                          # a side road 2 m short of the main road
STUB = [(500, 200), (500, 0), (500, -5)]                # joins at (500, 0) and overshoots 5 m
FRAGMENT = [(2000, 500), (2010, 500), (2020, 500)]      # 3 nodes, connected to nothing


def test_health_of_a_hand_made_layer():
    net = build_network(roads([MAIN, SHORT, STUB, FRAGMENT]))
    homes = gpd.GeoSeries([Point(2010, 520), Point(100, 10), Point(300, 150)], crs=CRS)
    h = network_health(net, homes)
    assert h["components"] == 3 and h["component_sizes"] == [7, 3, 2]
    assert h["fragments"] == 2 and h["fragment_nodes"] == 5
    # dead ends: the main road's two ends, the side road's two, the stub's two, the fragment's two
    assert h["dead_ends"] == 8 and len(dead_ends(net)) == 8
    # the side road's lower end nearly meets the main road (2 m, another component); the stub's
    # overshoot is next to the junction it met (not a near miss)
    misses = near_misses(net)
    assert misses[["x", "y"]].values.tolist() == [[300.0, 2.0]]
    assert misses["gap_m"].tolist() == pytest.approx([2.0]) and misses["other_component"].all()
    assert h["near_misses"] == 1 and h["near_misses_unconnected"] == 1
    # homes: one by the fragment (joined to the main road's end (1000, 0), hypot(1010, 520) =
    # 1136 m away instead of 20 m), one on the side road (a fragment too: 2 nodes; the main road
    # is 150 m away), one by the main road
    assert h["households"] == 3 and h["homes_on_fragments"] == 2
    assert h["homes_past_max_m"] == pytest.approx(1116.0, abs=0.1)
    assert h["homes_past_median_m"] == pytest.approx((1116.0 + 150.0) / 2, abs=0.1)


def test_health_features_for_the_map():
    net = build_network(roads([MAIN, SHORT, FRAGMENT]))
    feats = health_features(net)
    assert sorted(feats["kind"]) == ["fragment", "fragment", "unconnected"]
    frag = feats[feats["kind"] == "fragment"].sort_values("nodes")
    assert frag["nodes"].tolist() == [2, 3] and frag.geometry.length.round(6).tolist() == [298.0, 20.0]
    assert feats.crs == net.crs


def test_healthy_noded_layer():
    net = build_network(roads([MAIN, [(500, 0), (500, 300)]]))
    h = network_health(net)
    assert h["components"] == 1 and h["fragments"] == 0 and h["near_misses"] == 0
    assert h["dead_ends"] == 3 and "households" not in h
