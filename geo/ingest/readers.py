"""Read ledgers and spatial files as they come: every attribute as the text the file holds.

CSV in UTF-8 (with or without BOM) or GBK/GB18030, Excel ``.xlsx``, GeoJSON, Shapefile (with
its ``.cpg`` or a guessed ``.dbf`` encoding) and GeoPackage. What a value *means* is decided
later (:mod:`geo.ingest.headers`, :mod:`geo.store.validate`); reading only refuses a file that
cannot be read at all.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.store.errors import ValidationError

logger = logging.getLogger(__name__)

TABULAR = (".csv", ".txt", ".xlsx", ".xlsm")
SPATIAL = (".geojson", ".json", ".shp", ".gpkg", ".zip")
OSM = (".osm", ".pbf")


def _unreadable(path: Path, en: str) -> ValidationError:
    return ValidationError(f"{path}: the file cannot be read: {en}")


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _unreadable(path, "its text is neither UTF-8 nor GBK/GB18030; save it as CSV UTF-8")


def _as_text(values: pd.Series) -> pd.Series:
    """Values as the text a user wrote (floats that are whole numbers without ``.0``)."""
    if pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values % 1 == 0) & (values.abs() < 1e15)
        out = values.astype("string")
        out[whole] = values[whole].astype("int64").astype("string")
        return out.fillna("")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").astype("string").fillna("")
    return values.astype("string").fillna("")


def _dbf_encoding(shp: Path) -> str | None:
    """The attribute encoding of a shapefile: its .cpg, else UTF-8 if the .dbf decodes, else GB18030."""
    for cpg in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")):
        if cpg.exists():
            name = cpg.read_text(errors="ignore").strip()
            if name:
                return {"936": "GB18030", "gbk": "GB18030", "gb2312": "GB18030"}.get(name.lower(), name)
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    try:
        data[header_len:].decode("utf-8")
        body_enc = "UTF-8"
    except UnicodeDecodeError:
        body_enc = "GB18030"
    return body_enc


def read_table(path: str | Path, *, sheet: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a ledger or a spatial file with every attribute as text.

    Returns
    -------
    (frame, format)
        A DataFrame (tabular files) or GeoDataFrame (spatial files, in the file's CRS) with a
        0..n-1 index, and the format name (``csv``, ``xlsx``, ``geojson``, ``shp``, ``gpkg``).

    Raises
    ------
    ValidationError
        The file does not exist, is empty, of an unknown format, cannot be decoded or parsed,
        or the sheet/layer does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise _unreadable(path, "it does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        if not raw.strip():
            raise _unreadable(path, "it is empty")
        text, encoding = decode_text(raw, path)
        first = text.splitlines()[0] if text else ""
        sep = "\t" if first.count("\t") > first.count(",") else ","
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise _unreadable(path, f"it is not a valid CSV table ({exc})") from exc
        logger.debug("read %s as %s", path.name, encoding)
        fmt = "csv"
    elif suffix in (".xlsx", ".xlsm"):
        try:
            book = pd.ExcelFile(path, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for a non-workbook
            raise _unreadable(path, f"it is not an Excel .xlsx workbook ({exc})") from exc
        name = sheet if sheet is not None else book.sheet_names[0]
        if name not in book.sheet_names:
            raise _unreadable(path, f"it has no sheet {name!r} (sheets: {', '.join(book.sheet_names)})")
        frame = pd.read_excel(book, sheet_name=name, dtype=str, keep_default_na=False)
        fmt = "xlsx"
    elif suffix == ".xls":
        raise _unreadable(path, "old .xls workbooks are not supported; save it as .xlsx or CSV")
    elif suffix in SPATIAL:
        kwargs: dict = {}
        if sheet is not None:
            kwargs["layer"] = sheet
        if suffix == ".shp":
            enc = _dbf_encoding(path)
            if enc:
                kwargs["encoding"] = enc
        try:
            frame = pyogrio.read_dataframe(path, **kwargs)
        except Exception as exc:  # GDAL: corrupt file, missing .shx/.dbf, unknown layer
            raise _unreadable(path, f"GDAL cannot open it ({exc})") from exc
        fmt = {".json": "geojson", ".zip": "shp"}.get(suffix, suffix[1:])
    else:
        raise _unreadable(
            path, "unknown format; use CSV, XLSX, GeoJSON, Shapefile, GeoPackage or OSM"
        )
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if isinstance(frame, gpd.GeoDataFrame) and col == frame.geometry.name:
            continue
        frame[col] = _as_text(frame[col])
    frame.columns = [str(c).strip() for c in frame.columns]
    if fmt in ("csv", "xlsx"):  # blank lines are not rows
        blank = (frame.apply(lambda s: s.str.strip()) == "").all(axis=1)
        frame = frame[~blank].reset_index(drop=True)
    return frame, fmt
