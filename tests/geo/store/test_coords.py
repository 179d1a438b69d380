"""Coordinate conversions: published reference pairs, round trips and EPSG codes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.store.coords import (
    bd09_to_wgs84,
    distance_m,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    is_out_of_china,
    normalize_system,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.store.errors import CRSError

# (wgs lat, wgs lon, gcj lat, gcj lon): the reference pairs published with eviltransform
# (googollee/eviltransform, python/test.py): Shanghai, Shenzhen, Beijing.
GCJ_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
# (wgs lon, wgs lat, gcj lon, gcj lat, bd lon, bd lat): the reference triple of the geotool
# crate's CLI tests (near Jiaxing), published with its expected output.
TRIPLE = (121.0917077, 30.6107779, 121.09626935575027, 30.608604331756705,
          121.10271732371203, 30.61484572185035)
# coordtransform (wandergis) README: bd09togcj02(116.404, 39.915) (Baidu's Tiananmen demo point)
BD_TO_GCJ = (116.404, 39.915, 116.39762729119315, 39.90865673957631)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), GCJ_PAIRS)
def test_gcj02_reference_pairs_within_5_m(wlat, wlon, glat, glon):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert distance_m(lon, lat, wlon, wlat) < 5.0
    flon, flat = wgs84_to_gcj02(wlon, wlat)
    assert distance_m(flon, flat, glon, glat) < 0.01  # same public formula


def test_bd09_reference_points_within_5_m():
    wlon, wlat, glon, glat, blon, blat = TRIPLE
    assert distance_m(*bd09_to_wgs84(blon, blat), wlon, wlat) < 5.0
    assert distance_m(*gcj02_to_wgs84(glon, glat), wlon, wlat) < 5.0
    assert distance_m(*wgs84_to_bd09(wlon, wlat), blon, blat) < 0.05
    b_lon, b_lat, g_lon, g_lat = BD_TO_GCJ
    from geo.store.coords import bd09_to_gcj02

    assert distance_m(*bd09_to_gcj02(b_lon, b_lat), g_lon, g_lat) < 5.0


def test_tiananmen_landmark_in_three_systems():
    # Tiananmen Gate: WGS-84 (OSM) 116.39123, 39.90750; the offsets are several hundred metres
    wlon, wlat = 116.39123, 39.90750
    glon, glat = wgs84_to_gcj02(wlon, wlat)
    blon, blat = wgs84_to_bd09(wlon, wlat)
    assert 100 < distance_m(glon, glat, wlon, wlat) < 1000
    assert 500 < distance_m(blon, blat, wlon, wlat) < 2000
    for system, (x, y) in {"gcj02": (glon, glat), "bd09": (blon, blat)}.items():
        lon, lat = to_wgs84(x, y, system)
        assert distance_m(lon, lat, wlon, wlat) < 0.01


@settings(max_examples=200, deadline=None)
@given(st.floats(73.5, 135.0), st.floats(18.2, 53.5))
def test_round_trips_stay_within_a_millimetre(lon, lat):
    g = wgs84_to_gcj02(lon, lat)
    back = gcj02_to_wgs84(*g)
    assert distance_m(*back, lon, lat) < 1e-3
    b = gcj02_to_bd09(*g)
    back = bd09_to_wgs84(*b)
    assert distance_m(*back, lon, lat) < 1e-3


def test_vectorised_and_no_offset_outside_china():
    lon = np.array([121.5272106, 2.35, 24.94])
    lat = np.array([31.1774276, 48.85, 60.17])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon.shape == (3,)
    assert is_out_of_china(lon, lat).tolist() == [False, True, True]
    np.testing.assert_array_equal(glon[1:], lon[1:])
    np.testing.assert_array_equal(glat[1:], lat[1:])


def test_epsg_and_cgcs2000():
    # CGCS2000 / 3-degree Gauss-Kruger CM 117E (EPSG:4548): the central meridian maps to 500000
    lon, lat = to_wgs84(500000.0, 3320000.0, "EPSG:4548")
    assert abs(lon - 117.0) < 1e-6 and 29 < lat < 31
    assert to_wgs84(117.1, 31.2, "cgcs2000") == (117.1, 31.2)
    assert normalize_system("GCJ-02") == "gcj02"
    assert normalize_system("Baidu") == "bd09"
    assert normalize_system("epsg:4490") == "cgcs2000"


@pytest.mark.parametrize("bad", ["mercator", "EPSG:99999999"])
def test_unknown_system_is_a_clear_error(bad):
    with pytest.raises(CRSError):
        normalize_system(bad)
