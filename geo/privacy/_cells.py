"""Cell suppression on a system of linear equations (the solver behind :mod:`geo.privacy.disclosure`).

A released table is a set of *cells* (non-negative counts) tied by equations its reader knows
(a township is the sum of its villages; hexagons add up to a known total). Some linear forms of
the cells must stay hidden (*targets*): a small count, or a small difference such as "children
minus children covered". :func:`protect` returns the cells to suppress so that

1. no target is determined by linear combination of the released cells and the equations (the
   target, restricted to the suppressed cells, is not in the row space of the equations
   restricted to them: it is orthogonal to no null-space vector; tested with an SVD per
   connected group of suppressed cells), and
2. in every equation whose total is released, the suppressed parts add up to at least the
   threshold (so a suppressed count is not pinned to a narrow interval either).

Complementary cells are added greedily, cheapest first (small non-zero counts of the lowest
level), until both hold: the classical cell-suppression heuristic (Cox 1980; Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, ch. 4), audited exactly for linear recovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: states of a cell
CANDIDATE, FIXED_SUPPRESSED, FIXED_RELEASED = 0, 1, 2
_TOL = 1e-9


@dataclass
class CellSystem:
    """Cells, their equations and the forms to hide.

    ``equations`` are ``(indices, coefficients)`` with ``sum(coef * x[idx]) == 0``; the first
    index of an equation is its total (coefficient +1), the others its parts. ``targets`` are
    linear forms ``(indices, coefficients)`` that must not be determined.
    """

    values: np.ndarray
    state: np.ndarray
    cost: np.ndarray
    equations: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    targets: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def add_equation(self, total: int, parts: list[int]) -> None:
        """Add ``x[total] == sum(x[parts])`` (ignored when it has no parts)."""
        if not parts:
            return
        idx = np.array([total, *parts], dtype=np.int64)
        coef = np.array([1.0] + [-1.0] * len(parts))
        self.equations.append((idx, coef))

    def add_target(self, idx: list[int], coef: list[float]) -> None:
        """Add a linear form that must stay hidden."""
        self.targets.append((np.asarray(idx, dtype=np.int64), np.asarray(coef, dtype=float)))


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """Rows spanning the null space of ``matrix`` (an orthonormal basis)."""
    rows, cols = matrix.shape
    if rows == 0:
        return np.eye(cols)
    _, sv, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((sv > _TOL * max(1.0, sv[0] if len(sv) else 1.0)).sum())
    return vt[rank:]


class _Audit:
    """Which targets the suppressed set ``S`` leaves determined."""

    def __init__(self, system: CellSystem, suppressed: np.ndarray):
        self.s = suppressed
        n = len(system.values)
        # equations restricted to S, grouped into connected components of S cells
        parent = np.arange(n)

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        self.rows: list[tuple[np.ndarray, np.ndarray]] = []
        for idx, coef in system.equations:
            keep = suppressed[idx]
            if not keep.any():
                continue
            sidx, scoef = idx[keep], coef[keep]
            self.rows.append((sidx, scoef))
            root = find(int(sidx[0]))
            for j in sidx[1:]:
                other = find(int(j))
                if other != root:
                    parent[other] = root
        cells = np.flatnonzero(suppressed)
        comp = np.array([find(int(c)) for c in cells], dtype=np.int64)
        self.position = {int(c): i for i, c in enumerate(cells)}
        self.component = {int(c): int(k) for c, k in zip(cells, comp, strict=True)}
        self._null: dict[int, tuple[dict[int, int], np.ndarray]] = {}
        members: dict[int, list[int]] = {}
        for c, k in zip(cells, comp, strict=True):
            members.setdefault(int(k), []).append(int(c))
        rows_of: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for sidx, scoef in self.rows:
            rows_of.setdefault(self.component[int(sidx[0])], []).append((sidx, scoef))
        for k, cells_k in members.items():
            local = {c: i for i, c in enumerate(cells_k)}
            eqs = rows_of.get(k, [])
            mat = np.zeros((len(eqs), len(cells_k)))
            for r, (sidx, scoef) in enumerate(eqs):
                for j, a in zip(sidx, scoef, strict=True):
                    mat[r, local[int(j)]] += a
            self._null[k] = (local, _null_space(mat))

    def determined(self, idx: np.ndarray, coef: np.ndarray) -> bool:
        """Whether the form is known: no suppressed cell in it, or in the row space."""
        keep = self.s[idx]
        if not keep.any():
            return True
        parts: dict[int, dict[int, float]] = {}
        for j, a in zip(idx[keep], coef[keep], strict=True):
            k = self.component[int(j)]
            parts.setdefault(k, {})
            parts[k][int(j)] = parts[k].get(int(j), 0.0) + float(a)
        for k, form in parts.items():
            local, null = self._null[k]
            if not null.shape[0]:
                continue
            vec = np.zeros(len(local))
            for j, a in form.items():
                vec[local[j]] = a
            if np.abs(null @ vec).max() > 1e-7:
                return False
        return True


def _cheapest(system: CellSystem, suppressed: np.ndarray, cells: np.ndarray) -> int | None:
    """The candidate among ``cells`` that is cheapest to suppress, or None."""
    cells = np.unique(cells)
    free = cells[(system.state[cells] == CANDIDATE) & ~suppressed[cells]]
    if not len(free):
        return None
    return int(free[np.argmin(system.cost[free])])


def _equations_of(system: CellSystem) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for e, (idx, _) in enumerate(system.equations):
        for j in idx:
            out.setdefault(int(j), []).append(e)
    return out


def protect(system: CellSystem, *, threshold: float, max_rounds: int = 200) -> np.ndarray:
    """Return the boolean mask of cells to suppress (see the module docstring).

    Unit targets on candidate cells are suppressed first (primary suppression); fixed cells
    keep their state.
    """
    n = len(system.values)
    s = system.state == FIXED_SUPPRESSED
    for idx, _coef in system.targets:
        if len(idx) == 1 and system.state[idx[0]] == CANDIDATE:
            s[idx[0]] = True
    eq_of = _equations_of(system)
    for _ in range(max_rounds):
        audit = _Audit(system, s)
        add: set[int] = set()
        for idx, coef in system.targets:
            if not audit.determined(idx, coef):
                continue
            # hide a cell of the form itself, else a neighbour in the equations that pin it
            pick = _cheapest(system, s, idx) if not s[idx].any() else _widen(system, s, idx, eq_of)
            if pick is not None:
                add.add(pick)
        for idx, _ in system.equations:
            total, parts = int(idx[0]), idx[1:]
            hidden = parts[s[parts]]
            if s[total] or not len(hidden):
                continue
            if system.values[hidden].sum() < threshold or len(hidden) == 1:
                pick = _cheapest(system, s, parts)
                if pick is None:
                    pick = _cheapest(system, s, np.array([total]))
                if pick is not None:
                    add.add(pick)
        if not add:
            return s
        s[list(add)] = True
    return s | (system.state == CANDIDATE) if n else s


def _widen(system: CellSystem, s: np.ndarray, idx: np.ndarray,
           eq_of: dict[int, list[int]]) -> int | None:
    """A candidate in the equations around the suppressed cells of a determined form."""
    frontier = [int(j) for j in idx[s[idx]]] or [int(j) for j in idx]
    seen_eq: set[int] = set()
    for _ in range(6):  # rings of equations outwards
        cells: list[int] = []
        for j in frontier:
            for e in eq_of.get(j, []):
                if e not in seen_eq:
                    seen_eq.add(e)
                    cells.extend(int(c) for c in system.equations[e][0])
        if not cells:
            return None
        pick = _cheapest(system, s, np.array(cells))
        if pick is not None:
            return pick
        frontier = [c for c in cells if s[c]]
    return None


def recoverable(system: CellSystem, suppressed: np.ndarray) -> list[int]:
    """Indices of targets that ``suppressed`` leaves determined (empty when protected)."""
    audit = _Audit(system, suppressed)
    return [i for i, (idx, coef) in enumerate(system.targets) if audit.determined(idx, coef)]
