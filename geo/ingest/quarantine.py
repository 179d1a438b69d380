"""The quarantine file: rows an import set aside, unchanged plus their ``reason``, to fix and re-import."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

#: columns of a quarantine file that say why a row was set aside (ignored when re-importing).
REASON_HEADERS = ("reason", "原因", "问题", "quarantine_reason")


def default_quarantine_path(source: Path, fmt_suffix: str | None = None) -> Path:
    """Where the quarantine file goes by default: beside the input, ``<name>.quarantine.<ext>``."""
    suffix = source.suffix.lower()
    if fmt_suffix:
        ext = fmt_suffix
    elif suffix in (".xlsx", ".xlsm"):
        ext = ".xlsx"
    elif suffix in (".geojson", ".json"):
        ext = ".geojson"
    elif suffix in (".shp", ".gpkg", ".zip", ".osm", ".pbf"):
        ext = ".gpkg"
    else:
        ext = ".csv"
    return source.with_name(f"{source.stem}.quarantine{ext}")


def write_quarantine(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write quarantined rows (unchanged, plus ``reason``) as CSV (UTF-8 with BOM), XLSX,
    GeoJSON or GeoPackage by the suffix of ``path``; the file is replaced atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            pd.DataFrame(frame).to_excel(tmp, index=False, engine="openpyxl")
        elif suffix in (".geojson", ".gpkg") and isinstance(frame, gpd.GeoDataFrame):
            out = frame.copy()
            out.columns = [str(c) for c in out.columns]
            driver = "GeoJSON" if suffix == ".geojson" else "GPKG"
            pyogrio.write_dataframe(out, tmp, driver=driver, layer="quarantine")
        else:
            data = pd.DataFrame(frame).copy()
            if isinstance(frame, gpd.GeoDataFrame):
                data[frame.geometry.name] = frame.geometry.to_wkt()
            data.to_csv(tmp, index=False, encoding="utf-8-sig")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
