"""Personal data by content: phones and ID numbers in any column, people's names in free text.

:func:`remove_personal_content` is the import's last personal-data step, after the columns
named as personal were dropped by header (:func:`geo.ingest.imports.map_columns`):

- an id column (the layer's key or any ``*_id``) holding phones (or, outside child and
  household ids, ID numbers) in most rows refuses the file: a phone is no id;
- single phones or ID numbers in an id column become pseudonyms (:mod:`geo.ingest.pseudonym`);
- a text column holding them in most rows is dropped; in free text they are removed;
- people's names in notes, names of waters and responsible units are removed
  (:mod:`geo.ingest.names`); every removal is counted in the import report.
"""

from __future__ import annotations

import pandas as pd

from geo.ingest import headers as hdr
from geo.ingest.names import redact_names
from geo.ingest.pseudonym import (
    SaltSource,
    ensure_salt,
    personal_mask,
    pseudonymize_personal,
    redact_text,
)
from geo.store.errors import ValidationError
from geo.store.schema import LAYERS

#: id columns whose ID-card numbers become pseudonyms, and the pseudonyms' prefixes.
ID_COLUMNS = {"child_id": "C", "household_id": "H"}
#: free-text columns where phones and ID numbers are removed.
FREE_TEXT = ("name", "note", "recorded_by", "responsible_unit")
#: free text where people's names are looked for (geo.ingest.names), by layer ("*": others).
#: Names of admin units and stations are places by definition and are left alone.
NAME_TEXT = {"water_bodies": ("name", "note", "responsible_unit"), "admin_units": (),
             "stations": ("note", "responsible_unit"), "*": ("note", "responsible_unit")}


def is_id_column(col: str, spec) -> bool:
    """Whether ``col`` holds ids of the layer's rows or of other rows (``*_id``, the key)."""
    return col == spec.key or col.endswith("_id")


def remove_personal_content(out: pd.DataFrame, layer: str, salt_source: dict[str, str] | SaltSource
                            ) -> tuple[list[tuple[str, str]], list[str]]:
    """Remove phones, ID numbers and names from the mapped frame ``out`` (changed in place).

    Returns the notices (English, Chinese) and the names of the columns dropped.

    Raises
    ------
    ValidationError
        An id column holds phone (or ID-card) numbers in most rows.
    """
    spec = LAYERS[layer]
    notices: list[tuple[str, str]] = []
    dropped: list[str] = []
    for col in list(out.columns):
        if col in (hdr.LON, hdr.LAT, hdr.WKT):
            continue
        values = out[col]
        ids, phones = personal_mask(values)
        filled = int((values.astype("string").fillna("").str.strip() != "").sum())
        if is_id_column(col, spec):
            if filled and (phones.sum() * 2 >= filled or (ids.sum() * 2 >= filled
                                                         and col not in ID_COLUMNS)):
                what = ("电话号码", "phone numbers") if phones.sum() >= ids.sum() else (
                    "身份证号", "ID-card numbers")
                raise ValidationError(
                    f"列“{col}”的大多数值是{what[0]}，不能用作编号：请用台账自己的编号（如户编号）。"
                    f" / the column {col!r} holds {what[1]} in most rows and cannot be an id: "
                    "use the ledger's own numbers (a household number)",
                    [("", col, f"{what[1]} used as an id")],
                )
            if ids.any() or phones.any():
                out[col] = pseudonymize_personal(values, ids | phones, ensure_salt(salt_source),
                                                 prefix=ID_COLUMNS.get(col, "P"))
                notices.append((f"{int(ids.sum() + phones.sum())} ID-card or phone number(s) in "
                                f"{col} were replaced by pseudonyms",
                                f"{col} 中的 {int(ids.sum() + phones.sum())} 个身份证号或电话号码"
                                "已替换为化名编号"))
            continue
        spec_col = spec.column(col) if col in spec.column_names else None
        if (spec_col is not None and spec_col.kind == "text" and (ids.any() or phones.any())
                and filled and (ids.sum() + phones.sum()) * 2 >= filled):
            del out[col]
            dropped.append(f"{col} (content)")
            continue
        if col in FREE_TEXT or (spec_col is not None and spec_col.kind == "text"):
            cleaned, changed = redact_text(values)
            if changed:
                out[col] = cleaned.fillna("")
                notices.append((f"{changed} ID-card or phone number(s) removed from {col}",
                                f"已从 {col} 中删除 {changed} 个身份证号或电话号码"))
            if col in NAME_TEXT.get(layer, NAME_TEXT["*"]):
                cleaned, n_names = redact_names(out[col])
                if n_names:
                    out[col] = cleaned.fillna("")
                    notices.append((f"{n_names} person name(s) removed from {col}",
                                    f"已从 {col} 中删除 {n_names} 个人名"))
    return notices, dropped
