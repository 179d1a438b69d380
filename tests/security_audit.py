"""An attacker's audit, written apart from the engine: what can be computed back from released tables.

The tables a leader receives are read as an attacker would: every shown number is known; a
share shown next to its numerator or denominator gives the other; a unit's count is the sum of
its sub-units' (codes nest by prefix). A hidden small count (1 to threshold-1), or a small
difference (children minus covered, children minus left-behind), is *recovered* when that
linear system determines it. The test does not reuse the engine's solver.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

#: coverage column -> the population quantity it equals (area_counts column)
POPULATION_OF = {"children": "children", "left_behind_children": "left_behind",
                 "difficulty_children": "in_difficulty", "family_children": "family",
                 "self_children": "self", "guardianship_children": "guardianship"}
GROUPS = ("left_behind", "difficulty", "family", "self", "guardianship")


def _hidden(frame: pd.DataFrame) -> pd.DataFrame:
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if "suppressed" in frame:
        for i, note in frame["suppressed"].fillna("").items():
            for c in filter(None, str(note).split(";")):
                mask.loc[i, c] = True
    return mask


class Attack:
    """Cells (by identity), what is shown of them, and the sums that tie them."""

    def __init__(self) -> None:
        self.value: dict[tuple, float] = {}
        self.known: set[tuple] = set()
        self.ratios: list[tuple[tuple, tuple, bool]] = []  # (num, den, share shown)
        self.families: dict[tuple, dict[str, tuple]] = {}  # (table key) -> code -> cell

    def cell(self, ident: tuple, value: float, shown: bool, family: tuple, code: str) -> None:
        if ident in self.value:
            assert self.value[ident] == value, f"{ident}: two tables disagree"
        self.value[ident] = value
        if shown:
            self.known.add(ident)
        self.families.setdefault(family, {})[code] = ident

    def add_area_counts(self, table: pd.DataFrame, full: pd.DataFrame) -> None:
        hid = _hidden(table.set_index("code"))
        full = full.set_index("code")
        for code, row in full.iterrows():
            for q in ("households", "children", "left_behind", "in_difficulty", "under_6"):
                self.cell(("pop", code, q), float(row[q]), not hid.loc[code, q], ("pop", q), code)

    def add_coverage(self, table: pd.DataFrame, full: pd.DataFrame) -> None:
        key = ["code", "station_level"]
        hid = _hidden(table.set_index(key))
        full = full.set_index(key)
        for (code, level), row in full.iterrows():
            h = hid.loc[(code, level)]
            for col, q in POPULATION_OF.items():
                self.cell(("pop", code, q), float(row[col]), not h[col], ("pop", q), code)
            for g in ("", *[f"{g}_" for g in GROUPS]):
                cov = ("cov", code, level, f"{g}covered")
                self.cell(cov, float(row[f"{g}covered"]), not h[f"{g}covered"],
                          ("cov", level, f"{g}covered"), code)
                den = ("pop", code, POPULATION_OF[f"{g}children" if g else "children"])
                share = f"{g}share" if g else "covered_share"
                if not pd.isna(row[share]):
                    self.ratios.append((cov, den, not h[share]))

    def derive(self) -> None:
        """Close the known set under shown shares (num = share * den, den = num / share)."""
        changed = True
        while changed:
            changed = False
            for num, den, shown in self.ratios:
                if not shown:
                    continue
                if den in self.known and num not in self.known:
                    self.known.add(num)
                    changed = True
                if num in self.known and den not in self.known and self.value[num] > 0:
                    self.known.add(den)
                    changed = True

    def equations(self) -> list[dict[tuple, float]]:
        out = []
        for cells in self.families.values():
            codes = sorted(cells)
            for code in codes:
                kids = [c for c in codes if c != code and c.startswith(code)
                        and not any(o != code and o != c and c.startswith(o) and o.startswith(code)
                                    for o in codes)]
                if kids:
                    eq = {cells[code]: 1.0}
                    for k in kids:
                        eq[cells[k]] = eq.get(cells[k], 0.0) - 1.0
                    total = sum(self.value[c] * a for c, a in eq.items())
                    assert abs(total) < 1e-9, f"sum of {code} does not hold: the audit is wrong"
                    out.append(eq)
        return out

    def targets(self, threshold: float, pairs: Iterable[tuple[tuple, tuple]]) -> list[dict]:
        out = []
        for ident, v in self.value.items():
            if 0 < v < threshold and ident not in self.known:
                out.append({ident: 1.0})
        for whole, part in pairs:
            if whole in self.value and part in self.value:
                d = self.value[whole] - self.value[part]
                if 0 < d < threshold:  # (both shown: recovered outright)
                    out.append({whole: 1.0, part: -1.0})
        return out

    def recovered(self, threshold: float) -> list[dict]:
        """The small hidden figures a linear combination of what is shown determines."""
        self.derive()
        pairs = []
        for ident in self.value:
            if ident[0] == "pop" and ident[2] not in ("children", "households"):
                pairs.append((("pop", ident[1], "children"), ident))
            if ident[0] == "cov":
                g = ident[3][: -len("covered")]
                q = POPULATION_OF[f"{g}children" if g else "children"]
                pairs.append((("pop", ident[1], q), ident))
        unknown = sorted(set(self.value) - self.known)
        pos = {u: i for i, u in enumerate(unknown)}
        rows = []
        for eq in self.equations():
            r = np.zeros(len(unknown))
            for c, a in eq.items():
                if c in pos:
                    r[pos[c]] += a
            if r.any():
                rows.append(r)
        a = np.array(rows) if rows else np.zeros((0, len(unknown)))
        if len(rows):  # null space of the sums restricted to the unknowns
            _, sv, vt = np.linalg.svd(a, full_matrices=True)
            null = vt[int((sv > 1e-9 * max(1.0, sv[0])).sum()):]
        else:
            null = np.eye(len(unknown))
        bad = []
        for t in self.targets(threshold, pairs):
            vec = np.zeros(len(unknown))
            for c, coef in t.items():
                if c in pos:
                    vec[pos[c]] += coef
            # determined iff orthogonal to every way the unknowns can move
            if not vec.any() or not len(null) or np.abs(null @ vec).max() < 1e-7:
                bad.append(t)
        return bad


def formula_cells(path) -> int:
    """Cells a spreadsheet would compute: formula cells, or formula-like text without quote prefix."""
    import openpyxl

    from geo.privacy.tables import neutralise

    if str(path).endswith(".csv"):
        import csv

        with open(path, encoding="utf-8-sig", newline="") as f:
            return sum(1 for row in csv.reader(f) for v in row
                       if v.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))
                       and neutralise(v) != v)
    wb = openpyxl.load_workbook(path)
    bad = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or isinstance(c.value, str) and c.value.lstrip(" ").startswith(("=", "+", "-", "@")) \
                        and not c.quotePrefix:
                    bad += 1
    return bad
