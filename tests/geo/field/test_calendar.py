"""Patrol calendar: day weights, risk bands, visit counts by season, teams (hand-computed cases)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.field.calendar import (
    SITE_COLUMNS,
    TEAM_COLUMNS,
    assign_teams,
    day_calendar,
    patrol_schedule,
    public_holidays,
    risk_bands,
    schedule_summary,
)
from geo.store.errors import SettingsError, ValidationError


def _sites(risks) -> pd.DataFrame:
    return pd.DataFrame({"site_id": [f"s{i:02d}" for i in range(len(risks))], "risk": list(map(float, risks))})


def _day(cal: pd.DataFrame, day: str) -> pd.Series:
    return cal.set_index("date").loc[pd.Timestamp(day)]


def test_day_weights_seasons_weekends_holidays():
    cal = day_calendar("2024-05-01", "2024-12-31")
    july = _day(cal, "2024-07-10")          # Wednesday in the summer holiday and flood season
    assert july["summer_holiday"] and july["flood_season"] and july["weight"] == 7.0
    assert july["day_kind"] == "day_off" and (july["window_start"], july["window_end"]) == ("14:00", "19:30")
    nov = _day(cal, "2024-11-13")           # an ordinary Wednesday
    assert nov["weight"] == 1.0 and nov["day_kind"] == "school_day" and nov["window_start"] == "16:00"
    assert nov["reasons"] == ""
    assert _day(cal, "2024-11-16")["weight"] == 2.0          # Saturday
    national_day = _day(cal, "2024-10-02")                   # Wednesday, public holiday, after the flood season
    assert national_day["public_holiday"] and not national_day["flood_season"] and national_day["weight"] == 2.0
    june = _day(cal, "2024-06-12")                           # flood season school day
    assert june["flood_season"] and june["day_kind"] == "school_day" and june["weight"] == 2.0
    dragon_boat = _day(cal, "2024-06-10")                    # Monday holiday in the flood season: 2 x 2
    assert dragon_boat["weight"] == 4.0 and dragon_boat["reasons"] == "flood_season;public_holiday"
    assert _day(cal, "2024-09-30")["flood_season"] and not _day(cal, "2024-10-01")["flood_season"]
    assert _day(cal, "2024-05-31")["weight"] == 1.0 and not _day(cal, "2024-05-31")["flood_season"]
    assert _day(cal, "2024-08-31")["summer_holiday"] and not _day(cal, "2024-09-02")["summer_holiday"]


def test_presets_and_alerts():
    national = day_calendar("2024-05-08", "2024-05-08", preset="national")
    anhui = day_calendar("2024-05-08", "2024-05-08", preset="anhui")   # Anhui's flood season starts 1 May
    assert national["weight"].iloc[0] == 1.0 and anhui["weight"].iloc[0] == 2.0
    alert = day_calendar("2024-11-12", "2024-11-14", alerts=[("2024-11-13", "2024-11-13")])
    assert alert["weight"].tolist() == [1.0, 2.0, 1.0]
    assert alert["reasons"].iloc[1] == "weather_alert"
    with pytest.raises(SettingsError):
        day_calendar("2024-01-01", "2024-01-02", preset="mars")


def test_public_holidays_official_and_estimated():
    days = public_holidays([2024])
    assert pd.Timestamp("2024-02-12") in days and pd.Timestamp("2024-02-18") not in days
    assert len(public_holidays([2025])) == 1 + 8 + 3 + 5 + 3 + 8
    later = public_holidays([2027])  # past the published schedules: estimated, lunar holidays included
    assert pd.Timestamp("2027-06-09") in later and pd.Timestamp("2027-09-15") in later
    assert pd.Timestamp("2027-02-06") in later and pd.Timestamp("2027-10-07") in later


def test_makeup_working_days_are_school_days():
    cal = day_calendar("2024-10-10", "2024-10-14")
    sat = _day(cal, "2024-10-12")           # Saturday, a make-up working day after National Day
    assert sat["makeup_workday"] and not sat["weekend"] and sat["day_kind"] == "school_day"
    assert sat["weight"] == 1.0 and sat["reasons"] == "makeup_workday" and sat["window_start"] == "16:00"
    sun = _day(cal, "2024-10-13")
    assert sun["weekend"] and sun["day_kind"] == "day_off" and not sun["makeup_workday"]


def test_estimated_year_flagged_in_the_calendar():
    cal = day_calendar("2027-06-08", "2027-06-10")
    dragon = _day(cal, "2027-06-09")        # Wednesday: Dragon Boat (lunar 5/5), estimated
    assert dragon["public_holiday"] and dragon["holiday_estimated"] and dragon["day_kind"] == "day_off"
    assert dragon["reasons"] == "flood_season;public_holiday;holiday_estimated"
    assert not _day(cal, "2027-06-08")["holiday_estimated"]
    official = day_calendar("2026-06-19", "2026-06-19")
    assert official["public_holiday"].iloc[0] and not official["holiday_estimated"].iloc[0]


def test_risk_bands_by_rank_share():
    band, gap = risk_bands([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1])
    # top 10% (1 site) weekly, next 20% (2) fortnightly, the rest monthly, no risk: none
    assert band.tolist() == [0, 1, 1, 2, 2, 2, 3, 3, 3, 3, -1, -1]
    assert gap[:10].tolist() == [7, 14, 14, 30, 30, 30, 30, 30, 30, 30] and np.isinf(gap[10:]).all()
    band, gap = risk_bands([5.0, 1.0], bands=((0.5, 1.0), (1.0, 2.0)))
    assert band.tolist() == [0, 1] and gap.tolist() == [1.0, 2.0]
    with pytest.raises(ValidationError):
        risk_bands([1.0], bands=((0.5, 7.0),))          # the last share must be 1.0
    with pytest.raises(ValidationError):
        risk_bands([1.0], bands=((0.5, 7.0), (0.4, 7.0), (1.0, 0.0)))


def test_top_band_daily_in_july_afternoons_weekly_in_november():
    sites = _sites([100.0] + [1.0] * 9)  # s00 alone in the top decile
    july = patrol_schedule(sites, start="2024-07-01", end="2024-07-31", per="visit")
    nov = patrol_schedule(sites, start="2024-11-01", end="2024-11-30", per="visit")
    top_july = july[july["site_id"] == "s00"]
    top_nov = nov[nov["site_id"] == "s00"]
    assert len(top_july) == 31                                   # every day of July
    assert set(top_july["window_start"]) == {"14:00"}             # afternoons into the evening
    # November: 21 school days at 1/7 and 9 weekend days at 2/7 -> 39/7 = 5.6 patrols
    assert len(top_nov) in (5, 6)
    assert len(top_july) > 4 * len(top_nov)
    # a low-band site (every 30 days) also gets more in July (weight 7) than in November
    low_july = (july["site_id"] == "s09").sum()
    low_nov = (nov["site_id"] == "s09").sum()
    assert low_july >= 7 and low_nov <= 2 and low_july > low_nov


def test_weekends_get_about_twice_the_patrols_of_school_days():
    sites = _sites(np.linspace(1, 2, 60))  # 60 sites; most in the 30-day bands
    visits = patrol_schedule(sites, start="2024-10-08", end="2024-12-31", per="visit")
    cal = day_calendar("2024-10-08", "2024-12-31")
    weekend_days = int(cal["weekend"].sum())
    school_days = int((cal["day_kind"] == "school_day").sum())
    assert weekend_days + school_days == len(cal)  # no holidays in this stretch
    on_weekend = visits["date"].dt.day_of_week >= 5
    ratio = (on_weekend.sum() / weekend_days) / ((~on_weekend).sum() / school_days)
    assert 1.6 < ratio < 2.4


def test_flood_season_doubles_school_day_patrols():
    sites = _sites(np.linspace(1, 2, 60))
    june = patrol_schedule(sites, start="2024-06-03", end="2024-06-07", per="visit")  # Mon-Fri, flood
    nov = patrol_schedule(sites, start="2024-11-04", end="2024-11-08", per="visit")   # Mon-Fri
    assert 1.5 < len(june) / len(nov) < 2.5


def test_site_table_and_zero_risk_sites():
    sites = _sites([100.0, 50.0, 0.0])
    table = patrol_schedule(sites, start="2024-07-01", end="2024-07-31", per="site",
                            bands=((0.5, 7.0), (1.0, 30.0)))
    assert table.columns.tolist() == SITE_COLUMNS
    assert table["site_id"].tolist() == ["s00", "s01"]     # s02 has no risk: not scheduled
    assert table["visits"].tolist()[0] == 31 and table["visits_per_week"].iloc[0] == pytest.approx(7.0)
    assert table["first_visit"].iloc[0] == pd.Timestamp("2024-07-01")
    # 30-day band, weight 7: rate 7/30 a day -> 31 * 7 / 30 = 7.2 visits
    assert table["visits"].tolist()[1] in (7, 8)


def test_team_rows_sum_visits_and_flag_capacity():
    sites = _sites(np.arange(20, 0, -1))
    visits = patrol_schedule(sites, start="2024-07-01", end="2024-07-14", per="visit", teams=2)
    table = patrol_schedule(sites, start="2024-07-01", end="2024-07-14", teams=2, max_stops=3)
    assert table.columns.tolist() == TEAM_COLUMNS
    assert table["n_sites"].sum() == len(visits)
    assert set(table["team"]) == {1, 2}
    first = table.iloc[0]
    ids = first["site_ids"].split(";")
    risks = sites.set_index("site_id").loc[ids, "risk"].tolist()
    assert risks == sorted(risks, reverse=True) and len(ids) == first["n_sites"]
    assert (table["over_capacity"] == (table["n_sites"] > 3)).all() and table["over_capacity"].any()
    summary = schedule_summary(table)
    assert summary["visits"] == len(visits) and summary["teams_needed"] >= 2


def test_teams_are_sectors_with_equal_load():
    # 8 sites on a circle around the origin: two teams take two half circles
    angles = np.linspace(-np.pi, np.pi, 8, endpoint=False) + 0.1
    xy = np.c_[np.cos(angles), np.sin(angles)] * 1000
    team = assign_teams(xy, np.ones(8), 2)
    assert team.tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    gdf = gpd.GeoDataFrame(_sites(np.ones(8)), geometry=[Point(x, y) for x, y in xy], crs="EPSG:32650")
    table = patrol_schedule(gdf, start="2024-07-01", end="2024-07-31", per="site", teams=2, bands=((1.0, 7.0),))
    per_team = table.groupby("team")["visits"].agg(["size", "sum"])
    assert per_team["size"].tolist() == [4, 4] and abs(per_team["sum"].diff().iloc[1]) <= 4
    given = _sites([3.0, 2.0, 1.0]).assign(team=[2, 2, 1])
    table = patrol_schedule(given, start="2024-07-01", end="2024-07-02", per="site")
    assert dict(zip(table["site_id"], table["team"], strict=True)) == {"s00": 2, "s01": 2, "s02": 1}


def test_bad_input_is_refused():
    sites = _sites([1.0])
    with pytest.raises(ValidationError, match="before it starts"):
        patrol_schedule(sites, start="2024-07-02", end="2024-07-01")
    with pytest.raises(ValidationError, match="at most"):
        patrol_schedule(sites, start="2020-01-01", end="2024-01-01")
    with pytest.raises(ValidationError, match="not a date"):
        patrol_schedule(sites, start="someday", end="2024-07-01")
    with pytest.raises(ValidationError, match="risk"):
        patrol_schedule(pd.DataFrame({"site_id": ["a"]}), start="2024-07-01", end="2024-07-02")
    with pytest.raises(ValidationError, match="teams"):
        patrol_schedule(sites, start="2024-07-01", end="2024-07-02", teams=0)
