"""Checks of a dataset's content against the contract rules (SCHEMA.md) beyond column types."""

from __future__ import annotations

import pandas as pd

from geo.dataset import Dataset
from geo.schema import LAYERS


def dataset_problems(dataset: Dataset) -> list[str]:
    """Return the content problems of ``dataset`` (empty when it follows the contract).

    Checks values outside their allowed choices, missing required values, duplicate ids,
    12-digit village codes and references between layers.
    """
    problems: list[str] = []
    for name, spec in LAYERS.items():
        if name not in dataset:
            continue
        frame = dataset[name]
        for col in spec.columns:
            values = frame[col.name]
            if col.required:
                n = int(values.isna().sum())
                if n:
                    problems.append(f"{name}.{col.name}: {n} empty value(s) where one is required")
            if col.choices:
                present = values.dropna().astype(str)
                if col.multi:
                    present = present.str.split(";").explode().str.strip()
                    present = present[present != ""]
                bad = ~present.isin(col.choices)
                if bad.any():
                    sample = ", ".join(sorted(set(present[bad]))[:5])
                    problems.append(
                        f"{name}.{col.name}: {int(bad.sum())} value(s) not among the allowed "
                        f"choices ({sample})"
                    )
        if spec.key:
            dup = frame[spec.key].dropna().duplicated()
            if dup.any():
                problems.append(f"{name}.{spec.key}: {int(dup.sum())} duplicate id(s)")
    problems += _reference_problems(dataset)
    return problems


def _missing_refs(values: pd.Series, keys: pd.Series) -> int:
    values = values.dropna()
    return int((~values.isin(set(keys.dropna()))).sum())


def _reference_problems(ds: Dataset) -> list[str]:
    problems = []
    checks = [
        ("children", "household_id", "households", "household_id"),
        ("safety_kits", "water_id", "water_bodies", "water_id"),
        ("visits", "child_id", "children", "child_id"),
        ("inspections", "kit_id", "safety_kits", "kit_id"),
        ("inspections", "water_id", "water_bodies", "water_id"),
    ]
    for layer, col, target, key in checks:
        if layer in ds and target in ds:
            n = _missing_refs(ds[layer][col], ds[target][key])
            if n:
                problems.append(f"{layer}.{col}: {n} value(s) not found in {target}.{key}")
    if "households" in ds:
        codes = ds["households"]["village_code"].dropna().astype(str)
        bad = ~codes.str.fullmatch(r"\d{12}")
        if bad.any():
            problems.append(f"households.village_code: {int(bad.sum())} code(s) not of 12 digits")
        if "admin_units" in ds:
            villages = ds["admin_units"].query("level == 'village'")["code"]
            n = _missing_refs(codes, villages)
            if n:
                problems.append(
                    f"households.village_code: {n} code(s) not found among admin_units villages"
                )
    return problems
