"""Headers and values as ledgers type them: synonyms, lenient matching, shapefile names, asking."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, Polygon

from geo.cli._main import cli
from geo.ingest.headers import default_mapping, extend_mapping, normalize_header, normalize_value
from geo.ingest.imports import allowed_columns, import_file, prepare_import
from geo.store.dataset import read_dataset
from geo.store.errors import ValidationError
from geo.store.schema import LAYERS

TODAY = date(2025, 6, 1)
VILLAGE = "340123101001"


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _households(tmp_path: Path, ids=("h1", "h2", "h3", "h4")) -> Path:
    rows = "".join(f"{h},{VILLAGE},117.2{i},31.8{i}\n" for i, h in enumerate(ids))
    into = tmp_path / "ds.gpkg"
    import_file("households", _csv(tmp_path / "hh.csv", "household_id,village_code,lon,lat\n" + rows),
                into=into, today=TODAY)
    return into


@pytest.mark.parametrize("header", ["village_code", " Village_Code ", "ＶＩＬＬＡＧＥ－ＣＯＤＥ",
                                    "village code", "VILLAGE.CODE", "村代码", "村 代 码", "村（居）代码",
                                    "所属村(居)代码", "【村代码】"])
def test_headers_match_leniently(header):
    m = default_mapping()
    assert m.column_for(header, "households") == "village_code", normalize_header(header)


def test_bracketed_notes_in_headers_are_ignored():
    m = default_mapping()
    allowed = allowed_columns("stations")
    assert m.match("容量（人）", "stations", allowed).column == "capacity"
    assert m.match("出生年份(必填)", "children", allowed_columns("children")).column == "birth_year"


def test_values_match_leniently():
    assert normalize_value(" Ｍ ") == "m" and normalize_value("是 ") == "是"
    assert normalize_value("√") == "√"  # marks are values, not punctuation


def test_caregiver_header_zhaohuren_and_unknown_value_quarantined(tmp_path):
    """照护人 was dropped with a hint and 外星人 imported; now it maps and 外星人 is quarantined."""
    into = _households(tmp_path)
    src = _csv(tmp_path / "kids.csv", (
        "儿童编号,户编号,照护人,性别,出生年份\n"
        "c1,h1,爷爷奶奶,男,2015\n"
        "c2,h2,外星人,女,2016\n"
        "c3,h3,祖母,女,2017\n"
        "c4,h4,父母,男,2014\n"
    ))
    res = prepare_import("children", src, dataset=read_dataset(into), today=TODAY)
    assert not res.unmatched
    # caregiver is a household column: a children ledger carries it only with a location, so
    # here it is checked against the households table
    hh = _csv(tmp_path / "hh2.csv", (
        "户编号,村代码,照护人,经度,纬度\n"
        f"h1,{VILLAGE},爷爷奶奶,117.21,31.81\n"
        f"h2,{VILLAGE},外星人,117.22,31.82\n"
        f"h3,{VILLAGE},祖母,117.23,31.83\n"
        f"h4,{VILLAGE},父母,117.24,31.84\n"
    ))
    into = tmp_path / "fresh.gpkg"
    res = import_file("households", hh, into=into, today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (4, 3, 1)
    assert res.quarantine["户编号"].tolist() == ["h2"]
    assert "外星人" in res.quarantine["reason"].iloc[0]
    stored = read_dataset(into)["households"].set_index("household_id")["caregiver"]
    assert stored.to_dict() == {"h1": "grandparents", "h3": "grandparents", "h4": "parents"}


def test_a_column_of_unknown_values_is_asked_about_not_imported(tmp_path):
    """看护人 holding something else than carer kinds: the column is asked about, rows kept."""
    src = _csv(tmp_path / "hh.csv", "户编号,村代码,看护人,经度,纬度\n" + "".join(
        f"h{i},{VILLAGE},某某{i},117.2{i},31.8{i}\n" for i in range(4)))
    res = prepare_import("households", src, today=TODAY)
    assert res.imported == 4 and res.quarantined == 0
    assert res.unmatched == {"看护人": ["caregiver"]}
    assert res.preview["caregiver"].isna().all()
    assert any("caregiver" in n for n in res.notice_texts("en"))
    # mapped on purpose: the column is used and each unknown value quarantines its row
    sure = prepare_import("households", src, today=TODAY,
                          mapping=extend_mapping(default_mapping(), {"看护人": "caregiver"}))
    assert not sure.unmatched and (sure.imported, sure.quarantined) == (0, 4)


#: a children ledger as the child-welfare information system exports it (one row per child,
#: with the household's village and location): every header a synonym, none the project's own.
WELFARE_EXPORT = (
    "序号,儿童姓名,身份证件号码,性别,出生日期,儿童类别备注,所在户编号,所属村（居）代码,经度,纬度,"
    "照护人与儿童关系,是否为留守儿童,困境儿童类别,监护评估结果,是否残疾儿童,是否患重病,"
    "是否有心理问题,是否独自居住,是否单亲家庭,最近一次联系日期,最近一次走访日期,监护人联系电话\n"
    "1,赵小明,110101201501011233,男,2015-03-07,无,H001,{v},117.21,31.81,祖父,是,家庭困难,良好,否,否,否,否,否,"
    "2025/5/6,2025年4月1日,13812345678\n"
    "2,钱小红,340123201803050028,女,2016年8月,无,H002,{v},117.22,31.82,母亲,否,自身困难、监护困难,一般,是,否,√,×,是,"
    "2025-05-20,2025-03-02,13912345670\n"
)


def test_a_ledger_exported_by_another_system_loses_no_column(tmp_path):
    """The bar: every non-personal column of a synonym-headed ledger lands in a dataset column."""
    src = _csv(tmp_path / "welfare.csv", WELFARE_EXPORT.format(v=VILLAGE), "gbk")
    res = import_file("children", src, into=tmp_path / "ds.gpkg", today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (2, 2, 0), res.problem_rows()
    assert not res.unmatched
    ds = read_dataset(tmp_path / "ds.gpkg")
    kids = ds["children"]
    for col in LAYERS["children"].column_names:
        assert kids[col].notna().all(), col
    kids = kids.set_index("household_id")
    assert kids["child_id"].str.fullmatch(r"C[0-9a-f]{16}").all()  # pseudonyms of the ID numbers
    assert kids.loc["H001", "birth_year"] == 2015 and kids.loc["H002", "birth_year"] == 2016
    assert kids.loc["H002", "difficulty"] == "self;guardianship"
    assert kids.loc["H002", "psych_concern"] and not kids.loc["H002", "lives_alone"]
    assert kids.loc["H001", "last_home_visit"] == pd.Timestamp("2025-04-01")
    hh = ds["households"].set_index("household_id")
    assert hh.loc["H001", "caregiver"] == "grandparents" and hh.loc["H002", "caregiver"] == "one_parent"
    assert (hh["village_code"] == VILLAGE).all()
    # what was not imported is said: personal columns dropped, the row number and a note column
    notices = " ".join(res.notice_texts("en"))
    assert "儿童姓名" in notices and "监护人联系电话" in notices
    assert "序号" in notices and "儿童类别备注" in notices
    blob = (tmp_path / "ds.gpkg").read_bytes()
    assert "赵小明".encode() not in blob and b"13812345678" not in blob
    assert b"110101201501011233" not in blob
    assert b"2015-03-07" not in blob  # only the birth year is kept


def test_look_alike_header_stops_the_cli_until_mapped(tmp_path):
    into = _households(tmp_path)
    src = _csv(tmp_path / "kids.csv", "儿童编号,户编号,出生年份,最近联系情况日期\nc1,h1,2015,2025-05-01\n")
    res = prepare_import("children", src, dataset=read_dataset(into), today=TODAY)
    assert res.unmatched["最近联系情况日期"][0] == "last_contact"
    run = CliRunner().invoke(cli, ["import", "children", str(src), "--into", str(into)])
    assert run.exit_code == 2 and "最近联系情况日期" in run.output and "last_contact" in run.output
    assert "Traceback" not in run.output
    assert read_dataset(into)["children"].empty  # nothing imported
    run = CliRunner().invoke(cli, ["import", "children", str(src), "--into", str(into),
                                   "--map", "最近联系情况日期=last_contact"])
    assert run.exit_code == 0, run.output
    kids = read_dataset(into)["children"]
    assert kids["last_contact"].iloc[0] == pd.Timestamp("2025-05-01")
    run = CliRunner().invoke(cli, ["import", "children", str(src), "--into", str(into),
                                   "--map", "最近联系情况日期=-"])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(cli, ["import", "children", str(src), "--into", str(into), "--map", "oops"])
    assert run.exit_code == 2 and "HEADER=COLUMN" in run.output


def test_missing_required_column_names_its_look_alike(tmp_path):
    src = _csv(tmp_path / "hh.csv", f"户主编码号,村代码,经度,纬度\nh1,{VILLAGE},117.2,31.8\n")
    with pytest.raises(ValidationError, match="户主编码号 → household_id"):
        prepare_import("households", src, today=TODAY)
    m = extend_mapping(default_mapping(), {"户主编码号": "household_id"})
    assert prepare_import("households", src, mapping=m, today=TODAY).imported == 1


def test_shapefile_written_by_gdal_from_our_export_imports_back(tmp_path):
    """GDAL cuts field names to 10 bytes: village_co, household_, responsibl, inspected_."""
    pts = [Point(117.21, 31.81), Point(117.22, 31.82)]
    layers = {
        "households": gpd.GeoDataFrame({"household_id": ["h1", "h2"], "village_code": [VILLAGE] * 2,
                                        "caregiver": ["grandparents", "parents"]}, geometry=pts,
                                       crs="EPSG:4326"),
        "water_bodies": gpd.GeoDataFrame(
            {"water_id": ["w1"], "kind": ["pond"], "name": ["东塘"], "responsible_unit": ["东村村委会"],
             "barrier": ["true"]},
            geometry=[Polygon([(117.2, 31.8), (117.201, 31.8), (117.201, 31.801)])], crs="EPSG:4326"),
        "safety_kits": gpd.GeoDataFrame(
            {"kit_id": ["k1", "k2"], "water_id": ["w1", "w1"], "sign": ["true", "false"],
             "buoy": ["true"] * 2, "rope": ["false"] * 2, "pole": ["true"] * 2,
             "inspected_on": ["2025-05-01", "2025-04-02"]}, geometry=pts, crs="EPSG:4326"),
    }
    into = tmp_path / "ds.gpkg"
    for name, frame in layers.items():
        shp = tmp_path / f"{name}.shp"
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
        fields = pyogrio.read_info(shp)["fields"].tolist()
        assert all(len(f.encode()) <= 10 for f in fields)
        res = import_file(name, shp, into=into, today=TODAY)
        assert res.quarantined == 0 and not res.unmatched, (name, res.problem_rows(), fields)
        stored = read_dataset(into)[name]
        for col in frame.columns:
            if col == "geometry":
                continue
            got = stored[col].astype(str).str.lower().tolist()
            want = frame[col].astype(str).str.lower().tolist()
            if LAYERS[name].column(col).kind == "date":
                got = [g[:10] for g in got]
            assert got == want, (name, col)
    assert "responsibl" in pyogrio.read_info(tmp_path / "water_bodies.shp")["fields"].tolist()
