"""The one date rule: what is read, what is quarantined with which reason."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo.ingest.imports import import_file
from geo.store.dates import parse_date, parse_dates, year_of

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize("text, want", [
    ("2024-01-05", date(2024, 1, 5)),
    ("2024/1/5", date(2024, 1, 5)),
    ("2024.1.5", date(2024, 1, 5)),
    ("2024年1月5日", date(2024, 1, 5)),
    ("２０２４年１月５日", date(2024, 1, 5)),
    ("20240105", date(2024, 1, 5)),
    ("45296", date(2024, 1, 5)),  # Excel serial date
    ("2024-01-05 00:00:00", date(2024, 1, 5)),  # a real Excel date cell as the reader gives it
    ("2024-01-05 08:00:00+08:00", date(2024, 1, 5)),
    ("2024-01-05T23:30:00+00:00", date(2024, 1, 6)),  # 07:30 on the 6th in Beijing
    ("2024-01-05T10:00:00Z", date(2024, 1, 5)),
    ("25/01/2024", date(2024, 1, 25)),  # only one reading is a date
    ("05/05/2024", date(2024, 5, 5)),  # both readings agree
    ("5 Jan 2024", date(2024, 1, 5)),
    ("January 5, 2024", date(2024, 1, 5)),
])
def test_dates_read(text, want):
    assert parse_date(text) == (want, None)


@pytest.mark.parametrize("text, reason", [
    ("05/01/2024", "ambiguous"), ("1/5/2024", "ambiguous"), ("24/1/5", "ambiguous"),
    ("Jan 5", "partial"), ("2024-01", "partial"), ("2024年1月", "partial"), ("1月5日", "partial"),
    ("2024", "partial"), ("202401", "partial"),
    ("2024-02-30", "bad"), ("soon", "bad"), ("13/13/2024", "bad"),
])
def test_dates_not_guessed(text, reason):
    assert parse_date(text) == (None, reason)


def test_empty_values_are_not_errors():
    dates, why = parse_dates(pd.Series(["", None, pd.NA, "2024-01-05"]))
    assert why.isna().all() and dates.isna().sum() == 3


def test_birth_year_of_partial_dates():
    assert [year_of(v) for v in ("2015-03-07", "2015年3月", "201503", "2015", "x")] == \
        ["2015", "2015", "2015", "2015", "x"]


def test_ledger_of_mixed_dates_imports_with_reasons(tmp_path):
    """+08:00 mixed with plain dates used to be a traceback; ambiguous/partial/old/future rows
    are quarantined, each with its reason, and the rest imports."""
    (tmp_path / "hh.csv").write_text("household_id,village_code,lon,lat\nh1,340123101001,117.2,31.8\n")
    into = tmp_path / "ds.gpkg"
    import_file("households", tmp_path / "hh.csv", into=into, today=TODAY)
    rows = ["2025-01-05T09:00:00+08:00", "2025/1/6", "2025年1月7日", "45665", "05/01/2025",
            "Jan 5", "1985-03-01", "2026-01-01"]
    text = "child_id,household_id,last_contact\n" + "".join(
        f"c{i},h1,{v}\n" for i, v in enumerate(rows))
    (tmp_path / "kids.csv").write_text(text)
    res = import_file("children", tmp_path / "kids.csv", into=into, today=TODAY)
    assert (res.imported, res.quarantined) == (4, 4)
    got = res.preview.set_index("child_id")["last_contact"].dt.strftime("%Y-%m-%d").to_dict()
    assert got == {"c0": "2025-01-05", "c1": "2025-01-06", "c2": "2025-01-07", "c3": "2025-01-08"}
    codes = {(p.row, p.code) for p in res.problems}
    assert codes == {(6, "date_ambiguous"), (7, "date_partial"), (8, "too_old"), (9, "future_date")}
    reasons = res.quarantine.set_index("child_id")["reason"]
    assert "day and month" in reasons["c4"] and "1990" in reasons["c6"]
