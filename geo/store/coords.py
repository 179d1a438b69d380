"""Coordinate systems of Chinese data: WGS-84, CGCS2000, GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

Every function takes and returns longitude/latitude in degrees as numpy arrays (scalars work
too) and is vectorised.

Accuracy
--------
- **CGCS2000** is treated as equal to WGS-84: the two frames differ by a few centimetres in
  China (CGCS2000 is aligned to ITRF97 at epoch 2000.0), far below the accuracy of any ledger.
- **GCJ-02** is an obfuscation applied to WGS-84 by law in China. The forward formula used here
  (:func:`wgs84_to_gcj02`) is the public one (Krasovsky ellipsoid constants) used by
  eviltransform and coordtransform; it reproduces the official offset to within about 0.5 m. The
  way back (:func:`gcj02_to_wgs84`) is found by fixed-point iteration until the forward formula
  of the answer lands within 1e-9 degrees (about 0.1 mm) of the input, so the round trip
  WGS-84 -> GCJ-02 -> WGS-84 is exact to far under a metre and the total error is that of the
  formula itself (about 0.5 m).
- **BD-09** is Baidu's further offset of GCJ-02; its forward formula is exact by definition and
  the way back is iterated like GCJ-02. BD-09 -> WGS-84 is therefore also within about 0.5 m.
- Outside China (the rough box used by every implementation of the formula) GCJ-02 and BD-09
  are identical to WGS-84, as the map providers do.
"""

from __future__ import annotations

import numpy as np
import pyproj

from geo.store.errors import CRSError

# Krasovsky 1940 ellipsoid, the constants of the public GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
#: the rough box in which the GCJ-02 offset applies (eviltransform's ``outOfChina``)
CHINA_OFFSET_BOX = (72.004, 0.8293, 137.8347, 55.8271)
SYSTEMS = ("wgs84", "cgcs2000", "gcj02", "bd09")
_TOL_DEG = 1e-9
_MAX_ITER = 40


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def is_out_of_china(lon, lat) -> np.ndarray:
    """Return True where the GCJ-02 offset does not apply (outside China's rough box)."""
    lon, lat = _arrays(lon, lat)
    x0, y0, x1, y1 = CHINA_OFFSET_BOX
    return (lon < x0) | (lon > x1) | (lat < y0) | (lat > y1)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS-84 ``lon``, ``lat``."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    out = is_out_of_china(lon, lat)
    return np.where(out, 0.0, dlon), np.where(out, 0.0, dlat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude to GCJ-02 (AMap, Tencent, WeChat)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) = (lon, lat)`` for x by fixed-point iteration (the offset is smooth)."""
    lon, lat = _arrays(lon, lat)
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey)])), initial=0.0) < _TOL_DEG:
            break
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to WGS-84 by iterating the forward formula.

    The answer's forward transform is within 1e-9 degrees of the input.
    """
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to Baidu BD-09."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert Baidu BD-09 longitude/latitude to GCJ-02 (iterated to 1e-9 degrees)."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude to Baidu BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert Baidu BD-09 longitude/latitude to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def normalize_system(system: str | None) -> str:
    """Return the canonical name of a coordinate system given by a user.

    Accepts ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` (with or without dashes, any case, and
    common aliases such as ``amap``, ``baidu``, ``EPSG:4326``, ``EPSG:4490``) or ``EPSG:xxxx``.
    """
    if system is None:
        return "wgs84"
    key = str(system).strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    aliases = {
        "wgs84": "wgs84", "wgs": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
        "cgcs2000": "cgcs2000", "epsg:4490": "cgcs2000", "4490": "cgcs2000",
        "gcj02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02", "tencent": "gcj02",
        "mars": "gcj02", "bd09": "bd09", "bd09ll": "bd09", "baidu": "bd09",
    }
    if key in aliases:
        return aliases[key]
    if key.startswith("epsg:") and key[5:].isdigit():
        try:
            pyproj.CRS.from_user_input(key.upper())
        except pyproj.exceptions.CRSError as exc:
            raise CRSError(f"unknown coordinate system {system!r} ({exc})") from exc
        return key.upper()
    raise CRSError(
        f"unknown coordinate system {system!r}: use wgs84, cgcs2000, gcj02, bd09 or EPSG:xxxx"
    )


def to_wgs84(x, y, system: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``system`` to WGS-84 longitude/latitude.

    Parameters
    ----------
    x, y
        Longitude/latitude in degrees, or easting/northing in the units of an ``EPSG:xxxx``
        system.
    system
        As accepted by :func:`normalize_system`.
    """
    system = normalize_system(system)
    x, y = _arrays(x, y)
    if system in ("wgs84", "cgcs2000"):
        return x.copy(), y.copy()
    if system == "gcj02":
        return gcj02_to_wgs84(x, y)
    if system == "bd09":
        return bd09_to_wgs84(x, y)
    tr = pyproj.Transformer.from_crs(system, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geometry_to_wgs84(geoms, system: str | None):
    """Apply :func:`to_wgs84` for a lon/lat offset system to every vertex of shapely geometries."""
    import shapely

    system = normalize_system(system)
    if system in ("wgs84", "cgcs2000"):
        return geoms

    def _fn(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], system)
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, _fn)


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (haversine on a 6,371,008.8 m sphere)."""
    lon1, lat1 = _arrays(lon1, lat1)
    lon2, lat2 = _arrays(lon2, lat2)
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))
