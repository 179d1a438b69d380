"""Coordinate reference systems: EPSG:4326 for storage, a metric CRS chosen for an area for analyses.

A dataset projects itself (:meth:`geo.store.dataset.Dataset.metric`); this module holds the
rules it follows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import pyproj

from geo.store.errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd

#: the CRS geometries are stored in (WGS-84 longitude/latitude; CGCS2000 input counts as equal).
STORAGE_CRS = "EPSG:4326"


def metric_crs_for(bounds: tuple[float, float, float, float]) -> pyproj.CRS:
    """Return the UTM CRS (WGS-84 datum) for an area given in longitude/latitude.

    Parameters
    ----------
    bounds
        (min lon, min lat, max lon, max lat) in EPSG:4326.

    Returns
    -------
    pyproj.CRS
        The UTM zone of the area's centre; distances within a county or a province-size area
        are true to well under 0.1 % (scale error of UTM within its zone).
    """
    minx, miny, maxx, maxy = bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise CRSError(f"bounds {bounds} are not longitude/latitude in EPSG:4326")
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    code = utm_code(lon, lat)
    if code is None:  # beyond the UTM latitudes: whatever the EPSG database says (or nothing)
        infos = pyproj.database.query_utm_crs_info(
            datum_name="WGS 84",
            area_of_interest=pyproj.aoi.AreaOfInterest(
                west_lon_degree=lon, south_lat_degree=lat, east_lon_degree=lon, north_lat_degree=lat),
        )
        if not infos:
            raise CRSError(f"no UTM zone found for bounds {bounds}")
        code = int(infos[0].code)
    return _crs(code)


def utm_code(lon: float, lat: float) -> int | None:
    """The EPSG code of the WGS-84 UTM zone of a point, by the zone rule (6° zones from 180°W;
    a point on a zone's edge is in the western zone, on the equator in the northern one), as
    the EPSG database's areas of use give it. ``None`` outside 80°S-84°N (no UTM zone there).

    The same answer as ``pyproj.database.query_utm_crs_info`` (checked by a property test),
    without its scan of the database: 80 ms a call, paid by every county task.
    """
    if not (-80 <= lat <= 84 and -180 <= lon <= 180):
        return None
    zone = min(60, max(1, math.floor((lon + 180) / 6) + 1))  # then exact, against whole edges
    while zone > 1 and lon <= -180 + 6 * (zone - 1):  # zone z spans (its west edge, its east edge]
        zone -= 1
    while zone < 60 and lon > -180 + 6 * zone:
        zone += 1
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=128)
def _crs(code: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(code)


def is_metric(crs) -> bool:
    """Whether ``crs`` is projected with metre units."""
    crs = pyproj.CRS.from_user_input(crs)
    return crs.is_projected and crs.axis_info[0].unit_name in ("metre", "meter")


def check_same_crs(*frames: gpd.GeoDataFrame) -> pyproj.CRS:
    """Raise :class:`CRSError` unless every frame has one and the same CRS; return it."""
    crs = None
    for frame in frames:
        if frame.crs is None:
            raise CRSError("an input has no CRS")
        if crs is None:
            crs = frame.crs
        elif not frame.crs.equals(crs):
            raise CRSError(f"inputs are in different CRSs: {crs.to_string()} and {frame.crs.to_string()}")
    if crs is None:
        raise CRSError("no input given")
    return pyproj.CRS.from_user_input(crs)

def union_bounds(boxes: Iterable[Sequence[float]]) -> tuple[float, float, float, float] | None:
    """The bounds ``(min_x, min_y, max_x, max_y)`` around ``boxes`` (``None`` when there are none);
    what ``Writer.extent`` of every store returns (:mod:`geo.store.writer`)."""
    found = [tuple(map(float, b)) for b in boxes]
    if not found:
        return None
    return (min(b[0] for b in found), min(b[1] for b in found),
            max(b[2] for b in found), max(b[3] for b in found))
