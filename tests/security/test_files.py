"""Files that are safe to open: the one table writer (geo.privacy.tables) (docs/security.md)."""

from __future__ import annotations

import datetime as dt
import os
import stat

import numpy as np
import openpyxl
import pandas as pd
import pytest
from security_audit import formula_cells

from geo.privacy.disclosure import SUPPRESSED
from geo.privacy.roles import User
from geo.privacy.tables import neutralise, read_table, table_bytes, watermark_text, write_table

#: text a spreadsheet would run (the issue's =SUM(1,2)-041 computed to -38 in LibreOffice)
PAYLOADS = ["=SUM(1,2)-041", "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1", "  =1+1",
            '=HYPERLINK("http://203.0.113.5/x","y")', "=cmd|' /C calc'!A0"]


def _frame() -> pd.DataFrame:
    n = len(PAYLOADS)
    return pd.DataFrame({
        "note": PAYLOADS, "count": np.arange(n), "share": np.linspace(0, 1, n),
        "on": pd.date_range("2024-05-01", periods=n, freq="D"),
        "at": pd.date_range("2024-05-01 06:00", periods=n, freq="h", tz="UTC"),
        "flag": [True, False] * (n // 2) + [True] * (n % 2),
        SUPPRESSED: ["count;share"] + [""] * (n - 1),
    }).assign(count=lambda f: f["count"].astype(float).mask(f.index == 0),
              share=lambda f: f["share"].mask(f.index == 0))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_no_formula_cells_and_types_kept(tmp_path, suffix):
    path = write_table(tmp_path / f"t{suffix}", _frame(), watermark="=1+1 wm", lang="en", words=False)
    assert formula_cells(path) == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    back = read_table(path)
    assert list(back.columns) == ["note", "count", "share", "on", "at", "flag", SUPPRESSED]
    if suffix == ".xlsx":
        # the exact text, stored as text (XML turns a lone carriage return into a line feed)
        assert back["note"].tolist() == [p.replace("\r", "\n") for p in PAYLOADS]
        assert pd.isna(back["count"].iloc[0]) and back["count"].iloc[1] == 1
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        assert ws.freeze_panes == "A4"  # watermark + note, header, then data
        assert ws.cell(1, 1).value == "=1+1 wm" and ws.cell(1, 1).data_type == "s"
        row = [c for c in ws[4]]
        assert row[1].value is None and row[1].fill.fgColor.rgb.endswith("D9D9D9")
        assert isinstance(ws.cell(5, 2).value, int | float)
        assert isinstance(ws.cell(5, 4).value, dt.datetime) and ws.cell(5, 4).number_format == "yyyy-mm-dd"
        assert ws.cell(4, 5).value == dt.datetime(2024, 5, 1, 14, 0)  # 06:00 UTC in Asia/Shanghai
        assert ws.cell(4, 6).value is True
    else:
        assert back["note"].iloc[0] == "'=SUM(1,2)-041" and back["note"].iloc[2] == "'-2+3"
        assert back["at"].iloc[0] == "2024-05-01 14:00:00"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_file_for_people_is_in_words_and_still_safe(tmp_path, suffix):
    path = write_table(tmp_path / f"t{suffix}", _frame(), watermark="=1+1 wm", lang="zh")
    assert formula_cells(path) == 0
    back = read_table(path)
    assert list(back.columns) == ["情况记录", "count", "share", "on", "时间", "flag", "已隐藏的列"]
    assert back["flag"].tolist()[:2] == ["是", "否"]  # booleans in words
    assert back["已隐藏的列"].iloc[0] == "count、share"
    if suffix == ".xlsx":
        ws = openpyxl.load_workbook(path).active
        assert isinstance(ws.cell(5, 2).value, int | float)  # numbers stay numbers
        assert isinstance(ws.cell(5, 4).value, dt.datetime) and ws.cell(5, 4).number_format == "yyyy-mm-dd"
        assert ws.cell(4, 1).value == PAYLOADS[0] and ws.cell(4, 1).data_type == "s"


def test_plain_numbers_as_text_are_left_alone():
    assert neutralise("-73.5") == "-73.5" and neutralise("+86") == "+86"
    assert neutralise("-041x") == "'-041x" and neutralise("=1") == "'=1"


def test_labels_function_or_table_and_language(tmp_path):
    frame = pd.DataFrame({"children": [1], "covered": [0]})
    by_table = read_table(table_bytes(frame, ".xlsx", lang="zh",
                                      labels={"children": ("儿童", "Children"), "covered": {"zh": "已覆盖"}}))
    assert list(by_table.columns) == ["儿童", "已覆盖"]
    by_fn = read_table(table_bytes(frame, ".xlsx", lang="en", labels=lambda c, lang: c.upper()))
    assert list(by_fn.columns) == ["CHILDREN", "COVERED"]


def test_watermark_names_user_role_scope_in_local_time():
    user = User("lead1", "leader", "341199")
    zh = watermark_text(user, lang="zh", when=dt.datetime(2024, 5, 1, 6, 0))
    assert "lead1" in zh and "领导" in zh and "341199" in zh and "2024-05-01 14:00" in zh
    assert "leader" not in zh  # the role in Chinese words, not its identifier
    assert "confidential" in watermark_text(user, lang="en")


def test_refused_formats(tmp_path):
    from geo.store.errors import ValidationError

    with pytest.raises(ValidationError, match="xlsx"):
        write_table(tmp_path / "t.txt", pd.DataFrame({"a": [1]}))
    with pytest.raises(ValidationError, match="one table"):
        write_table(tmp_path / "t.csv", {"a": pd.DataFrame(), "b": pd.DataFrame()})
    assert not list(tmp_path.iterdir())  # nothing left behind
