"""The import pipeline: formats, header maps, personal data, quarantine, idempotence, atomicity."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon

import geo.ingest.imports as imports
from geo.ingest.headers import read_mapping
from geo.ingest.imports import import_file, prepare_import
from geo.ingest.pseudonym import SALT_KEY, id_check_digit_ok, is_id_card, pseudonym
from geo.ingest.quarantine import write_quarantine
from geo.ingest.readers import read_table
from geo.store.coords import distance_m, wgs84_to_gcj02
from geo.store.dataset import read_dataset
from geo.store.errors import ValidationError
from geo.store.keys import read_keys

TODAY = date(2025, 6, 1)
VILLAGE = "340123101001"
# valid check digits (GB 11643), made-up people
ID_A = "110101201501011233"
ID_B = "340123201803050028"


def _write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


HOUSEHOLDS_ZH = (
    "户编号,村代码,照料类型,经度,纬度,户主姓名,联系电话\n"
    f"h1,{VILLAGE},祖父母,117.27,31.86,张三丰,13812345678\n"
    f"h2,{VILLAGE},父母,117.28,31.87,李四光,13912345670\n"
    "h3,3401231,父母,31.87,117.28,王五常,\n"
)


def test_id_card_check_digit():
    assert is_id_card(ID_A) and is_id_card(ID_B)
    assert id_check_digit_ok(ID_A) and not id_check_digit_ok(ID_A[:-1] + "7")
    assert is_id_card(ID_A[:-1] + "7")  # a wrong check digit is still someone's number (issue 12)
    assert not is_id_card("12345")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_chinese_csv_in_every_encoding_imports(tmp_path, encoding):
    src = _write_csv(tmp_path / "hh.csv", HOUSEHOLDS_ZH, encoding)
    res = import_file("households", src, into=tmp_path / "ds.gpkg", today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (3, 2, 1)
    ds = read_dataset(tmp_path / "ds.gpkg")
    hh = ds["households"].set_index("household_id")
    assert hh.loc["h1", "caregiver"] == "grandparents"
    assert hh.loc["h2", "caregiver"] == "parents"
    assert abs(hh.loc["h1"].geometry.x - 117.27) < 1e-9
    q = pd.read_csv(res.quarantine_path, dtype=str, encoding="utf-8-sig")
    assert q["户编号"].tolist() == ["h3"]
    assert "village_code" in q.loc[0, "reason"] and "swapped" in q.loc[0, "reason"]


def test_no_personal_data_reaches_the_file(tmp_path):
    text = (
        "身份证号,户主身份证号,姓名,性别,出生年份,是否留守,监护情况,监护人电话,备注\n"
        f"{ID_A},{ID_B},赵小明,男,2015,是,良好,13812345678,父亲电话13912345670\n"
    )
    hh = _write_csv(tmp_path / "hh.csv", f"户主身份证号,村代码,经度,纬度\n{ID_B},{VILLAGE},117.27,31.86\n")
    kids = _write_csv(tmp_path / "kids.csv", text, "gbk")
    into = tmp_path / "ds.gpkg"
    r1 = import_file("households", hh, into=into, today=TODAY)
    r2 = import_file("children", kids, into=into, today=TODAY)
    assert r1.imported == 1 and r2.imported == 1, r2.problems
    ds = read_dataset(into)
    child = ds["children"].iloc[0]
    assert SALT_KEY not in ds.settings  # the key is beside the file, not in it
    salt = read_keys(into)["pseudonym"]
    assert salt.encode() not in into.read_bytes()
    assert child["child_id"] == pseudonym(ID_A, salt, prefix="C")
    assert child["household_id"] == ds["households"]["household_id"].iloc[0]
    assert child["sex"] == "M" and child["left_behind"] and child["guardianship"] == "good"
    blob = into.read_bytes()
    for secret in (ID_A, ID_B, "13812345678", "13912345670", "赵小明"):
        assert secret.encode() not in blob
        assert secret.encode("utf-16-le") not in blob
    assert any("姓名" in n for n in r2.notice_texts("zh"))


def test_id_numbers_are_found_by_content_even_under_a_harmless_header(tmp_path):
    src = _write_csv(tmp_path / "k.csv", f"child_id,household_id,birth_year,contact\n{ID_A},h1,2016,13812345678\n")
    hh = _write_csv(tmp_path / "h.csv", f"household_id,village_code,lon,lat\nh1,{VILLAGE},117.2,31.8\n")
    into = tmp_path / "ds.gpkg"
    import_file("households", hh, into=into, today=TODAY)
    res = import_file("children", src, into=into, today=TODAY)
    assert res.imported == 1
    assert ID_A.encode() not in into.read_bytes() and b"13812345678" not in into.read_bytes()


def test_xlsx_with_sheet(tmp_path):
    frame = pd.DataFrame({"编号": ["s1", "s2"], "名称": ["儿童之家A", "社工站B"],
                          "类型": ["儿童之家", "社工站"], "级别": ["村", "乡镇"],
                          "经度": [117.1, 117.2], "纬度": [31.7, 31.8]})
    path = tmp_path / "stations.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="说明", index=False)
        frame.to_excel(xl, sheet_name="阵地", index=False)
    res = import_file("stations", path, into=tmp_path / "ds.gpkg", sheet="阵地", today=TODAY)
    assert res.imported == 2
    st_ = read_dataset(tmp_path / "ds.gpkg")["stations"].set_index("station_id")
    assert st_.loc["s1", "kind"] == "childrens_home" and st_.loc["s2", "level"] == "township"
    with pytest.raises(ValidationError, match="no sheet"):
        read_table(path, sheet="nope")


def test_gcj02_ledger_lands_within_5_m(tmp_path):
    lon, lat = 117.2712345, 31.8612345
    glon, glat = wgs84_to_gcj02(lon, lat)
    src = _write_csv(tmp_path / "k.csv", f"kit_id,lon,lat,sign,buoy,rope,pole\nk1,{glon:.9f},{glat:.9f},是,是,否,1\n")
    import_file("safety_kits", src, into=tmp_path / "ds.gpkg", coords="gcj02", today=TODAY)
    kits = read_dataset(tmp_path / "ds.gpkg")["safety_kits"]
    pt = kits.geometry.iloc[0]
    assert distance_m(pt.x, pt.y, lon, lat) < 5
    kit = kits.iloc[0]
    assert (kit["sign"], kit["buoy"], kit["rope"], kit["pole"]) == (True, True, False, True)


def test_dlbm_shapefile_with_gbk_text_imports_as_kinds(tmp_path):
    x0, y0 = 117.2, 31.8
    sq = lambda dx: Polygon([(x0 + dx, y0), (x0 + dx + 0.001, y0), (x0 + dx + 0.001, y0 + 0.001), (x0 + dx, y0 + 0.001)])  # noqa: E731
    gdf = gpd.GeoDataFrame(
        {"BSM": ["1", "2", "3", "4", "5", "6"],
         "DLBM": ["1101", "1102", "1103", "1104", "1104A", "0101"],
         "DLMC": ["河流水面", "湖泊水面", "水库水面", "坑塘水面", "养殖坑塘", "水田"],
         "QSDWMC": ["某村村民委员会"] * 6},
        geometry=[sq(0), sq(0.01), sq(0.02), sq(0.03), sq(0.04), sq(0.05)], crs="EPSG:4490")
    canal = gpd.GeoDataFrame({"BSM": ["7"], "DLBM": ["1107"], "DLMC": ["沟渠"], "QSDWMC": ["某村"]},
                             geometry=[LineString([(x0, y0 - 0.01), (x0 + 0.05, y0 - 0.01)])], crs="EPSG:4490")
    shp = tmp_path / "dltb.shp"
    gdf.to_file(shp, encoding="GBK")
    (tmp_path / "dltb.cpg").unlink(missing_ok=True)  # no .cpg: the encoding is detected
    canal.to_file(tmp_path / "canal.shp", encoding="GBK")
    into = tmp_path / "ds.gpkg"
    res = import_file("water_bodies", shp, into=into, today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (6, 5, 1)
    import_file("water_bodies", tmp_path / "canal.shp", into=into, today=TODAY)
    water = read_dataset(into)["water_bodies"].set_index("water_id")
    assert water["kind"].to_dict() == {"1": "river", "2": "lake", "3": "reservoir", "4": "pond",
                                       "5": "pond", "7": "canal"}
    assert water.loc["4", "name"] == "坑塘水面" and water.loc["4", "responsible_unit"] == "某村村民委员会"
    assert res.quarantine_path.suffix == ".gpkg"


def test_geojson_and_projected_epsg(tmp_path):
    gdf = gpd.GeoDataFrame({"station_id": ["a"], "kind": ["school"], "level": ["school"]},
                           geometry=gpd.points_from_xy([117.3], [31.9]), crs="EPSG:4326").to_crs("EPSG:4548")
    gdf.to_file(tmp_path / "s.geojson", driver="GeoJSON")
    res = prepare_import("stations", tmp_path / "s.geojson", today=TODAY)
    pt = res.preview.geometry.iloc[0]
    assert distance_m(pt.x, pt.y, 117.3, 31.9) < 0.01
    csv = _write_csv(tmp_path / "s.csv", f"station_id,kind,level,x,y\nb,school,school,{gdf.geometry.x[0]},{gdf.geometry.y[0]}\n")
    res = prepare_import("stations", csv, coords="EPSG:4548", today=TODAY)
    pt = res.preview.geometry.iloc[0]
    assert distance_m(pt.x, pt.y, 117.3, 31.9) < 0.01


def test_wkt_column(tmp_path):
    src = _write_csv(tmp_path / "r.csv", 'road_id,road_class,wkt\nr1,村道,"LINESTRING (117.1 31.8, 117.2 31.8)"\nr2,rural,"LINESTRING (oops"\n')
    res = prepare_import("roads", src, today=TODAY)
    assert (res.imported, res.quarantined) == (1, 1)
    assert res.preview["road_class"].iloc[0] == "rural"
    assert any(p.code == "bad_wkt" and p.row == 3 for p in res.problems)


def _children_ds(tmp_path):
    hh = _write_csv(tmp_path / "h.csv", f"household_id,village_code,lon,lat\nh1,{VILLAGE},117.2,31.8\nh2,{VILLAGE},117.21,31.81\n")
    into = tmp_path / "ds.gpkg"
    import_file("households", hh, into=into, today=TODAY)
    return into


def test_every_rule_is_reported_with_row_and_column(tmp_path):
    into = _children_ds(tmp_path)
    text = (
        "child_id,household_id,birth_year,sex,left_behind,difficulty,guardianship,last_contact\n"
        "c1,h1,2016,M,yes,family;self,good,2025-01-02\n"   # row 2: good
        "c2,h9,2016,F,no,,good,\n"                           # 3: unknown household
        "c3,h1,1990,F,no,,good,\n"                           # 4: adult
        "c4,h1,2016,X,no,,good,\n"                           # 5: sex
        "c5,h1,2016,F,maybe,,good,\n"                        # 6: bool
        "c6,h1,2016,F,no,money,good,\n"                      # 7: difficulty
        "c7,h1,2016,F,no,,good,2030-01-01\n"                 # 8: future
        "c1,h2,2016,F,no,,good,\n"                           # 9: duplicate id
        ",h1,2016,F,no,,good,\n"                             # 10: no id
        "c8,h1,twenty,F,no,,good,\n"                         # 11: not an int
    )
    src = _write_csv(tmp_path / "k.csv", text)
    res = import_file("children", src, into=into, today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (10, 1, 9)
    got = {(p.row, p.column, p.code) for p in res.problems}
    assert {(3, "household_id", "reference"), (4, "birth_year", "age"), (5, "sex", "choice"),
            (6, "left_behind", "type_bool"), (7, "difficulty", "choice"),
            (8, "last_contact", "future_date"), (9, "child_id", "duplicate_id"),
            (10, "child_id", "required"), (11, "birth_year", "type_int")} <= got
    zh = res.problem_rows("zh")
    assert zh["reason"].str.contains("重复").any()


def test_quarantine_round_trip_completes_the_set(tmp_path):
    into = _children_ds(tmp_path)
    src = _write_csv(tmp_path / "k.csv", "child_id,household_id,birth_year\nc1,h1,2016\nc2,h1,1980\nc3,h7,2012\n")
    res = import_file("children", src, into=into, today=TODAY)
    assert res.quarantined == 2
    q = pd.read_csv(res.quarantine_path, dtype=str, encoding="utf-8-sig")
    q.loc[q.child_id == "c2", "birth_year"] = "2018"
    q.loc[q.child_id == "c3", "household_id"] = "h2"
    q.to_csv(res.quarantine_path, index=False, encoding="utf-8-sig")
    again = import_file("children", res.quarantine_path, into=into, today=TODAY)
    assert (again.imported, again.quarantined) == (2, 0)
    assert sorted(read_dataset(into)["children"]["child_id"]) == ["c1", "c2", "c3"]


def test_append_twice_does_not_duplicate_and_replace_replaces(tmp_path):
    into = _children_ds(tmp_path)
    src = _write_csv(tmp_path / "k.csv", "child_id,household_id,birth_year\nc1,h1,2016\nc2,h2,2012\n")
    import_file("children", src, into=into, today=TODAY)
    res = import_file("children", src, into=into, today=TODAY)
    assert (res.added, res.updated) == (0, 2)
    assert len(read_dataset(into)["children"]) == 2
    one = _write_csv(tmp_path / "one.csv", "child_id,household_id,birth_year\nc9,h1,2019\n")
    import_file("children", one, into=into, mode="replace", today=TODAY)
    assert read_dataset(into)["children"]["child_id"].tolist() == ["c9"]


def test_append_only_visits_keep_the_stored_record(tmp_path):
    into = _children_ds(tmp_path)
    import_file("children", _write_csv(tmp_path / "k.csv", "child_id,household_id\nc1,h1\n"), into=into, today=TODAY)
    v1 = _write_csv(tmp_path / "v.csv", "visit_id,child_id,visited_on,kind\nv1,c1,2025-03-01,入户走访\n")
    import_file("visits", v1, into=into, today=TODAY)
    v2 = _write_csv(tmp_path / "v2.csv", "visit_id,child_id,visited_on,kind\nv1,c1,2025-04-01,电话\nv2,c1,2025-04-02,电话\n")
    res = import_file("visits", v2, into=into, today=TODAY)
    assert (res.imported, res.added, res.unchanged) == (2, 1, 1)
    visits = read_dataset(into)["visits"].set_index("visit_id")
    assert visits.loc["v1", "kind"] == "home_visit" and visits.loc["v2", "kind"] == "contact"


def test_interrupted_import_leaves_the_dataset_as_before(tmp_path, monkeypatch):
    into = _children_ds(tmp_path)
    before = into.read_bytes()
    src = _write_csv(tmp_path / "k.csv", "child_id,household_id\nc1,h1\n")
    from geo.store.gpkg import GeoPackageWriter

    insert = GeoPackageWriter._insert

    def boom(self, layer, rows):  # the rows are written, then the import is interrupted
        insert(self, layer, rows)
        raise KeyboardInterrupt

    monkeypatch.setattr(GeoPackageWriter, "_insert", boom)
    with pytest.raises(KeyboardInterrupt):
        import_file("children", src, into=into, today=TODAY)
    assert into.read_bytes() == before
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(("ds.gpkg-", ".ds.gpkg"))]
    # the (empty) lock files and the key file stay; no journal, no temp
    assert set(left) <= {".ds.gpkg.lock", ".ds.gpkg.keys", ".ds.gpkg.keys.lock"}


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [("missing.csv", None, "does not exist"), ("empty.csv", b"", "empty"),
     ("bin.csv", b"\xff\xfe\x00\x81\x30\x81" * 3, "UTF-8"),
     ("a.docx", b"PK", "unknown format"), ("a.xlsx", b"not a zip", "Excel"),
     ("a.xls", b"x", "xlsx"), ("a.geojson", b"{nope", "GDAL")],
)
def test_unreadable_files_raise_one_error_and_change_nothing(tmp_path, name, content, match):
    into = _children_ds(tmp_path)
    before = into.read_bytes()
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValidationError, match=match):
        import_file("children", path, into=into, today=TODAY)
    assert into.read_bytes() == before


def test_missing_required_column_is_one_error(tmp_path):
    src = _write_csv(tmp_path / "k.csv", "foo,bar\n1,2\n")
    with pytest.raises(ValidationError, match="no column for child_id"):
        prepare_import("children", src, today=TODAY)


def test_user_mapping_file_toml_and_csv(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('[headers]\n"户主编码" = "household_id"\n"村码" = "village_code"\n'
                    '[values.caregiver]\n"外婆家" = "grandparents"\n', encoding="utf-8")
    src = _write_csv(tmp_path / "h.csv", f"户主编码,村码,照料类型,lon,lat\nx1,{VILLAGE},外婆家,117.2,31.8\n")
    res = prepare_import("households", src, mapping=toml, today=TODAY)
    assert res.imported == 1 and res.preview["caregiver"].iloc[0] == "grandparents"
    csvmap = tmp_path / "m.csv"
    csvmap.write_text("column,from,to\nheader,户主编码,household_id\nheader,村码,village_code\n"
                      "caregiver,外婆家,grandparents\n", encoding="utf-8")
    assert read_mapping(csvmap).column_for("户主编码", "households") == "household_id"
    bad = tmp_path / "m.yaml"
    bad.write_text("x: y")
    with pytest.raises(ValidationError, match="toml"):
        read_mapping(bad)


def test_coordinate_checks(tmp_path):
    text = ("household_id,village_code,lon,lat\n"
            f"a,{VILLAGE},117.2,31.8\nb,{VILLAGE},0,0\nc,{VILLAGE},2.35,48.85\n"
            f"d,{VILLAGE},117.2,31.8\ne,{VILLAGE},abc,31.8\nf,{VILLAGE},,\n")
    res = prepare_import("households", _write_csv(tmp_path / "h.csv", text), today=TODAY)
    codes = {(p.row, p.code) for p in res.problems}
    assert {(3, "zero_zero"), (4, "outside_china"), (6, "bad_coordinate"), (7, "no_geometry"),
            (2, "same_spot"), (5, "same_spot")} <= codes
    assert (res.imported, res.quarantined) == (2, 4)  # same spot is a warning
    # with a dataset, a point 200 km away is outside its area
    into = _children_ds(tmp_path)
    far = _write_csv(tmp_path / "far.csv", f"household_id,village_code,lon,lat\nz,{VILLAGE},119.5,31.8\n")
    res = prepare_import("households", far, dataset=read_dataset(into), today=TODAY)
    assert [p.code for p in res.problems] == ["outside_area"]


ROW = st.fixed_dictionaries({
    "child_id": st.sampled_from(["c1", "c2", "c3", "", "c1"]),
    "household_id": st.sampled_from(["h1", "h2", "hx", ""]),
    "birth_year": st.sampled_from(["2015", "1999", "abc", "", "2030", "2019.5"]),
    "sex": st.sampled_from(["男", "女", "M", "?", ""]),
    "left_behind": st.sampled_from(["是", "否", "maybe", ""]),
    "guardianship": st.sampled_from(["良好", "较差", "bad", ""]),
    "last_contact": st.sampled_from(["2024-01-01", "2099-01-01", "not a date", ""]),
})


def _memory_ds():
    households = gpd.GeoDataFrame(
        {"household_id": ["h1", "h2"], "village_code": [VILLAGE] * 2, "caregiver": [None, None]},
        geometry=gpd.points_from_xy([117.2, 117.21], [31.8, 31.81]), crs="EPSG:4326")
    from geo.store.dataset import Dataset

    return Dataset({"households": households})


_MEMORY_DS = _memory_ds()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=12))
def test_imported_plus_quarantined_equals_rows_read(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("prop")
    src = tmp / "k.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    res = prepare_import("children", src, dataset=_MEMORY_DS, today=TODAY)
    assert res.imported + res.quarantined == res.rows_read == len(rows)
    assert len(res.dataset["children"]) == res.imported
    if res.quarantined:
        path = write_quarantine(res.quarantine, tmp / "q.csv")
        q = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert len(q) == res.quarantined
        assert q["reason"].str.len().gt(0).all()
        cols = set(pd.DataFrame(rows).columns)
        for reason in q["reason"]:
            assert any(part.split(":")[0].strip() in cols for part in reason.split("; "))


def test_quarantine_keeps_xlsx_format(tmp_path):
    path = tmp_path / "k.xlsx"
    pd.DataFrame({"child_id": ["c1", "c2"], "household_id": ["h1", "nope"]}).to_excel(path, index=False)
    into = _children_ds(tmp_path)
    res = import_file("children", path, into=into, today=TODAY)
    assert res.quarantine_path.suffix == ".xlsx"
    q = pd.read_excel(res.quarantine_path, dtype=str)
    assert q["child_id"].tolist() == ["c2"] and "household_id" in q["reason"][0]


def test_salt_is_created_once_and_never_logged(tmp_path, caplog):
    caplog.set_level("DEBUG")
    into = tmp_path / "ds.gpkg"
    hh = _write_csv(tmp_path / "h.csv", f"身份证号,村代码,lon,lat\n{ID_B},{VILLAGE},117.2,31.8\n")
    import_file("households", hh, into=into, today=TODAY)
    salt = read_keys(into)["pseudonym"]
    import_file("households", hh, into=into, today=TODAY)
    assert read_keys(into)["pseudonym"] == salt and SALT_KEY not in read_dataset(into).settings
    assert len(read_dataset(into)["households"]) == 1
    assert salt not in caplog.text
    con = sqlite3.connect(into)
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    if "dataset_settings" in tables:
        assert con.execute("select count(*) from dataset_settings where value = ?",
                           (salt,)).fetchone()[0] == 0
    con.close()


def test_module_exposes_kinds():
    assert "osm" in imports.KINDS and "audit_log" not in imports.KINDS


def test_combined_ledger_brings_its_households(tmp_path):
    text = ("儿童编号,户编号,村代码,经度,纬度,出生年份\n"
            f"c1,h1,{VILLAGE},117.2,31.8,2015\n"
            f"c2,h1,{VILLAGE},117.2,31.8,2017\n"
            "c3,h2,3401,117.3,31.8,2016\n"
            f"c4,h3,{VILLAGE},0,0,2016\n")
    into = tmp_path / "ds.gpkg"
    res = import_file("children", _write_csv(tmp_path / "k.csv", text), into=into, today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (4, 2, 2)
    ds = read_dataset(into)
    assert ds["households"]["household_id"].tolist() == ["h1"]
    assert not [p for p in res.problems if p.code == "same_spot"]  # siblings share a home
    assert {(p.row, p.code) for p in res.problems} >= {(4, "village_code"), (5, "zero_zero")}


SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def test_the_sample_ledgers_import_as_their_readme_says(tmp_path):
    into = tmp_path / "try.gpkg"
    runs = [("households", "households_zh_gbk.csv", {}, (8, 6, 2)),
            ("children", "children_zh.xlsx", {"sheet": "儿童台账"}, (8, 5, 3)),
            ("safety_kits", "safety_kits_gcj02_en.csv", {"coords": "gcj02"}, (4, 3, 1)),
            ("water_bodies", "water_dltb.shp", {}, (7, 5, 2))]
    for kind, name, kw, counts in runs:
        res = import_file(kind, SAMPLES / name, into=into, quarantine=tmp_path / f"q_{kind}.csv",
                          today=TODAY, **kw)
        assert (res.rows_read, res.imported, res.quarantined) == counts, (name, res.problems)
    blob = into.read_bytes()
    raw = pd.read_excel(SAMPLES / "children_zh.xlsx", sheet_name="儿童台账", dtype=str)
    hh = pd.read_csv(SAMPLES / "households_zh_gbk.csv", dtype=str, encoding="gbk")
    secrets = [*raw["身份证号"], *raw["姓名"], *hh["户主姓名"], *hh["联系电话"].dropna()]
    for secret in secrets:
        assert secret.encode() not in blob and secret.encode("utf-16-le") not in blob, secret
    water = read_dataset(into)["water_bodies"]
    assert sorted(water["kind"]) == ["canal", "pond", "pond", "reservoir", "river"]


def test_geopackage_layer_by_sheet(tmp_path):
    path = tmp_path / "in.gpkg"
    pts = gpd.GeoDataFrame({"kit_id": ["a"]}, geometry=gpd.points_from_xy([117.2], [31.8]), crs="EPSG:4326")
    pts.to_file(path, layer="other")
    pts.assign(kit_id="b").to_file(path, layer="kits")
    res = prepare_import("safety_kits", path, sheet="kits", today=TODAY)
    assert res.preview["kit_id"].tolist() == ["b"]


def test_visits_are_checked_against_the_stored_children_only_by_the_ids_they_name(tmp_path):
    """Visits naming stored children land, others are quarantined by row, with stored children
    the file does not name around them (the check reads only the named keys' matches)."""
    into = _children_ds(tmp_path)
    kids = "child_id,household_id\n" + "".join(f"c{i},h1\n" for i in range(1, 6))
    import_file("children", _write_csv(tmp_path / "k.csv", kids), into=into, today=TODAY)
    v = _write_csv(tmp_path / "v.csv", "visit_id,child_id,visited_on,kind\n"
                   "v1,c2,2025-03-01,电话\nv2,c9,2025-03-01,电话\nv3,c5,2025-03-02,电话\nv4,C2,2025-03-02,电话\n")
    res = import_file("visits", v, into=into, today=TODAY)
    assert (res.imported, res.quarantined) == (2, 2)
    assert {(p.row, p.column, p.code) for p in res.problems if p.code == "reference"} == {
        (3, "child_id", "reference"), (5, "child_id", "reference")}
    assert set(read_dataset(into)["visits"]["child_id"]) == {"c2", "c5"}
