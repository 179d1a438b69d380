"""Small in-place writes of field records (visits, inspections) to a dataset GeoPackage.

The app records one visit or inspection at a time, often from a user who sees only part of the
data; rewriting the whole file from that view would drop the rest. These helpers append a row
to an append-only table and update a few date fields in one SQLite transaction, under the
dataset's lock (:func:`geo.store.sqlite.transaction`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable

import pandas as pd

from geo.privacy.audit import ensure_table
from geo.store.schema import ALL_LAYERS
from geo.store.sqlite import transaction

_SQL_TYPE = {"text": "TEXT", "bool": "BOOLEAN", "int": "INTEGER", "float": "REAL",
             "date": "DATE", "timestamp": "DATETIME"}


def _value(value, kind: str):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind == "bool":
        return int(bool(value))
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


def append_row(
    path: str | os.PathLike,
    layer: str,
    row: pd.DataFrame,
    *,
    then: Callable[[sqlite3.Connection], object] | None = None,
) -> None:
    """Append the rows of ``row`` to table ``layer`` of the GeoPackage ``path``.

    ``then(con)`` runs in the same transaction (e.g. :func:`update_dates`). The table is created
    (and registered in ``gpkg_contents``) when the file lacks it.
    """
    spec = ALL_LAYERS[layer]
    cols = spec.column_names
    kinds = {c.name: c.kind for c in spec.columns}
    with transaction(path) as con:
        ensure_table(con, layer, {c: _SQL_TYPE[kinds[c]] for c in cols})
        present = {r[1] for r in con.execute(f'PRAGMA table_info("{layer}")')}
        use = [c for c in cols if c in present]
        sql = (f'INSERT INTO "{layer}" ({", ".join(chr(34) + c + chr(34) for c in use)}) '
               f'VALUES ({", ".join("?" for _ in use)})')
        for rec in row.to_dict("records"):
            con.execute(sql, [_value(rec.get(c), kinds[c]) for c in use])
        if then is not None:
            then(con)


def update_dates(
    con: sqlite3.Connection, table: str, key_col: str, key: str, columns: list[str], iso_date: str
) -> int:
    """Set each of ``columns`` to ``iso_date`` where it is empty or earlier, for row ``key``.

    Returns the number of rows changed (0 when the table or row is missing).
    """
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    if row is None:
        return 0
    changed = 0
    for col in columns:
        cur = con.execute(
            f'UPDATE "{table}" SET "{col}" = ? WHERE "{key_col}" = ? '
            f'AND ("{col}" IS NULL OR "{col}" = \'\' OR substr("{col}", 1, 10) < ?)',
            (iso_date, key, iso_date),
        )
        changed += cur.rowcount
    return changed
