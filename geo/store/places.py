"""The names of places next to their codes (a village's 丁营社区 beside 341199103001).

The label tables (:mod:`geo.store.labels`) and the one table writer (``geo.privacy.tables``)
put names beside admin codes with these; ``geo.store.labels`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: admin code columns and the name column added next to each (:func:`with_place_names`).
PLACE_COLUMNS: dict[str, str] = {
    "village_code": "village_name", "township_code": "township_name", "county_code": "county_name",
}


def place_names(admin_units: pd.DataFrame | None) -> dict[str, str]:
    """``{admin code: name}`` of ``admin_units`` (empty names left out)."""
    if admin_units is None or not len(admin_units) or "name" not in admin_units:
        return {}
    names = admin_units["name"].astype("string")
    codes = admin_units["code"].astype("string")
    keep = names.notna() & names.str.strip().ne("")
    return dict(zip(codes[keep].tolist(), names[keep].tolist(), strict=True))


def place_text(code, names: Mapping[str, str]) -> str:
    """``"name code"`` of an admin code (the code alone when it has no name)."""
    if code is None or code is pd.NA or (isinstance(code, float) and code != code):
        return ""
    code = str(code)
    name = names.get(code, "")
    return f"{name} {code}".strip() if name else code


def with_place_names(frame: pd.DataFrame, admin_units: pd.DataFrame | Mapping[str, str] | None, *,
                     township: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with the names of its places next to their codes.

    Each of ``village_code``, ``township_code``, ``county_code`` gets a ``*_name`` column right
    after it; with ``township=True`` a frame with village codes but no township code also gets
    ``township_name`` (the village code's first 9 digits). A ``code`` column without ``name`` gets
    ``name``. Codes without a name in ``admin_units`` get an empty name.
    """
    names = dict(admin_units) if isinstance(admin_units, Mapping) else place_names(admin_units)
    out = frame.copy()

    def insert(after: str, col: str, values) -> None:
        if col in out.columns:
            return
        out.insert(list(out.columns).index(after) + 1, col, values)

    def lookup(codes: pd.Series) -> pd.Series:
        text = codes.astype("string")
        return text.map(lambda c: names.get(str(c), "") if c is not pd.NA else "").astype("string")

    for code_col, name_col in PLACE_COLUMNS.items():
        if code_col in out.columns:
            insert(code_col, name_col, lookup(out[code_col]))
    if township and "village_code" in out.columns and "township_code" not in out.columns:
        towns = out["village_code"].astype("string").str.slice(0, 9)
        insert("village_code", "township_name", lookup(towns))
    if "code" in out.columns and "name" not in out.columns:
        insert("code", "name", lookup(out["code"]))
    return out
