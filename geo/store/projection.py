"""Coordinate reference systems: EPSG:4326 for storage, a metric CRS chosen for an area for analyses.

A dataset projects itself (:meth:`geo.store.dataset.Dataset.metric`); this module holds the
rules it follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    infos = pyproj.database.query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=pyproj.aoi.AreaOfInterest(
            west_lon_degree=(minx + maxx) / 2,
            south_lat_degree=(miny + maxy) / 2,
            east_lon_degree=(minx + maxx) / 2,
            north_lat_degree=(miny + maxy) / 2,
        ),
    )
    if not infos:
        raise CRSError(f"no UTM zone found for bounds {bounds}")
    return pyproj.CRS.from_epsg(int(infos[0].code))


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
