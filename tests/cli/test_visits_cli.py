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
    res = CliRunner().invoke(cli, ["--lang", "en", "visits", str(path), "--on", "2024-06-10", "--out", str(out),
                                   "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    table = read_table(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["Child", "Village code", "Township", "Village", "Tier", "Next contact",
                                   "Next home visit", "Status", "Flags"]
    # c1 left-behind (home visit 2024-01-01: overdue), c3 in difficulty (never visited), c2 out of scope
    assert sorted(table["Child"]) == ["c1", "c3"]
    assert set(table["Status"]) == {"Overdue"} and set(table["Village"]) == {"Test village"}
    assert summary["children"] == 2 and summary["overdue"] == 2
    c3 = table.set_index("Child").loc["c3"]
    assert c3["Tier"] == "High risk" and "Never visited" in c3["Flags"]


def test_visits_xlsx_with_preset(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    out = tmp_path / "v.xlsx"
    res = CliRunner().invoke(cli, ["visits", str(path), "--on", "2024-06-10", "--preset", "jilin",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = read_table(out, dtype=str)  # Chinese by default (settings.language)
    assert set(table["关爱等级"]) == {"高风险"}  # family difficulty; disability


def test_visits_bad_out_and_date(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    res = CliRunner().invoke(cli, ["visits", str(path), "--out", str(tmp_path / "v.txt")])
    assert res.exit_code == 2 and ".csv or .xlsx" in res.output
    res = CliRunner().invoke(cli, ["visits", str(path), "--on", "soon", "--out", str(tmp_path / "v.csv")])
    assert res.exit_code == 2 and "not a date" in res.output


def test_staffing(tiny_dataset, tmp_path):
    path = _write(tiny_dataset, tmp_path)
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(cli, ["--lang", "en", "staffing", str(path), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    table = read_table(out, dtype={"Village code": str})
    assert list(table.columns) == ["Village code", "Township", "Village", "Name", "Children in scope",
                                   "Directors", "Directors needed", "Shortfall"]
    row = table.iloc[0]
    assert row["Village code"] == "340123101001" and row["Children in scope"] == 2
    assert row["Directors"] == 0 and row["Directors needed"] == 1 and row["Shortfall"] == 1
    assert json.loads(res.output.strip().splitlines()[-1])["directors_short"] == 1
