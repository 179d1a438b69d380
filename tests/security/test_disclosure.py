"""What each role receives cannot be computed back (docs/security.md, "disclosure").

Replays the attacks of issue 12: children = covered / share, township minus its villages,
gap vulnerability 1 = one child, exact per-village counts for safety officers, household
distances to the metre; and proves with an independent audit (tests/security_audit.py) that
no hidden small count of what a leader receives is recoverable by linear combination.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from privacy_data import TOWNSHIP, VILLAGE_A, VILLAGE_B, two_villages
from security_audit import Attack
from shapely.geometry import Point, box

from geo.privacy import disclosure
from geo.privacy.disclosure import (
    MARK,
    SUPPRESSED,
    band,
    display_frame,
    release,
    rollup,
    suppressed_mask,
)
from geo.privacy.roles import User, area_counts, clip_to_scope, dataset_for, filter_result
from geo.reach.coverage import coverage_by_unit
from geo.reach.gaps import gap_areas
from geo.store import settings
from geo.store.dataset import Dataset, read_dataset

LEADER = User("lead", "leader", "")


def test_hand_computed_siblings_and_parent():
    """Township 9 children = A 7 + B 2: B is hidden, and so is A (9 - 7 = 2 would give B)."""
    ds = two_villages()
    counts = area_counts(ds)
    out = release(User("l", "leader", TOWNSHIP), "area_counts", counts, context=ds).set_index("code")
    hidden = suppressed_mask(out)
    assert hidden.loc[VILLAGE_B, "children"] and hidden.loc[VILLAGE_A, "children"]
    assert out.loc[TOWNSHIP, "children"] == 9 and not hidden.loc[TOWNSHIP, "children"]
    assert np.isnan(out.loc[VILLAGE_B, "children"])  # a number column with a hole
    assert out.loc[VILLAGE_B, SUPPRESSED].split(";")[:2] == ["households", "children"]
    # an admin gets the exact table
    exact = release(User("a", "admin"), "area_counts", counts).set_index("code")
    assert exact.loc[VILLAGE_B, "children"] == 2 and SUPPRESSED not in exact


def _access(ds: Dataset, covered: dict[str, bool], level: str = "village") -> pd.DataFrame:
    ch = ds["children"]
    return pd.DataFrame({"child_id": ch["child_id"].astype("string"),
                         "household_id": ch["household_id"].astype("string"),
                         "level": level, "covered": [covered.get(c, False) for c in ch["child_id"]]})


def test_share_does_not_give_children_back():
    """children = covered / share was exact for 238 cells: a share is hidden with its inputs."""
    ds = two_villages().metric()
    acc = _access(ds, {c: True for c in ["cA1", "cA2", "cA3", "cA4", "cA5", "chB1"]})
    table = coverage_by_unit(ds, acc)
    out = release(LEADER, "coverage_by_unit", table, context=ds)
    hidden = suppressed_mask(out)
    for col, (num, den) in disclosure.TABLES["coverage_by_unit"].ratios.items():
        shown_share = ~hidden[col] & out[col].notna()
        # where a share is shown, both its numerator and denominator are shown
        assert not (shown_share & (hidden[num] | hidden[den])).any(), col
    b = out.set_index("code").loc[VILLAGE_B]
    assert np.isnan(b["children"]) and np.isnan(b["covered"]) and np.isnan(b["covered_share"])


def test_village_minus_parts_and_small_complements():
    """7 children of whom 6 covered: the one uncovered child is protected (7 - 6 = 1)."""
    ds = two_villages().metric()
    acc = _access(ds, {c: True for c in ["cA1", "cA2", "cA3", "cA4", "cA5", "cA6"]})
    out = release(LEADER, "coverage_by_unit", coverage_by_unit(ds, acc), context=ds)
    a = out.set_index("code").loc[VILLAGE_A]
    assert np.isnan(a["covered"]) or np.isnan(a["children"])


def test_gap_vulnerability_of_one_is_not_one_child():
    ds = two_villages().metric()
    acc = _access(ds, {})
    gaps = gap_areas(ds, acc, size_m=300)
    out = release(LEADER, "gap_areas", gaps)
    hidden = out[out[SUPPRESSED] != ""]
    assert len(hidden) and hidden["vulnerability"].isna().all() and hidden["rank"].isna().all()
    # ranks of what is shown say nothing about hidden cells: shown first, numbered 1..n
    shown = out[out[SUPPRESSED] == ""]
    for _, g in shown.groupby("station_level"):
        assert sorted(g["rank"]) == list(range(1, len(g) + 1))
    assert all(i.split("-")[1].startswith("s") for i in hidden["gap_id"])
    # planners get the gaps whole (the KeyError 'left_behind' of issue 12)
    plan = filter_result(User("p", "planner"), "gap_areas", gaps)
    assert {"left_behind", "difficulty", "vulnerability"} <= set(plan.columns)
    assert plan["children"].sum() == 9


def test_safety_officers_get_no_area_counts():
    """The matrix gives safety officers no counts per area: coverage counts withheld, no gaps."""
    ds = two_villages().metric()
    acc = _access(ds, {"cA1": True})
    so = User("so", "safety_officer", TOWNSHIP)
    table = filter_result(so, "coverage_by_unit", coverage_by_unit(ds, acc), context=ds)
    for col in ("children", "covered", "covered_share", "left_behind_children"):
        assert table[col].isna().all(), col
    assert len(table) > 0 and set(table["code"]) <= {TOWNSHIP, VILLAGE_A, VILLAGE_B}
    gaps = filter_result(so, "gap_areas", gap_areas(ds, acc), context=ds)
    assert len(gaps) == 0
    assert dataset_for(so, two_villages()).holds("area_counts") is False


def test_nearest_child_is_banded_for_roles_without_households():
    sites = pd.DataFrame({"site_id": ["a", "b", "c", "d"], "nearest_child_m": [7.5, 180.0, np.nan, 4200.0],
                          "children_100m": [1, 0, 0, 0], "children_500m": [9, 6, 0, 7],
                          "exposure": [0.87321, 2.5, 0.0, 1.0], "risk": [3.14159, 1.0, 0.0, 2.0]})
    for role in ("leader", "safety_officer"):
        out = release(User("u", role), "water_sites", sites)
        assert out["nearest_child_m"].tolist()[:2] == [100.0, 250.0]
        assert np.isnan(out["nearest_child_m"].iloc[2]) and out["nearest_child_m"].iloc[3] == 5000.0
        assert out["exposure"].iloc[0] == 0.9 and out["risk"].iloc[0] == 3.1
        assert np.isnan(out["children_100m"].iloc[0])  # one child within 100 m
        assert out["children_500m"].iloc[0] == 9  # 9 - 1 = 8 between 100 and 500 m: not small
    for role in ("admin", "planner", "child_director"):
        out = release(User("u", role, "340123101001" if role == "child_director" else ""),
                      "water_sites", sites)
        assert out["nearest_child_m"].iloc[0] == 7.5 and out["children_100m"].iloc[0] == 1


def test_band_edges_by_hand():
    values = pd.Series([0.0, 100.0, 100.1, 999.0, 1000.0, 1000.1, np.nan])
    assert band(values, [100, 250, 500, 1000]).tolist()[:6] == [100, 100, 250, 1000, 1000, 2000]
    assert np.isnan(band(values).iloc[6])


def test_numbers_stay_numbers_and_display_marks():
    ds = two_villages()
    out = release(LEADER, "area_counts", area_counts(ds), context=ds)
    for col in ("households", "children", "left_behind", "in_difficulty", "under_6"):
        assert pd.api.types.is_numeric_dtype(out[col]), col
    shown = display_frame(out).set_index("code")
    assert shown.loc[VILLAGE_B, "children"] == MARK and SUPPRESSED not in shown
    top = rollup(out.assign(all="x")[out["code"].str.len() == 12], ["all"], ["children"])
    assert np.isnan(top["children"].iloc[0]) and top[SUPPRESSED].iloc[0] == "children"


def _random_dataset(draw) -> tuple[Dataset, str]:
    """One county, 1-3 townships of 1-4 villages, 0-8 households each with 0-3 children."""
    crs = "EPSG:32650"
    codes, levels, parents, geoms = ["341100"], ["county"], [None], [box(0, 0, 1e5, 1e5)]
    hh_rows, ch_rows = [], []
    for t in range(draw(st.integers(1, 3))):
        tcode = f"341100{t + 101:03d}"
        codes.append(tcode), levels.append("township"), parents.append("341100")
        geoms.append(box(t * 1e4, 0, t * 1e4 + 9e3, 9e3))
        for v in range(draw(st.integers(1, 4))):
            vcode = f"{tcode}{v + 1:03d}"
            codes.append(vcode), levels.append("village"), parents.append(tcode)
            geoms.append(box(t * 1e4 + v * 2e3, 0, t * 1e4 + v * 2e3 + 1.5e3, 1.5e3))
            for h in range(draw(st.integers(0, 8))):
                hid = f"h{vcode}{h}"
                hh_rows.append((hid, vcode, Point(t * 1e4 + v * 2e3 + 10 * h, 10)))
                for c in range(draw(st.integers(0, 3))):
                    ch_rows.append({
                        "child_id": f"c{hid}{c}", "household_id": hid,
                        "birth_year": draw(st.integers(2008, 2023)),
                        "left_behind": draw(st.booleans()),
                        "difficulty": draw(st.sampled_from([None, "family", "self", "guardianship",
                                                            "family;self"])),
                        "covered": draw(st.booleans()),
                    })
    admin = gpd.GeoDataFrame({"code": codes, "name": codes, "level": levels, "parent_code": parents},
                             geometry=geoms, crs=crs)
    households = gpd.GeoDataFrame(
        {"household_id": [r[0] for r in hh_rows], "village_code": [r[1] for r in hh_rows],
         "caregiver": ["parents"] * len(hh_rows)},
        geometry=gpd.GeoSeries([r[2] for r in hh_rows], crs=crs), crs=crs)
    children = pd.DataFrame(ch_rows, columns=["child_id", "household_id", "birth_year", "left_behind",
                                              "difficulty", "covered"])
    ds = Dataset({"admin_units": admin, "households": households, "children": children})
    scope = draw(st.sampled_from(["", *codes[:3]]))
    ds.settings = {"reference_date": "2024-06-01"}
    return ds, scope


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_suppressed_cell_is_recoverable(data):
    """For random datasets and scopes: nothing a leader receives gives a hidden small count back."""
    ds, scope = _random_dataset(data.draw)
    scoped = clip_to_scope(ds, scope)
    lead = User("l", "leader", scope)
    full_counts = area_counts(scoped)
    counts = release(lead, "area_counts", full_counts, context=scoped)
    ch = scoped["children"]
    access = pd.DataFrame({"child_id": ch["child_id"].astype("string"),
                           "household_id": ch["household_id"].astype("string"),
                           "level": "village", "covered": ch["covered"].astype(bool)})
    full_cov = coverage_by_unit(scoped, access)
    cov = release(lead, "coverage_by_unit", full_cov, context=scoped)
    attack = Attack()
    attack.add_area_counts(counts, full_counts)
    if len(full_cov):
        attack.add_coverage(cov, full_cov)
    assert attack.recovered(settings.small_count_threshold) == []


def test_the_audit_catches_primary_suppression_alone():
    """The audit is not blind: hiding only the small cells (the old rule) is caught."""
    ds = two_villages()
    full = area_counts(ds)
    naive = full.copy()
    small = full[["households", "children", "left_behind", "in_difficulty", "under_6"]].lt(5) & \
        full[["households", "children", "left_behind", "in_difficulty", "under_6"]].gt(0)
    naive[SUPPRESSED] = [";".join(c for c in small.columns if small.loc[i, c]) for i in full.index]
    attack = Attack()
    attack.add_area_counts(naive, full)
    assert attack.recovered(5)


@pytest.mark.slow
def test_demo_county_leader_recovers_nothing():
    """The figure of issue 12 on the demo county: suppressed cells recoverable 0 (county and a
    township scope; area counts and coverage of every station level, network-free)."""
    from geo.reach.access import child_access

    ds = read_dataset(settings.demo_dataset)
    for scope in ("", "341199101"):
        scoped = clip_to_scope(ds, scope)
        lead = User("l", "leader", scope)
        full_counts = area_counts(scoped)
        metric = scoped.metric()
        full_cov = coverage_by_unit(metric, child_access(metric, metric="euclidean"))
        attack = Attack()
        attack.add_area_counts(release(lead, "area_counts", full_counts, context=scoped), full_counts)
        attack.add_coverage(release(lead, "coverage_by_unit", full_cov, context=scoped), full_cov)
        hidden = sum(1 for k in attack.value if k not in attack.known)
        assert hidden > 0
        assert attack.recovered(settings.small_count_threshold) == []
