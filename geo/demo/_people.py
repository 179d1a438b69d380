"""People and records of the synthetic demo: children, caregivers, directors, visits, inspections.

Every share below is a plausible made-up figure for a rural county in central China (left-behind
about a third of children, most of them with grandparents); none is a statistic of a real place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the demo's "today": every date of the demo is relative to it, so output never changes
REFERENCE_DATE = "2026-11-01"
_TODAY = np.datetime64(REFERENCE_DATE, "D")

_LB_CARE = (["grandparents", "relatives", "one_parent", "entrusted_other", "none"],
            [0.70, 0.12, 0.10, 0.06, 0.02])
_HOME_CARE = (["parents", "one_parent"], [0.88, 0.12])
# guardianship rating (good, average, poor) by caregiver
_RATING = {
    "parents": [0.80, 0.17, 0.03],
    "one_parent": [0.60, 0.32, 0.08],
    "grandparents": [0.45, 0.43, 0.12],
    "relatives": [0.40, 0.45, 0.15],
    "entrusted_other": [0.30, 0.50, 0.20],
    "none": [0.05, 0.35, 0.60],
}
_AGE_WEIGHT = np.array([0.8] * 3 + [1.0] * 12 + [0.9] * 3)


def _dates(days_ago: np.ndarray) -> np.ndarray:
    """Dates ``days_ago`` days before the reference date (NaT where ``days_ago`` < 0)."""
    out = (_TODAY - days_ago.astype("timedelta64[D]")).astype("datetime64[ms]")
    out[days_ago < 0] = np.datetime64("NaT")
    return out


def households_and_children(rng: np.random.Generator, village: np.ndarray):
    """Caregivers of households and the children living in them.

    Parameters
    ----------
    village
        Village index of each household.

    Returns
    -------
    (caregiver per household, children frame with a ``household`` index column)
    """
    n_h = len(village)
    n_v = int(village.max()) + 1 if n_h else 0
    lb_rate = rng.beta(7.0, 13.0, n_v)  # mean 0.35, villages differ
    hh_lb = rng.random(n_h) < lb_rate[village]
    care = np.where(
        hh_lb,
        rng.choice(_LB_CARE[0], size=n_h, p=_LB_CARE[1]),
        rng.choice(_HOME_CARE[0], size=n_h, p=_HOME_CARE[1]),
    ).astype(object)
    n_kids = rng.choice([1, 2, 3], size=n_h, p=[0.72, 0.23, 0.05])
    hh = np.repeat(np.arange(n_h), n_kids)
    n = len(hh)
    age = rng.choice(18, size=n, p=_AGE_WEIGHT / _AGE_WEIGHT.sum())
    youngest = np.full(n_h, 99)
    np.minimum.at(youngest, hh, age)
    care[(care == "none") & (youngest < 12)] = "relatives"  # young children never live alone
    c_care = care[hh]
    lb = hh_lb[hh]
    poor_family = rng.random(n_h) < np.where(hh_lb, 0.09, 0.06)
    disability = rng.random(n) < 0.02
    illness = rng.random(n) < 0.012
    psych = rng.random(n) < np.where(lb, 0.045, 0.025)
    lives_alone = c_care == "none"
    single = ((c_care == "one_parent") & ~lb) | (lb & (rng.random(n) < 0.05))
    fam = poor_family[hh]
    self_ = disability | illness
    guard = np.isin(c_care, ["none", "entrusted_other"]) | (lb & (rng.random(n) < 0.03))
    parts = np.stack([fam, self_, guard], axis=1)
    labels = ["family", "self", "guardianship"]
    combos = np.array([";".join(lb for lb, on in zip(labels, bits, strict=True) if on) or None
                       for bits in np.ndindex(2, 2, 2)], dtype=object)
    difficulty = combos[parts[:, 0] * 4 + parts[:, 1] * 2 + parts[:, 2]]
    # guardianship rating is the household's
    u = rng.random(n_h)
    rating = np.empty(n_h, dtype=object)
    for cg, p in _RATING.items():
        sel = care == cg
        cut = np.cumsum(p)
        rating[sel] = np.array(["good", "average", "poor"], dtype=object)[
            np.searchsorted(cut, u[sel], side="right").clip(0, 2)]
    rating_c = rating[hh]
    # last contact / home visit: children on the ledger (left-behind or in difficulty) are
    # contacted monthly and visited quarterly, with some overdue; others less often
    target = lb | parts.any(axis=1)
    r = rng.random(n)
    contact = np.where(
        target,
        np.where(r < 0.85, rng.integers(0, 31, n),
                 np.where(r < 0.97, rng.integers(31, 121, n), -1)),
        np.where(r < 0.4, rng.integers(0, 61, n), -1),
    )
    r = rng.random(n)
    quarter = np.where(rating_c == "poor", 31, 91)
    visit = np.where(
        target,
        np.where(r < 0.75, (rng.random(n) * quarter).astype(int),
                 np.where(r < 0.95, quarter + rng.integers(0, 180, n), -1)),
        np.where(r < 0.2, rng.integers(0, 181, n), -1),
    )
    children = pd.DataFrame({
        "household": hh,
        "birth_year": int(REFERENCE_DATE[:4]) - age,
        "sex": np.where(rng.random(n) < 0.53, "M", "F"),
        "left_behind": lb,
        "difficulty": difficulty,
        "guardianship": rating_c,
        "disability": disability,
        "serious_illness": illness,
        "psych_concern": psych,
        "lives_alone": lives_alone,
        "single_parent": single,
        "last_contact": _dates(contact),
        "last_home_visit": _dates(visit),
        "target": target,
    })
    return care, children


def directors(rng: np.random.Generator, village_codes: np.ndarray, target_per_village: np.ndarray,
              ) -> pd.DataFrame:
    """Child directors per village: one, two above 30 ledger children; some short or none."""
    n = len(village_codes)
    need = np.where(target_per_village > 30, 2, 1)
    have = need.copy()
    r = rng.random(n)
    have[(need == 2) & (r < 0.45)] = 1
    have[(need == 1) & (r < 0.08)] = 2
    have[rng.random(n) < 0.07] = 0
    return pd.DataFrame({"village_code": village_codes, "directors": have})


_CONTACT_NOTES = np.array(["电话联系", "微信联系", "", "", ""], dtype=object)
_VISIT_NOTES = np.array(["入户走访，情况正常", "入户走访，已提醒防溺水", "入户走访，需跟进", "", ""],
                        dtype=object)


def visits(rng: np.random.Generator, children: pd.DataFrame, child_ids: np.ndarray,
           recorder: np.ndarray) -> pd.DataFrame:
    """Visit history consistent with each child's last contact and last home visit."""
    frames = []
    for col, kind, notes, gap in (("last_contact", "contact", _CONTACT_NOTES, 30),
                                  ("last_home_visit", "home_visit", _VISIT_NOTES, 90)):
        last = children[col].to_numpy()
        has = ~np.isnat(last)
        earlier = np.where(has & children["target"].to_numpy(), rng.poisson(0.8, len(last)), 0)
        earlier = np.where(has, earlier, 0)
        k = has.astype(int) + earlier
        idx = np.repeat(np.arange(len(last)), k)
        first = np.concatenate([[0], np.cumsum(k)[:-1]])
        j = np.arange(len(idx)) - first[idx]  # 0 = the latest visit
        back = j * gap + np.where(j > 0, rng.integers(-6, 7, len(idx)), 0)
        when = last[idx] - back.astype("timedelta64[D]")
        frames.append(pd.DataFrame({
            "child_id": child_ids[idx],
            "visited_on": when.astype("datetime64[ms]"),
            "kind": kind,
            "recorded_by": recorder[idx],
            "note": notes[rng.integers(0, len(notes), len(idx))],
        }))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["visited_on", "child_id", "kind"], kind="stable", ignore_index=True)
    out["note"] = out["note"].replace("", None)
    return out


_ITEM_NOTES = {0: "警示牌缺失或损坏", 1: "救生圈缺失", 2: "救生绳缺失", 3: "救生杆缺失"}


def kit_records(rng: np.random.Generator, kits: pd.DataFrame, water_barrier: np.ndarray,
                recorder: np.ndarray):
    """Last inspection dates of kits and the inspection history that led to them.

    Returns (inspected_on per kit, inspections frame without ids).
    """
    n = len(kits)
    days = np.where(rng.random(n) < 0.9, rng.integers(0, 400, n), -1)
    inspected = _dates(days)
    items = kits[["sign", "buoy", "rope", "pole"]].to_numpy()
    has = days >= 0
    earlier = np.where(has, rng.poisson(1.0, n), 0)
    k = has.astype(int) + earlier
    idx = np.repeat(np.arange(n), k)
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    j = np.arange(len(idx)) - first[idx]
    when = inspected[idx] - (j * rng.integers(60, 200, len(idx))).astype("timedelta64[D]")
    state = items[idx].copy()
    older = j > 0
    state[older] |= rng.random((int(older.sum()), 4)) < 0.6  # earlier checks found more in place
    missing_first = np.argmin(state, axis=1)
    note = np.array([_ITEM_NOTES[m] for m in missing_first], dtype=object)
    note[state.all(axis=1)] = None
    insp = pd.DataFrame({
        "kit": idx,
        "inspected_on": when.astype("datetime64[ms]"),
        "sign": state[:, 0], "buoy": state[:, 1], "rope": state[:, 2], "pole": state[:, 3],
        "barrier": water_barrier[idx],
        "recorded_by": recorder[idx],
        "note": note,
    })
    return inspected, insp
