"""Which store holds a dataset: :func:`open_store` takes a GeoPackage path or a ``postgresql://``
URL; :func:`append`, :func:`replace` and :func:`upsert` are one-write shortcuts.

The interface the stores implement is in :mod:`geo.store.writer`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from geo.store.gpkg import GeoPackageStore
from geo.store.location import is_url
from geo.store.writer import AuditEvent, Store


def open_store(target: str | os.PathLike | Store) -> Store:
    """The store of a dataset given as a GeoPackage path or a ``postgresql://`` URL."""
    if not isinstance(target, (str, os.PathLike)):
        return target
    if is_url(str(target)):
        from geo.store import postgis  # type: ignore[attr-defined]

        return postgis.PostgisStore(str(target))  # type: ignore[no-any-return]
    return GeoPackageStore(Path(target))


def check_dataset(target: str | os.PathLike) -> None:
    """Raise the one clear message when ``target`` cannot be opened: a file that is missing or
    not a GeoPackage, a server that cannot be reached or a schema holding no dataset."""
    from geo.store.errors import DatasetError
    from geo.store.sqlite import connect

    store = open_store(target)
    if not is_url(str(target)):
        connect(target).close()
    elif not store.exists():
        raise DatasetError(store.location, [
            "该服务器模式中没有童安地图数据集（先用 childsafe copy 或 import 写入）/ the schema holds no "
            "ChildSafe dataset (write one with childsafe copy or childsafe import)"])


def _one(target, audit: AuditEvent | None, method: str, *args) -> object:
    with open_store(target).write(audit=audit) as w:
        return getattr(w, method)(*args)


def append(target, layer: str, rows: pd.DataFrame, *, audit: AuditEvent | None = None) -> int:
    """One write: :meth:`geo.store.writer.Writer.append`."""
    return int(_one(target, audit, "append", layer, rows))  # type: ignore[call-overload]


def replace(target, layer: str, rows: pd.DataFrame, *, audit: AuditEvent | None = None) -> int:
    """One write: :meth:`geo.store.writer.Writer.replace`."""
    return int(_one(target, audit, "replace", layer, rows))  # type: ignore[call-overload]


def upsert(target, layer: str, rows: pd.DataFrame, key: str | None = None, *,
           audit: AuditEvent | None = None) -> tuple[int, int]:
    """One write: :meth:`geo.store.writer.Writer.upsert`."""
    return _one(target, audit, "upsert", layer, rows, key)  # type: ignore[return-value]
