"""Small in-place writes of field records (visits, inspections, patrol checks) to a dataset.

The app records one visit or inspection at a time, often from a user who sees only part of the
data; rewriting the whole file from that view would drop the rest. These helpers append rows to
an append-only table (and move a few date fields forward) in one write of the dataset's store
(:meth:`geo.store.writer.Store.write`): one transaction, under the write lock, with its audit
event, so a record and its event are stored together or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd

from geo.store.stores import open_store
from geo.store.writer import AuditEvent, Writer


def append_row(
    path: str | os.PathLike,
    layer: str,
    row: pd.DataFrame,
    *,
    check: Callable[[Writer], object] | None = None,
    then: Callable[[Writer], object] | None = None,
    audit: AuditEvent | None = None,
) -> None:
    """Append the rows of ``row`` to table ``layer`` of the dataset at ``path``, in one write.

    ``check(writer)`` runs first, inside the transaction (after the lock: what it reads cannot
    change before the commit; raise to write nothing); ``then(writer)`` runs after the insert
    (e.g. :meth:`Writer.advance_dates`). ``audit`` is recorded in the same transaction. The
    table is created when the dataset lacks it.
    """
    with open_store(path).write(audit=audit) as w:
        if check is not None:
            check(w)
        w.append(layer, row)
        if then is not None:
            then(w)
