"""The yearly spot check of child files (档案抽查): a reproducible draw from a recorded seed.

000 §8 asks the county civil-affairs bureau to spot-check the files once a year; Gaotai (001 §9)
says how: the check covers **every township** and **at least 10 villages**. The rule is a setting
per preset (``settings.spot_check_rules``: every township, villages at least, files per village).

The draw: villages with children in scope are shuffled with a NumPy generator seeded by the
recorded seed; one village of each township is taken first (every township), then further villages
in the shuffled order until the minimum is reached; in each village up to the rule's number of
files (children in scope) are drawn with the same generator. The same dataset, year, preset and
seed give the same list; the seed and a digest of the list are stored in ``spot_checks`` and the
audit log, so a check can be reproduced and verified later. The list holds pseudonymous child ids
and place names only (no names), for the county bureau (Excel).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.field.staffing import children_village, in_scope
from geo.privacy.audit import now_utc
from geo.report.indicators import check_preset
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import MissingLayerError, ValidationError

logger = logging.getLogger(__name__)

TABLE = "spot_checks"
_COLUMNS = ("drawn_at", "drawn_by", "year", "preset", "seed", "townships", "villages", "files",
            "village_codes", "digest")
#: columns of the list, in order.
LIST_COLUMNS = ["order", "township_code", "township", "village_code", "village", "child_id", "checked", "finding"]


@dataclass
class SpotCheck:
    """One draw: its seed and rule, and the list of files to check."""

    year: int
    preset: str
    seed: str
    files: pd.DataFrame
    digest: str

    @property
    def villages(self) -> int:
        return int(self.files["village_code"].nunique())

    @property
    def townships(self) -> int:
        return int(self.files["township_code"].nunique())


def _digest(files: pd.DataFrame) -> str:
    text = "\n".join(f"{v},{c}" for v, c in zip(files["village_code"], files["child_id"], strict=True))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def draw_spot_check(dataset: Dataset, *, year: int, preset: str | None = None, seed: str | None = None,
                    min_villages: int | None = None, per_village: int | None = None) -> SpotCheck:
    """Draw the ``year``'s sample of child files of ``dataset``.

    Parameters
    ----------
    dataset
        The full dataset (``children``, ``households``; ``admin_units`` for names).
    year
        The year of the check (part of the seed's input, so each year draws anew).
    preset
        The rule's preset (``settings.spot_check_rules``).
    seed
        The seed to reproduce an earlier draw; a new random one when ``None``.
    min_villages, per_village
        Override the rule's minimum villages and files per village.

    Raises
    ------
    MissingLayerError
        No children in scope.
    ValidationError
        Fewer villages with children than the rule's minimum (all are then drawn: refused instead,
        with the numbers, so the bureau knows the rule cannot be met).
    """
    key = check_preset(preset)
    every_township, rule_villages, rule_files = settings.spot_check_rules[key]
    want = int(rule_villages if min_villages is None else min_villages)
    per = int(rule_files if per_village is None else per_village)
    if want < 1 or per < 1:
        raise ValidationError("抽查的村数和每村档案数至少为 1 / villages and files per village must be at least 1")
    children = dataset["children"]
    scope = in_scope(children) if len(children) else np.zeros(0, bool)
    if not scope.any():
        raise MissingLayerError(["children"], "the spot check (no children in scope)")
    kids = children[scope]
    village = children_village(dataset)[scope]
    pool = pd.DataFrame({"child_id": kids["child_id"].astype(str).to_numpy(),
                         "village_code": village.astype("string").to_numpy()}).dropna()
    pool = pool.sort_values(["village_code", "child_id"], kind="stable").reset_index(drop=True)
    villages = np.array(sorted(pool["village_code"].unique()), dtype=object)
    if len(villages) < want:
        raise ValidationError(f"只有 {len(villages)} 个村有建档儿童，少于规定的 {want} 个 / only {len(villages)} "
                              f"villages have children on file, fewer than the rule's {want}")
    seed = seed or secrets.token_hex(8)
    rng = np.random.default_rng(int(hashlib.sha256(f"{seed}:{year}:{key}".encode()).hexdigest()[:16], 16))
    order = villages[rng.permutation(len(villages))]
    towns = pd.Series([v[:9] for v in order])
    chosen: list[str] = []
    if every_township:
        chosen = list(pd.Series(order)[~towns.duplicated()].to_numpy())
    for v in order:
        if len(chosen) >= want:
            break
        if v not in chosen:
            chosen.append(v)
    chosen.sort()
    admin = dataset["admin_units"]
    names = dict(zip(admin["code"].astype(str), admin["name"].astype("string").fillna(""), strict=True))
    rows = []
    for v in chosen:
        ids = pool.loc[pool["village_code"] == v, "child_id"].to_numpy(dtype=object)
        pick = np.sort(ids[rng.permutation(len(ids))[: min(per, len(ids))]])
        rows += [{"township_code": v[:9], "township": names.get(v[:9], ""), "village_code": v,
                  "village": names.get(v, ""), "child_id": c} for c in pick]
    files = pd.DataFrame(rows)
    files.insert(0, "order", np.arange(1, len(files) + 1))
    files["checked"] = ""
    files["finding"] = ""
    out = SpotCheck(int(year), key, seed, files[LIST_COLUMNS], _digest(files))
    logger.info("spot check %s: %d files in %d villages of %d townships (seed %s)", year, len(files),
                out.villages, out.townships, seed)
    return out


def record_spot_check(path: str | os.PathLike, check: SpotCheck, *, user=None) -> None:
    """Store the draw (seed, rule, villages, digest; no child ids) and log it in the audit log."""
    from geo.privacy.audit import audit_event
    from geo.store.stores import open_store

    who = getattr(user, "username", None) or (str(user) if user else "")
    codes = ";".join(sorted(check.files["village_code"].unique()))
    row = pd.DataFrame({"drawn_at": [pd.Timestamp(now_utc())], "drawn_by": [who or None], "year": [check.year],
                        "preset": [check.preset], "seed": [check.seed], "townships": [check.townships],
                        "villages": [check.villages], "files": [len(check.files)], "village_codes": [codes],
                        "digest": [check.digest]})
    event = audit_event(user, "spot_check", f"{check.year} {check.preset}: seed {check.seed}, {len(check.files)} "
                                            f"files in {check.villages} villages, digest {check.digest}")
    with open_store(path).write(audit=event) as w:
        w.append(TABLE, row)


def read_spot_checks(path: str | os.PathLike) -> pd.DataFrame:
    """Every recorded draw of the dataset at ``path``, oldest first."""
    from geo.store.stores import open_store

    out = open_store(path).table(TABLE, list(_COLUMNS))
    out["drawn_at"] = pd.to_datetime(out["drawn_at"], errors="coerce", utc=True).dt.tz_localize(None)
    return out


def spot_check_table(check: SpotCheck, *, lang: str = "zh") -> pd.DataFrame:
    """The list with headers in ``lang`` (for the county bureau's workbook)."""
    from geo.store.labels import column_label

    headers = {c: column_label(c, lang) for c in LIST_COLUMNS}
    headers["child_id"] = "儿童编号（化名）" if lang == "zh" else "Child id (pseudonym)"
    return check.files.rename(columns=headers)
