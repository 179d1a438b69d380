"""Visit schedules: each child's tier, next contact and home-visit due dates, status and flags.

The rules come from the plans in ``/work/shared/seeds`` (DOMAIN.md §2) through the presets of
:mod:`geo.field.presets`. For each child in scope (left-behind or in any difficulty class):

- the **tier** is the first tier of the preset whose criteria the child meets;
- the **last contact** is the latest of ``last_contact``, ``last_home_visit`` and any recorded
  visit (a home visit is also a contact); the **last home visit** the latest of
  ``last_home_visit`` and recorded home visits;
- **next due** = last + the tier's interval (calendar months, or days); Anhui adds the holiday
  visit (due by the end of the current or next school holiday when the child was not visited
  since it began) and, during an extreme-weather alert, a contact within
  ``settings.visit_extreme_weather_days`` of the alert's start (004 §6);
- **status** of each due date: ``overdue`` (due before ``on``, or never done), ``due_soon``
  (due within ``settings.due_soon_days``), ``ok``; the child's status is the worse of the two;
- **flags**: ``alone_no_guardian`` (``lives_alone`` or caregiver ``none``), and, when the
  children table carries these optional columns, ``guardian_incapable``, ``missing``,
  ``suspected_abuse``: each means *report to the police at once* (Jilin 002 §8; national 000 §6
  compulsory reporting); plus ``never_contacted``, ``never_visited``, ``holiday_visit``,
  ``extreme_weather`` for the director's attention.

Everything is vectorised (numpy / pandas): a province of 600k children takes a few seconds.
"""

from __future__ import annotations

import datetime as _dt
import logging
import uuid
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from geo.field.presets import Interval, VisitPreset, get_preset
from geo.field.staffing import in_scope
from geo.store import settings
from geo.store.dataset import Dataset, coerce_layer
from geo.store.errors import MissingLayerError, ValidationError
from geo.store.schema import VISIT_KINDS
from geo.store.withheld import require_full

logger = logging.getLogger(__name__)

STATUSES = ("ok", "due_soon", "overdue")
#: flags that mean "report to the police at once" (002 §8), in display order.
POLICE_FLAGS = ("alone_no_guardian", "guardian_incapable", "missing", "suspected_abuse")
#: optional bool columns of ``children`` that raise the police flag of the same name.
OPTIONAL_FLAG_COLUMNS = ("guardian_incapable", "missing", "suspected_abuse")
ATTENTION_FLAGS = ("never_contacted", "never_visited", "holiday_visit", "extreme_weather")
#: columns of the CLI export, in order.
EXPORT_COLUMNS = ["child_id", "village_code", "tier", "next_contact_due", "next_visit_due", "status", "flags"]

Alert = tuple[_dt.date | str, _dt.date | str]


def _bool(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[col].fillna(False).astype(bool).to_numpy()


def _day(value) -> np.datetime64:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc
    if pd.isna(ts):
        raise ValidationError(f"{value!r} is not a date (use YYYY-MM-DD)")
    return np.datetime64(ts.normalize().to_datetime64(), "ms")


def _dates(series: pd.Series) -> np.ndarray:
    return pd.to_datetime(series).to_numpy(dtype="datetime64[ms]")


def child_facts(children: pd.DataFrame, caregiver: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean facts per child that the presets' tier criteria name (see :mod:`geo.field.presets`).

    Parameters
    ----------
    children
        Rows of the ``children`` table.
    caregiver
        The caregiver type of each child's household (``households.caregiver``; may be empty).
    """
    diff = children["difficulty"].astype("string").fillna("").str.lower()
    guard = children["guardianship"].astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
    care = pd.Series(caregiver, dtype="string").fillna("").to_numpy(dtype=object)
    left = _bool(children, "left_behind")
    facts = {name: _bool(children, name) for name in
             ("disability", "psych_concern", "serious_illness", "single_parent", "lives_alone")}
    facts["no_caregiver"] = care == "none"
    facts["both_parents_away"] = left & np.isin(care, ["grandparents", "relatives", "entrusted_other", "none"])
    for cls in ("family", "self", "guardianship"):
        facts[f"{cls}_difficulty"] = diff.str.contains(cls, regex=False).to_numpy(dtype=bool)
    for g in ("good", "average", "poor"):
        facts[f"guardianship_{g}"] = guard == g
    facts["guardianship_unknown"] = ~np.isin(guard, ["good", "average", "poor"])
    return facts


def assign_tiers(facts: dict[str, np.ndarray], preset: VisitPreset, n: int) -> np.ndarray:
    """The tier name of each child: the first tier of ``preset`` whose criteria it meets."""
    tier = np.full(n, preset.tiers[-1].name, dtype=object)
    todo = np.ones(n, dtype=bool)
    for t in preset.tiers:
        if not t.criteria:
            match = todo.copy()
        else:
            match = np.zeros(n, dtype=bool)
            for c in t.criteria:
                if c not in facts:
                    raise KeyError(f"preset {preset.name!r} names an unknown criterion {c!r}")
                match |= facts[c]
            match &= todo
        tier[match] = t.name
        todo &= ~match
    return tier


def add_interval(dates: np.ndarray, interval: Interval) -> np.ndarray:
    """Add ``interval`` ((n, "M") calendar months or (n, "D") days) to datetime64 dates.

    Month ends clip (31 January + 1 month = 28/29 February); NaT stays NaT.
    """
    count, unit = interval
    idx = pd.DatetimeIndex(dates)
    if unit == "M":
        out = idx + pd.DateOffset(months=int(count))
    elif unit == "D":
        out = idx + pd.Timedelta(days=int(count))
    else:
        raise ValueError(f"unknown interval unit {unit!r}")
    return out.to_numpy(dtype="datetime64[ms]")


def latest_visits(visits: pd.DataFrame, child_ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The latest recorded contact (any kind) and home visit per child, from the visits table."""
    n = len(child_ids)
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ms]")
    if not len(visits):
        return nat, nat.copy()
    v = pd.DataFrame({
        "child_id": visits["child_id"].astype("string"),
        "on": pd.to_datetime(visits["visited_on"]),
        "home": visits["kind"].astype("string").fillna("") == "home_visit",
    }).dropna(subset=["child_id", "on"])
    ids = child_ids.astype("string").to_numpy()
    any_kind = v.groupby("child_id")["on"].max()
    home = v[v["home"]].groupby("child_id")["on"].max()
    return (any_kind.reindex(ids).to_numpy(dtype="datetime64[ms]"),
            home.reindex(ids).to_numpy(dtype="datetime64[ms]"))


def _latest(*arrays: np.ndarray) -> np.ndarray:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out = np.where(np.isnat(out) | (a > out), a, out)
    return out


def holiday_window(on: np.datetime64, holidays: dict | None = None) -> tuple[np.datetime64, np.datetime64, str] | None:
    """The current or next school-holiday window ``(start, end, name)`` at date ``on``."""
    table = settings.visit_holidays if holidays is None else holidays
    day = pd.Timestamp(on)
    windows = []
    for name, ((m1, d1), (m2, d2)) in table.items():
        for year in (day.year - 1, day.year, day.year + 1):
            start = pd.Timestamp(year, m1, d1)
            end = pd.Timestamp(year + (1 if (m2, d2) < (m1, d1) else 0), m2, d2)
            if end >= day:
                windows.append((end, start, name))
    if not windows:
        return None
    end, start, name = min(windows)
    return np.datetime64(start.to_datetime64(), "ms"), np.datetime64(end.to_datetime64(), "ms"), name


def _status(due: np.ndarray, never: np.ndarray, on: np.datetime64, soon_days: int) -> np.ndarray:
    soon = on + np.timedelta64(int(soon_days), "D")
    code = np.zeros(len(due), dtype=np.int8)
    code[due <= soon] = 1
    code[(due < on) | never | np.isnat(due)] = 2
    return code


def _flag_strings(masks: Sequence[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """Join the names of the true masks with ";" per row (via unique bit patterns: fast)."""
    bits = np.zeros(n, dtype=np.int64)
    for i, (_, m) in enumerate(masks):
        bits |= m.astype(np.int64) << i
    uniq, inv = np.unique(bits, return_inverse=True)
    labels = np.array(
        [";".join(name for i, (name, _) in enumerate(masks) if (u >> i) & 1) for u in uniq],
        dtype=object,
    )
    return labels[inv.ravel()] if n else np.empty(0, dtype=object)


def visit_schedule(
    dataset: Dataset,
    *,
    on: _dt.date | str | None = None,
    preset: str | VisitPreset | None = None,
    due_soon_days: int | None = None,
    alerts: Iterable[Alert] | None = None,
    holidays: dict | None = None,
) -> pd.DataFrame:
    """Return every child in scope with tier, due dates, status and flags on date ``on``.

    Parameters
    ----------
    dataset
        A dataset with ``children`` (``households`` gives village and caregiver; ``visits``
        recorded contacts and visits).
    on
        The day the schedule is for (today when ``None``).
    preset
        A preset name or object (``settings.visit_preset`` when ``None``).
    due_soon_days
        Days ahead that count as "due soon" (``settings.due_soon_days``).
    alerts
        Extreme-weather alert periods ``(start, end)`` (dates or ISO text); used by presets with
        ``extreme_weather`` (Anhui).
    holidays
        School-holiday windows (``settings.visit_holidays``); used by presets with
        ``holiday_visits`` (Anhui).

    Returns
    -------
    pandas.DataFrame
        Indexed like the children in scope, columns ``child_id, household_id, village_code,
        tier, last_contact, last_home_visit, next_contact_due, next_visit_due, contact_status,
        visit_status, status, days_overdue, flags, report_police``; dates as datetime64.

    Raises
    ------
    MissingLayerError
        The dataset has no children.
    """
    require_full(dataset, "children", task="the visit schedule")
    if "children" not in dataset and not len(dataset["children"]):
        raise MissingLayerError(["children"], "the visit schedule")
    p = preset if isinstance(preset, VisitPreset) else get_preset(preset)
    day = _day(on if on is not None else _dt.date.today())
    soon_days = int(settings.due_soon_days if due_soon_days is None else due_soon_days)
    children = dataset["children"]
    children = children[in_scope(children)]
    n = len(children)
    hh = dataset["households"]
    hh_idx = pd.Index(hh["household_id"].astype("string"))
    pos = hh_idx.get_indexer(children["household_id"].astype("string"))
    found = pos >= 0
    village = np.full(n, None, dtype=object)
    care = np.full(n, None, dtype=object)
    if found.any():
        village[found] = hh["village_code"].astype(object).to_numpy()[pos[found]]
        care[found] = hh["caregiver"].astype(object).to_numpy()[pos[found]]
    facts = child_facts(children, care)
    tier = assign_tiers(facts, p, n)

    rec_any, rec_home = latest_visits(dataset["visits"], children["child_id"])
    last_home = _latest(_dates(children["last_home_visit"]), rec_home)
    last_contact = _latest(_dates(children["last_contact"]), last_home, rec_any)

    next_contact = np.full(n, np.datetime64("NaT"), dtype="datetime64[ms]")
    next_visit = next_contact.copy()
    for t in p.tiers:
        m = tier == t.name
        if m.any():
            next_contact[m] = add_interval(last_contact[m], t.contact)
            next_visit[m] = add_interval(last_home[m], t.visit)

    holiday = np.zeros(n, dtype=bool)
    if p.holiday_visits:
        win = holiday_window(day, holidays)
        if win is not None:
            start, end, _name = win
            need = np.isnat(last_home) | (last_home < start)
            holiday = need & (start <= day)  # flag only once the holiday has begun
            earlier = need & ~np.isnat(next_visit) & (end < next_visit)
            next_visit[earlier] = end
    weather = np.zeros(n, dtype=bool)
    if p.extreme_weather and alerts:
        active = [(_day(a), _day(b)) for a, b in alerts]
        active = [(a, b) for a, b in active if a <= day <= b]
        if active:
            start = min(a for a, _ in active)
            due = start + np.timedelta64(int(settings.visit_extreme_weather_days), "D")
            weather = np.isnat(last_contact) | (last_contact < start)
            earlier = weather & ~np.isnat(next_contact) & (due < next_contact)
            next_contact[earlier] = due

    never_contact = np.isnat(last_contact)
    never_visit = np.isnat(last_home)
    c_code = _status(next_contact, never_contact, day, soon_days)
    v_code = _status(next_visit, never_visit, day, soon_days)
    code = np.maximum(c_code, v_code)
    names = np.array(STATUSES, dtype=object)
    earliest = np.where(np.isnat(next_contact) | (next_visit < next_contact), next_visit, next_contact)
    # timedelta64[ms]; numpy's stubs type datetime64 scalar minus datetime64 array as datetimes
    delta: np.ndarray = day - earliest
    late = delta / np.timedelta64(1, "D")
    days_overdue = np.where(code == 2, np.where(np.isnan(late), np.nan, np.maximum(late, 0)), 0.0)

    police = [("alone_no_guardian", facts["lives_alone"] | facts["no_caregiver"])]
    police += [(c, _bool(children, c)) for c in OPTIONAL_FLAG_COLUMNS]
    attention = [("never_contacted", never_contact), ("never_visited", never_visit),
                 ("holiday_visit", holiday), ("extreme_weather", weather)]
    flags = _flag_strings(police + attention, n)
    report = np.zeros(n, dtype=bool)
    for _, m in police:
        report |= m

    out = pd.DataFrame(
        {
            "child_id": children["child_id"].astype("string").to_numpy(),
            "household_id": children["household_id"].astype("string").to_numpy(),
            "village_code": pd.array(village, dtype="string"),
            "tier": pd.array(tier, dtype="string"),
            "last_contact": last_contact,
            "last_home_visit": last_home,
            "next_contact_due": next_contact,
            "next_visit_due": next_visit,
            "contact_status": pd.array(names[c_code], dtype="string"),
            "visit_status": pd.array(names[v_code], dtype="string"),
            "status": pd.array(names[code], dtype="string"),
            "days_overdue": pd.array(days_overdue, dtype="Float64"),
            "flags": pd.array(flags, dtype="string"),
            "report_police": report,
        },
        index=children.index,
    )
    if settings.log_summaries:
        counts = out["status"].value_counts()
        logger.info(
            "visits (%s, %s): %d children in scope, %d overdue, %d due soon, %d to report to police",
            p.name, pd.Timestamp(day).date(), n, int(counts.get("overdue", 0)),
            int(counts.get("due_soon", 0)), int(report.sum()),
        )
    return out


#: when a child is next due, relative to the list's date (:func:`visit_list`).
DUE_WINDOWS = ("overdue", "due_this_week", "due_next_week", "ok")
#: columns of the visit list, in order (the page shows them; the download writes them).
VISIT_LIST_COLUMNS = ["urgency", "child_id", "village_code", "tier", "due", "due_in_days", "window",
                      "next_contact_due", "next_visit_due", "days_overdue", "flags", "report_police"]


def visit_list(schedule: pd.DataFrame, on: _dt.date | str, *,
               preset: str | VisitPreset | None = None) -> pd.DataFrame:
    """The children of ``schedule`` in the order a child director should see them, most urgent first.

    Order: children to report to the police first, then by tier (the preset's order: high
    risk before standard), then the most days overdue, then the earliest due date. ``urgency``
    numbers the rows 1, 2, ...; ``due`` is the earlier of the next contact and the next home
    visit, ``due_in_days`` the days from ``on`` to it (negative: overdue), and ``window`` one of
    :data:`DUE_WINDOWS`: overdue, due this week (by the Sunday of ``on``'s week), due next
    week (the Monday to Sunday after), or on schedule.

    Parameters
    ----------
    schedule
        :func:`visit_schedule` output for the date ``on``.
    on
        The date of the list (the schedule's date).
    preset
        The preset the schedule was made with (its tier order; ``settings.visit_preset``).
    """
    p = preset if isinstance(preset, VisitPreset) else get_preset(preset)
    day = pd.Timestamp(_day(on))
    nc = pd.to_datetime(schedule["next_contact_due"])
    nv = pd.to_datetime(schedule["next_visit_due"])
    due = nc.where(nc.notna() & (nv.isna() | (nc <= nv)), nv)
    due_in = (due - day).dt.days.astype("Float64")
    week_end = day + pd.Timedelta(days=6 - day.weekday())
    next_end = week_end + pd.Timedelta(days=7)
    overdue = (schedule["status"] == "overdue").to_numpy()
    window = np.select(
        [overdue, (due <= week_end).to_numpy(), (due <= next_end).to_numpy()],
        list(DUE_WINDOWS[:3]), default=DUE_WINDOWS[3],
    )
    order = {t.name: i for i, t in enumerate(p.tiers)}
    out = schedule.assign(
        due=due, due_in_days=due_in, window=pd.array(window, dtype="string"),
        _police=~schedule["report_police"].astype(bool),
        _tier=schedule["tier"].map(order).fillna(len(order)).astype(int),
        _late=-schedule["days_overdue"].astype("Float64").fillna(0),
        _due=due.fillna(pd.Timestamp.min),
    )
    out = out.sort_values(["_police", "_tier", "_late", "_due", "child_id"], kind="stable")
    out.insert(0, "urgency", np.arange(1, len(out) + 1, dtype=np.int64))
    return out[[c for c in VISIT_LIST_COLUMNS if c in out.columns]].reset_index(drop=True)


def overdue_by_village(schedule: pd.DataFrame) -> pd.DataFrame:
    """Count children per village and status, with those to report to the police.

    Returns
    -------
    pandas.DataFrame
        ``village_code, children, overdue, due_soon, ok, report_police``, most overdue first.
    """
    if not len(schedule):
        return pd.DataFrame(columns=["village_code", "children", "overdue", "due_soon", "ok", "report_police"])
    g = schedule.assign(village_code=schedule["village_code"].fillna("?"))
    table = pd.crosstab(g["village_code"], g["status"]).reindex(columns=list(STATUSES), fill_value=0)
    out = table.assign(children=table.sum(axis=1),
                       report_police=g.groupby("village_code")["report_police"].sum())
    out = out.reset_index()[["village_code", "children", "overdue", "due_soon", "ok", "report_police"]]
    return out.sort_values(["overdue", "due_soon", "village_code"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def _new_visit_row(child_id: str, kind: str, on: np.datetime64, recorded_by: str, note: str) -> pd.DataFrame:
    day = pd.Timestamp(on)
    row = pd.DataFrame({
        "visit_id": [f"V{day:%Y%m%d}-{uuid.uuid4().hex[:10]}"],
        "child_id": [child_id],
        "visited_on": [day],
        "kind": [kind],
        "recorded_by": [recorded_by or None],
        "note": [note or None],
    })
    row, problems = coerce_layer("visits", row)
    assert not problems, problems
    return row


def _check_visit(dataset: Dataset | None, child_id: str, kind: str, on) -> np.datetime64:
    """The visit's day; raises when it cannot be recorded (``dataset=None``: the child is
    checked by the caller)."""
    problems = []
    if dataset is not None:
        children = dataset["children"]
        if not (children["child_id"].astype("string") == str(child_id)).any():
            problems.append(f"no child with id {child_id!r} in the dataset")
    if kind not in VISIT_KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(VISIT_KINDS)}")
    try:
        day = _day(on)
    except ValidationError as exc:
        problems.append(str(exc))
        day = None
    if day is not None and day > np.datetime64(_dt.date.today(), "ms"):
        problems.append(f"the visit date {pd.Timestamp(day).date()} is in the future")
    if problems:
        raise ValidationError("the visit cannot be recorded: " + "; ".join(problems),
                              [(child_id, "visit", p) for p in problems])
    assert day is not None
    return day


def record_visit(
    dataset: Dataset,
    child_id: str,
    kind: str,
    on: _dt.date | str,
    recorded_by: str = "",
    note: str = "",
) -> Dataset:
    """Return a new dataset with one visit appended and the child's last dates updated.

    The caller's dataset is not changed (its frames are shared, not copied, except
    ``children`` and ``visits``). ``last_contact`` becomes the later of its value and ``on``; a
    home visit also moves ``last_home_visit``.

    Parameters
    ----------
    dataset
        The dataset.
    child_id
        The child (must exist).
    kind
        ``"contact"`` or ``"home_visit"``.
    on
        The day of the visit (not in the future).
    recorded_by
        Who recorded it (a user name, no personal data).
    note
        Free text.

    Raises
    ------
    ValidationError
        Unknown child, kind not allowed, not a date or a future date (all problems at once).
    """
    day = _check_visit(dataset, child_id, kind, on)
    row = _new_visit_row(str(child_id), kind, day, recorded_by, note)
    visits = dataset["visits"]
    visits = pd.concat([visits, row], ignore_index=True) if len(visits) else row
    children = dataset["children"].copy()
    hit = (children["child_id"].astype("string") == str(child_id)).to_numpy()
    ts = pd.Timestamp(day)
    cols = ["last_contact"] + (["last_home_visit"] if kind == "home_visit" else [])
    for col in cols:
        current = children.loc[hit, col]
        children.loc[hit, col] = current.where(current.notna() & (current >= ts), ts)
    out = dataset.replace(visits=visits, children=children)
    logger.info("visit recorded: %s %s on %s", kind, child_id, ts.date())
    return out


def store_visit(path, child_id: str, kind: str, on, recorded_by: str = "", note: str = "", *, user=None) -> pd.DataFrame:
    """Append one visit to the dataset file ``path`` and update the child's dates in the file.

    The file is changed in place under the dataset lock (one SQLite transaction), so other
    layers and the audit log are untouched; the event is written to the audit log. Use this from
    the app, where the user's view of the data may be partial (a child director's village).

    Returns
    -------
    pandas.DataFrame
        The stored visit row.

    Raises
    ------
    PermissionDenied
        ``user`` may not record visits.
    ValidationError
        As :func:`record_visit`.
    """
    from geo.field._records import append_row
    from geo.privacy.audit import audit_event

    if user is not None:
        from geo.privacy.roles import require

        require(user, "record_visit")
    day = _check_visit(None, child_id, kind, on)
    row = _new_visit_row(str(child_id), kind, day, recorded_by, note)
    cols = ["last_contact"] + (["last_home_visit"] if kind == "home_visit" else [])
    iso = pd.Timestamp(day).date().isoformat()

    def known_child(w) -> None:  # inside the write: the child cannot vanish before the commit
        if not w.ids("children", "child_id", [str(child_id)]):
            _check_visit(Dataset(), child_id, kind, on)

    append_row(path, "visits", row, check=known_child,
               then=lambda w: w.advance_dates("children", "child_id", str(child_id), cols, iso),
               audit=audit_event(user, "edit", f"visits +1 ({kind})"))
    return row
