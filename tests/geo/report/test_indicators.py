"""Indicators counted by hand on the report_data county; the roll-up equals the union; statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from report_data import ON, county, union

from geo.field.presets import PRESETS, Tier, VisitPreset
from geo.report.facts import num, unit_facts
from geo.report.indicators import INDICATORS, check_preset, status
from geo.report.indicators import PRESETS as REPORT_PRESETS
from geo.report.rollup import combine, indicator_table, infer_level, sources_from
from geo.store.errors import SettingsError, ValidationError

C = "341101"
T, V1, V2 = f"{C}001", f"{C}001001", f"{C}001002"


@pytest.fixture(scope="module")
def facts():
    return unit_facts(county(C), on=ON, preset="national", coverage=False)


def _row(facts, level, code):
    table = indicator_table(facts, level=level, down_to="village")
    return table.set_index("code").loc[code]


def test_village_of_31_children_with_one_director_fails_the_rule(facts):
    v1, v2 = _row(facts, "county", V1), _row(facts, "county", V2)
    assert v1["villages_with_director"] == 1.0
    assert v1["villages_staffed"] == 0.0  # 31 children need 2 directors
    assert v1["directors_short"] == 1
    assert v2["villages_staffed"] == 1.0  # 3 children in scope, 1 director
    top = _row(facts, "county", C)
    assert top["villages_staffed"] == 0.5 and top["directors_short"] == 1


def test_children_files_and_flags_counted_by_hand(facts):
    top = _row(facts, "county", C)
    assert top["children_on_file"] == 34  # 31 + 3 in scope (c2d is not left-behind)
    assert top[num("records_complete")] == 33  # c2c has no sex
    assert top["police_flags_open"] == 1  # c2b lives alone
    assert top["police_flags_days_mean"] == 20 and top["police_flags_days_max"] == 20


def test_home_visit_four_months_ago_overdue_nationally_not_under_a_looser_rule():
    ds = county(C)
    national = _row(unit_facts(ds, on=ON, preset="national", coverage=False), "county", V2)
    assert national["visit_overdue"] == 1 and national["contact_overdue"] == 0
    looser = VisitPreset("half_year", "半年一访", "Every six months",
                         (Tier("standard", (), (1, "M"), (6, "M"), "a county's own rule"),))
    loose = _row(unit_facts(ds, on=ON, preset="national", coverage=False, visit_rules=looser), "county", V2)
    assert loose["visit_overdue"] == 0
    assert loose["visit_on_schedule"] == 1.0


def test_water_and_stations_counted_by_hand(facts):
    top = _row(facts, "county", C)
    assert top["risky_sites"] == 1  # the pond; the canal is 5 km from anyone
    assert top["risky_sites_four_ones"] == 1.0
    assert top["risky_sites_barrier"] == 0.0
    assert top["inspections_last_quarter"] == 1
    assert top["risky_sites_inspected"] == 1.0
    assert top["townships_with_workstation"] == 1.0 and top["workstations"] == 1
    assert np.isnan(top["patrols_proven"])  # no patrol checks recorded: no data, not 0%
    assert top["patrols_planned"] > 0


def test_rollup_of_two_counties_equals_their_union():
    a, b = county("341101"), county("341102", dx=0.5)
    parts = [unit_facts(d, on=ON, preset="anhui") for d in (a, b)]
    rolled = combine(parts)
    whole = unit_facts(union(a, b), on=ON, preset="anhui")
    cols = list(rolled.facts.columns)
    pd.testing.assert_frame_equal(rolled.facts[cols].sort_index(), whole.facts[cols].sort_index(),
                                  check_dtype=False, check_names=False, check_index_type=False)
    assert infer_level(rolled) == "city"
    city = indicator_table(rolled, level="city", down_to="county")
    assert list(city["level"]) == ["city", "county", "county"]
    assert city.iloc[0]["children_on_file"] == 68


def test_same_county_twice_is_refused():
    part = unit_facts(county(C), on=ON, preset="national", coverage=False)
    with pytest.raises(ValidationError, match="same units"):
        combine([part, part])


def test_status_met_close_behind():
    share = INDICATORS["visit_on_schedule"]
    assert status(share, 1.0, 10, preset="national") == "met"
    assert status(share, 0.95, 10, preset="national") == "close"
    assert status(share, 0.80, 10, preset="national") == "behind"
    overdue = INDICATORS["visit_overdue"]
    assert status(overdue, 0, 100, preset="national") == "met"
    assert status(overdue, 5, 100, preset="national") == "close"
    assert status(overdue, 50, 100, preset="national") == "behind"
    assert status(INDICATORS["risky_sites_barrier"], 0.2, 10, preset="national") == "no_target"
    assert status(share, float("nan"), 0, preset="national") == "no_data"
    # Anhui's 1,000 workstations are a province's target, not a county's
    ws = INDICATORS["workstations"]
    assert ws.target_for("anhui", "province").value == 1000
    assert ws.target_for("anhui", "county") is None


def test_every_indicator_has_names_source_and_preset_targets_from_the_plans():
    assert set(REPORT_PRESETS) == set(PRESETS)
    for ind in INDICATORS.values():
        assert ind.zh and ind.en and ind.formula_zh and ind.formula_en
        for p in REPORT_PRESETS:
            assert ind.source_for(p), (ind.id, p)
    assert INDICATORS["townships_with_workstation"].target_for("heze").source == "003 §21"
    assert INDICATORS["townships_with_workstation"].target_for("national") is None


def test_bad_preset_level_and_sources_are_refused(tmp_path):
    with pytest.raises(SettingsError, match="unknown preset"):
        check_preset("mars")
    with pytest.raises(SettingsError, match="unknown level"):
        indicator_table(unit_facts(county(C), on=ON, preset="national", coverage=False), level="galaxy")
    with pytest.raises(ValidationError, match="does not exist"):
        sources_from([tmp_path / "none.gpkg"])
    with pytest.raises(ValidationError, match="no .gpkg"):
        sources_from([tmp_path])
    with pytest.raises(ValidationError, match="mysql://"):
        sources_from(["mysql://localhost/db"])


def test_patrols_proven_by_stored_checks(tmp_path):
    from geo.field.calendar import day_calendar, patrol_schedule
    from geo.field.patrolcheck import store_checks
    from geo.store.dataset import read_dataset, write_dataset
    from geo.water.pipeline import water_sites

    ds = county(C)
    sites = water_sites(ds, as_of=ON)
    visits = patrol_schedule(sites, start="2026-01-01", end="2026-12-31", preset="national", per="visit")
    cal = day_calendar("2026-01-01", "2026-12-31", preset="national")
    season = set(pd.to_datetime(cal.loc[cal["summer_holiday"] | cal["flood_season"], "date"]))
    planned = visits[pd.to_datetime(visits["date"]).isin(season).to_numpy()
                     & (pd.to_datetime(visits["date"]) <= pd.Timestamp(ON)).to_numpy()]
    first = planned.iloc[0]
    path = tmp_path / "c.gpkg"
    write_dataset(ds, path)
    result = pd.DataFrame({"site_id": [first["site_id"]], "team": [1], "status": ["ok"],
                           # passed_at is UTC: 09:00 UTC is 17:00 on the planned day in the county
                           "passed_at": [pd.Timestamp(first["date"]) + pd.Timedelta(hours=9)]})
    assert store_checks(path, result, recorded_by="team1") == 1
    with pytest.raises(ValidationError, match="no times"):
        store_checks(path, result.assign(passed_at=pd.NaT))
    stored = read_dataset(path)
    assert len(stored["patrol_checks"]) == 1
    top = _row(unit_facts(stored, on=ON, preset="national", coverage=False), "county", C)
    assert top["patrols_proven"] == pytest.approx(1 / len(planned))


def test_unit_polygons_make_a_city_and_province_of_their_counties():
    from geo.report.rollup import unit_polygons

    units = union(county("341101"), county("341102", dx=0.5))["admin_units"]
    out = unit_polygons(units, ["3411", "34", "341101001", "349999"]).set_index("code")
    assert set(out.index) == {"3411", "34", "341101001"}  # a code with no part has no polygon
    counties = units[units["code"].astype(str).str.len() == 6]
    assert out.loc["3411"].geometry.equals(counties.geometry.union_all())  # the two counties, not their villages
    assert out.loc["34"].geometry.equals(out.loc["3411"].geometry)
    assert out.loc["341101001"].geometry.equals(units.set_index("code").loc["341101001"].geometry)
