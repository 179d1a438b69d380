"""Geometry as other tools draw it: self-intersections, zero-area polygons, Z coordinates.

One place decides what a layer's geometry may be and how it is repaired, so the importer, the
analyses and ``childsafe info`` agree: an invalid polygon (a bowtie pond) is repaired with
``shapely.make_valid`` keeping the parts of the layer's dimension; a polygon with no area (or
one whose repair leaves none) cannot be used; Z coordinates are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from geo.store.schema import LAYERS

_DIMENSION = {"Point": 0, "LineString": 1, "Polygon": 2}


@dataclass
class GeometryReport:
    """Positions (0-based) of the geometries found invalid and repaired, of no area (dropped by
    :func:`repaired`), and with Z coordinates (dropped)."""

    repaired: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    zero_area: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    had_z: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))

    def __bool__(self) -> bool:
        return bool(len(self.repaired) or len(self.zero_area) or len(self.had_z))


def keep_dimension(geom, dim: int):
    """The parts of ``geom`` of dimension ``dim`` (a collection from make_valid), or None."""
    if geom is None or geom.is_empty:
        return None
    parts = [g for g in shapely.get_parts(geom) if shapely.get_dimensions(g) == dim and not g.is_empty]
    if not parts:
        return None
    if dim == 2:
        polys = [p for g in parts for p in shapely.get_parts(g)]
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    if dim == 1:
        lines = [p for g in parts for p in shapely.get_parts(g)]
        return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
    return parts[0]


def without_collections(geoms: np.ndarray) -> np.ndarray:
    """Each geometry collection among ``geoms`` as its parts of its highest dimension (a line
    cut by an outline it only touches comes back as lines and a point); the other geometries
    are returned as they are, the same objects."""
    out = np.array(geoms, dtype=object)
    for i in np.flatnonzero(shapely.get_type_id(out) == 7):
        dims = shapely.get_dimensions(shapely.get_parts(out[i]))
        out[i] = keep_dimension(out[i], int(dims.max())) if len(dims) else None
    return out


def check_geometry(geoms: gpd.GeoSeries | np.ndarray) -> tuple[np.ndarray, GeometryReport]:
    """Repair an array of geometries; return the repaired array and what was done.

    Z is dropped; an invalid geometry becomes ``make_valid`` of it, keeping only the parts of its
    own dimension; a polygon of no area becomes ``None`` (listed in ``zero_area``).
    """
    arr = np.asarray(geoms.to_numpy() if isinstance(geoms, gpd.GeoSeries) else geoms, dtype=object)
    out = arr.copy()
    present = ~shapely.is_missing(arr)
    present[present] &= ~shapely.is_empty(arr[present])
    has_z = np.zeros(len(arr), dtype=bool)
    has_z[present] = shapely.has_z(arr[present])
    if has_z.any():
        out[has_z] = shapely.force_2d(arr[has_z])
    invalid = np.zeros(len(arr), dtype=bool)
    invalid[present] = ~shapely.is_valid(out[present])
    for i in np.flatnonzero(invalid):
        dim = int(shapely.get_dimensions(out[i]))
        out[i] = keep_dimension(shapely.make_valid(out[i]), dim)
    polygonal = np.zeros(len(arr), dtype=bool)
    ok = ~shapely.is_missing(out)
    polygonal[ok] = shapely.get_dimensions(out[ok]) == 2
    area = np.zeros(len(arr))
    area[polygonal] = shapely.area(out[polygonal])
    zero = (present & ~ok) | (polygonal & (area <= 0))
    out[zero] = None
    report = GeometryReport(np.flatnonzero(invalid & ~zero), np.flatnonzero(zero), np.flatnonzero(has_z))
    return out, report


def repaired(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with its geometries repaired (:func:`check_geometry`) and rows without a
    usable geometry (zero area) left out; the frame itself when nothing needs doing."""
    if not len(frame):
        return frame
    geoms, report = check_geometry(frame.geometry)
    if not report:
        return frame
    out = frame.copy()
    out[out.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    if len(report.zero_area):
        out = out.drop(index=frame.index[report.zero_area])
    return out


def layer_geometry_problems(name: str, frame: gpd.GeoDataFrame) -> list[str]:
    """What the analyses would trip on in a layer's geometry (for ``childsafe info``)."""
    if not len(frame) or LAYERS.get(name) is None or not LAYERS[name].geometry:
        return []
    _, report = check_geometry(frame.geometry)
    key = LAYERS[name].key
    problems = []

    def ids(pos: np.ndarray) -> str:
        if key is None or key not in frame.columns:
            return ""
        sample = ", ".join(map(str, frame[key].iloc[pos[:3]].tolist()))
        return f" ({sample}{', ...' if len(pos) > 3 else ''})"

    if len(report.repaired):
        problems.append(f"{name}.geometry: {len(report.repaired)} invalid (self-intersecting) "
                        f"geometr{'y' if len(report.repaired) == 1 else 'ies'}{ids(report.repaired)}: "
                        "the analyses repair them with make_valid; fix them at the source")
    if len(report.zero_area):
        problems.append(f"{name}.geometry: {len(report.zero_area)} polygon(s) of no area"
                        f"{ids(report.zero_area)}: left out of the analyses")
    if len(report.had_z):
        problems.append(f"{name}.geometry: {len(report.had_z)} geometr"
                        f"{'y' if len(report.had_z) == 1 else 'ies'} with Z coordinates: Z is ignored")
    return problems
