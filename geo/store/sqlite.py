"""Small SQLite transactions on a dataset GeoPackage, under the dataset's lock file.

Used by the append-only writers (:mod:`geo.privacy.audit`, :mod:`geo.field._records`) and the accounts
(:mod:`geo.privacy.accounts`): each change is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` on the file, never
a rewrite of it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from geo.store.errors import DatasetError
from geo.store.location import is_url, shown


def refuse_url(path: object) -> None:
    """Raise the clear message for a command that needs a GeoPackage, given a PostGIS URL."""
    if is_url(path):
        raise DatasetError(shown(str(path)), [
            "此命令尚不支持 PostGIS 数据集；可先用 childsafe copy 复制为 GeoPackage / this command does not "
            "work on a PostGIS dataset yet; copy it to a GeoPackage with childsafe copy",
        ])


@contextlib.contextmanager
def dataset_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s sidecar lock file (serialises writers)."""
    path = Path(path)
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        fh = open(lock_path, "a+b")  # noqa: SIM115 - closed below
    except OSError:  # read-only folder: SQLite's own locking still applies
        yield
        return
    try:
        import fcntl

        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """Open the dataset GeoPackage for a small transaction (it must exist)."""
    refuse_url(path)
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, ["the file does not exist"])
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise DatasetError(path, ["the file is not a GeoPackage (.gpkg, an SQLite database)"])
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    return con


@contextlib.contextmanager
def transaction(
    path: str | os.PathLike, *, row_factory: type | None = None
) -> Iterator[sqlite3.Connection]:
    """One immediate SQLite transaction on the dataset at ``path``, under its lock file.

    Yields the connection after ``BEGIN IMMEDIATE``; commits when the block ends normally,
    rolls back when it raises (anything, including ``KeyboardInterrupt``), and always closes.

    Parameters
    ----------
    path
        The dataset GeoPackage (must exist).
    row_factory
        Set as the connection's ``row_factory`` (e.g. :class:`sqlite3.Row`); ``None`` keeps tuples.
    """
    refuse_url(path)
    with dataset_lock(path):
        con = connect(path)
        try:
            if row_factory is not None:
                con.row_factory = row_factory
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        finally:
            if con.in_transaction:
                con.execute("ROLLBACK")
            con.close()
