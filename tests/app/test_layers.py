"""The map layers: offline assets, payload shaping, escaping, aggregation, GCJ-02 shift."""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geo.store.errors import CRSError
from layers import assets, feature_collection, geojson_layer, to_map_frame, tooltip_html
from layers.admin import admin_layer
from layers.basemap import BASEMAPS, base_map, shift_to_gcj02, wgs84_to_gcj02
from layers.households import households_features, households_layer
from layers.kits import kit_completeness, kits_layer
from layers.legend import Legend
from layers.roads import roads_features
from layers.stations import stations_layer
from layers.water import water_layer

LOCAL = {pkg: f"/component/x.{pkg}" for pkg in assets.ASSET_DIRS}


def _html(m: folium.Map) -> str:
    return m.get_root().render()


def test_asset_files_exist():
    for name in ("leaflet", "jquery", "leaflet_css", "markerclusterjs", "markerclustercss",
                 "markerclusterdefaultcss"):
        assert assets.asset_path(name).is_file()
    assert assets.ASSET_VERSIONS["leaflet"].startswith("1.9")


def test_base_map_has_only_local_assets(tiny_dataset):
    m = base_map(tiny_dataset.total_bounds(), asset_urls=LOCAL)
    assert m.default_js == [("leaflet", "/component/x.leaflet/leaflet.js"),
                            ("jquery", "/component/x.jquery/jquery.min.js")]
    assert assets.remote_links(m) == []
    html = _html(m)
    assert "cdn.jsdelivr" not in html and "bootstrap" not in html
    assert m.options["max_zoom"] == 18 and m.options["prefer_canvas"] is True
    assert '"maxZoom": 18' in html
    # the class keeps folium's lists: other maps in the process are unaffected
    assert folium.Map.default_js[0][1].startswith("https://")


def test_localize_inlines_without_urls(tiny_dataset):
    m = base_map(tiny_dataset.total_bounds(), asset_urls=None)
    assert all(url.startswith("data:text/javascript;base64,") for _, url in m.default_js)


def test_localize_rewrites_plugins_and_refuses_unknown_cdn_assets():
    from folium.plugins import MarkerCluster

    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    assets.localize(m, LOCAL)
    assert assets.remote_links(m) == []
    m2 = folium.Map(tiles=None)
    folium.Marker([31, 117], icon=folium.Icon()).add_to(m2)
    with pytest.raises(assets.OfflineAssetError, match="folium.Icon"):
        assets.localize(m2, LOCAL)
    m3 = folium.Map(tiles=None)
    from folium.plugins import Fullscreen

    Fullscreen().add_to(m3)
    with pytest.raises(assets.OfflineAssetError, match="Fullscreen"):
        assets.localize(m3, LOCAL)


def test_basemaps_need_key_and_are_online_only_on_request(tiny_dataset):
    b = tiny_dataset.total_bounds()
    assert "tile" not in _html(base_map(b, asset_urls=LOCAL)).lower().replace("tiles=none", "")
    with pytest.raises(ValueError, match="key"):
        base_map(b, basemap="tianditu", asset_urls=LOCAL)
    html = _html(base_map(b, basemap="tianditu", tianditu_key="a&b", asset_urls=LOCAL))
    assert "tianditu.gov.cn" in html and "tk=a%26b" in html
    assert "openstreetmap" in _html(base_map(b, basemap="osm", asset_urls=LOCAL))
    with pytest.raises(ValueError, match="unknown basemap"):
        base_map(b, basemap="google")
    assert set(BASEMAPS) == {"none", "osm", "tianditu", "amap"}


def test_to_map_frame_rounds_simplifies_and_needs_crs(tiny_dataset):
    water = tiny_dataset["water_bodies"]
    out = to_map_frame(water, simplify_m=5)
    assert out.crs.to_epsg() == 4326 and len(out) == 2
    coords = np.concatenate([np.asarray(g.exterior.coords if g.geom_type == "Polygon" else g.coords)
                             for g in out.geometry])
    assert np.allclose(coords, np.round(coords, 6))
    with pytest.raises(CRSError):
        to_map_frame(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_tooltips_escape_data_text():
    tip = tooltip_html('<img src=x onerror="alert(1)">', [("a&b", "<b>")])
    assert "<img" not in tip and "&lt;img" in tip and "&amp;" in tip and "&lt;b&gt;" in tip
    assert tip.startswith("<b>")  # our own markup stays


def test_one_geojson_per_overlay_with_shared_styles(tiny_dataset):
    group = water_layer(tiny_dataset["water_bodies"], lang="en")
    children = list(group._children.values())
    assert len(children) == 1 and isinstance(children[0], folium.GeoJson)
    assert group.layer_name == "Water bodies"
    data = children[0].data
    assert [f["id"] for f in data["features"]] == [0, 1]
    assert all("_style" not in f["properties"] for f in data["features"])  # styles stay in Python


def test_legend_and_layer_names_are_escaped():
    leg = Legend("<script>", [("a</script><script>", [("#fff", "<i>x</i>", "point")])])
    assert "<script>" not in leg.html and "</script>" not in leg.html_js
    group = geojson_layer("<b>name</b>", feature_collection(
        gpd.GeoDataFrame(geometry=[Point(1, 1)], crs=4326), [{}]))
    assert group.layer_name == "&lt;b&gt;name&lt;/b&gt;"


def test_kit_completeness(tiny_dataset):
    kits = tiny_dataset["safety_kits"]
    assert kit_completeness(kits).tolist() == ["partial"]  # k1 lacks its pole
    k = kits.copy()
    k["pole"] = True
    assert kit_completeness(k).tolist() == ["complete"]
    k[["sign", "buoy", "rope", "pole"]] = False
    assert kit_completeness(k).tolist() == ["none"]
    assert len(list(kits_layer(kits)._children.values())) == 1


def test_households_aggregated_per_village_by_default(tiny_dataset):
    data = households_features(tiny_dataset["households"], children=tiny_dataset["children"],
                               admin_units=tiny_dataset["admin_units"], lang="en")
    assert len(data["features"]) == 1  # one village, not three points
    tip = data["features"][0]["properties"]["_tip"]
    assert "Test village" in tip and "Households: 3" in tip and "Children: 3" in tip
    assert "Left-behind: 1" in tip
    # the circle sits on the village polygon's representative point
    village = tiny_dataset["admin_units"].geometry.iloc[0]
    x, y = data["features"][0]["geometry"]["coordinates"]
    assert village.contains(Point(x, y))
    points = households_features(tiny_dataset["households"], points=True)
    assert len(points["features"]) == 3
    hexes = households_features(tiny_dataset["households"], by="hexagon")
    assert sum(int(f["properties"]["_tip"].split("户数: ")[1].split("<")[0])
               for f in hexes["features"]) == 3
    with pytest.raises(ValueError):
        households_layer(tiny_dataset["households"], by="county")


def test_roads_merged_per_class():
    roads = gpd.GeoDataFrame(
        {"road_id": ["a", "b", "c"], "road_class": ["rural", "rural", "primary"], "oneway": [False] * 3},
        geometry=[box(0, 0, 1, 1).exterior, box(2, 2, 3, 3).exterior, box(0, 2, 1, 3).exterior],
        crs="EPSG:32650")
    data = roads_features(roads.to_crs(4326))
    assert len(data["features"]) == 2  # one feature per class, not per segment


def test_admin_and_stations_layers(tiny_dataset):
    g = admin_layer(tiny_dataset["admin_units"], lang="en")
    assert g.layer_name == "Admin boundaries"
    assert len(stations_layer(tiny_dataset["stations"])._children) == 0  # no stations: empty group


@settings(max_examples=50, deadline=None)
@given(st.floats(75, 134), st.floats(18, 53))
def test_gcj02_shift_is_a_few_hundred_metres_in_china(lon, lat):
    glon, glat = wgs84_to_gcj02(lon, lat)
    dx = (float(glon) - lon) * 111_320 * np.cos(np.radians(lat))
    dy = (float(glat) - lat) * 110_540
    assert 1 < np.hypot(dx, dy) < 1_200


def test_gcj02_unchanged_outside_china_and_shifts_overlays(tiny_dataset):
    assert tuple(map(float, wgs84_to_gcj02(2.35, 48.85))) == (2.35, 48.85)
    m = base_map(tiny_dataset.total_bounds(), asset_urls=LOCAL)
    group = water_layer(tiny_dataset["water_bodies"])
    before = json.dumps(next(iter(group._children.values())).data)
    shift_to_gcj02(group)
    after = next(iter(group._children.values())).data
    assert json.dumps(after) != before
    pond = after["features"][0]["geometry"]["coordinates"][0][0]
    orig = json.loads(before)["features"][0]["geometry"]["coordinates"][0][0]
    assert pond == pytest.approx(list(map(float, wgs84_to_gcj02(*orig))), abs=1e-6)
    shift_to_gcj02(m)


def test_role_views_get_counts_not_households(tiny_dataset):
    from geo.privacy.roles import User, dataset_for
    from layers.households import aggregate_features
    from views import overview

    leader = dataset_for(User("lead", "leader", ""), tiny_dataset)
    assert "households" not in leader and "children" not in leader
    assert overview.household_modes(leader) == ("village", "hexagon")
    # 3 children, 1 left-behind: below the small-count threshold, so hidden for a leader (NaN,
    # shown as "—"), never a made-up 0
    assert all(v != v for v in overview._people(leader))
    officer = dataset_for(User("safe", "safety_officer", ""), tiny_dataset)
    assert all(v != v for v in overview._people(officer))  # receives no counts of people
    circles = aggregate_features(leader["area_counts"], admin_units=leader["admin_units"], lang="en")
    assert len(circles["features"]) == 1
    assert "Households: *" in circles["features"][0]["properties"]["_tip"]
    hexes = aggregate_features(leader["hex_counts"], lang="en")
    assert len(hexes["features"]) >= 1
    assert all(f["geometry"]["type"] == "Polygon" for f in hexes["features"])
    admin = dataset_for(User("a", "admin", ""), tiny_dataset)
    assert overview._people(admin) == (3, 1)


def test_min_zoom_gate_script():
    from layers import min_zoom

    m = folium.Map(tiles=None)
    group = min_zoom(folium.FeatureGroup("points").add_to(m), 14)
    html = _html(m)
    assert "map.getZoom() < 14" in html and group.get_name() in html


def test_road_health_overlay_draws_fragments_and_near_misses():
    import geopandas as gpd
    from shapely.geometry import LineString

    from geo.reach.health import health_features
    from geo.reach.roads import build_network
    from layers.road_health import legend_items as health_legend
    from layers.road_health import road_health_features

    lines = [[(0, 0), (250, 0), (500, 0), (750, 0), (1000, 0)], [(300, 2), (300, 300)],
             [(2000, 500), (2010, 500), (2020, 500)]]
    roads = gpd.GeoDataFrame({"road_id": ["a", "b", "c"], "road_class": ["rural"] * 3, "oneway": [False] * 3},
                             geometry=[LineString(c) for c in lines], crs="EPSG:32650")
    data = road_health_features(health_features(build_network(roads)), lang="en")
    kinds = sorted(f["geometry"]["type"] for f in data["features"])
    assert kinds == ["LineString", "LineString", "Point"]
    tips = " ".join(f["properties"]["_tip"] for f in data["features"])
    assert "Road fragment" in tips and "Gap (m)" in tips and "2.0" in tips
    zh = road_health_features(health_features(build_network(roads)), lang="zh")
    assert "孤立路段" in " ".join(f["properties"]["_tip"] for f in zh["features"])
    assert [row[1] for row in health_legend("zh")][0] == "孤立路段（未连通）"
def test_no_colour_means_two_things_on_the_overview():
    """Kit status (green/orange/red), station levels and households each have colours of their own."""
    from layers import households, kits, stations

    kit = set(kits.COLOURS.values())
    station = set(stations.COLOURS.values())
    homes = {households.COLOUR, *households.HEX_RAMP}
    assert not kit & station and not kit & homes and not station & homes
