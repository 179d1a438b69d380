"""The PostGIS store: a dataset in one schema of a PostgreSQL database, for a county's server.

A dataset is named by a URL::

    postgresql://[user[:password]@][host][:port][/database][?schema=NAME&sslmode=...]

**One schema per county.** ``schema`` (default ``childsafe``) names the dataset: a server holds
many counties as schemas of one database, each with the tables of SCHEMA.md (the same layers
and columns as the GeoPackage, plus a ``fid`` row number), geometries ``geometry(…, 4326)`` with
a GiST index. Whatever the URL leaves out comes from the usual libpq settings (``PGHOST``,
``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``, ``~/.pgpass``, ``PGSSLMODE``…), so a
password need not be in the URL at all; :attr:`PostgisStore.location` (what messages, logs and
the audit log show) never holds one.

Connections come from one :class:`psycopg_pool.ConnectionPool` per server and process. Every
write is one transaction that first takes the dataset's write lock (a transaction-level advisory
lock on the schema), so writers of one county are serialised and a writer reads the rows it
depends on under the lock (no lost update); the audit event of the write is inserted in the same
transaction. Reads see one snapshot of all layers (``REPEATABLE READ``). Row-level security on
the tables that hold children is in :mod:`geo.store.pg_security`.

The table definitions are made with SQLAlchemy and GeoAlchemy2 from :mod:`geo.store.schema`;
rows go in with PostgreSQL's ``COPY`` (psycopg) and come out as WKB (shapely).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store.errors import DatasetError
from geo.store.frames import Dataset, coerce_layer, empty_layer
from geo.store.location import redact
from geo.store.pgurl import DEFAULT_SCHEMA, SCHEMA_NAME, Target, parse_url, schema_url
from geo.store.projection import STORAGE_CRS, union_bounds
from geo.store.schema import ALL_LAYERS, LAYERS

logger = logging.getLogger(__name__)

GEOMETRY_COLUMN = "geom"
_MARK_TABLE = "dataset_settings"  # a schema holding it is a ChildSafe dataset


def dataset_schemas(url: str) -> list[str]:
    """The schemas of the database of ``url`` that hold a ChildSafe dataset, by name."""
    target = parse_url(schema_url(url, DEFAULT_SCHEMA))
    with connection(target, read_only=True) as con:
        rows = con.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = %s"
                           " ORDER BY table_schema", (_MARK_TABLE,)).fetchall()
    return [r[0] for r in rows if SCHEMA_NAME.match(r[0])]


# --- connections ---------------------------------------------------------------------------------

_POOLS: dict[tuple[int, str], object] = {}
_POOLS_LOCK = threading.Lock()


def _pool(target: Target):
    """The process's connection pool for the server of ``target`` (made on first use)."""
    from psycopg_pool import ConnectionPool

    key = (os.getpid(), target.conninfo)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            import psycopg

            try:  # one plain connection first: a wrong password or host fails now, with its reason
                psycopg.connect(target.conninfo, connect_timeout=10).close()
            except psycopg.Error as exc:
                raise _connect_error(target, exc) from None
            pool = ConnectionPool(
                target.conninfo, min_size=1, max_size=8, timeout=30, open=False,
                kwargs={"application_name": "childsafe"}, name="childsafe",
            )
            try:
                pool.open(wait=True, timeout=15)
            except Exception as exc:
                pool.close()
                raise _connect_error(target, exc) from None
            _POOLS[key] = pool
    return pool


def _connect_error(target: Target, exc: Exception) -> DatasetError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatasetError(target.location, [
        f"无法连接 PostgreSQL 服务器（{reason}）；请检查网址、PGHOST/PGUSER/PGPASSWORD 等设置 / "
        f"cannot connect to the PostgreSQL server ({reason}); check the URL and the PG* settings",
    ])


def close_pools() -> None:
    """Close this process's pools (at exit, and in tests that stop a server)."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if k[0] == os.getpid()]:
            pool = _POOLS.pop(key)
            with contextlib.suppress(Exception):
                pool.close(timeout=2)  # type: ignore[attr-defined]


atexit.register(close_pools)


@contextlib.contextmanager
def connection(target: Target, *, read_only: bool = False) -> Iterator:
    """One transaction on the dataset's schema (commits when the block ends, else rolls back)."""
    import psycopg
    from psycopg import sql

    pool = _pool(target)
    try:
        with pool.connection() as con:  # type: ignore[attr-defined]
            if read_only:
                con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            con.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(target.schema)))
            yield con
    except psycopg.errors.InsufficientPrivilege as exc:
        reason = str(exc).strip().splitlines()[0]
        raise DatasetError(target.location, [
            f"此数据库登录无权进行该操作（{reason}）/ this database login may not do that ({reason})",
        ]) from None
    except psycopg.OperationalError as exc:  # connection lost, disk full, server shutting down
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(target.location, [
            f"PostgreSQL 服务器未能完成操作，未做任何更改（{reason}）/ the PostgreSQL server could not "
            f"complete it; nothing was changed ({reason})",
        ]) from None


# --- the tables ----------------------------------------------------------------------------------


def _geometry_type(name: str) -> str:
    kinds = ALL_LAYERS[name].geometry or ()
    return "POINT" if tuple(kinds) == ("Point",) else "GEOMETRY"


def table_ddl(schema: str) -> list[str]:
    """The statements that create the dataset's schema, tables and GiST indexes (idempotent)."""
    import sqlalchemy as sa
    from geoalchemy2 import Geometry
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateSchema, CreateTable

    kinds = {"text": sa.Text, "bool": sa.Boolean, "int": sa.BigInteger, "float": sa.Double,
             "date": sa.Date, "timestamp": sa.DateTime}
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    out = [str(CreateSchema(schema, if_not_exists=True).compile(dialect=dialect))]
    meta = sa.MetaData(schema=schema)
    for name, spec in ALL_LAYERS.items():
        cols = [sa.Column("fid", sa.BigInteger, sa.Identity(), primary_key=True)]
        cols += [sa.Column(c.name, kinds[c.kind]()) for c in spec.columns]
        if spec.geometry:
            geometry = Geometry(_geometry_type(name), srid=4326, spatial_index=False)
            cols.append(sa.Column(GEOMETRY_COLUMN, geometry))
        table = sa.Table(name, meta, *cols)
        out.append(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)))
        indexed = [(GEOMETRY_COLUMN, "gist")] if spec.geometry else []
        indexed += [(spec.key, "btree")] if spec.key else []
        for column, using in indexed:
            index = sa.Index(f"{name}_{column}_{using}", table.c[column], postgresql_using=using)
            out.append(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
    return out


def _lock_dataset(con, target: Target, timeout: float | None) -> None:
    """Take the dataset's write lock (held to the end of the transaction)."""
    import psycopg

    if timeout is not None:
        con.execute(f"SET LOCAL lock_timeout = {int(timeout * 1000)}")
    try:
        con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"childsafe:{target.schema}",))
    except psycopg.errors.LockNotAvailable:
        raise DatasetError(target.location, [
            f"数据集正被另一个写入者占用（{_holder(target)}）/ the dataset is being written by "
            f"another writer ({_holder(target)}); try again later",
        ]) from None
    if timeout is not None:
        con.execute("SET LOCAL lock_timeout = 0")


def _holder(target: Target) -> str:
    """Who holds the dataset's write lock (client address, application, since when)."""
    with contextlib.suppress(Exception), connection(target, read_only=True) as con:
        row = con.execute(
            "SELECT a.usename, a.client_addr::text, a.application_name, a.xact_start FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
            " AND l.objid = hashtext(%s)::oid LIMIT 1", (f"childsafe:{target.schema}",),
        ).fetchone()
        if row:
            return f"{row[0]} {row[1] or 'local'} {row[2]} since {row[3]:%H:%M:%S}"
    return "unknown"


def create_dataset(con, target: Target) -> None:
    """Create the dataset's schema and tables if missing (inside a locked write)."""
    import psycopg

    try:
        con.execute("SELECT 'geometry'::regtype")
    except psycopg.errors.UndefinedObject:
        raise DatasetError(target.location, [
            "数据库未安装 PostGIS 扩展：请数据库管理员执行 CREATE EXTENSION postgis / the database lacks "
            "the PostGIS extension: a database administrator runs CREATE EXTENSION postgis",
        ]) from None
    for statement in table_ddl(target.schema):
        con.execute(statement)
    from geo.store.pg_security import secure

    secure(con)  # row-level security by area on the tables that hold children


def _tables(con, target: Target, *, readable: bool = False) -> set[str]:
    """The schema's tables (``readable``: those the login may read; a login limited to an area
    cannot read the accounts, the audit log or the settings)."""
    query = "SELECT tablename FROM pg_tables WHERE schemaname = %s"
    if readable:
        query += " AND has_table_privilege(format('%%I.%%I', schemaname, tablename), 'SELECT')"
    return {str(r[0]) for r in con.execute(query, (target.schema,)).fetchall()}


# --- values in and out ---------------------------------------------------------------------------


def _column_values(series: pd.Series, kind: str) -> list:
    """Python values of a stored-form column for COPY (None for empty)."""
    if kind == "bool":
        return series.astype(bool).tolist()
    if kind in ("date", "timestamp"):
        fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%S.%f"
        text = pd.to_datetime(series).dt.strftime(fmt)
        return text.astype(object).where(text.notna(), None).tolist()
    return series.astype(object).where(series.notna(), None).tolist()


def stored_rows(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the contract of layer ``name``, geometries in EPSG:4326 (problems raise)."""
    spec = ALL_LAYERS[name]
    out = frame
    if spec.geometry:
        if not isinstance(out, gpd.GeoDataFrame):
            raise DatasetError(name, [f"layer {name!r} needs a geometry column"])
        if out.crs is None:
            if len(out):
                raise DatasetError(name, [f"layer {name!r} has no CRS; set one before saving"])
            out = out.set_crs(STORAGE_CRS)
        elif not out.crs.equals(STORAGE_CRS):
            out = out.to_crs(STORAGE_CRS)
    out, problems = coerce_layer(name, out)
    if problems:
        raise DatasetError(name, problems)
    return out.reset_index(drop=True)


def copy_rows(con, name: str, frame: pd.DataFrame) -> int:
    """Insert the rows of ``frame`` (already :func:`stored_rows`) into table ``name`` with COPY."""
    from psycopg import sql

    spec = ALL_LAYERS[name]
    if not len(frame):
        return 0
    names = spec.column_names
    columns = [_column_values(frame[c.name], c.kind) for c in spec.columns]
    if spec.geometry:
        geoms = shapely.set_srid(np.asarray(frame.geometry.values), 4326)
        wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
        columns.append([None if g is None else g for g in wkb.tolist()])
        names = [*names, GEOMETRY_COLUMN]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with con.cursor() as cur, cur.copy(statement) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)
    return len(frame)


def read_table(con, name: str, *, columns: Iterable[str] | None = None,
               where: Mapping[str, Iterable[object]] | None = None) -> pd.DataFrame:
    """Table ``name`` as a frame of the contract (ordered by ``fid``), within ``con``'s transaction.

    ``where``: column -> values; a row is kept when each such column holds one of its values
    (compared as text)."""
    from psycopg import sql

    spec = ALL_LAYERS[name]
    wanted = list(columns) if columns is not None else spec.column_names
    cols = [spec.column(c) for c in wanted]
    fields: list[sql.Composable] = [sql.Identifier(c.name) for c in cols]
    geometry = bool(spec.geometry) and columns is None
    if geometry:
        fields.append(sql.SQL("ST_AsBinary({})").format(sql.Identifier(GEOMETRY_COLUMN)))
    conditions: list[sql.Composable] = []
    args: list[list[str]] = []
    for column, allowed in (where or {}).items():
        conditions.append(sql.SQL("{}::text = ANY(%s)").format(sql.Identifier(spec.column(column).name)))
        args.append(_texts(allowed))
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(fields), sql.Identifier(name))
    if conditions:
        query = sql.SQL("{} WHERE {}").format(query, sql.SQL(" AND ").join(conditions))
    query = sql.SQL("{} ORDER BY fid").format(query)
    with con.cursor(binary=True) as cur:
        cur.execute(query, args)
        rows = cur.fetchall()
    data: dict[str, object] = {}
    values = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    for col, vals in zip(cols, values, strict=False):
        data[col.name] = _series(vals, col.kind)
    if geometry:
        wkb = np.array(values[-1], dtype=object)
        geoms = shapely.from_wkb(wkb) if len(wkb) else np.array([], dtype=object)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS), crs=STORAGE_CRS)
    return pd.DataFrame(data)


def read_table_empty(name: str, columns: Iterable[str]) -> pd.DataFrame:
    """An empty frame of ``columns`` of ``name``, typed as :func:`read_table` types them."""
    spec = ALL_LAYERS[name]
    return pd.DataFrame({c: _series((), spec.column(c).kind) for c in columns})


def _series(values: tuple, kind: str) -> pd.Series:
    if kind == "text":
        return pd.Series(values, dtype="string")
    if kind == "bool":
        return pd.Series([bool(v) for v in values], dtype=bool)
    if kind == "int":
        return pd.Series(values, dtype="Int64")
    if kind == "float":
        return pd.Series([np.nan if v is None else v for v in values], dtype=float)
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ms]")


# --- the store -----------------------------------------------------------------------------------


class PostgisStore:
    """A dataset in a schema of a PostgreSQL/PostGIS database (see the module docstring)."""

    def __init__(self, url: str):
        self._target = parse_url(url)
        self.url = url

    @property
    def location(self) -> str:
        """The dataset URL without a password (for messages, logs and the audit log)."""
        return self._target.location

    @property
    def schema(self) -> str:
        return self._target.schema

    def exists(self) -> bool:
        """Whether the schema holds a ChildSafe dataset."""
        with connection(self._target, read_only=True) as con:
            return _MARK_TABLE in _tables(con, self._target)

    @contextlib.contextmanager
    def write(self, *, audit=None, timeout: float | None = 60.0) -> Iterator[PgWriter]:
        """One write: a transaction holding the dataset's write lock (see :class:`PgWriter`).

        The schema and tables are created on the first write. ``audit`` (an object with
        ``user``, ``action`` and ``detail``) is inserted into ``audit_log`` in the same
        transaction. Anything raised in the block rolls the whole write back.
        """
        with connection(self._target) as con:
            _lock_dataset(con, self._target, timeout)
            if _MARK_TABLE not in _tables(con, self._target):
                create_dataset(con, self._target)
            writer = PgWriter(con, self._target)
            writer.event = audit
            yield writer
            if writer.event is not None:  # exactly once, in the write's own transaction
                writer.insert_audit(writer.event)

    def version(self) -> float:
        """A number that changes with every write through ChildSafe (each one records an audit
        event: the newest event's row number) and every minute (writes from outside, a field
        login adding visits with QGIS): the app's cache key for the dataset."""
        import time

        with connection(self._target, read_only=True) as con:
            last = 0
            if "audit_log" in _tables(con, self._target, readable=True):
                row = con.execute("SELECT fid FROM audit_log ORDER BY fid DESC LIMIT 1").fetchone()
                last = int(row[0]) if row else 0
        return float(last) * 1e6 + (time.time() // 60) % 1e6

    def table(self, layer: str, columns: Iterable[str],
              where: Mapping[str, Iterable[object]] | None = None) -> pd.DataFrame:
        """``columns`` of ``layer`` as stored (no geometry, no write lock; see
        :meth:`geo.store.writer.Store.table`); empty when the login may not read it."""
        if layer not in ALL_LAYERS:
            raise DatasetError(self.location, [f"no layer named {layer!r} in the dataset contract"])
        with connection(self._target, read_only=True) as con:
            if layer not in _tables(con, self._target, readable=True):
                return read_table_empty(layer, columns)
            return read_table(con, layer, columns=columns, where=where)

    def read(self, layers: Iterable[str] | None = None) -> Dataset:
        """The dataset (every contract layer, or ``layers``) from one snapshot, as :class:`Dataset`."""
        wanted = list(layers) if layers is not None else list(ALL_LAYERS)
        unknown = [n for n in wanted if n not in ALL_LAYERS]
        if unknown:
            raise DatasetError(self.location, [f"no layer named {', '.join(unknown)} in the dataset contract"])
        if "dataset_settings" not in wanted:
            wanted.append("dataset_settings")
        frames: dict[str, pd.DataFrame] = {}
        problems: list[str] = []
        with connection(self._target, read_only=True) as con:
            if _MARK_TABLE not in _tables(con, self._target):
                raise DatasetError(self.location, [
                    f"模式 {self.schema!r} 中没有童安地图数据集（先用 childsafe copy 或 import 写入）/ "
                    f"schema {self.schema!r} holds no ChildSafe dataset (write one with childsafe copy "
                    "or childsafe import)",
                ])
            present = _tables(con, self._target, readable=True)
            for name in wanted:
                if name not in present:
                    continue
                frame, found = coerce_layer(name, read_table(con, name))
                problems += found
                frames[name] = frame
        if problems:
            raise DatasetError(self.location, problems)
        kv = frames.pop("dataset_settings", empty_layer("dataset_settings"))
        ds = Dataset(frames, settings=_settings(kv))
        ds.path = self.url  # type: ignore[assignment]  # the URL is the dataset's name
        logger.info("read %s: %s", self.location,
                    ", ".join(f"{n} {c:,}" for n, c in ds.counts().items() if c))
        return ds

    def write_dataset(self, dataset: Dataset | Mapping[str, pd.DataFrame], *,
                      settings: Mapping[str, str] | None = None, audit=None,
                      replace_all: bool = False) -> None:
        """Make the stored dataset ``dataset`` in one write.

        Every layer the dataset holds, and every contract layer (empty when it lacks it), is
        replaced; internal tables it was read without (accounts, the audit log) are kept, and
        its settings are set over the stored ones. With ``replace_all`` (a copy) every table
        and the settings become exactly the dataset's.
        """
        ds = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
        kv = dict(ds.settings)
        kv.update(settings or {})
        with self.write(audit=audit) as w:
            for name in ALL_LAYERS:
                if name == "dataset_settings":
                    continue
                if name in ds._layers:
                    w.replace(name, ds._layers[name])
                elif name in LAYERS or replace_all:  # a layer the dataset lacks is empty
                    w.replace(name, empty_layer(name))
                # an internal table the dataset was read without (accounts, audit log) is kept
            if replace_all:
                w.replace("dataset_settings", pd.DataFrame({"key": list(kv), "value": list(map(str, kv.values()))}))
            elif kv:
                w.set_settings(kv)


def _settings(kv: pd.DataFrame) -> dict[str, str]:
    from geo.store.auditlog import public_settings

    return public_settings(zip(kv["key"], kv["value"].astype(object).where(kv["value"].notna(), None), strict=True))


def _texts(values: Iterable[object]) -> list[str]:
    return sorted({str(v) for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))
                   and v is not pd.NA})


class PgWriter:
    """The operations of one PostGIS write (the store write API, ``geo.store.writer.Writer``)."""

    def __init__(self, con, target: Target):
        self.con = con
        self._target = target
        self.event = None

    def _ident(self, name: str):
        from psycopg import sql

        if name not in ALL_LAYERS:
            raise DatasetError(self._target.location, [f"no layer named {name!r} in the dataset contract"])
        return sql.Identifier(name)

    def _column(self, layer: str, column: str):
        from psycopg import sql

        return sql.Identifier(ALL_LAYERS[layer].column(column).name)

    def ids(self, layer: str, key: str, values: Iterable[object]) -> set[str]:
        """Which of ``values`` are stored in column ``key`` of ``layer`` (as text)."""
        from psycopg import sql

        wanted = _texts(values)
        if not wanted:
            return set()
        query = sql.SQL("SELECT DISTINCT {c} FROM {t} WHERE {c} = ANY(%s)").format(
            c=self._column(layer, key), t=self._ident(layer))
        return {str(r[0]) for r in self.con.execute(query, (wanted,)).fetchall()}

    def count(self, layer: str) -> int:
        """Rows of ``layer``."""
        from psycopg import sql

        return int(self.con.execute(sql.SQL("SELECT count(*) FROM {}").format(self._ident(layer))).fetchone()[0])

    def read(self, layer: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Layer ``layer`` as stored now, inside the write (``columns`` only, no geometry, when given)."""
        self._ident(layer)
        frame = read_table(self.con, layer, columns=columns)
        if columns is None:
            frame, _ = coerce_layer(layer, frame)
        return frame

    def extent(self, layers: Iterable[str]) -> tuple[float, float, float, float] | None:
        """The EPSG:4326 bounds of the stored rows of ``layers`` (``None`` when none has rows)."""
        from psycopg import sql

        boxes = []
        for layer in layers:
            if not ALL_LAYERS[layer].geometry:
                continue
            row = self.con.execute(sql.SQL(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent({g}) AS e FROM {t}) x"
            ).format(g=sql.Identifier(GEOMETRY_COLUMN), t=self._ident(layer))).fetchone()
            if row and None not in row:
                boxes.append(row)
        return union_bounds(boxes)

    def append(self, layer: str, rows: pd.DataFrame) -> int:
        """Insert ``rows`` as they are (no key check)."""
        self._ident(layer)
        return copy_rows(self.con, layer, stored_rows(layer, rows))

    def _keyed(self, layer: str, rows: pd.DataFrame, key: str | None) -> tuple[str, pd.DataFrame]:
        key = key or ALL_LAYERS[layer].key
        if key is None:
            raise ValueError(f"layer {layer!r} has no key; use append or replace")
        stored = stored_rows(layer, rows)
        text = stored[key].astype("string").str.strip()
        stored = stored[(text.notna() & (text != "")).to_numpy()]
        return key, stored.loc[~stored[key].astype(str).duplicated(keep="last").to_numpy()]

    def upsert(self, layer: str, rows: pd.DataFrame, key: str | None = None) -> tuple[int, int]:
        """Insert ``rows``; a stored row with the same key is replaced. Returns (added, updated)."""
        key, stored = self._keyed(layer, rows, key)
        known = self.ids(layer, key, stored[key].astype(str))
        self.delete(layer, key, known)
        copy_rows(self.con, layer, stored)
        return len(stored) - len(known), len(known)

    def insert_new(self, layer: str, rows: pd.DataFrame, key: str | None = None) -> tuple[int, int]:
        """Insert the rows whose key is not stored yet. Returns (added, kept as they were)."""
        key, stored = self._keyed(layer, rows, key)
        known = self.ids(layer, key, stored[key].astype(str))
        fresh = stored[~stored[key].astype(str).isin(known).to_numpy()]
        return copy_rows(self.con, layer, fresh), len(stored) - len(fresh)

    def replace(self, layer: str, rows: pd.DataFrame) -> int:
        """Make the layer ``rows``: every stored row deleted, ``rows`` inserted."""
        from psycopg import sql

        stored = stored_rows(layer, rows)
        self.con.execute(sql.SQL("DELETE FROM {}").format(self._ident(layer)))
        return copy_rows(self.con, layer, stored)

    def delete(self, layer: str, key: str, values: Iterable[object]) -> int:
        """Delete the rows whose ``key`` is one of ``values``."""
        from psycopg import sql

        wanted = _texts(values)
        if not wanted:
            return 0
        query = sql.SQL("DELETE FROM {t} WHERE {c} = ANY(%s)").format(t=self._ident(layer), c=self._column(layer, key))
        return int(self.con.execute(query, (wanted,)).rowcount)

    def update(self, layer: str, key: str, value: object, changes: Mapping[str, object]) -> int:
        """Set ``changes`` (column -> value) on the rows whose ``key`` is ``value``."""
        from psycopg import sql

        if not changes:
            return 0
        spec = ALL_LAYERS[layer]
        sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(self._column(layer, c)) for c in changes)
        vals = [_column_values(pd.Series([v], dtype=object), spec.column(c).kind)[0] for c, v in changes.items()]
        query = sql.SQL("UPDATE {t} SET {s} WHERE {k} = %s").format(t=self._ident(layer), s=sets, k=self._column(layer, key))
        return int(self.con.execute(query, [*vals, str(value)]).rowcount)

    def set_settings(self, settings: Mapping[str, str]) -> None:
        """Set keys of ``dataset_settings`` (others kept)."""
        if settings:
            self.upsert("dataset_settings", pd.DataFrame(
                {"key": list(settings), "value": [str(v) for v in settings.values()]}), "key")

    def advance_dates(self, layer: str, key: str, value: object, columns: Iterable[str], iso_date: str) -> int:
        """Set each of ``columns`` to ``iso_date`` where it is empty or earlier, for row ``value``."""
        from psycopg import sql

        changed = 0
        for col in columns:
            c = self._column(layer, col)
            query = sql.SQL("UPDATE {t} SET {c} = %s::date WHERE {k} = %s AND ({c} IS NULL OR {c} < %s::date)")
            changed += int(self.con.execute(query.format(t=self._ident(layer), c=c, k=self._column(layer, key)),
                                            (iso_date, str(value), iso_date)).rowcount)
        return changed

    def dataset(self) -> Dataset:
        """The whole dataset as stored now, read inside the write (under its lock)."""
        present = _tables(self.con, self._target, readable=True)
        layers = {n: self.read(n) for n in ALL_LAYERS if n in present and n != "dataset_settings"}
        return Dataset(layers, path=self._target.location, settings=_settings(self.read("dataset_settings")))

    def write_changes(self, before: Dataset, after: Dataset) -> None:
        """Write the layers of ``after`` that are not those of ``before`` (a new frame), and its
        changed settings."""
        for name, frame in after._layers.items():
            if name in ALL_LAYERS and frame is not before._layers.get(name):
                self.replace(name, frame)
        self.set_settings({k: v for k, v in after.settings.items() if before.settings.get(k) != v})

    def set_audit(self, event) -> None:
        """The audit event this write records at its commit (replaces the one given to ``write``)."""
        self.event = event

    def insert_audit(self, event) -> None:
        """Insert one audit event now, linked to the last one (:meth:`PostgisStore.write` does it
        once, under the dataset's write lock): :func:`geo.store.auditlog.append_server_event`."""
        from geo.store.auditlog import append_server_event

        name = getattr(event.user, "username", None) or ("" if event.user is None else str(event.user))
        append_server_event(self.con, name, event.action, str(event.detail))


def read_dataset(url: str, *, layers: Iterable[str] | None = None) -> Dataset:
    """Read the PostGIS dataset at ``url`` (see :meth:`PostgisStore.read`)."""
    return PostgisStore(url).read(layers)


def write_dataset(dataset, url: str, *, settings: Mapping[str, str] | None = None, whole: bool = True) -> str:
    """Replace the PostGIS dataset at ``url`` by ``dataset`` in one transaction; returns the URL.

    ``whole=False`` (result layers, ``write_layers``) is refused: results go to a GeoPackage,
    never over a county's server dataset.
    """
    if not whole:
        raise DatasetError(redact(url), [
            "结果文件请写入 GeoPackage（.gpkg），不能写入服务器数据集 / results are written to a GeoPackage "
            "(.gpkg), never over a server dataset",
        ])
    PostgisStore(url).write_dataset(dataset, settings=settings)
    logger.info("wrote %s", redact(url))
    return url


def list_layers(url: str) -> list[str]:
    """Names of the dataset tables in the schema of ``url`` (none when it holds no dataset)."""
    target = parse_url(url)
    with connection(target, read_only=True) as con:
        return sorted(n for n in _tables(con, target) if n in ALL_LAYERS)
