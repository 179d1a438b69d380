"""Every Excel/CSV file a CLI command writes is in the CLI's language (issue 14).

Under ``--lang zh`` (the default language) headers, sheet names and values are Chinese words
from the label tables (place names next to codes, 是/否, categories in words) and no schema
identifier is left in a cell; under ``--lang en`` the same files are in English words. All of
them go through the one table writer (``geo.privacy.tables``); the files are opened here with
openpyxl and the csv module, not with the writer's own reader.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.store import settings
from geo.store.labels import english_schema_words

pytestmark = pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated")

#: words a Chinese file may hold: formats and a time zone (not schema identifiers)
ALLOWED = ("Excel", "GeoPackage", "UTC")
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
WEEKDAYS_ZH = {"星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"}


def _commands(ds, out):
    """Each command's file: (name, arguments). The audit log last (it lists the others)."""
    return [
        ("visits.xlsx", ["visits", ds, "--on", "2026-11-01"]),
        ("staffing.csv", ["staffing", ds]),
        ("calendar.xlsx", ["patrol-schedule", ds, "--from", "2026-07-01", "--to", "2026-07-14", "--teams", "2",
                           "--top", "30"]),
        ("calendar_sites.csv", ["patrol-schedule", ds, "--from", "2026-07-01", "--to", "2026-07-14",
                                "--per", "site", "--top", "30"]),
        ("export.xlsx", ["export", ds, "--role", "planner", "--scope", "341199"]),
        ("spot.xlsx", ["spot-check", ds, "--year", "2026"]),
        ("by_county", ["staffing", ds, "--workers", "0"]),  # a folder: <county>.csv
        ("audit.csv", ["audit", ds]),
    ]


def _read(path) -> dict[str, list[list]]:
    """Sheet (or file) name -> rows, the watermark line first, as a spreadsheet shows them."""
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            return {"": list(csv.reader(f))}  # a CSV file has no sheet name
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _header(rows: list[list]) -> list:
    """The header row: the first after the watermark and note lines (one cell each)."""
    for row in rows[1:]:
        if sum(v not in (None, "") for v in row) > 1:
            return row
    return rows[-1]


def _column(rows, name) -> list:
    header = _header(rows)
    i = header.index(name)
    return [r[i] for r in rows[rows.index(header) + 1:]]


@pytest.fixture(scope="module", params=["zh", "en"])
def files(request, tmp_path_factory):
    lang = request.param
    folder = tmp_path_factory.mktemp(f"words_{lang}")
    ds = folder / "shifan.gpkg"  # a file name of no schema word: it shows in the watermark
    shutil.copy(settings.demo_dataset, ds)
    out = {}
    for name, args in _commands(ds, folder):
        path = folder / name
        res = CliRunner().invoke(cli, ["--lang", lang, *map(str, args), "--out", str(path)])
        assert res.exit_code == 0, (name, res.output)
        out[name] = sorted(path.glob("*.csv"))[0] if path.is_dir() else path
    assert settings.language == "zh"  # --lang held for the command only
    return lang, out


def test_no_schema_identifier_in_any_file(files):
    lang, out = files
    for name, path in out.items():
        for sheet, rows in _read(path).items():
            header = [str(h) for h in _header(rows) if h is not None]
            assert not [h for h in header if IDENTIFIER.fullmatch(h)], (name, sheet, header)
            if lang != "zh":
                continue
            cells = [str(v) for r in rows for v in r if v is not None]
            if name == "audit.csv":  # the log's details are recorded text; its headers and actions are words
                cells = header + _column(rows, "操作")
            words = english_schema_words(" ".join([sheet, *cells]), allow=ALLOWED)
            assert words == [], (name, sheet, words)


def test_visit_list_in_words_with_places_and_dates(files):
    lang, out = files
    (sheet, rows), = _read(out["visits.xlsx"]).items()
    header = _header(rows)
    if lang == "zh":
        assert sheet == "走访安排" and str(rows[0][0]).startswith("童安地图")
        assert header[:4] == ["儿童编号", "村代码", "乡镇", "村（社区）"]
        assert set(_column(rows, "状态")) <= {"逾期", "即将到期", "本周到期", "下周到期", "正常"}
        assert set(_column(rows, "关爱等级")) <= {"高风险", "一般", "监护良好", "监护一般"}
        villages, due = _column(rows, "村（社区）"), _column(rows, "下次入户")
    else:
        assert sheet == "Visit schedule" and str(rows[0][0]).startswith("ChildSafe Map")
        assert header[:4] == ["Child", "Village code", "Township", "Village"]
        assert "Overdue" in set(_column(rows, "Status"))
        villages, due = _column(rows, "Village"), _column(rows, "Next home visit")
    assert all(isinstance(v, str) and v and not v.isdigit() for v in villages)  # names, not codes
    assert all(d is None or isinstance(d, dt.datetime) for d in due) and any(due)  # dates stay dates


def test_staffing_and_calendar_in_words(files):
    lang, out = files
    (_, staff), = _read(out["staffing.csv"]).items()
    (_, cal), = _read(out["calendar.xlsx"]).items()
    (_, sites), = _read(out["calendar_sites.csv"]).items()
    if lang == "zh":
        short = _column(staff, "缺口")
        assert "村（社区）" in _header(staff) and "乡镇" in _header(staff)
        assert set(_column(cal, "星期")) <= WEEKDAYS_ZH
        assert set(_column(cal, "日期类型")) <= {"上学日", "休息日"}
        assert set(_column(cal, "超出容量")) <= {"是", "否"}
        assert "巡查次数" in _header(sites)
    else:
        short = _column(staff, "Shortfall")
        assert set(_column(cal, "Weekday")) <= {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                "Saturday", "Sunday"}
        assert set(_column(cal, "Over capacity")) <= {"Yes", "No"}
    assert sum(int(s) > 0 for s in short) == 38  # numbers, as the staffing command counts them
    assert all(isinstance(d, dt.datetime) for d in _column(cal, "日期" if lang == "zh" else "Date"))


def test_export_and_county_tables_in_words(files):
    lang, out = files
    book = _read(out["export.xlsx"])
    county = _read(out["by_county"])
    (_, by_county), = county.items()
    if lang == "zh":
        assert {"水印", "户", "水域", "“四个一”设施", "阵地与机构"} <= set(book)
        assert {"渠道", "坑塘"} <= set(_column(book["水域"], "类型"))
        assert set(_column(book["“四个一”设施"], "警示牌")) <= {"是", "否"}
        assert _column(book["水印"], "角色") == ["规划人员"]
        assert _header(by_county)[:3] == ["县代码", "县", "村代码"]
        assert _column(by_county, "县")[0] == "示范县"
    else:
        assert {"Watermark", "Households", "Water bodies", "Four-ones kits"} <= set(book)
        assert "Canal" in set(_column(book["Water bodies"], "Kind"))
        assert _header(by_county)[:3] == ["County code", "County", "Village code"]


def test_audit_log_actions_in_words(files):
    lang, out = files
    (_, rows), = _read(out["audit.csv"]).items()
    actions = set(_column(rows, "操作" if lang == "zh" else "Action"))
    assert ("导出" if lang == "zh" else "Export") in actions and ("档案抽查" if lang == "zh" else "Spot check") in actions
    summary = CliRunner().invoke(cli, ["audit", str(out["audit.csv"].parent / "shifan.gpkg"), "--json"])
    assert {e["action"] for e in json.loads(summary.output)} >= {"export", "spot_check"}  # the log keeps ids
