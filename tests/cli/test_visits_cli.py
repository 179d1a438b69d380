"""``childsafe visits`` and ``childsafe staffing`` on a small written dataset."""

from __future__ import annotations

import json

from click.testing import CliRunner

from geo.cli._main import cli
from geo.privacy.tables import read_table
from geo.store.dataset import write_dataset


def _write(tiny_dataset, tmp_path):
    path = tmp_path / "ds.gpkg"
    write_dataset(tiny_dataset, path)
    return path


def test_visits_csv_and_json(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    out = tmp_path / "v.csv"
    res = CliRunner().invoke(cli, ["visits", str(path), "--on", "2024-06-10", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    table = read_table(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["child_id", "village_code", "tier", "next_contact_due", "next_visit_due",
                                   "status", "flags"]
    # c1 left-behind (home visit 2024-01-01: overdue), c3 in difficulty (never visited), c2 out of scope
    assert sorted(table["child_id"]) == ["c1", "c3"]
    assert set(table["status"]) == {"overdue"}
    assert summary["children"] == 2 and summary["overdue"] == 2
    c3 = table.set_index("child_id").loc["c3"]
    assert c3["tier"] == "high_risk" and "never_visited" in c3["flags"]


def test_visits_xlsx_with_preset(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    out = tmp_path / "v.xlsx"
    res = CliRunner().invoke(cli, ["visits", str(path), "--on", "2024-06-10", "--preset", "jilin",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = read_table(out, dtype=str)
    assert set(table["tier"]) == {"high_risk"}  # family difficulty; disability


def test_visits_bad_out_and_date(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    res = CliRunner().invoke(cli, ["visits", str(path), "--out", str(tmp_path / "v.txt")])
    assert res.exit_code == 2 and ".csv or .xlsx" in res.output
    res = CliRunner().invoke(cli, ["visits", str(path), "--on", "soon", "--out", str(tmp_path / "v.csv")])
    assert res.exit_code == 2 and "not a date" in res.output


def test_staffing(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(cli, ["staffing", str(path), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    table = read_table(out, dtype={"village_code": str})
    assert list(table.columns) == ["village_code", "name", "children_in_scope", "directors",
                                   "directors_needed", "shortfall"]
    row = table.iloc[0]
    assert row["village_code"] == "340123101001" and row["children_in_scope"] == 2
    assert row["directors"] == 0 and row["directors_needed"] == 1 and row["shortfall"] == 1
    assert json.loads(res.output.strip().splitlines()[-1])["directors_short"] == 1
