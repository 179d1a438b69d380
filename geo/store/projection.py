"""Coordinate reference systems: pick a metric CRS for an area and project datasets into it."""

from __future__ import annotations

import logging

import geopandas as gpd
import pyproj

from geo.store.dataset import STORAGE_CRS, Dataset
from geo.store.errors import CRSError

logger = logging.getLogger(__name__)


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


def dataset_metric_crs(dataset: Dataset) -> pyproj.CRS:
    """Return the metric CRS of ``dataset``: its own CRS if metric, else the UTM zone of its area."""
    crs = dataset.crs
    if crs is None:
        raise CRSError("the dataset has no spatial layer with a CRS")
    if is_metric(crs):
        return pyproj.CRS.from_user_input(crs)
    bounds = dataset.total_bounds()
    if bounds is None:
        raise CRSError("the dataset has no geometries to choose a metric CRS from")
    return metric_crs_for(bounds)


def project_dataset(dataset: Dataset, crs=None) -> Dataset:
    """Return a copy of ``dataset`` with every spatial layer in a metric CRS.

    Parameters
    ----------
    dataset
        A dataset in any CRS (usually EPSG:4326 as read from disk).
    crs
        Target CRS; default: :func:`dataset_metric_crs`.
    """
    target = pyproj.CRS.from_user_input(crs) if crs is not None else dataset_metric_crs(dataset)
    if not is_metric(target):
        raise CRSError(f"{target.to_string()} is not a metric CRS")
    out = dataset.to_crs(target)
    logger.info("projected dataset to %s", target.to_string())
    return out


def to_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326 (for the map and for files)."""
    if frame.crs is None:
        raise CRSError("the frame has no CRS")
    return frame.to_crs(STORAGE_CRS)


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
