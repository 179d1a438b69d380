"""Geometry of imported rows: from lon/lat, WKT or the file, to WGS-84, checked."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.ingest import headers as hdr
from geo.store.coords import geometry_to_wgs84, to_wgs84
from geo.store.dataset import Dataset
from geo.store.errors import ValidationError
from geo.store.geometry import check_geometry
from geo.store.projection import STORAGE_CRS
from geo.store.schema import LAYERS
from geo.store.validate import Problem, coordinate_problems


def geometry_from_columns(
    frame: pd.DataFrame, raw: pd.DataFrame, system: str, path: Path
) -> tuple[gpd.GeoSeries, list[Problem]]:
    problems: list[Problem] = []
    geoms = np.full(len(frame), None, dtype=object)
    if hdr.WKT in frame.columns:
        text = frame[hdr.WKT].astype("string").fillna("").str.strip()
        parsed = shapely.from_wkt(text.replace("", None).to_numpy(dtype=object), on_invalid="ignore")
        for i, (t, g) in enumerate(zip(text, parsed, strict=True)):
            if t and g is None:
                problems.append(Problem(frame.index[i], hdr.WKT, "bad_wkt"))
        geoms = parsed
        if system not in ("wgs84", "cgcs2000"):
            ok = ~shapely.is_missing(geoms)
            if system.startswith("EPSG:"):
                series = gpd.GeoSeries(geoms, crs=system).to_crs(STORAGE_CRS)
                geoms = series.to_numpy()
            else:
                geoms[ok] = geometry_to_wgs84(geoms[ok], system)
    elif hdr.LON in frame.columns and hdr.LAT in frame.columns:
        x_text = frame[hdr.LON].astype("string").fillna("").str.strip().str.rstrip("°")
        y_text = frame[hdr.LAT].astype("string").fillna("").str.strip().str.rstrip("°")
        x = pd.to_numeric(x_text, errors="coerce")
        y = pd.to_numeric(y_text, errors="coerce")
        for col, text, num in ((hdr.LON, x_text, x), (hdr.LAT, y_text, y)):
            for idx in frame.index[(num.isna() & (text != "")).to_numpy()]:
                problems.append(Problem(idx, col, "bad_coordinate", {"value": text[idx]}))
        ok = (x.notna() & y.notna()).to_numpy()
        if ok.any():
            lon, lat = to_wgs84(x.to_numpy()[ok], y.to_numpy()[ok], system)
            geoms[ok] = shapely.points(lon, lat)
    else:
        raise ValidationError(
            f"{path}: no coordinates found: give lon/lat columns (经度/纬度), a WKT column "
            f"or a spatial file; columns found: {', '.join(map(str, raw.columns))}"
        )
    return gpd.GeoSeries(geoms, index=frame.index, crs=STORAGE_CRS), problems


def geometry_from_file(raw: gpd.GeoDataFrame, system: str, path: Path) -> gpd.GeoSeries:
    geoms = raw.geometry
    if geoms.crs is None:
        if system.startswith("EPSG:"):
            return geoms.set_crs(system).to_crs(STORAGE_CRS)
        bounds = geoms.total_bounds
        if len(geoms.dropna()) and not (-180 <= bounds[0] <= bounds[2] <= 180
                                        and -90 <= bounds[1] <= bounds[3] <= 90):
            raise ValidationError(
                f"{path}: the file has no coordinate system (.prj) and its coordinates are not "
                "longitude/latitude; give it with --coords EPSG:xxxx (e.g. EPSG:4527 for "
                "CGCS2000 3-degree Gauss-Kruger zone 39)"
            )
        geoms = geoms.set_crs(STORAGE_CRS)
    elif not geoms.crs.is_geographic:
        geoms = geoms.to_crs(STORAGE_CRS)
    else:
        geoms = geoms.set_crs(STORAGE_CRS, allow_override=True)
    if system in ("gcj02", "bd09"):
        ok = geoms.notna().to_numpy()
        values = geoms.to_numpy().copy()
        values[ok] = geometry_to_wgs84(values[ok], system)
        geoms = gpd.GeoSeries(values, index=geoms.index, crs=STORAGE_CRS)
    return geoms


def geometry_problems(layer: str, geoms: gpd.GeoSeries, area) -> list[Problem]:
    spec = LAYERS[layer]
    allowed: tuple[str, ...] = spec.geometry or ()
    problems: list[Problem] = []
    missing = geoms.isna() | geoms.is_empty
    for idx in geoms.index[missing.to_numpy()]:
        problems.append(Problem(idx, "geometry", "no_geometry"))
    present = geoms[~missing]
    if present.empty:
        return problems
    types = present.geom_type
    wrong = ~types.isin(allowed)
    for idx in types.index[wrong.to_numpy()]:
        problems.append(Problem(idx, "geometry", "geometry_type",
                                {"value": types[idx], "choices": ", ".join(allowed)}))
    pts = present.representative_point()
    found = coordinate_problems(pts.x, pts.y, area=area)
    if "Point" not in allowed:
        found = [p for p in found if p.code != "same_spot"]
    return problems + found


def dataset_area(dataset: Dataset) -> tuple[float, float, float, float] | None:
    boxes = []
    for name in ("admin_units", "households", "water_bodies", "roads", "stations"):
        if name in dataset:
            frame = dataset[name]
            if frame.crs is not None and not frame.crs.equals(STORAGE_CRS):
                frame = frame.to_crs(STORAGE_CRS)
            boxes.append(frame.total_bounds)
    if not boxes:
        return None
    arr = np.array(boxes)
    if not np.isfinite(arr).all():
        return None
    return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())


def repair_geometry(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, list[Problem], list[tuple[str, str]]]:
    """Repair imported geometry (:func:`geo.store.geometry.check_geometry`): a self-intersecting
    polygon is repaired with a warning, one of no area is an error (quarantined), Z is dropped
    with a notice."""
    fixed, report = check_geometry(geoms)
    out = gpd.GeoSeries(fixed, index=geoms.index, crs=geoms.crs)
    problems = [Problem(geoms.index[i], "geometry", "repaired_geometry", severity="warning")
                for i in report.repaired]
    problems += [Problem(geoms.index[i], "geometry", "zero_area") for i in report.zero_area]
    notices = []
    if len(report.had_z):
        n = len(report.had_z)
        notices.append((f"{n} geometr{'y' if n == 1 else 'ies'} had Z coordinates: Z dropped",
                        f"{n} 个几何图形带有 Z 坐标，已去除 Z 值"))
    return out, problems, notices
