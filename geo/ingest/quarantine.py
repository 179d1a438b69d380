"""The quarantine file: rows an import set aside, unchanged plus their ``reason``, to fix and re-import."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

#: permission bits of a quarantine file: it holds raw rows, readable by its owner only.
QUARANTINE_MODE = 0o600
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
    GeoJSON or GeoPackage by the suffix of ``path``; the file is replaced atomically.

    The file holds raw rows (possibly personal data the import removed): it is mode ``0600``,
    and tables go through the one table writer (``geo.privacy.tables``), so no cell is a live
    formula.
    """
    from geo.privacy.tables import write_table
    from geo.store.files import check_output

    path = check_output(path, what="--quarantine")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".gpkg") and isinstance(frame, gpd.GeoDataFrame):
        from geo.store.files import UNSYNCED_GDAL, gdal_options, replace_durably, temp_beside

        path.parent.mkdir(parents=True, exist_ok=True)
        with temp_beside(path, suffix=f".tmp{path.suffix}", mode=QUARANTINE_MODE) as tmp, \
                gdal_options(UNSYNCED_GDAL):
            out = frame.copy()
            out.columns = [str(c) for c in out.columns]
            driver = "GeoJSON" if suffix == ".geojson" else "GPKG"
            pyogrio.write_dataframe(out, tmp, driver=driver, layer="quarantine")
            os.chmod(tmp, QUARANTINE_MODE)
            replace_durably(tmp, path)
        return path
    data = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        data[frame.geometry.name] = frame.geometry.to_wkt()
    fmt = ".xlsx" if suffix in (".xlsx", ".xlsm") else ".csv"
    return write_table(path, {"quarantine": data}, mode=QUARANTINE_MODE, fmt=fmt,
                       words=False)  # raw rows, to fix and import again
