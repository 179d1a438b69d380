"""Visit schedules: tiers, due dates, status and flags per preset (hand-made cases)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.field.presets import PRESETS, get_preset
from geo.field.visits import (
    add_interval,
    holiday_window,
    overdue_by_village,
    record_visit,
    visit_schedule,
)
from geo.store import settings
from geo.store.dataset import Dataset, coerce_layer
from geo.store.errors import SettingsError, ValidationError

ON = "2024-06-10"


def _child(cid, **kw):
    row = {"child_id": cid, "household_id": kw.pop("household_id", "h1"), "birth_year": 2015, "sex": "F",
           "left_behind": True, "difficulty": None, "guardianship": "good", "disability": False,
           "serious_illness": False, "psych_concern": False, "lives_alone": False, "single_parent": False,
           "last_contact": None, "last_home_visit": None}
    row.update(kw)
    return row


def _ds(rows, caregivers=None) -> Dataset:
    children, problems = coerce_layer("children", pd.DataFrame(rows))
    assert not problems
    caregivers = caregivers or {"h1": "grandparents"}
    hh = gpd.GeoDataFrame(
        {"household_id": list(caregivers), "village_code": ["340123101001"] * len(caregivers),
         "caregiver": list(caregivers.values())},
        geometry=gpd.points_from_xy([117.0] * len(caregivers), [31.6] * len(caregivers)), crs="EPSG:4326")
    hh, problems = coerce_layer("households", hh)
    assert not problems
    return Dataset({"children": children, "households": hh})


def _one(ds, cid, **kw):
    s = visit_schedule(ds, on=kw.pop("on", ON), **kw)
    return s.set_index("child_id").loc[cid]


def test_visited_95_days_ago_is_overdue_national():
    last = (pd.Timestamp(ON) - pd.Timedelta(days=95)).date().isoformat()
    ds = _ds([_child("c1", last_contact=ON, last_home_visit=last)])
    r = _one(ds, "c1", preset="national")
    assert r["tier"] == "standard"
    assert r["visit_status"] == "overdue" and r["status"] == "overdue"
    assert r["contact_status"] == "ok"
    assert r["days_overdue"] == 95 - 92  # 3 calendar months after 2024-03-07 is 2024-06-07


def test_visited_80_days_ago_is_ok_and_due_soon_boundary():
    ds = _ds([_child("c1", last_contact="2024-06-01", last_home_visit="2024-03-22"),
              _child("c2", last_contact="2024-06-01", last_home_visit="2024-03-15")])
    s = visit_schedule(ds, on=ON).set_index("child_id")
    assert s.loc["c1", "next_visit_due"] == pd.Timestamp("2024-06-22")
    assert s.loc["c1", "status"] == "ok"           # 12 days ahead > 7
    assert s.loc["c2", "status"] == "due_soon"     # due 2024-06-15, within 7 days
    assert s.loc["c2", "days_overdue"] == 0


def test_never_contacted_or_visited_is_overdue():
    ds = _ds([_child("c1"), _child("c2", last_contact="2024-06-01")])
    s = visit_schedule(ds, on=ON).set_index("child_id")
    assert s.loc["c1", "status"] == "overdue"
    assert "never_contacted" in s.loc["c1", "flags"] and "never_visited" in s.loc["c1", "flags"]
    assert s.loc["c2", "contact_status"] == "ok" and s.loc["c2", "visit_status"] == "overdue"
    assert s.loc["c2", "flags"] == "never_visited"


def test_home_visit_counts_as_contact():
    ds = _ds([_child("c1", last_contact="2024-01-01", last_home_visit="2024-06-01")])
    r = _one(ds, "c1")
    assert r["last_contact"] == pd.Timestamp("2024-06-01")
    assert r["status"] == "ok"


def test_high_risk_national_monthly_visit():
    ds = _ds([_child("c1", disability=True, last_contact="2024-06-01", last_home_visit="2024-05-01"),
              _child("c2", psych_concern=True, last_contact="2024-06-01", last_home_visit="2024-05-20"),
              _child("c3", last_contact="2024-06-01", last_home_visit="2024-05-01")])
    s = visit_schedule(ds, on=ON, preset="national").set_index("child_id")
    assert s.loc["c1", "tier"] == "high_risk" and s.loc["c1", "status"] == "overdue"
    assert s.loc["c2", "next_visit_due"] == pd.Timestamp("2024-06-20")
    assert s.loc["c3", "tier"] == "standard" and s.loc["c3", "status"] == "ok"


def test_out_of_scope_children_are_left_out():
    ds = _ds([_child("c1"), _child("c2", left_behind=False), _child("c3", left_behind=False, difficulty="self")])
    s = visit_schedule(ds, on=ON)
    assert sorted(s["child_id"]) == ["c1", "c3"]


def test_jilin_tiers_by_guardianship():
    rows = [_child("good", guardianship="good"), _child("avg", guardianship="average"),
            _child("poor", guardianship="poor"), _child("unk", guardianship=None),
            _child("single", guardianship="good", single_parent=True),
            _child("fam", guardianship="good", difficulty="family")]
    for r in rows:
        r.update(last_contact="2024-06-01", last_home_visit="2024-05-01")
    s = visit_schedule(_ds(rows), on=ON, preset="jilin").set_index("child_id")
    assert s.loc["good", "tier"] == "good" and s.loc["good", "next_visit_due"] == pd.Timestamp("2024-08-01")
    assert s.loc["avg", "tier"] == "average" and s.loc["avg", "next_visit_due"] == pd.Timestamp("2024-06-01")
    assert s.loc["unk", "tier"] == "average"
    for cid in ("poor", "single", "fam"):
        assert s.loc[cid, "tier"] == "high_risk"
        assert s.loc[cid, "next_visit_due"] == pd.Timestamp("2024-05-15")
    assert s.loc["good", "status"] == "ok" and s.loc["avg", "status"] == "overdue"


def test_presets_differ_as_documented():
    # both parents away (grandparents care): high risk in Gaotai (001 §9) only
    row = _child("c1", last_contact="2024-06-01", last_home_visit="2024-04-01")
    ds = _ds([row], {"h1": "grandparents"})
    assert _one(ds, "c1", preset="gaotai")["tier"] == "high_risk"
    assert _one(ds, "c1", preset="gaotai")["status"] == "overdue"
    assert _one(ds, "c1", preset="national")["tier"] == "standard"
    assert _one(ds, "c1", preset="national")["status"] == "ok"
    assert _one(ds, "c1", preset="heze")["status"] == "ok"
    # average guardianship: monthly in Jilin (002 §8), quarterly nationally
    row = _child("c2", guardianship="average", last_contact="2024-06-01", last_home_visit="2024-04-01")
    ds = _ds([row], {"h1": "parents"})
    assert _one(ds, "c2", preset="jilin")["status"] == "overdue"
    assert _one(ds, "c2", preset="national")["status"] == "ok"
    assert {"national", "jilin", "anhui", "gaotai", "heze"} == set(PRESETS)


def test_anhui_holiday_visit():
    # visited in May: fine nationally in July, but Anhui wants a visit in the summer holiday
    row = _child("c1", last_contact="2024-07-05", last_home_visit="2024-05-20")
    ds = _ds([row])
    nat = _one(ds, "c1", preset="national", on="2024-07-10")
    anh = _one(ds, "c1", preset="anhui", on="2024-07-10")
    assert nat["next_visit_due"] == pd.Timestamp("2024-08-20")
    assert anh["next_visit_due"] == pd.Timestamp("2024-08-20")  # regular is already before 31 Aug
    assert "holiday_visit" in anh["flags"] and "holiday_visit" not in nat["flags"]
    row = _child("c2", last_contact="2024-07-05", last_home_visit="2024-06-25")
    anh = _one(_ds([row]), "c2", preset="anhui", on="2024-07-10")
    assert anh["next_visit_due"] == pd.Timestamp("2024-08-31")  # holiday end before 25 Sep
    # visited during the holiday: done
    row = _child("c3", last_contact="2024-07-05", last_home_visit="2024-07-02")
    anh = _one(_ds([row]), "c3", preset="anhui", on="2024-07-10")
    assert anh["next_visit_due"] == pd.Timestamp("2024-10-02")
    assert "holiday_visit" not in anh["flags"]


def test_holiday_window():
    s, e, name = holiday_window(np.datetime64("2024-06-10"))
    assert name == "summer" and pd.Timestamp(s) == pd.Timestamp("2024-07-01")
    s, e, name = holiday_window(np.datetime64("2024-12-01"))
    assert name == "winter" and pd.Timestamp(e) == pd.Timestamp("2025-02-25")


def test_anhui_extreme_weather_contact():
    row = _child("c1", last_contact="2024-06-01", last_home_visit="2024-06-01")
    ds = _ds([row])
    alert = [("2024-06-08", "2024-06-12")]
    anh = _one(ds, "c1", preset="anhui", alerts=alert)
    assert anh["next_contact_due"] == pd.Timestamp("2024-06-10")
    assert anh["status"] == "due_soon" and "extreme_weather" in anh["flags"]
    nat = _one(ds, "c1", preset="national", alerts=alert)
    assert nat["next_contact_due"] == pd.Timestamp("2024-07-01")
    # alert over: no effect
    assert _one(ds, "c1", preset="anhui", alerts=[("2024-05-01", "2024-05-03")])["flags"] == ""


def test_police_flags():
    rows = [_child("alone", lives_alone=True, last_contact=ON, last_home_visit=ON, household_id="h1"),
            _child("nocare", last_contact=ON, last_home_visit=ON, household_id="h2"),
            _child("fine", last_contact=ON, last_home_visit=ON, household_id="h3")]
    ds = _ds(rows, {"h1": "grandparents", "h2": "none", "h3": "parents"})
    s = visit_schedule(ds, on=ON).set_index("child_id")
    assert s.loc["alone", "flags"] == "alone_no_guardian" and s.loc["alone", "report_police"]
    assert s.loc["nocare", "report_police"]
    assert not s.loc["fine", "report_police"] and s.loc["fine", "flags"] == ""
    # optional column from an import
    ds._layers["children"] = ds["children"].assign(guardian_incapable=[False, False, True])
    s = visit_schedule(ds, on=ON).set_index("child_id")
    assert s.loc["fine", "flags"] == "guardian_incapable" and s.loc["fine", "report_police"]


def test_due_soon_days_setting(monkeypatch):
    ds = _ds([_child("c1", last_contact="2024-06-01", last_home_visit="2024-03-22")])
    assert _one(ds, "c1")["status"] == "ok"
    monkeypatch.setattr(settings, "due_soon_days", 14)
    assert _one(ds, "c1")["status"] == "due_soon"


def test_record_visit_updates_schedule():
    ds = _ds([_child("c1", last_contact="2024-01-01", last_home_visit="2023-12-01")])
    assert _one(ds, "c1")["status"] == "overdue"
    ds2 = record_visit(ds, "c1", "home_visit", "2024-06-05", recorded_by="director1", note="ok")
    assert len(ds2["visits"]) == 1 and len(ds["visits"]) == 0          # caller unchanged
    assert ds["children"]["last_home_visit"].iloc[0] == pd.Timestamp("2023-12-01")
    assert ds2["children"]["last_home_visit"].iloc[0] == pd.Timestamp("2024-06-05")
    assert ds2["children"]["last_contact"].iloc[0] == pd.Timestamp("2024-06-05")
    assert _one(ds2, "c1")["status"] == "ok"
    # an older contact does not move the dates back
    ds3 = record_visit(ds2, "c1", "contact", "2024-02-01")
    assert ds3["children"]["last_contact"].iloc[0] == pd.Timestamp("2024-06-05")
    assert len(ds3["visits"]) == 2 and ds3["visits"]["visit_id"].is_unique


def test_visits_table_counts_without_children_dates():
    ds = _ds([_child("c1")])
    visits, _ = coerce_layer("visits", pd.DataFrame({
        "visit_id": ["v1"], "child_id": ["c1"], "visited_on": ["2024-06-01"], "kind": ["home_visit"],
        "recorded_by": [None], "note": [None]}))
    ds["visits"] = visits
    assert _one(ds, "c1")["status"] == "ok"


def test_record_visit_errors_gathered():
    ds = _ds([_child("c1")])
    with pytest.raises(ValidationError) as err:
        record_visit(ds, "nope", "walk", "2999-01-01")
    msg = str(err.value)
    assert "nope" in msg and "walk" in msg and "future" in msg
    with pytest.raises(ValidationError, match="not a date"):
        record_visit(ds, "c1", "contact", "yesterday-ish")


def test_unknown_preset():
    with pytest.raises(SettingsError, match="jilin"):
        get_preset("mars")


def test_add_interval_month_end():
    d = np.array(["2024-01-31", "NaT"], dtype="datetime64[ms]")
    out = add_interval(d, (1, "M"))
    assert pd.Timestamp(out[0]) == pd.Timestamp("2024-02-29") and np.isnat(out[1])


def test_overdue_by_village():
    ds = _ds([_child("c1"), _child("c2", last_contact=ON, last_home_visit=ON)])
    table = overdue_by_village(visit_schedule(ds, on=ON))
    assert table.iloc[0].to_dict() | {} == {"village_code": "340123101001", "children": 2, "overdue": 1,
                                             "due_soon": 0, "ok": 1, "report_police": 0}


def test_default_on_is_today():
    ds = _ds([_child("c1", last_contact=dt.date.today(), last_home_visit=dt.date.today())])
    assert visit_schedule(ds)["status"].iloc[0] == "ok"


def test_visit_list_puts_police_then_high_risk_then_most_overdue_first():
    from geo.field.visits import visit_list

    day = pd.Timestamp("2026-11-04")  # a Wednesday: this week runs to Sunday 11-08
    sched = pd.DataFrame({
        "child_id": ["late_std", "police", "late_high", "this_week", "next_week", "later"],
        "village_code": ["v"] * 6,
        "tier": ["standard", "standard", "high_risk", "standard", "standard", "standard"],
        "next_contact_due": pd.to_datetime(["2026-10-01", "2026-12-01", "2026-11-01", "2026-11-08",
                                            "2026-11-15", "2026-11-16"]),
        "next_visit_due": pd.to_datetime(["2026-12-30"] * 6),
        "status": ["overdue", "ok", "overdue", "due_soon", "ok", "ok"],
        "days_overdue": pd.array([34, 0, 3, 0, 0, 0], dtype="Float64"),
        "flags": ["", "alone_no_guardian", "", "", "", ""],
        "report_police": [False, True, False, False, False, False],
    })
    out = visit_list(sched, day.date(), preset="national")
    assert out["child_id"].tolist() == ["police", "late_high", "late_std", "this_week", "next_week", "later"]
    assert out["urgency"].tolist() == [1, 2, 3, 4, 5, 6]
    window = dict(zip(out["child_id"], out["window"], strict=True))
    assert window == {"police": "ok", "late_high": "overdue", "late_std": "overdue",
                      "this_week": "due_this_week", "next_week": "due_next_week", "later": "ok"}
    assert out.set_index("child_id").loc["late_std", "due_in_days"] == -34
    assert out.set_index("child_id").loc["this_week", "due"] == pd.Timestamp("2026-11-08")
