"""The write interface every dataset store implements (GeoPackage file, PostGIS server).

A write is one transaction: :meth:`Store.write` takes the dataset's write lock *before* anything
the write depends on is read, yields a :class:`Writer`, and commits (durably) when the block ends,
with the audit event of the write inserted in the same transaction, exactly once. Anything raised
in the block rolls the whole write back, so a dataset is always the state before or after a write,
never a mix. Writing costs the rows written, never a copy of the dataset.

::

    from geo.store.stores import open_store
    from geo.store.writer import AuditEvent

    store = open_store("county.gpkg")      # or a postgresql:// URL
    with store.write(audit=AuditEvent("admin", "import", "households from h.csv")) as w:
        known = w.ids("households", "household_id", ids)
        added, updated = w.upsert("households", rows)

Rows are frames with a layer's contract columns (SCHEMA.md); spatial rows may be in any CRS and
are stored in EPSG:4326. Columns outside the contract the rows carry are stored as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pandas as pd

from geo.store.dataset import Dataset


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the dataset's ``audit_log``, written in the transaction of its write.

    ``detail`` says what was done (layer, rows, file), never a password or a personal record.
    """

    user: str
    action: str
    detail: str = ""


@runtime_checkable
class Writer(Protocol):
    """One open write transaction on a dataset (see :meth:`Store.write`)."""

    def ids(self, layer: str, key: str, values: Iterable[object]) -> set[str]:
        """Which of ``values`` are stored in column ``key`` of ``layer`` (as text)."""
        ...

    def count(self, layer: str) -> int:
        """Rows of ``layer`` (0 when the dataset lacks it)."""
        ...

    def read(self, layer: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """``layer`` as stored now, inside the transaction (``columns`` only, without geometry,
        when given; the whole layer as the dataset reader gives it otherwise)."""
        ...

    def extent(self, layers: Iterable[str]) -> tuple[float, float, float, float] | None:
        """The EPSG:4326 bounds of the stored rows of ``layers`` (``None`` when none has rows)."""
        ...

    def append(self, layer: str, rows: pd.DataFrame) -> int:
        """Insert ``rows``; returns how many."""
        ...

    def replace(self, layer: str, rows: pd.DataFrame) -> int:
        """Make ``rows`` the whole content of ``layer``; returns how many."""
        ...

    def upsert(self, layer: str, rows: pd.DataFrame, key: str | None = None) -> tuple[int, int]:
        """Insert ``rows``, replacing stored rows with the same ``key`` (default: the layer's key).

        Returns ``(added, updated)``.
        """
        ...

    def insert_new(self, layer: str, rows: pd.DataFrame, key: str | None = None) -> tuple[int, int]:
        """Insert the rows whose ``key`` is not stored yet (append-only layers keep their records).

        Returns ``(added, unchanged)``.
        """
        ...

    def delete(self, layer: str, key: str, values: Iterable[object]) -> int:
        """Delete the rows whose ``key`` is one of ``values``; returns how many."""
        ...

    def update(self, layer: str, key: str, value: object, changes: Mapping[str, object]) -> int:
        """Set ``changes`` (column -> value) on the rows whose ``key`` is ``value``."""
        ...

    def set_settings(self, settings: Mapping[str, str]) -> None:
        """Store these key/value settings of the dataset (others are kept)."""
        ...

    def advance_dates(self, layer: str, key: str, value: object, columns: Sequence[str],
                      iso_date: str) -> int:
        """Set each of ``columns`` to ``iso_date`` where it is empty or earlier, for row ``value``
        of ``key`` (a visit moves a child's last-contact date forward, never back)."""
        ...

    def set_audit(self, event: AuditEvent) -> None:
        """The audit event this write records at its commit (replaces the one given to
        :meth:`Store.write`; written exactly once, in the same transaction)."""
        ...


class Store(Protocol):
    """A dataset's storage: a GeoPackage file (:mod:`geo.store.gpkg`) or a PostGIS database."""

    @property
    def location(self) -> str:
        """The path or URL (a URL without its password)."""
        ...

    def exists(self) -> bool:
        """Whether the dataset exists (a write creates it otherwise)."""
        ...

    def write(self, *, audit: AuditEvent | None = None,
              timeout: float | None = None) -> AbstractContextManager[Writer]:
        """One write transaction (lock first, commit and audit event at the end).

        ``timeout``: seconds to wait for another writer (default
        :data:`geo.store.files.LOCK_TIMEOUT`); then a :class:`~geo.store.errors.StoreError` names who holds it.
        """
        ...

    def read(self, layers: Iterable[str] | None = None) -> Dataset:
        """The dataset (these layers only, when given)."""
        ...

    def version(self) -> float:
        """A number that changes when the dataset is written (a cache key: the file's
        modification time; on a server the newest audit event and the minute)."""
        ...

    def table(self, layer: str, columns: Sequence[str],
              where: Mapping[str, Iterable[object]] | None = None) -> pd.DataFrame:
        """``columns`` of ``layer`` as stored, without geometry and without the write lock (the
        accounts, the audit log, snapshots: small reads the app does on every page).

        ``where``: column -> values; a row is kept when each such column holds one of its values
        (compared as text). A table the dataset lacks (or the login may not read) is empty.
        Text columns are ``string``; others as the store keeps them (a GeoPackage's DATETIME is
        text, PostGIS's a timestamp): parse them with :func:`geo.privacy.audit.from_gpkg_time`.
        """
        ...


def chunks(values: Sequence, size: int = 500) -> Iterator[Sequence]:
    """``values`` in slices of ``size`` (for ``IN (…)`` lists)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
