"""Snapshots: the indicator counts of one day, stored in the dataset, append-only, aggregates only.

``childsafe snapshot DATASET`` (and the Progress page's button) stores, for every unit of the
dataset (each leaf village or township and every total above it), each indicator's numerator,
denominator and value of that day under one preset, in the internal table
``indicator_snapshots``: counts per unit, never a row about a child. Rows are only ever appended,
in one write of the dataset's store with its audit event (:meth:`geo.store.writer.Store.write`,
a GeoPackage or a PostGIS dataset), so a crash leaves the table as it was. Trends read every snapshot; the report takes the snapshot taken
nearest its date (within ``settings.report_snapshot_days``) and the one nearest a year before
("since last year").
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.privacy.audit import now_utc
from geo.report.facts import FACT_COLUMNS, UnitFacts, den, num
from geo.report.indicators import INDICATORS, LEVEL_LENGTH, LEVELS, check_preset, level_of
from geo.report.rollup import aggregate, infer_level, values
from geo.store import settings

logger = logging.getLogger(__name__)

TABLE = "indicator_snapshots"
_COLUMNS = ("taken_on", "taken_at", "taken_by", "preset", "code", "level", "kind", "indicator",
            "numerator", "denominator", "value")


@dataclass(frozen=True)
class Snapshot:
    """One stored snapshot: when, under which preset, and its leaf facts (as :func:`unit_facts` gives)."""

    taken_on: _dt.date
    taken_at: _dt.datetime
    preset: str
    facts: pd.DataFrame


def snapshot_rows(facts: UnitFacts) -> pd.DataFrame:
    """The rows a snapshot of ``facts`` stores: every leaf, and every total from the dataset's
    top unit (its county, or the city/province a multi-county file covers) down to its villages."""
    parts = [_long(facts.facts, "leaf")]
    top = LEVEL_LENGTH[infer_level(facts)]
    for lv in LEVELS:
        if LEVEL_LENGTH[lv] >= top:
            agg = aggregate(facts.facts, lv)
            if len(agg):
                parts.append(_long(agg, "total", values(agg)))
    return pd.concat(parts, ignore_index=True)


def _long(table: pd.DataFrame, kind: str, vals: pd.DataFrame | None = None) -> pd.DataFrame:
    vals = values(table) if vals is None else vals
    frames = []
    for ind in INDICATORS:
        n, d, v = table[num(ind)], table[den(ind)], vals[ind]
        keep = (n.notna() | d.notna()).to_numpy()
        if not keep.any():
            continue
        codes = table.index.astype(str)[keep]
        frames.append(pd.DataFrame({
            "code": codes, "level": [level_of(c) for c in codes], "kind": kind, "indicator": ind,
            "numerator": n.to_numpy(float)[keep], "denominator": d.to_numpy(float)[keep],
            "value": v.to_numpy(float)[keep],
        }))
    if not frames:
        return pd.DataFrame(columns=["code", "level", "kind", "indicator", "numerator", "denominator", "value"])
    return pd.concat(frames, ignore_index=True)


def take_snapshot(path: str | os.PathLike, facts: UnitFacts, *, user=None) -> int:
    """Append the snapshot of ``facts`` to the dataset at ``path`` (one write, its ``snapshot``
    event in the same transaction); return its rows."""
    from geo.privacy.audit import audit_event
    from geo.store.stores import open_store

    rows = snapshot_rows(facts)
    day = facts.on.isoformat()
    who = getattr(user, "username", None) or (str(user) if user else "")
    records = rows.assign(taken_on=pd.Timestamp(facts.on), taken_at=pd.Timestamp(now_utc()),
                          taken_by=who or None, preset=facts.preset)[list(_COLUMNS)]
    event = audit_event(user, "snapshot", f"{day} {facts.preset}: {len(rows)} rows (aggregates)")
    with open_store(path).write(audit=event) as w:
        w.append(TABLE, records)
    logger.info("snapshot %s (%s): %d rows", day, facts.preset, len(rows))
    return len(rows)


def read_snapshots(path: str | os.PathLike, *, preset: str | None = None, kind: str | None = None,
                   codes: list[str] | None = None) -> pd.DataFrame:
    """Every stored snapshot row of the dataset at ``path`` (optionally of one preset/kind/units).

    Returns
    -------
    pandas.DataFrame
        :data:`_COLUMNS` with ``taken_on`` as datetime; empty when none was taken.
    """
    from geo.store.stores import open_store

    where: dict[str, list[str]] = {}
    if preset:
        where["preset"] = [check_preset(preset)]
    if kind:
        where["kind"] = [kind]
    if codes:
        where["code"] = list(codes)
    out = open_store(path).table(TABLE, list(_COLUMNS), where=where)
    out["taken_on"] = pd.to_datetime(out["taken_on"], errors="coerce")
    out["taken_at"] = pd.to_datetime(out["taken_at"], errors="coerce", utc=True).dt.tz_localize(None)
    out = out.iloc[np.argsort(out["taken_at"].to_numpy(), kind="stable")].reset_index(drop=True)
    for c in ("numerator", "denominator", "value"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def nearest_snapshot(path: str | os.PathLike, on: _dt.date, *, preset: str,
                     within_days: int | None = None) -> Snapshot | None:
    """The snapshot of ``preset`` taken nearest ``on`` (the latest taken that day), within
    ``within_days`` (``settings.report_snapshot_days``); ``None`` when there is none."""
    rows = read_snapshots(path, preset=preset, kind="leaf")
    if not len(rows):
        return None
    limit = int(settings.report_snapshot_days if within_days is None else within_days)
    gap = (rows["taken_on"] - pd.Timestamp(on)).abs().dt.days
    rows = rows[gap <= limit]
    if not len(rows):
        return None
    gap = (rows["taken_on"] - pd.Timestamp(on)).abs()
    best_day = rows.loc[gap.idxmin(), "taken_on"]
    same = rows[rows["taken_on"] == best_day]
    last = same["taken_at"].max()
    chosen = same[same["taken_at"] == last]
    return Snapshot(best_day.date(), last.to_pydatetime(), check_preset(preset), facts_from_rows(chosen))


def facts_from_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Leaf facts (:data:`geo.report.facts.FACT_COLUMNS` by code) from stored leaf rows."""
    n = rows.pivot_table(index="code", columns="indicator", values="numerator", aggfunc="first")
    d = rows.pivot_table(index="code", columns="indicator", values="denominator", aggfunc="first")
    out = pd.DataFrame(index=pd.Index(sorted(set(rows["code"])), name="code", dtype=object))
    for ind in INDICATORS:
        out[num(ind)] = n.get(ind, np.nan)
        out[den(ind)] = d.get(ind, np.nan)
    return out.reindex(columns=FACT_COLUMNS).astype(float)


def trend(path: str | os.PathLike, *, preset: str, code: str) -> pd.DataFrame:
    """One row per snapshot day (the last taken that day) with each indicator's value at unit ``code``."""
    rows = read_snapshots(path, preset=preset, kind="total", codes=[code])
    if not len(rows):
        return pd.DataFrame(columns=["taken_on", *INDICATORS])
    last = rows.groupby("taken_on")["taken_at"].transform("max")
    rows = rows[rows["taken_at"] == last]
    wide = rows.pivot_table(index="taken_on", columns="indicator", values="value", aggfunc="last")
    return wide.reindex(columns=list(INDICATORS)).reset_index()
