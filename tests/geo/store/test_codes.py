"""Division codes as the state writes them: 6/9/12 digits or 12 at every level, one stored form,
the hierarchy, and county codes checked against the shipped official list."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.ingest.imports import import_file, prepare_import
from geo.store import codes, settings
from geo.store.dataset import read_dataset
from geo.store.validate import dataset_problems

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize("raw, level, stored", [
    ("340121", "county", "340121"),
    ("340121000000", "county", "340121"),
    ("340121100", "township", "340121100"),
    ("340121100000", "township", "340121100"),
    ("340121100201", "village", "340121100201"),
    ("３４０１２１１００２０１", "village", "340121100201"),  # full-width digits
    (" 340121 100 201 ", "village", "340121100201"),
])
def test_codes_read_in_every_form_and_stored_short(raw, level, stored):
    assert codes.normalize(raw, level) == (stored, None)
    assert codes.level_of(codes.clean(raw)) == level


@pytest.mark.parametrize("raw, level, why", [
    ("340121100000", "village", "wrong_level"),  # a township's code where a village's belongs
    ("340121", "township", "wrong_level"),
    ("3401211", "village", "not_a_code"),
    ("340000", "county", "not_a_code"),  # a province
    ("340100000000", "county", "not_a_code"),  # a city
    ("34012110x201", "village", "not_a_code"),
])
def test_codes_of_the_wrong_form_or_level(raw, level, why):
    assert codes.normalize(raw, level)[1] == why


def test_the_official_county_list_is_shipped_with_its_source():
    counties = codes.official_counties()
    assert counties["340121"] == "长丰县" and counties["110101"] == "东城区"
    assert len(counties) == 2978
    assert codes.COUNTY_LIST["as_of"] == "2023-06-30" and "国家统计局" in codes.COUNTY_LIST["source"]
    # no official code has the synthetic form, and the demo's codes have it
    assert not any(codes.is_synthetic_county(c) for c in counties)
    assert codes.is_synthetic_county("341199") and codes.is_synthetic_county("348121")
    assert not codes.is_synthetic_county("429004")  # 仙桃市: city part 90 is real


ADMIN = (
    "区划代码,名称,级别,上级代码,经度,纬度\n"
    "340121000000,长丰县,县,,117.2,31.8\n"          # 2: county in 12 digits
    "340121100000,水湖镇,乡镇,340121000000,117.2,31.8\n"  # 3: township in 12 digits, parent in 12
    "340121100201,某村,村,,117.2,31.8\n"            # 4: parent follows from the code
    "340121100202,某二村,,340121100,117.2,31.8\n"   # 5: level follows from the code
    "340121101203,某三村,村,340121100,117.2,31.8\n"  # 6: parent is not the code's own parent
    "340121102001,某四村,村,,117.2,31.8\n"          # 7: its township is not among the units: warning
    "349999000000,无此县,县,,117.2,31.8\n"          # 8: not in the official list: warning
)


def test_admin_units_import_stores_one_form_and_checks_the_hierarchy(tmp_path):
    src = tmp_path / "admin.csv"
    src.write_text(ADMIN, encoding="utf-8")
    res = import_file("admin_units", src, into=tmp_path / "ds.gpkg", today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (7, 6, 1)
    units = read_dataset(tmp_path / "ds.gpkg")["admin_units"].set_index("code")
    assert sorted(units.index) == ["340121", "340121100", "340121100201", "340121100202",
                                   "340121102001", "349999"]
    assert units.loc["340121100", "parent_code"] == "340121"
    assert units.loc["340121100201", "parent_code"] == "340121100"
    assert units.loc["340121100202", "level"] == "village"
    codes_by_row = {(p.row, p.code, p.severity) for p in res.problems}
    assert (6, "code_hierarchy", "error") in codes_by_row
    assert (7, "parent_missing", "warning") in codes_by_row
    assert (8, "unknown_county", "warning") in codes_by_row
    assert "349999" in next(p.message("zh") for p in res.problems if p.code == "unknown_county")


def test_household_codes_in_12_digits_and_a_township_code_refused(tmp_path):
    src = tmp_path / "hh.csv"
    src.write_text("户编号,村代码,经度,纬度\nh1,340121100201,117.2,31.8\nh2,340121100000,117.21,31.81\n",
                   encoding="utf-8")
    res = prepare_import("households", src, today=TODAY)
    assert res.imported == 1
    problem = next(p for p in res.problems if p.row == 3)
    assert problem.code == "code_level" and "township" in problem.message("en")
    assert "乡镇" in problem.message("zh")


def test_synthetic_codes_only_where_allowed(tmp_path, monkeypatch):
    src = tmp_path / "admin.csv"
    src.write_text("code,level,lon,lat\n341199,county,117.2,31.8\n", encoding="utf-8")
    res = prepare_import("admin_units", src, today=TODAY)
    assert [p.code for p in res.problems] == ["unknown_county"]
    monkeypatch.setattr(settings, "allow_synthetic_codes", True)
    assert prepare_import("admin_units", src, today=TODAY).problems == []
    src.write_text("code,level,lon,lat\n341198,county,117.2,31.8\n", encoding="utf-8")  # not synthetic, not real
    assert [p.code for p in prepare_import("admin_units", src, today=TODAY).problems] == ["unknown_county"]


def test_info_flags_a_county_code_that_does_not_exist(tmp_path):
    src = tmp_path / "admin.csv"
    src.write_text("code,level,parent_code,lon,lat\n341198,county,,117.2,31.8\n"
                   "341198100,township,341198,117.21,31.81\n", encoding="utf-8")
    into = tmp_path / "ds.gpkg"
    import_file("admin_units", src, into=into, today=TODAY)
    problems = dataset_problems(read_dataset(into))
    assert any("341198" in p and "official list" in p for p in problems)
    run = CliRunner().invoke(cli, ["info", str(into)])
    assert "341198" in run.output


def test_the_demo_county_code_is_synthetic_and_allowed(tmp_path):
    demo = read_dataset(settings.demo_dataset)
    county = demo["admin_units"].query("level == 'county'")["code"].iloc[0]
    assert codes.is_synthetic_county(county) and county not in codes.official_counties()
    assert codes.synthetic_allowed(demo.settings)
    assert not any("official list" in p for p in dataset_problems(demo))
