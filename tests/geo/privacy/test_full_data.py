"""Aggregates for roles that may not see children: computed on the full data, then released.

A role view (``dataset_for``) marks the people it does not hold (``Dataset.withheld``); every
analysis that counts people refuses such a view (``require_full``), so a page or command wired
to the role view fails loudly instead of showing a leader a staffing table computed with no
children (every village "needs 1 director", 14 short instead of 38).
"""

from __future__ import annotations

import pandas as pd
import pytest
from privacy_data import TOWNSHIP, VILLAGE_A, VILLAGE_B, two_villages

from geo.field.staffing import village_staffing
from geo.field.visits import visit_schedule
from geo.privacy.disclosure import SUPPRESSED, population_table, release
from geo.privacy.roles import User, analysis_view, dataset_for
from geo.reach.access import child_access
from geo.store.errors import ChildSafeError, WithheldRowsError
from geo.store.withheld import require_full
from geo.water.pipeline import water_sites

VILLAGE_C = TOWNSHIP + "003"


def _crowded():
    """Villages A (72 children in scope, 1 director), B (2, 1) and C (40, no director)."""
    ds = two_villages()
    ch, hh, units = ds["children"], ds["households"], ds["admin_units"]
    extra = pd.concat([ch.iloc[[2]]] * 70, ignore_index=True)  # left-behind, household hA2
    extra["child_id"] = [f"cX{i}" for i in range(len(extra))]
    unit_c = units[units["code"] == VILLAGE_B].assign(code=VILLAGE_C, name="Village C")
    house_c = hh[hh["household_id"] == "hhB2"].assign(household_id="hC1", village_code=VILLAGE_C)
    kids_c = pd.concat([ch.iloc[[2]]] * 40, ignore_index=True).assign(household_id="hC1")
    kids_c["child_id"] = [f"cC{i}" for i in range(len(kids_c))]
    return ds.replace(children=pd.concat([ch, extra, kids_c], ignore_index=True),
                      households=pd.concat([hh, house_c]), admin_units=pd.concat([units, unit_c]))


@pytest.mark.parametrize("role,withheld", [
    ("leader", {"households", "children", "visits"}),
    ("planner", {"households", "children", "visits"}),  # households as locations only
    ("safety_officer", {"households", "children", "visits"}),
    ("child_director", set()),
    ("admin", set()),
])
def test_role_views_mark_the_people_they_withhold(role, withheld):
    scope = VILLAGE_A if role == "child_director" else ""
    view = dataset_for(User("u", role, scope), two_villages())
    assert view.withheld == withheld
    assert view.metric().withheld == withheld  # the projected view says the same
    part = view.derive({"admin_units": view["admin_units"]})
    assert part.withheld == withheld  # and so does any part of it
    assert analysis_view(User("u", role, scope), two_villages()).withheld == frozenset()


@pytest.mark.parametrize("count", [
    lambda ds: village_staffing(ds),
    lambda ds: visit_schedule(ds, on="2024-06-01"),
    lambda ds: population_table(ds),
    lambda ds: child_access(ds, metric="euclidean"),
    lambda ds: water_sites(ds),
], ids=["staffing", "visit_schedule", "population_table", "child_access", "water_sites"])
def test_counting_people_on_a_role_view_is_refused(count):
    view = dataset_for(User("lead", "leader", ""), _crowded())
    with pytest.raises(WithheldRowsError) as err:
        count(view)
    assert isinstance(err.value, ChildSafeError)  # shown as a message, never a traceback
    assert "完整数据" in str(err.value) and "full data" in str(err.value)
    count(analysis_view(User("lead", "leader", ""), _crowded()))  # the full data: computed


def test_require_full_names_the_missing_layers():
    view = dataset_for(User("lead", "leader", ""), two_villages())
    require_full(view, "water_bodies", task="kits")  # waters are the leader's in full
    with pytest.raises(WithheldRowsError, match="children"):
        require_full(view, "water_bodies", "children", task="risk")


def test_leaders_staffing_is_the_admins_with_small_counts_hidden():
    full = _crowded()
    admin = village_staffing(full)
    lead = User("lead", "leader", TOWNSHIP)
    view = analysis_view(lead, full)
    released = release(lead, "staffing", village_staffing(view), context=view)
    by_code = released.set_index("village_code")
    adm = admin.set_index("village_code")
    # A: 72 children in scope -> 3 needed, 1 present: 2 short, for the leader as for the admin
    # (on the role view it would read 0 children, 1 needed, 0 short)
    assert adm.loc[VILLAGE_A, "shortfall"] == by_code.loc[VILLAGE_A, "shortfall"] == 2
    assert by_code.loc[VILLAGE_A, "children_in_scope"] == 72
    assert adm.loc[VILLAGE_C, "shortfall"] == 2
    # every cell the leader sees is the admin's; the others are hidden (NaN, named), never 0
    for code in adm.index:
        for col in ("children_in_scope", "directors_needed", "shortfall"):
            shown = by_code.loc[code, col]
            if pd.isna(shown):
                assert col in by_code.loc[code, SUPPRESSED]
            else:
                assert shown == adm.loc[code, col]
    # village B's 2 children are a small count: hidden
    assert pd.isna(by_code.loc[VILLAGE_B, "children_in_scope"])
