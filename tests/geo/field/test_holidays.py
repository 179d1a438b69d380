"""Holidays and make-up working days: the official schedules 2024-2026, lunar estimates past them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.field.holidays import estimated_years, holiday_schedule, official_years

#: the 19 make-up working days (调休上班) of the State Council notices for 2024, 2025 and 2026
MAKEUP_2024_2026 = [
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14",
    "2024-09-29", "2024-10-12",
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
]


def test_the_19_makeup_working_days_2024_2026():
    table = holiday_schedule([2024, 2025, 2026])
    makeup = table[table["kind"] == "makeup_workday"]
    assert makeup["date"].dt.strftime("%Y-%m-%d").tolist() == MAKEUP_2024_2026
    assert (makeup["date"].dt.day_of_week >= 5).all() and not makeup["estimated"].any()
    assert not table["estimated"].any()
    assert {2024, 2025, 2026} <= official_years() and estimated_years([2025, 2026, 2027]) == [2027]


def test_official_holiday_blocks():
    table = holiday_schedule([2025])
    days = set(table.loc[table["kind"] == "holiday", "date"].dt.date)
    assert {dt.date(2025, 1, 28) + dt.timedelta(days=k) for k in range(8)} <= days  # Spring Festival
    assert dt.date(2025, 5, 31) in days and dt.date(2025, 10, 8) in days            # Dragon Boat, National Day
    assert dt.date(2025, 10, 9) not in days


def test_2027_lunar_holidays_estimated():
    table = holiday_schedule([2027])
    assert table["estimated"].all() and (table["kind"] == "holiday").all()  # no make-up days guessed
    by_name = table.groupby("name")["date"].agg(["min", "max", "count"])
    # Spring Festival 2027-02-06 (lunar 1/1): eve 2-05 to the 7th day 2-12
    assert (by_name.loc["Spring Festival", "min"], by_name.loc["Spring Festival", "max"]) == (
        pd.Timestamp("2027-02-05"), pd.Timestamp("2027-02-12"))
    # Dragon Boat 2027-06-09 (lunar 5/5) and Mid-Autumn 2027-09-15 (lunar 8/15), both Wednesdays
    assert by_name.loc["Dragon Boat Festival"].tolist() == [pd.Timestamp("2027-06-09")] * 2 + [1]
    assert by_name.loc["Mid-autumn Festival"].tolist() == [pd.Timestamp("2027-09-15")] * 2 + [1]
    # Qingming 2027-04-05 is a Monday: it joins the weekend before it
    assert by_name.loc["Tomb-sweeping Day", "min"] == pd.Timestamp("2027-04-03")
    assert by_name.loc["National Day", "count"] == 7 and by_name.loc["Labour Day", "count"] == 5


def test_estimate_reproduces_a_published_lunar_year():
    # the estimator run on 2026's dates (published: Dragon Boat 6-19 Fri to 6-21, Mid-Autumn 9-25
    # Fri to 9-27) agrees on the one-day holidays next to a weekend
    from geo.field.holidays import _estimate

    est = {d for d, n in _estimate(2026) if n in ("Dragon Boat Festival", "Mid-autumn Festival")}
    published = holiday_schedule([2026])
    pub = set(published.loc[published["name"].isin(["Dragon Boat Festival", "Mid-autumn Festival"]),
                            "date"].dt.date)
    assert est == pub


def test_mid_autumn_inside_national_day_extends_it():
    from geo.field.holidays import _estimate

    # 2028: Mid-Autumn is 3 October (lunar 8/15) -> National Day block 1-8 October
    days = {d: n for d, n in _estimate(2028)}
    assert days[dt.date(2028, 10, 8)] == "National Day"
    assert "Mid-autumn Festival" not in days.values()
