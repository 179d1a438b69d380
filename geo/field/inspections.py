"""Inspections of safety kits and water bodies: append-only records that update kit status at once.

An inspection names a kit (``kit_id``: the four items found), a water body (``water_id``: its
barrier), or both. Records are only ever appended (the history stays); the latest record per
kit or water body is what :func:`geo.water.kits.apply_inspections` applies, so a recorded inspection
changes :func:`geo.water.pipeline.water_sites` (kit status, missing items, hazard and risk) immediately.
"""

from __future__ import annotations

import datetime as _dt
import logging
import uuid

import numpy as np
import pandas as pd

from geo.store.dataset import Dataset, coerce_layer
from geo.store.errors import ValidationError
from geo.store.schema import KIT_ITEMS

logger = logging.getLogger(__name__)


def _check(dataset: Dataset, kit_id, water_id, on, items: dict, barrier) -> pd.Timestamp:
    kits, water = dataset["safety_kits"], dataset["water_bodies"]
    return _checked(kit_id, water_id, on, items, barrier,
                    known_kit=bool((kits["kit_id"].astype("string") == str(kit_id)).any()),
                    known_water=bool((water["water_id"].astype("string") == str(water_id)).any()))


def _checked(kit_id, water_id, on, items: dict, barrier, *, known_kit: bool,
             known_water: bool) -> pd.Timestamp:
    """The inspection's day, or ValidationError with every problem (``known_*``: whether the
    named kit and water body are in the dataset)."""
    problems = []
    if not kit_id and not water_id:
        problems.append("name a kit (kit_id) or a water body (water_id)")
    if kit_id and not known_kit:
        problems.append(f"no kit with id {kit_id!r}")
    if water_id and not known_water:
        problems.append(f"no water body with id {water_id!r}")
    if kit_id:
        missing = [k for k in KIT_ITEMS if items.get(k) is None]
        if missing:
            problems.append(f"a kit inspection records all four items; missing {', '.join(missing)}")
    if water_id and barrier is None:
        problems.append("a water-body inspection records the barrier (True or False)")
    day = None
    try:
        day = pd.Timestamp(on).normalize()
        if pd.isna(day):
            raise ValueError
    except (ValueError, TypeError):
        problems.append(f"{on!r} is not a date (use YYYY-MM-DD)")
        day = None
    if day is not None and day.date() > _dt.date.today():
        problems.append(f"the inspection date {day.date()} is in the future")
    if problems or day is None:  # a missing day is always among the problems
        raise ValidationError("the inspection cannot be recorded: " + "; ".join(problems),
                              [(kit_id or water_id, "inspection", p) for p in problems])
    return day


def _row(kit_id, water_id, day, items, barrier, recorded_by, note) -> pd.DataFrame:
    row = pd.DataFrame({
        "inspection_id": [f"I{day:%Y%m%d}-{uuid.uuid4().hex[:10]}"],
        "kit_id": [kit_id or None],
        "water_id": [water_id or None],
        "inspected_on": [day],
        **{k: [bool(items.get(k, False))] for k in KIT_ITEMS},
        "barrier": [bool(barrier) if barrier is not None else False],
        "recorded_by": [recorded_by or None],
        "note": [note or None],
    })
    row, problems = coerce_layer("inspections", row)
    assert not problems, problems
    return row


def record_inspection(
    dataset: Dataset,
    *,
    on: _dt.date | str,
    kit_id: str | None = None,
    water_id: str | None = None,
    sign: bool | None = None,
    buoy: bool | None = None,
    rope: bool | None = None,
    pole: bool | None = None,
    barrier: bool | None = None,
    recorded_by: str = "",
    note: str = "",
) -> Dataset:
    """Return a new dataset with one inspection appended to ``inspections``.

    Parameters
    ----------
    dataset
        The dataset (not changed; frames other than ``inspections`` are shared).
    on
        The inspection day (not in the future).
    kit_id
        The kit inspected; then all four items (``sign``, ``buoy``, ``rope``, ``pole``: present
        and usable) must be given.
    water_id
        The water body inspected; then ``barrier`` must be given.
    recorded_by, note
        Who recorded it (a user name) and free text.

    Raises
    ------
    ValidationError
        Nothing named, unknown kit or water body, items or barrier not given, bad or future date
        (all problems at once).
    """
    items = {"sign": sign, "buoy": buoy, "rope": rope, "pole": pole}
    day = _check(dataset, kit_id, water_id, on, items, barrier)
    row = _row(kit_id, water_id, day, items, barrier, recorded_by, note)
    ins = dataset["inspections"]
    out = dataset.replace(inspections=pd.concat([ins, row], ignore_index=True) if len(ins) else row)
    logger.info("inspection recorded: kit %s water %s on %s", kit_id or "-", water_id or "-", day.date())
    return out


def store_inspection(path, *, user=None, **kwargs) -> pd.DataFrame:
    """Append one inspection to the dataset file ``path`` in place and log it.

    Same arguments as :func:`record_inspection` (after the dataset). Used by the app, where the
    user's view may be partial.

    Raises
    ------
    PermissionDenied
        ``user`` may not record inspections.
    ValidationError
        As :func:`record_inspection`.
    """
    from geo.field._records import append_row
    from geo.privacy.audit import audit_event

    if user is not None:
        from geo.privacy.roles import require

        require(user, "record_inspection")
    items = {k: kwargs.get(k) for k in KIT_ITEMS}
    kit_id, water_id, on, barrier = (kwargs.get(k) for k in ("kit_id", "water_id", "on", "barrier"))
    # the input alone first (nothing read); the kit and water inside the write, under its lock
    day = _checked(kit_id, water_id, on, items, barrier, known_kit=True, known_water=True)
    row = _row(kit_id, water_id, day, items, barrier, kwargs.get("recorded_by", ""), kwargs.get("note", ""))

    def known(w) -> None:  # neither can vanish before the commit
        _checked(kit_id, water_id, on, items, barrier,
                 known_kit=not kit_id or bool(w.ids("safety_kits", "kit_id", [str(kit_id)])),
                 known_water=not water_id or bool(w.ids("water_bodies", "water_id", [str(water_id)])))

    append_row(path, "inspections", row, check=known, audit=audit_event(user, "edit", "inspections +1"))
    return row


def inspection_history(dataset: Dataset, *, kit_id: str | None = None, water_id: str | None = None) -> pd.DataFrame:
    """All inspections of a kit or water body, newest first (the append-only history)."""
    ins = dataset["inspections"]
    mask = np.ones(len(ins), dtype=bool)
    if kit_id:
        mask &= (ins["kit_id"].astype("string") == str(kit_id)).fillna(False).to_numpy(bool)
    if water_id:
        mask &= (ins["water_id"].astype("string") == str(water_id)).fillna(False).to_numpy(bool)
    out = ins[mask].assign(_row=np.flatnonzero(mask))
    return out.sort_values(["inspected_on", "_row"], ascending=False).drop(columns="_row")
