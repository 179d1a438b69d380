"""A children layer written by another tool without the optional contact dates still works for
every analysis that does not need them; the one that does says which columns and why."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from geo.cli._main import cli
from geo.store.dataset import read_dataset, write_dataset


def _without_contact_dates(tiny_dataset, tmp_path):
    path = tmp_path / "other-tool.gpkg"
    write_dataset(tiny_dataset, path)
    con = sqlite3.connect(path)
    cols = [r[1] for r in con.execute("pragma table_info(children)")]
    keep = ", ".join(c for c in cols if c not in ("last_contact", "last_home_visit"))
    con.execute(f"create table c2 as select {keep} from children")
    con.execute("drop table children")
    con.execute("alter table c2 rename to children")
    con.execute("delete from visits")
    con.commit()
    con.close()
    return path


def test_coverage_and_water_work_and_visits_names_the_missing_columns(tiny_dataset, tmp_path):
    path = _without_contact_dates(tiny_dataset, tmp_path)
    ds = read_dataset(path)
    assert ds["children"]["last_contact"].isna().all() and len(ds["children"])
    run = CliRunner().invoke(cli, ["coverage", str(path), "--out", str(tmp_path / "cov.gpkg"),
                                   "--metric", "euclidean"])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(cli, ["water", str(path), "--out", str(tmp_path / "w.gpkg")])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(cli, ["visits", str(path), "--out", str(tmp_path / "v.csv"),
                                   "--on", "2025-06-01"])
    assert run.exit_code == 0, run.output
    assert "last_contact" in run.output and "never contacted" in run.output
    assert "Traceback" not in run.output


def test_a_missing_required_column_is_still_an_error(tiny_dataset, tmp_path):
    path = tmp_path / "d.gpkg"
    write_dataset(tiny_dataset, path)
    con = sqlite3.connect(path)
    cols = [r[1] for r in con.execute("pragma table_info(children)")]
    keep = ", ".join(c for c in cols if c != "household_id")
    con.execute(f"create table c2 as select {keep} from children")
    con.execute("drop table children")
    con.execute("alter table c2 rename to children")
    con.commit()
    con.close()
    run = CliRunner().invoke(cli, ["info", str(path)])
    assert run.exit_code == 2 and "household_id" in run.output and "required" in run.output
