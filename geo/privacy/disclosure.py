"""Disclosure control: what a role may receive of any table or figure, decided in one place.

Every output that leaves the engine (an app table, a map tooltip, a chart, a CLI line, a file)
asks :func:`release` what the user's role may receive of it. The table must be computed on the
*full* data of the user's scope (``geo.privacy.roles.analysis_view``), never on role-filtered
data: suppression is applied afterwards, so every role's figures agree where they are shown.

What a role receives of counts of people (:data:`COUNT_ACCESS`):

- ``exact``: as computed;
- ``suppressed``: counts below ``settings.small_count_threshold`` are hidden (*primary*
  suppression), and so are further cells (*complementary* suppression) until no hidden cell can
  be computed back by linear combination of what is shown: siblings and their parent (a
  township minus its villages), a whole minus its part (children minus children covered),
  known totals (hexagons adding up to the county). Shares, means and scores are hidden with
  the counts they come from (a share with its numerator or denominator), so ``children =
  covered / share`` gives nothing. The solver is :mod:`geo.privacy._cells`;
- ``none``: the counts are withheld (and tables whose rows exist only because people live
  there, such as hexagons of households, come back empty).

Counts of people per unit (households, children by group) are decided once per scope
(:func:`population_context`) and every table showing one of them takes that decision, so a
village hidden in one table is never shown in another. Distances to homes
(``nearest_child_m``) are given in bands (``settings.distance_bands_m``) to roles that may not
see households.

Numbers stay numbers: a hidden cell is ``NaN`` and the row's :data:`SUPPRESSED` column names
the hidden columns (``"children;covered;covered_share"``). :func:`suppressed_mask` reads it
back; :func:`display_frame` shows hidden cells as :data:`MARK` for a screen; the table writer
(:mod:`geo.privacy.tables`) leaves them empty and shaded.

A table is described by a :class:`TableSpec` in :data:`TABLES` (by output name). An output
without one is treated cautiously: every integer column named like a count of people is a
count, suppressed as one table with a known total.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from geo.privacy import _cells
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.withheld import require_full

logger = logging.getLogger(__name__)

#: the note column of a released table: the names of its hidden columns, ``;``-joined.
SUPPRESSED = "suppressed"
#: how a hidden cell is shown on screen.
MARK = "*"
#: what each role receives of counts of people per area (admin unit, hexagon), of counts near a
#: place (water site, route stop) and of distances to homes (docs/security.md prints it).
COUNT_ACCESS: dict[str, dict[str, str]] = {
    "admin": {"area": "exact", "site": "exact", "distance": "exact"},
    "leader": {"area": "suppressed", "site": "suppressed", "distance": "banded"},
    "planner": {"area": "exact", "site": "exact", "distance": "exact"},
    "safety_officer": {"area": "none", "site": "suppressed", "distance": "banded"},
    "child_director": {"area": "exact", "site": "exact", "distance": "exact"},
}
#: counts of people per unit decided once per scope, and the group each is a part of.
POPULATION = ("households", "children", "left_behind", "in_difficulty", "under_6",
              "family", "self", "guardianship")
_POPULATION_PARTS = {q: "children" for q in POPULATION[2:]}
_COUNT_NAME = re.compile(
    r"(^n_|_n$|count|child|household|left_behind|difficulty|under_|exposed|reached|people|pop"
    r"|covered|within_)",
    re.I,
)


@dataclass(frozen=True)
class TableSpec:
    """How a table's cells hang together (what a reader could combine).

    Attributes
    ----------
    kind
        ``"area"`` (counts of people per admin unit or cell) or ``"site"`` (counts near a place).
    unit
        Column of admin codes: rows nest by code prefix and a parent is the sum of its children.
    keys
        Columns splitting the table into separate hierarchies (``station_level``).
    counts
        Additive counts of people or households.
    population
        Count column -> the :data:`POPULATION` quantity it equals (decided once per scope).
    parts
        Part -> whole (``covered`` -> ``children``): the whole minus the part is protected too.
    ratios
        Derived column -> (numerator, denominator): hidden when either is.
    follows
        Derived column (a score, a mean, a label) -> the counts it is hidden with.
    total
        The rows of each ``keys`` group add up to a total the reader knows.
    distances
        Distances to homes, in metres: banded for roles that may not see households.
    coarse
        Column -> significant digits kept for roles with banded distances (a weighted sum that
        could be inverted to a distance).
    rows_reveal
        Each row exists because people live there: no rows at all where counts are withheld.
    reorder
        ``reorder(frame, hidden_rows)``: re-rank after suppression (a rank computed from hidden
        figures would reveal them).
    """

    kind: str = "area"
    unit: str | None = None
    keys: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    population: Mapping[str, str] = field(default_factory=dict)
    parts: Mapping[str, str] = field(default_factory=dict)
    ratios: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    follows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    total: bool = False
    distances: tuple[str, ...] = ()
    coarse: Mapping[str, int] = field(default_factory=dict)
    rows_reveal: bool = False
    reorder: Callable[[pd.DataFrame, np.ndarray], pd.DataFrame] | None = None


def _rerank_gaps(frame: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    """Rank gap areas by what is shown: hidden ones last, in a neutral order, ids renumbered."""
    out = frame.assign(_hidden=hidden)
    order = ["station_level", "_hidden", "vulnerability", "children", "village_code"]
    asc = [True, True, False, False, True]
    out = out.sort_values(order, ascending=asc, kind="stable", na_position="last")
    out["rank"] = out.groupby("station_level").cumcount() + 1
    shown_rank = out["rank"].astype("Float64").where(~out["_hidden"])
    out["gap_id"] = (out["station_level"].astype(str) + "-"
                     + np.where(out["_hidden"], "s", "") + out["rank"].astype(str)).astype("string")
    out["rank"] = shown_rank
    return out.drop(columns="_hidden").reset_index(drop=True)


_GROUPS = ("left_behind", "difficulty", "family", "self", "guardianship")
_COUNTS = ("households", "children", "left_behind", "in_difficulty", "under_6")
#: the tables of the platform, by output name (a dotted name ``water.water_sites`` uses its tail).
TABLES: dict[str, TableSpec] = {
    "area_counts": TableSpec(
        unit="code", counts=_COUNTS, population={c: c for c in _COUNTS},
        parts={c: "children" for c in _COUNTS[2:]}),
    "hex_counts": TableSpec(
        counts=_COUNTS, parts={c: "children" for c in _COUNTS[2:]}, total=True, rows_reveal=True),
    "coverage_by_unit": TableSpec(
        unit="code", keys=("station_level",),
        counts=("children", "covered", *[f"{g}_{k}" for g in _GROUPS for k in ("children", "covered")]),
        population={"children": "children", "left_behind_children": "left_behind",
                    "difficulty_children": "in_difficulty", "family_children": "family",
                    "self_children": "self", "guardianship_children": "guardianship"},
        parts={"covered": "children", **{f"{g}_covered": f"{g}_children" for g in _GROUPS},
               **{f"{g}_children": "children" for g in _GROUPS}},
        ratios={"covered_share": ("covered", "children"),
                **{f"{g}_share": (f"{g}_covered", f"{g}_children") for g in _GROUPS}}),
    "coverage_summary": TableSpec(
        keys=("station_level",), counts=("children", "covered"), parts={"covered": "children"},
        ratios={"covered_share": ("covered", "children")}),
    "gap_areas": TableSpec(
        keys=("station_level",), counts=("children", "left_behind", "difficulty"),
        parts={"left_behind": "children", "difficulty": "children"},
        follows={"vulnerability": ("children", "left_behind", "difficulty")},
        total=True, rows_reveal=True, reorder=_rerank_gaps),
    "water_sites": TableSpec(
        kind="site", counts=("children_100m", "children_500m"),
        parts={"children_100m": "children_500m"}, distances=("nearest_child_m",),
        coarse={"exposure": 1, "risk": 2}),
    "risk_hexagons": TableSpec(kind="site", counts=("children_100m",), total=True),
    "water_site_children": TableSpec(
        kind="site", keys=(), counts=("within_100m", "within_500m", "within_reach"),
        parts={"within_100m": "within_500m", "within_500m": "within_reach"},
        follows={"share_of_exposure": ("within_reach",)}, total=True),
    "proposed_stations": TableSpec(kind="site", counts=("children_newly_covered",), total=True),
    "proposed_kits": TableSpec(kind="site", counts=("children_100m", "children_500m"),
                               parts={"children_100m": "children_500m"}),
    "patrol_stops": TableSpec(kind="site", counts=("children_100m", "children_500m"),
                              parts={"children_100m": "children_500m"},
                              distances=("nearest_child_m",), coarse={"exposure": 1, "risk": 2}),
    "staffing": TableSpec(unit="village_code", counts=("children_in_scope",), total=True,
                          follows={"directors_needed": ("children_in_scope",),
                                   "shortfall": ("children_in_scope",)}),
}


def spec_for(name: str, frame: pd.DataFrame) -> TableSpec:
    """The :class:`TableSpec` of the output ``name`` (its last dotted part), else a cautious one."""
    for key in (name, name.rsplit(".", 1)[-1]):
        if key in TABLES:
            return TABLES[key]
    counts = tuple(_count_columns(frame))
    unit = next((c for c in ("code", "village_code") if c in frame.columns), None)
    return TableSpec(kind="area", unit=unit, counts=counts, total=True)


def _count_columns(frame: pd.DataFrame) -> list[str]:
    """Integer-valued columns named like counts of people or households."""
    cols = []
    geometry = getattr(frame, "_geometry_column_name", None)
    for col in frame.columns:
        if col in (geometry, SUPPRESSED) or not isinstance(col, str):
            continue
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            continue
        values = pd.to_numeric(series, errors="coerce").dropna()
        if bool((values % 1 == 0).all()) and _COUNT_NAME.search(col):
            cols.append(col)
    return cols


def access_of(role: str, kind: str) -> str:
    """What ``role`` receives of counts of ``kind`` (``area``/``site``) or ``distance``."""
    return COUNT_ACCESS.get(role, COUNT_ACCESS["leader"])[kind]


# --- the population of a scope ---------------------------------------------------------------


def child_group_counts(dataset: Dataset) -> pd.DataFrame:
    """Per household: its children by group (``children`` and the groups of :data:`POPULATION`).

    Indexed by ``household_id``; households without children are absent.
    """
    ch = dataset["children"]
    year = int(str((dataset.settings or {}).get("reference_date") or date.today().year)[:4])
    diff = ch["difficulty"].astype("string").fillna("").str.replace(" ", "")
    padded = ";" + diff + ";"
    frame = pd.DataFrame({
        "household_id": ch["household_id"].astype("string"),
        "children": 1,
        "left_behind": ch["left_behind"].fillna(False).astype(bool).astype(int),
        "in_difficulty": diff.ne("").astype(int),
        "under_6": ((year - pd.to_numeric(ch["birth_year"], errors="coerce")) < 6)
        .fillna(False).astype(int),
        **{c: padded.str.contains(f";{c};", regex=False).fillna(False).astype(int)
           for c in ("family", "self", "guardianship")},
    })
    return frame.groupby("household_id", sort=False)[list(POPULATION[1:])].sum()


def population_table(dataset: Dataset) -> pd.DataFrame:
    """Households and children by group per unit (every admin unit and every village code).

    A unit's counts are those of the households whose village code starts with its code.
    Columns ``code`` and :data:`POPULATION` (int64).
    """
    require_full(dataset, "households", "children", task="population counts")
    hh = dataset["households"]
    groups = child_group_counts(dataset)
    per_hh = groups.reindex(hh["household_id"].astype("string")).fillna(0).astype(np.int64)
    per_hh.index = hh["village_code"].astype("string").fillna("").to_numpy()
    per_hh.insert(0, "households", 1)
    per_village = per_hh.groupby(level=0).sum()
    codes = set(dataset["admin_units"]["code"].astype(str))
    for v in per_village.index.astype(str):
        if v:
            codes.update({v, v[:9], v[:6]} if len(v) == 12 else {v})
    rows = []
    villages = per_village.index.astype(str)
    for code in sorted(codes):
        mask = villages.str.startswith(code)
        sums = per_village[mask].sum() if mask.any() else pd.Series(0, index=per_village.columns)
        rows.append({"code": code, **{q: int(sums.get(q, 0)) for q in POPULATION}})
    out = pd.DataFrame(rows, columns=["code", *POPULATION])
    out["code"] = out["code"].astype("string")
    return out


@dataclass(frozen=True)
class PopulationContext:
    """The population cells of one scope: their values and which of them are hidden."""

    values: Mapping[tuple[str, str], float]
    hidden: frozenset[tuple[str, str]]
    threshold: float

    def knows(self, unit: str, quantity: str) -> bool:
        """Whether the context decided the cell (``unit``, ``quantity``)."""
        return (unit, quantity) in self.values


_POPULATION_SPEC = TableSpec(unit="code", counts=POPULATION, population={q: q for q in POPULATION},
                             parts=_POPULATION_PARTS)


def population_context(dataset: Dataset, *, threshold: float | None = None) -> PopulationContext:
    """Decide once which population counts of ``dataset`` (a scope's full data) are hidden.

    Kept with the dataset (``Dataset.cached``), so each table released from it takes the same
    decision.
    """
    k = float(settings.small_count_threshold if threshold is None else threshold)

    def build() -> PopulationContext:
        table = population_table(dataset)
        hidden, cells = _solve(table, _POPULATION_SPEC, None, k)
        values = {(str(u), q): float(v) for (u, q), v in cells.items()}
        keys = frozenset((str(table["code"].iloc[i]), c) for (i, c) in hidden)
        return PopulationContext(values, keys, k)

    return dataset.cached(("disclosure.population", k), build)


# --- building and solving a table's cell system -----------------------------------------------


def _parents(codes: list[str]) -> list[int | None]:
    """For each code, the position of its nearest ancestor among ``codes`` (by prefix)."""
    where = {c: i for i, c in enumerate(codes)}
    out: list[int | None] = []
    for c in codes:
        parent = None
        if c.isdigit():
            for n in (9, 6, 4, 2):
                if n < len(c) and c[:n] in where:
                    parent = where[c[:n]]
                    break
        out.append(parent)
    return out


def _number(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _build(frame: pd.DataFrame, spec: TableSpec, ctx: PopulationContext | None, k: float
           ) -> tuple[_cells.CellSystem, dict[tuple[int, str], int], dict[tuple[str, str], float]]:
    """The cell system of ``frame``: cells by ``(row position, column)``, population values."""
    ids: dict[tuple, int] = {}
    values: list[float] = []
    state: list[int] = []
    cost: list[float] = []
    cell: dict[tuple[int, str], int] = {}
    pop_values: dict[tuple[str, str], float] = {}
    units = [str(u) for u in frame[spec.unit].astype("string").fillna("")] if spec.unit else None
    groups = [tuple(frame[c].iloc[i] for c in spec.keys) for i in range(len(frame))] if spec.keys \
        else [()] * len(frame)
    depth = [(12 - len(u)) / 3 for u in units] if units else [0.0] * len(frame)

    def var(key: tuple, value: float, st: int, c: float) -> int:
        if key not in ids:
            ids[key] = len(values)
            values.append(value)
            state.append(st)
            cost.append(c)
        return ids[key]

    for col in spec.counts:
        if col not in frame.columns:
            continue
        series = frame[col].to_numpy(dtype=object)
        quantity = spec.population.get(col) if units is not None else None
        for i in range(len(frame)):
            v = _number(series[i])
            if v is None:
                continue
            c = (v if v > 0 else 1e6) + 1e4 * depth[i]
            if quantity is None:
                cell[(i, col)] = var(("cell", units[i] if units else i, groups[i], col), v,
                                     _cells.CANDIDATE, c)
                continue
            unit = units[i]  # type: ignore[index]
            pop_values[(unit, quantity)] = v
            st = _cells.CANDIDATE
            if ctx is not None and ctx.knows(unit, quantity):
                st = (_cells.FIXED_SUPPRESSED if (unit, quantity) in ctx.hidden
                      else _cells.FIXED_RELEASED)
            cell[(i, col)] = var(("pop", unit, quantity), v, st, c)
    equations: list[tuple[int, list[int]]] = []
    seen: set[tuple] = set()
    parents_all = _parents(units) if units is not None else [None] * len(frame)
    if units is not None:
        by_group: dict[tuple, list[int]] = {}
        for i, g in enumerate(groups):
            by_group.setdefault(g, []).append(i)
        for rows in by_group.values():
            parents = _parents([units[i] for i in rows])
            kids: dict[int, list[int]] = {}
            for pos, parent in enumerate(parents):
                if parent is not None:
                    kids.setdefault(rows[parent], []).append(rows[pos])
            for col in spec.counts:
                for parent_row, child_rows in kids.items():
                    if (parent_row, col) not in cell:
                        continue
                    kid_cells = tuple(sorted(cell[(r, col)] for r in child_rows if (r, col) in cell))
                    eq = (cell[(parent_row, col)], kid_cells)
                    if kid_cells and eq not in seen:
                        seen.add(eq)
                        equations.append((eq[0], list(kid_cells)))
    if spec.total:
        tops: dict[tuple, list[int]] = {}
        for i, g in enumerate(groups):
            if parents_all[i] is None:
                tops.setdefault(g, []).append(i)
        for g, rows in tops.items():
            for col in spec.counts:
                parts = sorted({cell[(r, col)] for r in rows if (r, col) in cell})
                if parts:
                    total = var(("total", g, col), float(sum(values[p] for p in parts)),
                                _cells.FIXED_RELEASED, 0.0)
                    equations.append((total, parts))
    system = _cells.CellSystem(np.array(values, dtype=float), np.array(state, dtype=np.int8),
                               np.array(cost, dtype=float))
    for total, parts in equations:
        system.add_equation(total, parts)
    for j, v in enumerate(values):
        if 0 < v < k and state[j] == _cells.CANDIDATE:
            system.add_target([j], [1.0])
    for (i, col), j in cell.items():
        whole = spec.parts.get(col)
        if whole is None or (i, whole) not in cell:
            continue
        w = cell[(i, whole)]
        if state[j] != _cells.CANDIDATE and state[w] != _cells.CANDIDATE:
            continue
        if 0 < values[w] - values[j] < k:
            system.add_target([w, j], [1.0, -1.0])
    return system, cell, pop_values


def _solve(frame: pd.DataFrame, spec: TableSpec, ctx: PopulationContext | None, k: float
           ) -> tuple[set[tuple[int, str]], dict[tuple[str, str], float]]:
    """Hidden ``(row position, column)`` cells of ``frame``; and its population cell values."""
    system, cell, pop_values = _build(frame, spec, ctx, k)
    hidden_vars = _cells.protect(system, threshold=k) if len(system.values) else np.zeros(0, bool)
    return {key for key, j in cell.items() if hidden_vars[j]}, pop_values


# --- releasing a table -----------------------------------------------------------------------


def band(values: pd.Series, edges: Iterable[float] | None = None) -> pd.Series:
    """Round distances (metres) up to the next band edge (``settings.distance_bands_m``).

    A distance beyond the last edge is rounded up to a whole kilometre. Missing stays missing.
    """
    edges = np.asarray(sorted(settings.distance_bands_m if edges is None else edges), dtype=float)
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    pos = np.searchsorted(edges, v, side="left")
    beyond = np.ceil(v / 1000.0) * 1000.0
    out = np.where(pos < len(edges), edges[np.clip(pos, 0, len(edges) - 1)], beyond)
    return pd.Series(np.where(np.isnan(v), np.nan, out), index=values.index, name=values.name)


def _significant(values: pd.Series, digits: int) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(v != 0, np.floor(np.log10(np.abs(v))), 0)
    scale = 10.0 ** (digits - 1 - mag)
    out = np.where(np.isfinite(v), np.round(v * scale) / scale, v)
    return pd.Series(out, index=values.index, name=values.name)


def release(user, name: str, frame: pd.DataFrame, *,
            context: PopulationContext | Dataset | None = None,
            spec: TableSpec | None = None) -> pd.DataFrame:
    """Return what ``user`` may receive of the table ``frame`` (the output named ``name``).

    Parameters
    ----------
    user
        The :class:`geo.privacy.roles.User` (or any object with a ``role``) who receives it.
    name
        The output's name (a key of :data:`TABLES`; unknown names get a cautious default).
    frame
        The table as computed on the full data of the user's scope.
    context
        The scope's :func:`population_context` (or the scope's dataset, to build it): counts of
        people per unit then take the scope's one decision. Without it, each table decides
        alone.
    spec
        How the table's cells hang together, for an output :data:`TABLES` does not know.

    Returns
    -------
    pandas.DataFrame
        A copy: hidden cells ``NaN`` in float columns (``<NA>`` in text ones), the
        :data:`SUPPRESSED` column naming them per row (present whenever counts were
        suppressed or withheld), distances banded; the rows re-ranked where the spec says so.
    """
    role = getattr(user, "role", user)
    spec = spec or spec_for(name, frame)
    out = frame.copy()
    if isinstance(context, Dataset):
        context = population_context(context)
    if access_of(role, "distance") == "banded":
        for col in spec.distances:
            if col in out.columns:
                out[col] = band(out[col])
        for col, digits in spec.coarse.items():
            if col in out.columns:
                out[col] = _significant(out[col], digits)
    access = access_of(role, spec.kind)
    counts = [c for c in spec.counts if c in out.columns]
    if access == "exact" or not counts:
        return out
    if access == "none" and spec.rows_reveal:
        return _with_note(out.iloc[0:0], [])
    derived = [c for c in (*spec.ratios, *spec.follows) if c in out.columns]
    position = out.reset_index(drop=True)
    if access == "none":
        hidden = {(i, c) for i in range(len(out)) for c in counts}
    else:
        k = float(settings.small_count_threshold if context is None else context.threshold)
        hidden, _ = _solve(position, spec, context, k)
    hidden = _derived(position, spec, hidden, derived)
    cols = [*counts, *derived]
    mask = np.zeros((len(out), len(cols)), dtype=bool)
    where = {c: j for j, c in enumerate(cols)}
    for i, c in hidden:
        if c in where:
            mask[i, where[c]] = True
    for j, c in enumerate(cols):
        if mask[:, j].any():
            out[c] = _blank(out[c], mask[:, j])
    notes = [";".join(c for j, c in enumerate(cols) if mask[i, j]) for i in range(len(out))]
    out = _with_note(out, notes)
    if spec.reorder is not None and len(out):
        out = spec.reorder(out, np.asarray(mask.any(axis=1), dtype=bool))
    n = int(mask.sum())
    if n:
        logger.info("release %s for %s: %d cell(s) hidden", name, role, n)
    return out


def _derived(frame: pd.DataFrame, spec: TableSpec, hidden: set[tuple[int, str]],
             derived: list[str]) -> set[tuple[int, str]]:
    out = set(hidden)
    for col in derived:
        sources = spec.ratios.get(col) or spec.follows.get(col) or ()
        for i in range(len(frame)):
            if any((i, s) in hidden for s in sources):
                out.add((i, col))
    return out


def _blank(series: pd.Series, mask: np.ndarray) -> pd.Series:
    """``series`` with the cells of ``mask`` missing, numbers kept numeric."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return series.astype("string").mask(mask)
    return pd.to_numeric(series, errors="coerce").astype(float).mask(mask)


def _with_note(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    out = frame.copy()
    note = pd.Series(notes, index=out.index, dtype="string")
    if SUPPRESSED in out.columns:
        old = out[SUPPRESSED].astype("string").fillna("")
        note = (old + ";" + note).str.strip(";")
    out[SUPPRESSED] = note
    return out


# --- reading a released table -----------------------------------------------------------------


def suppressed_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean frame (same index and columns as ``frame``): True where a cell is hidden."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if SUPPRESSED not in frame.columns:
        return mask
    for idx, note in frame[SUPPRESSED].astype("string").fillna("").items():
        for col in filter(None, str(note).split(";")):
            if col in mask.columns:
                mask.loc[idx, col] = True
    return mask


def is_hidden(frame: pd.DataFrame, column: str) -> pd.Series:
    """Boolean Series: the rows of ``frame`` whose ``column`` is hidden."""
    return suppressed_mask(frame)[column] if column in frame.columns else pd.Series(
        False, index=frame.index)


def display_frame(frame: pd.DataFrame, *, mark: str = MARK) -> pd.DataFrame:
    """A copy for a screen: hidden cells read ``mark``, the note column dropped.

    A column with a hidden cell becomes text (numbers formatted, ``1,234``, ``0.1468``); the
    others are unchanged. For display only (``st.dataframe``, tooltips); compute and write
    files from the released frame.
    """
    mask = suppressed_mask(frame)
    out = frame.drop(columns=[SUPPRESSED], errors="ignore").copy()
    for col in out.columns:
        if col in mask.columns and mask[col].any():  # a text column: a screen shows it as is
            text = pd.Series([_screen_text(v) for v in out[col]], index=out.index, dtype="string")
            out[col] = text.where(~mask[col].to_numpy(), mark)
    return out


def _screen_text(value) -> str:
    v = _number(value)
    if v is None:
        return "" if value is None or value is pd.NA or _is_nan(value) else str(value)
    return f"{int(v):,}" if float(v).is_integer() else f"{v:.4g}"


def _is_nan(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def rollup(frame: pd.DataFrame, by: list[str], columns: list[str], *,
           ratios: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Sum released ``columns`` per ``by`` group; a sum with a hidden cell is hidden too.

    A figure computed here comes only from shown cells, so it reveals nothing new (the way a
    headline total or a tooltip must be computed). ``ratios`` are recomputed from the sums.
    """
    mask = suppressed_mask(frame)
    work = frame[by].copy()
    for c in columns:
        work[c] = pd.to_numeric(frame[c], errors="coerce")
        work[f"_h_{c}"] = mask[c] if c in mask.columns else False
    grouped = work.groupby(by, sort=False, dropna=False)
    out = grouped[columns].sum(min_count=1).reset_index()
    flags = grouped[[f"_h_{c}" for c in columns]].any().reset_index(drop=True)
    notes: list[list[str]] = [[] for _ in range(len(out))]
    for c in columns:
        h = flags[f"_h_{c}"].to_numpy(bool)
        out.loc[h, c] = np.nan
        for i in np.flatnonzero(h):
            notes[i].append(c)
    for col, (num, den) in (ratios or {}).items():
        d = out[den].where(out[den] > 0)
        out[col] = out[num] / d
        for i in np.flatnonzero(out[num].isna().to_numpy() | out[den].isna().to_numpy()):
            if num in notes[i] or den in notes[i]:
                notes[i].append(col)
    out[SUPPRESSED] = pd.array([";".join(n) for n in notes], dtype="string")
    return out


def scope_totals(frame: pd.DataFrame, *, unit: str = "code", by: tuple[str, ...] = ("station_level",),
                 columns: tuple[str, ...] = ("children", "covered"),
                 ratios: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """The scope's headline figures from a released unit table: its top rows summed per ``by``.

    The top rows are those with the shortest ``unit`` code (the county, or the counties of a
    province scope). Defaults suit ``coverage_by_unit`` (``covered_share`` recomputed).
    """
    ratios = {"covered_share": ("covered", "children")} if ratios is None else ratios
    if not len(frame):
        return pd.DataFrame({**{c: [] for c in (*by, *columns, *ratios)}, SUPPRESSED: []})
    length = frame[unit].astype("string").str.len()
    return rollup(frame[(length == length.min()).to_numpy()], list(by), list(columns), ratios=ratios)


def figure(frame: pd.DataFrame, column: str) -> float:
    """The total of ``column`` over ``frame``'s rows: ``NaN`` when any of them is hidden."""
    if is_hidden(frame, column).any():
        return float("nan")
    return float(pd.to_numeric(frame[column], errors="coerce").sum())


def recoverable_cells(name: str, full: pd.DataFrame, released: pd.DataFrame, *,
                      context: PopulationContext | None = None) -> list[tuple[int, str]]:
    """Hidden cells of ``released`` that linear combinations of its shown cells determine.

    The audit behind the property tests: builds the cell system of ``full`` (the table before
    release, same rows in the same order), takes the hidden cells from ``released``'s note
    column (and the context's hidden population cells) and returns, as ``(row, column)``,
    each small count or small difference that can be computed back. Empty when safe.
    """
    spec = spec_for(name, full)
    frame = full.reset_index(drop=True)
    k = float(settings.small_count_threshold if context is None else context.threshold)
    mask = suppressed_mask(released.reset_index(drop=True))
    system, cell, _ = _build(frame, spec, context, k)
    shown = np.zeros(len(system.values), dtype=bool)
    for (i, col), j in cell.items():  # a cell is known if any row shows it
        if not (col in mask.columns and bool(mask.iloc[i][col])):
            shown[j] = True
    hidden = ~shown & (system.state != _cells.FIXED_RELEASED)
    hidden |= system.state == _cells.FIXED_SUPPRESSED
    back = {j: key for key, j in cell.items()}
    return [back.get(int(system.targets[t][0][0]), (-1, "?"))
            for t in _cells.recoverable(system, hidden)]
