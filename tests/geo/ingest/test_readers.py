"""Files as other tools write them: one bad line never refuses a file; Excel ids stay text."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
from shapely.geometry import Point

from geo.ingest.imports import import_file, prepare_import
from geo.ingest.readers import read_file
from geo.store.dataset import read_dataset

TODAY = date(2025, 6, 1)
VILLAGE = "340123101001"
HEADER = "household_id,village_code,caregiver,lon,lat\n"


def _row(i: int, care: str = "父母") -> str:
    return f"h{i},{VILLAGE},{care},117.2{i},31.8{i}\n"


def test_a_ragged_line_and_an_unclosed_quote_are_quarantined_with_their_line(tmp_path):
    text = (HEADER + _row(1) + f"h2,{VILLAGE},父母,117.22,31.82,extra,more\n" + _row(3)
            + f'h4,{VILLAGE},"父母,117.24,31.84\n' + _row(5) + _row(6))
    src = tmp_path / "hh.csv"
    src.write_text(text, encoding="utf-8")
    res = prepare_import("households", src, today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (6, 4, 2)
    assert sorted(res.preview["household_id"]) == ["h1", "h3", "h5", "h6"]
    by_code = {p.code: p.row for p in res.problems}
    assert by_code["bad_line_fields"] == 3 and by_code["unclosed_quote"] == 5
    assert "line 3 has 7 fields" in res.quarantine["reason"].iloc[0]


def test_a_quoted_cell_over_two_lines_is_one_row(tmp_path):
    src = tmp_path / "v.csv"
    src.write_text('visit_id,child_id,visited_on,kind,note\nv1,c1,2025-05-01,入户,"第一行\n第二行"\n'
                   "v2,c1,2025-05-02,电话,\n", encoding="utf-8")
    read = read_file(src)
    assert len(read.frame) == 2 and not read.issues
    assert read.frame["note"][0] == "第一行\n第二行" and read.lines == {0: 2, 1: 4}


def test_one_gbk_line_in_a_utf8_file(tmp_path):
    src = tmp_path / "hh.csv"
    src.write_bytes((HEADER + _row(1) + _row(2)).encode("utf-8") + _row(3, "祖父母").encode("gbk")
                    + (_row(4) + _row(5)).encode("utf-8"))
    res = prepare_import("households", src, today=TODAY)
    assert (res.imported, res.quarantined) == (4, 1)
    assert [(p.row, p.code) for p in res.problems if p.severity == "error"] == [(4, "line_encoding")]
    assert res.quarantine["caregiver"].iloc[0] == "祖父母"  # shown readable in the quarantine file


def test_a_gbk_file_is_still_gbk(tmp_path):
    src = tmp_path / "hh.csv"
    src.write_bytes((HEADER + _row(1, "祖父母") + _row(2, "父母")).encode("gbk"))
    res = prepare_import("households", src, today=TODAY)
    assert res.imported == 2 and res.preview["caregiver"].tolist() == ["grandparents", "parents"]


def test_utf16_csv_with_and_without_bom(tmp_path):
    for i, encoding in enumerate(("utf-16", "utf-16-le")):
        src = tmp_path / f"hh{i}.csv"
        src.write_bytes((HEADER + _row(1, "祖父母") + _row(2)).encode(encoding))
        res = prepare_import("households", src, today=TODAY)
        assert res.imported == 2 and res.preview["caregiver"].iloc[0] == "grandparents"


def test_one_unclosed_ring_in_geojson_does_not_refuse_the_file(tmp_path):
    ring = [[117.2, 31.8], [117.201, 31.8], [117.201, 31.801], [117.2, 31.801]]
    features = [
        {"type": "Feature", "properties": {"water_id": f"w{i}", "kind": "pond"},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[x + i * 0.01, y] for x, y in ring] + ([] if i == 1 else
                                                                             [[117.2 + i * 0.01, 31.8]])]}}
        for i in range(3)
    ]
    src = tmp_path / "w.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    res = prepare_import("water_bodies", src, today=TODAY)
    assert (res.rows_read, res.imported, res.quarantined) == (3, 2, 1)
    assert res.quarantine["water_id"].tolist() == ["w1"]
    assert any(p.code == "bad_feature" and p.row == 2 for p in res.problems)


def test_a_wrong_cpg_is_detected_by_the_text(tmp_path):
    frame = gpd.GeoDataFrame({"household_id": ["h1"], "village_code": [VILLAGE], "caregiver": ["祖父母"]},
                             geometry=[Point(117.2, 31.8)], crs="EPSG:4326")
    shp = tmp_path / "hh.shp"
    pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
    shp.with_suffix(".cpg").write_text("936")  # says GBK; the text is UTF-8
    res = prepare_import("households", shp, today=TODAY)
    assert res.preview["caregiver"].tolist() == ["grandparents"]
    assert any(".cpg" in n for n in res.notice_texts("en"))
    gbk = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(frame, gbk, driver="ESRI Shapefile", encoding="GBK")
    gbk.with_suffix(".cpg").write_text("UTF-8")  # says UTF-8; the text is GBK
    res = prepare_import("households", gbk, today=TODAY)
    assert res.preview["caregiver"].tolist() == ["grandparents"]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def test_excel_ids_are_text_and_lost_digits_are_refused(tmp_path):
    """18-digit ids in numeric cells: three children became one id. Cells whose digits are in
    the file are read exactly; a number Excel cut to 15 digits quarantines its row."""
    hh = tmp_path / "hh.csv"
    hh.write_text(HEADER + _row(1), encoding="utf-8")
    into = tmp_path / "ds.gpkg"
    import_file("households", hh, into=into, today=TODAY)
    # long ledger numbers (month 13: not ID-card numbers, which would become pseudonyms)
    src = _workbook(tmp_path / "kids.xlsx", [
        ["child_id", "household_id", "birth_year", "last_contact"],
        [340123201813050011, "h1", 2018, datetime(2025, 5, 1)],
        [340123201813050012, "h1", 2018, 45778],                  # Excel serial date
        [340123201813050013, "h1", 2018, "2025-05-03"],
        ["000123", "h1", 2017, None],                              # text cell: leading zeros kept
    ])
    # numeric cells as the writing program left them: rows 2-3 with all their digits (a program
    # writing integers), row 4 as Excel writes a long number: 15 significant digits
    import re
    import zipfile

    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist()}
    sheet = files["xl/worksheets/sheet1.xml"].decode()
    for ref, text in (("A2", "340123201813050011"), ("A3", "340123201813050012"),
                      ("A4", "3.40123201813050E+17")):
        sheet = re.sub(rf'(<c r="{ref}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{text}\g<2>", sheet)
    files["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(src, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    res = import_file("children", src, into=into, today=TODAY)
    assert (res.imported, res.quarantined) == (3, 1), res.problem_rows()
    kids = read_dataset(into)["children"].set_index("child_id")
    assert sorted(kids.index) == ["000123", "340123201813050011", "340123201813050012"]
    assert kids.loc["340123201813050012", "last_contact"].strftime("%Y-%m-%d") == "2025-05-01"
    problem = next(p for p in res.problems if p.code == "excel_digits")
    assert problem.row == 4 and "15" in problem.message("en") and "文本" in problem.message("zh")


def test_ids_in_scientific_notation_from_an_excel_csv(tmp_path):
    src = tmp_path / "hh.csv"
    src.write_text(HEADER + f"1.10101E+17,{VILLAGE},父母,117.2,31.8\n" + _row(2), encoding="utf-8")
    res = prepare_import("households", src, today=TODAY)
    assert res.imported == 1 and [p.code for p in res.problems if p.severity == "error"] == ["sci_notation"]


def test_our_own_export_with_a_watermark_line_reads_back(tmp_path):
    src = tmp_path / "hh.csv"
    src.write_text("# 内部资料 注意保密 / internal\n" + HEADER + _row(1), encoding="utf-8")
    assert prepare_import("households", src, today=TODAY).imported == 1


def test_quote_free_files_with_short_and_long_lines(tmp_path):
    """The fast path (no quote in the file) gives the same rows and line numbers as the careful one."""
    src = tmp_path / "hh.csv"
    src.write_text(HEADER + _row(1) + "\n" + f"h2,{VILLAGE}\n" + _row(3)
                   + f"h4,{VILLAGE},父母,117.24,31.84,extra\n", encoding="utf-8")
    read = read_file(src)
    assert read.frame["household_id"].tolist() == ["h1", "h2", "h3", "h4"]
    assert read.frame["lon"].tolist()[1] == "" and read.lines == {0: 2, 1: 4, 2: 5, 3: 6}
    assert [(i.row, i.code) for i in read.issues] == [(3, "bad_line_fields")]
    fast = tmp_path / "ok.csv"
    fast.write_text(HEADER + _row(1) + "\n" + f"h2,{VILLAGE}\n" + _row(3), encoding="utf-8")
    read = read_file(fast)
    assert read.frame["household_id"].tolist() == ["h1", "h2", "h3"] and not read.issues
    assert read.lines == {0: 2, 1: 4, 2: 5} and read.frame["lat"].tolist()[1] == ""
