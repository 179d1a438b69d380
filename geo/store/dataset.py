"""The dataset store: read and write one GeoPackage per dataset, as SCHEMA.md says.

In memory a dataset is a :class:`~geo.store.frames.Dataset` (the layers' kinds and their coercion
are in :mod:`geo.store.frames`; its names are re-exported here). A ``postgresql://`` URL in place
of a path reads or writes the PostGIS store (:mod:`geo.store.postgis`).

On disk geometries are EPSG:4326, dates are GeoPackage ``DATE`` fields. Changes to a dataset are
transactions of its store (:mod:`geo.store.writer`); :func:`write_dataset` makes whole new files
(a temp renamed over the target, durably, keeping its mode). Reading is lenient where files
differ harmlessly (a date as text, a bool as 0/1) and strict where they do not: every problem
of a file is gathered into one :class:`~geo.store.errors.DatasetError`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.store import files
from geo.store.errors import DatasetError
from geo.store.frames import Dataset, coerce_column, coerce_layer, empty_layer
from geo.store.location import is_url
from geo.store.projection import STORAGE_CRS
from geo.store.schema import ALL_LAYERS, LAYERS
from geo.store.sqlite import index_keys, quoted

__all__ = ["Dataset", "coerce_column", "coerce_layer", "empty_layer", "list_layers", "read_dataset",
           "to_storage", "write_dataset", "write_layers"]

logger = logging.getLogger(__name__)


# --- reading ------------------------------------------------------------------------------------


def list_layers(path: str | os.PathLike) -> list[str]:
    """Names of the layers and tables stored in the GeoPackage (or PostGIS dataset) at ``path``."""
    if is_url(path):
        from geo.store.postgis import list_layers as pg_layers

        return pg_layers(str(path))
    return [str(row[0]) for row in pyogrio.list_layers(path)]


#: how GDAL's Arrow stream becomes pandas: dates as datetime64 (as the row reader gives them),
#: not Python date objects that would be parsed again as text
_ARROW_TO_PANDAS = {"date_as_object": False}


def read_frame(path: str | os.PathLike, **kwargs) -> pd.DataFrame:
    """One layer (or ``sql=`` query) of a GeoPackage, through GDAL's Arrow stream.

    The columnar read is 2-5x faster than the row-by-row one (a county's roads, households,
    water) and gives the same frame after :func:`coerce_layer` (``tests/geo/store/test_dataset.py``),
    except for date fields that hold what is not a date: the Arrow stream turns ``''``,
    ``'not a date'`` or ``2024`` into 1970-01-01 and ``2024-02-30`` into 1 March, where the row
    reader gives an empty value (and a day that does not exist is an error). So a date field
    whose stored values are not all dates written as GDAL writes them (:func:`_odd_dates`, one
    query in SQLite) is read again by the row reader (only those columns), and a layer the Arrow
    reader cannot give is read by the row reader whole.
    """
    try:
        frame = pyogrio.read_dataframe(path, use_arrow=True, arrow_to_pandas_kwargs=_ARROW_TO_PANDAS,
                                       fid_as_index="sql" not in kwargs, **kwargs)
    except (ImportError, NotImplementedError, pyogrio.errors.DataSourceError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError):  # a GDAL gap
        return _row_read(path, **kwargs)
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    dated = [c for c in frame.columns if c != geometry and pd.api.types.is_datetime64_any_dtype(frame[c])]
    if dated and "sql" in kwargs:  # a query: checking its rows in SQLite costs what this read does
        return _row_read(path, **kwargs)
    dated = _odd_dates(path, kwargs.get("layer"), [c for c in frame.columns if c != geometry], dated,
                       where=kwargs.get("where"))
    if dated:
        rows = _row_read(path, **{**kwargs, "columns": dated, "read_geometry": False, "fid_as_index": True})
        frame[dated] = rows[dated]  # aligned on the fid
    return frame.reset_index(drop=True)


#: a stored value of a DATE / DATETIME field that the Arrow stream reads as the row reader does:
#: text that comes back unchanged from SQLite's day number of it (30 February comes back as
#: 1 March; SQLite's date() alone would keep it), from year 1 (GDAL refuses year 0, SQLite not)
_PLAIN_DATE = {"DATE": "{c} >= '0001-01-01' AND date(julianday({c})) = {c}",
               "DATETIME": "{c} >= '0001-01-01' AND ("
                           + " OR ".join(f"strftime('%Y-%m-%dT%H:%M:{s}', julianday({{c}})) = {{c}}"
                                         for s in ("%fZ", "%SZ", "%f", "%S")) + ")"}


def _odd_dates(path: str | os.PathLike, layer: str | None, columns: list[str],
               dated: list[str], *, where: str | None = None) -> list[str]:
    """The date fields (declared ``DATE`` or ``DATETIME``) among ``columns`` of ``layer`` that
    hold a stored value not written as GDAL writes a date (``YYYY-MM-DD``;
    ``YYYY-MM-DDTHH:MM:SS[.SSS][Z]``, from year 1) in the rows read (``where``, the read's filter, in the
    SQLite SQL that GDAL passes on for a GeoPackage): those the Arrow stream may read otherwise
    than the row reader. When it cannot tell: ``dated``, the columns read as dates."""
    if layer is None:
        return dated
    try:
        con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return dated
    try:
        declared = {str(r[1]): str(r[2]).upper() for r in con.execute(f"PRAGMA table_info({quoted(layer)})")}
        if not declared:
            return dated
        tests = {col: _PLAIN_DATE[declared[col]] for col in columns if declared.get(col) in _PLAIN_DATE}
        odd = []
        for col, test in tests.items():
            c = quoted(col)
            found = con.execute(f"SELECT 1 FROM {quoted(layer)} WHERE {f'({where}) AND ' if where else ''}"
                                f"{c} IS NOT NULL AND NOT "
                                f"COALESCE(typeof({c}) = 'text' AND ({test.format(c=c)}), 0) LIMIT 1")
            if found.fetchone() is not None:
                odd.append(col)
        return odd + [c for c in dated if c not in tests]  # read as dates, declared otherwise
    except sqlite3.Error:
        return dated
    finally:
        con.close()


def _row_read(path: str | os.PathLike, **kwargs) -> pd.DataFrame:
    """GDAL's row-by-row reader; a date that does not exist (30 February) is a clear error."""
    try:
        return pyogrio.read_dataframe(path, **kwargs)
    except ValueError as exc:  # raised while converting a feature's field (day out of range...)
        layer = kwargs.get("layer") or "the query"
        raise DatasetError(path, [f"图层 {layer!r} 有字段无法容纳的值（如不存在的日期）/ layer {layer!r} "
                                  f"holds a value its field cannot be ({exc}); fix it in QGIS or "
                                  "re-import the layer"]) from exc


def read_dataset(
    path: str | os.PathLike, *, layers: Iterable[str] | None = None
) -> Dataset:
    """Read the dataset GeoPackage at ``path``.

    Parameters
    ----------
    path
        A GeoPackage written by this project, QGIS or any GDAL tool.
    layers
        Read only these layers (default: every contract layer found).

    Returns
    -------
    Dataset
        Layers in EPSG:4326 with contract column types; layers the file lacks read as empty.

    Raises
    ------
    DatasetError
        The file does not exist or is not a GeoPackage, or a layer lacks a column, holds values
        of the wrong type or geometry, has no CRS or a CRS other than EPSG:4326. Every problem of
        the file is listed in the one error.
    """
    if is_url(path):  # a postgresql:// URL: the PostGIS store
        from geo.store.postgis import read_dataset as read_pg

        return read_pg(str(path), layers=layers)
    path = Path(path)
    if not path.exists():
        raise DatasetError(path, ["the file does not exist"])
    if not files.is_sqlite_file(path):
        raise DatasetError(path, ["the file is not a GeoPackage (.gpkg, an SQLite database)"])
    files.remove_stale_temps(path)  # left by a crashed writer
    files.recover(path)
    try:
        present = set(list_layers(path))
    except Exception as exc:  # GDAL cannot open it: corrupt or not a GeoPackage
        raise DatasetError(path, [f"GDAL cannot open it as a GeoPackage ({exc})"]) from exc
    wanted = list(layers) if layers is not None else list(ALL_LAYERS)
    if "dataset_settings" not in wanted:  # the dataset's own settings always come along
        wanted.append("dataset_settings")
    unknown = [n for n in wanted if n not in ALL_LAYERS]
    if unknown:
        raise DatasetError(path, [f"no layer named {', '.join(unknown)} in the dataset contract"])
    problems: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    for name in wanted:
        if name not in present:
            continue
        spec = ALL_LAYERS[name]
        frame = read_frame(path, layer=name, read_geometry=bool(spec.geometry))
        if spec.geometry:
            if not isinstance(frame, gpd.GeoDataFrame):
                problems.append(f"layer {name!r} has no geometry column")
                continue
            if frame.crs is None:
                problems.append(f"layer {name!r} has no coordinate reference system (CRS)")
                continue
            if not frame.crs.equals(STORAGE_CRS) and frame.crs.to_epsg() not in (4326, 4490):
                problems.append(
                    f"layer {name!r} is stored in {frame.crs.to_string()}; datasets store "
                    "EPSG:4326 (WGS-84 longitude/latitude): re-import it with `childsafe import`, "
                    "which converts coordinates"
                )
                continue
            frame = frame.set_crs(STORAGE_CRS, allow_override=True)
        frame, found = coerce_layer(name, frame)
        problems += found
        frames[name] = frame
    if problems:
        raise DatasetError(path, problems)
    settings = {}
    if "dataset_settings" in frames:
        kv = frames.pop("dataset_settings")
        settings = dict(zip(kv["key"].astype(str), kv["value"].fillna("").astype(str), strict=True))
    ds = Dataset(frames, path=path, settings=settings)
    logger.info("read %s: %s", path.name, _summary(ds))
    return ds


def _summary(ds: Dataset) -> str:
    return ", ".join(f"{n} {c:,}" for n, c in ds.counts().items() if c)


# --- writing ------------------------------------------------------------------------------------


def to_storage(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as layer ``name`` is stored (contract types, EPSG:4326, ISO dates); DatasetError if not."""
    spec, out = ALL_LAYERS.get(name), frame.copy()
    if isinstance(out, gpd.GeoDataFrame):
        if out.crs is None and len(out):
            raise DatasetError(name, [f"layer {name!r} has no CRS; set one before saving"])
        if out.crs is not None and not out.crs.equals(STORAGE_CRS):
            out = out.to_crs(STORAGE_CRS)
        elif out.crs is None:
            out = out.set_crs(STORAGE_CRS)
    if spec is None:
        return out
    out, problems = coerce_layer(name, out)
    if problems:
        raise DatasetError(name, problems)
    for col in spec.columns:
        if col.kind == "date":
            out[col.name] = out[col.name].dt.strftime("%Y-%m-%d").astype(object)
            out.loc[out[col.name].isna(), col.name] = None
        elif col.kind == "text":
            out[col.name] = out[col.name].astype(object).where(out[col.name].notna(), None)
    return out.reset_index(drop=True)


def _write_frame(path: Path, name: str, frame: pd.DataFrame) -> None:
    spec = ALL_LAYERS.get(name)
    kwargs: dict = {"layer": name, "driver": "GPKG"}
    if isinstance(frame, gpd.GeoDataFrame) and not len(frame):
        kinds = (spec.geometry or ()) if spec else ()
        kwargs["geometry_type"] = kinds[0] if len(kinds) == 1 else "Unknown"  # GEOMETRY if mixed
    # columnar, 2x the row writer; the row writer where Arrow would type a column otherwise
    pyogrio.write_dataframe(frame, path, use_arrow=_arrow_writes_alike(frame), **kwargs)


def _arrow_writes_alike(frame: pd.DataFrame) -> bool:
    """Whether GDAL's Arrow writer makes the same fields as the row writer for ``frame``: not
    when an object column holds anything but text (mixed values fail in Arrow, Python dates
    would become DATE fields, not the text the row writer stores)."""
    for col in frame.columns:
        values = frame[col]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            return False
    return True


def _declare_dates(path: Path, date_columns: dict[str, list[str]]) -> None:
    """Declare text date columns as GeoPackage ``DATE`` fields (the values are ISO text)."""
    if not date_columns:
        return
    con = files.building(path)
    try:
        con.execute("PRAGMA writable_schema=ON")
        for table, cols in date_columns.items():
            row = con.execute(
                "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()
            if row is None:
                continue
            sql = row[0]
            for col in cols:
                sql = sql.replace(f'"{col}" TEXT', f'"{col}" DATE')
            con.execute(
                "UPDATE sqlite_master SET sql=? WHERE type='table' AND name=?", (sql, table)
            )
        con.execute("PRAGMA writable_schema=OFF")
        con.commit()
    finally:
        con.close()


def write_dataset(
    dataset: Dataset | Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    include_empty: bool = True,
    settings: Mapping[str, str] | None = None,
) -> Path:
    """Write ``dataset`` to the GeoPackage ``path`` atomically.

    Every contract layer is written (empty ones too when ``include_empty``), geometries in
    EPSG:4326. The file is built beside ``path`` and renamed over it only when complete, so
    an interrupted save leaves the previous file untouched. Returns the written file; the key
    column of each layer is indexed (writes find stored ids by index).
    """
    if is_url(path):  # a postgresql:// URL: the PostGIS store, one transaction
        from geo.store.postgis import write_dataset as write_pg

        return write_pg(dataset, str(path), settings=settings, whole=include_empty)  # type: ignore[return-value]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
    kv = dict(ds.settings)
    kv.update(settings or {})
    frames: dict[str, pd.DataFrame] = {}
    for name in ALL_LAYERS:
        if name == "dataset_settings":
            continue
        if name in ds._layers:
            frames[name] = ds._layers[name]
        elif include_empty and name in LAYERS:
            frames[name] = empty_layer(name)
    for name, frame in ds._layers.items():  # layers outside the contract (results)
        frames.setdefault(name, frame)
    if kv:
        frames["dataset_settings"] = pd.DataFrame(
            {"key": list(kv), "value": [str(v) for v in kv.values()]}
        )
    files.remove_stale_temps(path)
    try:
        with files.temp_beside(path) as tmp, files.gdal_options(files.UNSYNCED_GDAL):
            date_columns: dict[str, list[str]] = {}
            for name, frame in frames.items():
                stored = to_storage(name, frame)
                _write_frame(tmp, name, stored)
                spec = ALL_LAYERS.get(name)
                if spec is not None:
                    dates = [c.name for c in spec.columns if c.kind == "date"]
                    if dates:
                        date_columns[name] = dates
            _declare_dates(tmp, date_columns)
            index_keys(tmp)
            os.chmod(tmp, files.file_mode(path))
            files.replace_durably(tmp, path)
    except Exception as exc:  # OSErrors and GDAL's write errors: disk full, read-only
        from geo.store.sqlite import fault

        found = fault(exc, path)
        if found is exc:
            raise
        raise found from exc
    logger.info("wrote %s: %s", path.name, _summary(ds))
    return path


def write_layers(path: str | os.PathLike, layers: Mapping[str, pd.DataFrame]) -> Path:
    """Write result layers (not a dataset) to a GeoPackage, replacing the file atomically."""
    files.check_output(path)
    ds = Dataset()
    for name, frame in layers.items():
        ds._layers[name] = frame
    return write_dataset(ds, path, include_empty=False)
