"""``childsafe patrol`` and ``childsafe patrol-check`` on the demo county."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.store import settings


@pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated")
def test_patrol_plan_gpx_and_check(tmp_path):
    out = tmp_path / "plan.gpkg"
    res = CliRunner().invoke(cli, ["patrol", str(settings.demo_dataset), "--teams", "2", "--shift-hours", "2",
                                   "--method", "greedy", "--out", str(out), "--gpx", str(tmp_path / "gpx"), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    routes = gpd.read_file(out, layer="patrol_routes")
    stops = gpd.read_file(out, layer="patrol_stops")
    assert len(routes) == 2 and (routes["duration_min"] <= 120 + 1e-6).all()
    assert {"team", "order", "site_id", "arrive_min"} <= set(stops.columns)
    assert summary["sites_visited"] == len(stops) > 0
    assert len(summary["gpx"]) == 2
    # the planned route itself, as a track, passes every stop of team 1... but it has no times,
    # so nothing is too fast; every stop is passed
    res = CliRunner().invoke(cli, ["patrol-check", str(settings.demo_dataset), "--plan", str(out),
                                   "--track", summary["gpx"][0], "--team", "1", "--json"])
    assert res.exit_code == 0, res.output
    check = json.loads(res.output.strip().splitlines()[-1])
    assert check["skipped"] == 0 and check["ok"] == check["planned"] == int((stops["team"] == 1).sum())


def test_patrol_bad_base(tmp_path):
    if not settings.demo_dataset.exists():
        pytest.skip("demo county not generated")
    res = CliRunner().invoke(cli, ["patrol", str(settings.demo_dataset), "--shift-hours", "2", "--base", "NOPE",
                                   "--method", "greedy", "--out", str(tmp_path / "p.gpkg")])
    assert res.exit_code == 2 and "NOPE" in res.output


def test_patrol_schedule_csv_xlsx(tiny_dataset, tmp_path):
    from geo.privacy.tables import read_table
    from geo.store.dataset import write_dataset

    path = write_dataset(tiny_dataset, tmp_path / "tiny.gpkg")
    out = tmp_path / "cal.csv"
    res = CliRunner().invoke(cli, ["--lang", "en", "patrol-schedule", str(path), "--from", "2024-07-01",
                                   "--to", "2024-07-07", "--teams", "2", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    table = read_table(out)
    assert {"Date", "Weekday", "From", "Team", "Site ids", "Over capacity"} <= set(table.columns)
    assert set(table["Weekday"]) <= {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    assert summary["rows"] == len(table) and summary["visits"] == table["Sites"].sum() > 0
    xlsx = tmp_path / "cal.xlsx"
    res = CliRunner().invoke(cli, ["patrol-schedule", str(path), "--from", "2024-07-01", "--to", "2024-07-31",
                                   "--per", "site", "--out", str(xlsx)])
    assert res.exit_code == 0, res.output
    sites = read_table(xlsx)  # Chinese by default (settings.language)
    # 5 sites: the riskiest (share 0.2) is in the 14-day band, x7 in July: 31 * 7 / 14 = 15.5
    assert sites["巡查次数"].max() in (15, 16)
    res = CliRunner().invoke(cli, ["patrol-schedule", str(path), "--from", "2024-07-09", "--to", "2024-07-01",
                                   "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "before it starts" in res.output
    res = CliRunner().invoke(cli, ["patrol-schedule", str(path), "--from", "2024-07-01", "--to", "2024-07-02",
                                   "--out", str(tmp_path / "x.txt")])
    assert res.exit_code == 2 and ".csv or .xlsx" in res.output
