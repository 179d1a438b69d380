"""The GeoPackage store: every write is one SQLite transaction on the dataset file, never a rewrite.

:class:`GeoPackageStore` implements :class:`geo.store.writer.Store`. A write

1. takes the dataset's lock file, then ``BEGIN IMMEDIATE`` (:func:`geo.store.sqlite.transaction`)
   *before* it reads what it depends on, so two writers never lose each other's rows;
2. inserts, replaces or deletes only the rows written, as GeoPackage geometry blobs in EPSG:4326;
   the spatial index (GDAL's ``rtree_<table>_<geom>`` triggers, run here through the ``ST_*``
   functions this module registers) and ``gpkg_ogr_contents`` follow by their triggers, and
   ``gpkg_contents`` gets the new extent and ``last_change``;
3. inserts its audit event in the same transaction and commits with ``synchronous=EXTRA`` (synced
   to the disk before success is reported).

A dataset file that does not exist yet is created first (all contract layers, empty, with GDAL),
under the same lock.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store.dataset import Dataset, read_dataset, to_storage, write_dataset
from geo.store.files import file_mode
from geo.store.projection import union_bounds
from geo.store.schema import ALL_LAYERS
from geo.store.sqlite import connect, dataset_lock, fault, quoted, transaction
from geo.store.writer import AuditEvent, chunks

_SQL_TYPE = {"text": "TEXT", "bool": "BOOLEAN", "int": "INTEGER", "float": "REAL",
             "date": "DATE", "timestamp": "DATETIME"}
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_SRS = 4326


def gpkg_time(when: datetime | None = None) -> str:
    """A GeoPackage DATETIME text (``YYYY-MM-DDTHH:MM:SS.SSSZ``, UTC)."""
    when = when or datetime.now(UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# --- GeoPackage geometry blobs and the ST_* functions of GDAL's triggers -----------------------


def geometry_blobs(geoms: Sequence | np.ndarray) -> list[bytes | None]:
    """GeoPackage binary geometries (header, envelope for non-points, ISO WKB, little-endian)."""
    arr = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(arr)
    present = ~shapely.is_missing(arr)
    if not present.any():
        return out
    idx = np.flatnonzero(present)
    sub = arr[idx]
    wkb = shapely.to_wkb(sub, output_dimension=2, byte_order=1)
    empty = shapely.is_empty(sub)
    bounds = shapely.bounds(sub)
    points = shapely.get_type_id(sub) == 0
    srs = struct.pack("<i", _SRS)
    for j, i in enumerate(idx):
        if empty[j]:
            out[i] = b"GP\x00" + bytes([0x01 | 0x10]) + srs + wkb[j]
        elif points[j]:
            out[i] = b"GP\x00\x01" + srs + wkb[j]
        else:
            minx, miny, maxx, maxy = bounds[j]
            out[i] = b"GP\x00\x03" + srs + struct.pack("<4d", minx, maxx, miny, maxy) + wkb[j]
    return out


def blob_envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """``(minx, maxx, miny, maxy)`` of a GeoPackage geometry blob; ``None`` when NULL or empty."""
    if blob is None:
        return None
    data = bytes(blob)
    if len(data) < 8 or data[:2] != b"GP":
        return None
    flags = data[3]
    if flags & 0x10:
        return None
    order = "<" if flags & 0x01 else ">"
    env = (flags >> 1) & 0x07
    if env:
        minx, maxx, miny, maxy = struct.unpack_from(order + "4d", data, 8)
        return minx, maxx, miny, maxy
    body = data[8 + _ENVELOPE_BYTES.get(env, 0):]
    if len(body) == 21:  # a 2D point: byte order, type, x, y
        wkb_order = "<" if body[0] == 1 else ">"
        x, y = struct.unpack_from(wkb_order + "2d", body, 5)
        if math.isnan(x):
            return None
        return x, x, y, y
    geom = shapely.from_wkb(body)
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _register_functions(con: sqlite3.Connection) -> None:
    last: dict[str, object] = {}

    def env(blob):
        if last.get("blob") is not blob:
            last["blob"] = blob
            last["env"] = blob_envelope(blob)
        return last["env"]

    def part(i):
        def f(blob):
            e = env(blob)
            return None if e is None else e[i]
        return f

    con.create_function("ST_MinX", 1, part(0), deterministic=True)
    con.create_function("ST_MaxX", 1, part(1), deterministic=True)
    con.create_function("ST_MinY", 1, part(2), deterministic=True)
    con.create_function("ST_MaxY", 1, part(3), deterministic=True)
    con.create_function("ST_IsEmpty", 1,
                        lambda b: None if b is None else int(env(b) is None), deterministic=True)


# --- values --------------------------------------------------------------------------------------


def _column_values(series: pd.Series, kind: str) -> list:
    if kind == "bool":
        return [None if pd.isna(v) else int(bool(v)) for v in series.astype(object)]
    if kind == "int":
        return [None if pd.isna(v) else int(v) for v in series.astype(object)]
    if kind == "float":
        return [None if pd.isna(v) else float(v) for v in series.astype(object)]
    if kind == "timestamp":
        return [None if pd.isna(v) else gpkg_time(pd.Timestamp(v).to_pydatetime())
                for v in series.astype(object)]
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
            for v in series.astype(object)]


_TO_MULTI = {"MULTIPOINT": (0, shapely.multipoints), "MULTILINESTRING": (1, shapely.multilinestrings),
             "MULTIPOLYGON": (3, shapely.multipolygons)}
_FROM_MULTI = {"POINT": 4, "LINESTRING": 5, "POLYGON": 6}


def _promote(geoms: np.ndarray, declared: str) -> np.ndarray:
    """Cast single to multi (or one-part multi to single) geometries to the column's type."""
    declared = declared.upper()
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    if declared in _TO_MULTI:
        single, maker = _TO_MULTI[declared]
        for i in np.flatnonzero(types == single):
            out[i] = maker([geoms[i]])
    elif declared in _FROM_MULTI:
        for i in np.flatnonzero(types == _FROM_MULTI[declared]):
            if shapely.get_num_geometries(geoms[i]) == 1:
                out[i] = shapely.get_geometry(geoms[i], 0)
    return out


def _table_exists(con: sqlite3.Connection, table: str) -> bool:
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return row is not None


def read_columns(con: sqlite3.Connection, layer: str, columns: Sequence[str],
                 where: Mapping[str, Iterable[object]] | None = None) -> pd.DataFrame:
    """``columns`` of table ``layer`` on ``con`` (no geometry), in row order; ``where``: column ->
    values, a row is kept when each such column holds one of its values. A missing table or
    column reads as empty text. Text columns are ``string``; others as SQLite stores them."""
    if not _table_exists(con, layer):
        return pd.DataFrame({c: pd.Series([], dtype="string") for c in columns})
    present = [r[1] for r in con.execute(f"PRAGMA table_info({quoted(layer)})")]
    use = [c for c in columns if c in present]
    sql = f"SELECT {', '.join(quoted(c) for c in use) or 'NULL'} FROM {quoted(layer)}"
    args: list = []
    conditions = []
    for col, values in (where or {}).items():
        wanted = sorted({str(v) for v in values})
        if col not in present or not wanted:
            return pd.DataFrame({c: pd.Series([], dtype="string") for c in columns})
        conditions.append(f"CAST({quoted(col)} AS TEXT) IN ({', '.join('?' for _ in wanted)})")
        args += wanted
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    rows = con.execute(sql + " ORDER BY fid" if "fid" in present else sql, args).fetchall()
    frame = pd.DataFrame(rows, columns=use or ["_"])[use]
    for col in columns:
        if col not in frame.columns:
            frame[col] = pd.Series([None] * len(frame), dtype="string")
    spec = ALL_LAYERS.get(layer)
    kinds = {c.name: c.kind for c in spec.columns} if spec else {}
    for col in columns:
        if kinds.get(col, "text") == "text":
            frame[col] = frame[col].astype("string")
    return frame[list(columns)]


# --- the writer ----------------------------------------------------------------------------------


class GeoPackageWriter:
    """One open ``BEGIN IMMEDIATE`` transaction on a dataset GeoPackage (see :mod:`geo.store.writer`)."""

    def __init__(self, con: sqlite3.Connection, path: Path):
        self.con = con
        self.path = path
        self.touched: set[str] = set()
        self.event: AuditEvent | None = None
        _register_functions(con)

    # reading, inside the transaction
    def _exists(self, table: str) -> bool:
        row = self.con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                               (table,)).fetchone()
        return row is not None

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self.con.execute(f"PRAGMA table_info({quoted(table)})")]

    def _geom_column(self, table: str) -> tuple[str, str] | None:
        if not self._exists("gpkg_geometry_columns"):
            return None
        row = self.con.execute("SELECT column_name, geometry_type_name FROM gpkg_geometry_columns "
                               "WHERE lower(table_name)=lower(?)", (table,)).fetchone()
        return (row[0], row[1]) if row else None

    def ids(self, layer: str, key: str, values: Iterable[object]) -> set[str]:
        wanted = sorted({str(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))})
        if not wanted or not self._exists(layer) or key not in self._columns(layer):
            return set()
        self._index(layer, key)
        found: set[str] = set()
        for part in chunks(wanted):
            sql = (f"SELECT CAST({quoted(key)} AS TEXT) FROM {quoted(layer)} "
                   f"WHERE {quoted(key)} IN ({', '.join('?' for _ in part)})")
            found.update(str(r[0]) for r in self.con.execute(sql, list(part)))
        return found

    def count(self, layer: str) -> int:
        if not self._exists(layer):
            return 0
        return int(self.con.execute(f"SELECT count(*) FROM {quoted(layer)}").fetchone()[0])

    def read(self, layer: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        if columns is None:
            return read_dataset(self.path, layers=[layer])[layer]
        return read_columns(self.con, layer, columns)

    def extent(self, layers: Iterable[str]) -> tuple[float, float, float, float] | None:
        boxes = []
        for layer in layers:
            if not self._exists(layer) or not self.count(layer):
                continue
            row = self.con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents "
                                   "WHERE lower(table_name)=lower(?)", (layer,)).fetchone()
            if row and None not in row:
                boxes.append(row)
        return union_bounds(boxes)

    # writing
    def _index(self, layer: str, key: str) -> None:
        self.con.execute(f"CREATE INDEX IF NOT EXISTS {quoted(f'idx_{layer}_{key}')} "
                         f"ON {quoted(layer)} ({quoted(key)})")

    def _ensure(self, layer: str) -> None:
        """Create ``layer`` when missing; add contract columns an older file lacks."""
        spec = ALL_LAYERS[layer]
        if not self._exists(layer):
            _create_table(self.con, layer)
        present = set(self._columns(layer))
        for col in spec.columns:
            if col.name not in present:
                self.con.execute(f"ALTER TABLE {quoted(layer)} ADD COLUMN {quoted(col.name)} "
                                 f"{_SQL_TYPE[col.kind]}")

    def _insert(self, layer: str, rows: pd.DataFrame) -> int:
        if not len(rows):
            return 0
        spec = ALL_LAYERS[layer]
        missing = [c.name for c in spec.columns if c.name not in rows.columns and not c.required]
        if missing:  # optional columns the rows lack are stored empty
            rows = rows.assign(**{name: None for name in missing})
        stored = to_storage(layer, rows)
        present = set(self._columns(layer))
        cols = [c for c in spec.columns if c.name in present]
        values = [_column_values(stored[c.name], c.kind) for c in cols]
        names = [c.name for c in cols]
        geo_name = stored.geometry.name if isinstance(stored, gpd.GeoDataFrame) else None
        for extra in stored.columns:  # columns outside the contract the rows carry (e.g. junctions)
            if extra in spec.column_names or extra == geo_name or str(extra).startswith("_"):
                continue
            col = stored[extra]
            kind = ("bool" if pd.api.types.is_bool_dtype(col) else "int"
                    if pd.api.types.is_integer_dtype(col) else "float"
                    if pd.api.types.is_float_dtype(col) else "text")
            if extra not in present:
                self.con.execute(f"ALTER TABLE {quoted(layer)} ADD COLUMN {quoted(extra)} {_SQL_TYPE[kind]}")
            values.append(_column_values(col, kind))
            names.append(str(extra))
        geom = self._geom_column(layer) if spec.geometry else None
        bounds = None
        if geom is not None:
            geoms = _promote(np.asarray(stored.geometry.values, dtype=object), geom[1])
            self._widen(layer, geom, geoms)
            values.append(geometry_blobs(geoms))
            names.append(geom[0])
            if (~shapely.is_missing(geoms)).any():
                bounds = shapely.total_bounds(geoms)
        sql = (f"INSERT INTO {quoted(layer)} ({', '.join(quoted(n) for n in names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        self.con.executemany(sql, zip(*values, strict=True))
        if bounds is not None and np.isfinite(bounds).all():
            self.con.execute(
                "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1), "
                "min_y = min(coalesce(min_y, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3), "
                "max_y = max(coalesce(max_y, ?4), ?4) WHERE lower(table_name)=lower(?5)",
                (*map(float, bounds), layer))
        self.touched.add(layer)
        return len(rows)

    def _widen(self, layer: str, geom: tuple[str, str], geoms: np.ndarray) -> None:
        """Declare the geometry column ``GEOMETRY`` when rows hold other types than declared."""
        declared = geom[1].upper()
        if declared == "GEOMETRY":
            return
        present = shapely.get_type_id(geoms)
        names = {0: "POINT", 1: "LINESTRING", 3: "POLYGON", 4: "MULTIPOINT", 5: "MULTILINESTRING",
                 6: "MULTIPOLYGON", 7: "GEOMETRYCOLLECTION"}
        found = {names.get(int(t), "?") for t in present[present >= 0]}
        if found - {declared}:
            self.con.execute("UPDATE gpkg_geometry_columns SET geometry_type_name='GEOMETRY' "
                             "WHERE lower(table_name)=lower(?)", (layer,))

    def append(self, layer: str, rows: pd.DataFrame) -> int:
        self._ensure(layer)
        return self._insert(layer, rows)

    def replace(self, layer: str, rows: pd.DataFrame) -> int:
        self._ensure(layer)
        self.con.execute(f"DELETE FROM {quoted(layer)}")
        if self._geom_column(layer) is not None:
            self.con.execute("UPDATE gpkg_contents SET min_x=NULL, min_y=NULL, max_x=NULL, "
                             "max_y=NULL WHERE lower(table_name)=lower(?)", (layer,))
        self.touched.add(layer)
        return self._insert(layer, rows)

    def _keyed(self, layer: str, rows: pd.DataFrame, key: str | None) -> tuple[str, pd.DataFrame]:
        key = key or ALL_LAYERS[layer].key
        if key is None:
            raise ValueError(f"layer {layer!r} has no key; use append or replace")
        text = rows[key].astype("string").str.strip()
        rows = rows[text.notna() & (text != "")]
        rows = rows.loc[~rows[key].astype(str).duplicated(keep="last")]
        return key, rows

    def upsert(self, layer: str, rows: pd.DataFrame, key: str | None = None) -> tuple[int, int]:
        self._ensure(layer)
        key, rows = self._keyed(layer, rows, key)
        new_ids = rows[key].astype(str).tolist()
        known = self.ids(layer, key, new_ids)
        self.delete(layer, key, known)
        self._insert(layer, rows)
        return len(rows) - len(known), len(known)

    def insert_new(self, layer: str, rows: pd.DataFrame, key: str | None = None) -> tuple[int, int]:
        self._ensure(layer)
        key, rows = self._keyed(layer, rows, key)
        known = self.ids(layer, key, rows[key].astype(str).tolist())
        fresh = rows[~rows[key].astype(str).isin(known)]
        self._insert(layer, fresh)
        return len(fresh), len(rows) - len(fresh)

    def delete(self, layer: str, key: str, values: Iterable[object]) -> int:
        wanted = sorted({str(v) for v in values})
        if not wanted or not self._exists(layer):
            return 0
        self._index(layer, key)
        done = 0
        for part in chunks(wanted):
            cur = self.con.execute(f"DELETE FROM {quoted(layer)} WHERE {quoted(key)} IN "
                                   f"({', '.join('?' for _ in part)})", list(part))
            done += max(cur.rowcount, 0)
        if done:
            self.touched.add(layer)
        return done

    def update(self, layer: str, key: str, value: object, changes: Mapping[str, object]) -> int:
        if not changes or not self._exists(layer):
            return 0
        if layer in ALL_LAYERS:
            self._ensure(layer)
        kinds = {c.name: c.kind for c in ALL_LAYERS[layer].columns} if layer in ALL_LAYERS else {}
        sets = ", ".join(f"{quoted(c)} = ?" for c in changes)
        vals = [_column_values(pd.Series([v], dtype=object), kinds.get(c, "text"))[0]
                for c, v in changes.items()]
        cur = self.con.execute(f"UPDATE {quoted(layer)} SET {sets} WHERE {quoted(key)} = ?",
                               [*vals, str(value)])
        if cur.rowcount:
            self.touched.add(layer)
        return max(cur.rowcount, 0)

    def set_settings(self, settings: Mapping[str, str]) -> None:
        if not settings:
            return
        frame = pd.DataFrame({"key": list(settings), "value": [str(v) for v in settings.values()]})
        self.upsert("dataset_settings", frame, "key")

    def advance_dates(self, layer: str, key: str, value: object, columns: Sequence[str],
                      iso_date: str) -> int:
        if not self._exists(layer):
            return 0
        present = set(self._columns(layer))
        changed = 0
        for col in columns:
            if col not in present:
                continue
            cur = self.con.execute(
                f"UPDATE {quoted(layer)} SET {quoted(col)} = ? WHERE {quoted(key)} = ? AND ({quoted(col)} IS NULL "
                f"OR {quoted(col)} = '' OR substr({quoted(col)}, 1, 10) < ?)", (iso_date, str(value), iso_date))
            changed += max(cur.rowcount, 0)
        if changed:
            self.touched.add(layer)
        return changed

    def set_audit(self, event: AuditEvent) -> None:
        self.event = event

    def audit(self, event: AuditEvent) -> None:
        """Insert ``event`` into ``audit_log`` (:meth:`GeoPackageStore.write` does it once)."""
        from geo.store.auditlog import append_event

        self._ensure("audit_log")
        append_event(self.con, self.path, gpkg_time(), event.user, event.action, str(event.detail))
        self.touched.add("audit_log")

    def finish(self) -> None:
        """Stamp ``last_change`` of every table written (before the commit)."""
        if not self.touched or not self._exists("gpkg_contents"):
            return
        stamp = gpkg_time()
        for table in sorted(self.touched):
            self.con.execute("UPDATE gpkg_contents SET last_change=? WHERE lower(table_name)=lower(?)",
                             (stamp, table))


def _create_table(con: sqlite3.Connection, layer: str) -> None:
    """Create ``layer`` as GDAL would: table, ``gpkg_contents``, and for features the geometry
    column, its spatial index (rtree + the GeoPackage triggers) and extension row."""
    spec = ALL_LAYERS[layer]
    cols = ", ".join(f"{quoted(c.name)} {_SQL_TYPE[c.kind]}" for c in spec.columns)
    stamp = gpkg_time()
    if not spec.geometry:
        con.execute(f"CREATE TABLE {quoted(layer)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {cols})")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                    "VALUES (?, 'attributes', ?, ?)", (layer, layer, stamp))
        return
    gtype = "GEOMETRY" if len(spec.geometry) > 1 else spec.geometry[0].upper()
    t, g = layer, "geom"
    con.execute(f"CREATE TABLE {quoted(t)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
                f"{quoted(g)} {gtype}, {cols})")
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change, srs_id) "
                "VALUES (?, 'features', ?, ?, ?)", (t, t, stamp, _SRS))
    con.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)", (t, g, gtype, _SRS))
    _create_rtree(con, t, g)


def _create_rtree(con: sqlite3.Connection, t: str, g: str) -> None:
    """The GeoPackage spatial index extension (``gpkg_rtree_index``) of ``t.g``."""
    r = f"rtree_{t}_{g}"
    con.execute(f"CREATE VIRTUAL TABLE {quoted(r)} USING rtree(id, minx, maxx, miny, maxy)")
    bounds = (f'ST_MinX(NEW.{quoted(g)}), ST_MaxX(NEW.{quoted(g)}), ST_MinY(NEW.{quoted(g)}), '
              f'ST_MaxY(NEW.{quoted(g)})')
    new_ok = f'(NEW.{quoted(g)} NOT NULL AND NOT ST_IsEmpty(NEW.{quoted(g)}))'
    new_none = f'(NEW.{quoted(g)} ISNULL OR ST_IsEmpty(NEW.{quoted(g)}))'
    old_ok = f'(OLD.{quoted(g)} NOT NULL AND NOT ST_IsEmpty(OLD.{quoted(g)}))'
    old_none = f'(OLD.{quoted(g)} ISNULL OR ST_IsEmpty(OLD.{quoted(g)}))'
    T, R = quoted(t), quoted(r)
    triggers = {
        "insert": f"AFTER INSERT ON {T} WHEN {new_ok} BEGIN INSERT OR REPLACE INTO {R} "
                  f"VALUES (NEW.fid, {bounds}); END",
        "update6": f"AFTER UPDATE OF {quoted(g)} ON {T} WHEN OLD.fid = NEW.fid AND {new_ok} AND "
                   f"{old_ok} BEGIN UPDATE {R} SET minx = ST_MinX(NEW.{quoted(g)}), maxx = "
                   f"ST_MaxX(NEW.{quoted(g)}), miny = ST_MinY(NEW.{quoted(g)}), maxy = ST_MaxY(NEW.{quoted(g)}) "
                   f"WHERE id = NEW.fid; END",
        "update7": f"AFTER UPDATE OF {quoted(g)} ON {T} WHEN OLD.fid = NEW.fid AND {new_ok} AND "
                   f"{old_none} BEGIN INSERT INTO {R} VALUES (NEW.fid, {bounds}); END",
        "update2": f"AFTER UPDATE OF {quoted(g)} ON {T} WHEN OLD.fid = NEW.fid AND {new_none} "
                   f"BEGIN DELETE FROM {R} WHERE id = OLD.fid; END",
        "update5": f"AFTER UPDATE ON {T} WHEN OLD.fid != NEW.fid AND {new_ok} BEGIN DELETE FROM "
                   f"{R} WHERE id = OLD.fid; INSERT OR REPLACE INTO {R} VALUES (NEW.fid, {bounds}); END",
        "update4": f"AFTER UPDATE ON {T} WHEN OLD.fid != NEW.fid AND {new_none} BEGIN DELETE FROM "
                   f"{R} WHERE id IN (OLD.fid, NEW.fid); END",
        "delete": f"AFTER DELETE ON {T} WHEN OLD.{quoted(g)} NOT NULL BEGIN DELETE FROM {R} "
                  f"WHERE id = OLD.fid; END",
    }
    for name, body in triggers.items():
        con.execute(f"CREATE TRIGGER {quoted(f'{r}_{name}')} {body}")
    con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
                "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", (t, g))


# --- the store -----------------------------------------------------------------------------------


class GeoPackageStore:
    """A dataset kept in one GeoPackage file (:class:`geo.store.writer.Store`)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def read(self, layers: Iterable[str] | None = None) -> Dataset:
        return read_dataset(self.path, layers=layers)

    def version(self) -> float:
        """The file's modification time (0 when there is none): changes with every write."""
        try:
            return os.stat(self.path).st_mtime
        except OSError:
            return 0.0

    def table(self, layer: str, columns: Sequence[str],
              where: Mapping[str, Iterable[object]] | None = None) -> pd.DataFrame:
        """``columns`` of ``layer`` as stored (no geometry, no write lock; see
        :meth:`geo.store.writer.Store.table`)."""
        con = connect(self.path)
        try:
            return read_columns(con, layer, columns, where)
        except sqlite3.Error as exc:
            raise fault(exc, self.path) from exc
        finally:
            con.close()

    def _create(self) -> None:
        """Create the dataset file with every contract layer, empty (mode 0600)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_dataset(Dataset(path=self.path), self.path)
        except OSError as exc:
            found = fault(exc, self.path)
            raise found from exc

    @contextlib.contextmanager
    def write(self, *, audit: AuditEvent | None = None,
              timeout: float | None = None) -> Iterator[GeoPackageWriter]:
        """One write transaction: lock, ``BEGIN IMMEDIATE``, the writer; audit event + commit.

        A write that fails on a file it created leaves no file behind (a refused first import
        does not leave an empty dataset)."""
        created = False
        if not self.path.exists():
            with dataset_lock(self.path, timeout=timeout):
                if not self.path.exists():
                    self._create()
                    created = True
        try:
            with transaction(self.path, timeout=timeout) as con:
                writer = GeoPackageWriter(con, self.path)
                writer.event = audit
                yield writer
                if writer.event is not None:
                    writer.audit(writer.event)
                writer.finish()
        except BaseException:
            if created:
                with dataset_lock(self.path, timeout=timeout), contextlib.suppress(OSError):
                    self.path.unlink()
            raise

    def mode(self) -> int:
        """The dataset file's permission bits."""
        return file_mode(self.path)
