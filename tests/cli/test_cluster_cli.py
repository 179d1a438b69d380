"""``--workers``/``--scheduler`` on the commands, and ``childsafe info`` on partitions."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.distributed.partitions import partitions, read_partition
from geo.store.dataset import write_dataset


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_info_lists_the_counties(province_path, tmp_path):
    res = _run("info", province_path)
    assert res.exit_code == 0, res.output
    assert "partitions 3 counties" in res.output
    data = json.loads(_run("info", province_path, "--json").output)
    assert [p["code"] for p in data["partitions"]] == [p.code for p in partitions(province_path)]
    for p in partitions(province_path):
        write_dataset(read_partition(p, layers=["admin_units"]), tmp_path / f"{p.code}.gpkg")
    data = json.loads(_run("info", tmp_path, "--json").output)
    assert [p["kind"] for p in data["partitions"]] == ["file"] * 3


def test_coverage_county_by_county(province_path, tmp_path):
    res = _run("coverage", province_path, "--out", tmp_path / "cov", "--workers", 0,
               "--metric", "euclidean", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["counties"], data["done"], data["failed"]) == (3, 3, 0)
    assert data["rows"]["coverage_by_unit"] > 0
    assert sorted(p.name for p in (tmp_path / "cov").glob("*.gpkg")) == \
        sorted(f"{p.code}.gpkg" for p in partitions(province_path))


def test_a_broken_county_is_reported_and_the_rest_written(province_path, tmp_path):
    folder = tmp_path / "counties"
    parts = partitions(province_path)
    for p in parts:
        write_dataset(read_partition(p), folder / f"{p.code}.gpkg")
    con = sqlite3.connect(folder / f"{parts[0].code}.gpkg")
    con.execute("ALTER TABLE water_bodies DROP COLUMN kind")
    con.commit()
    con.close()
    res = _run("water", folder, "--out", tmp_path / "out", "--workers", 0)
    assert res.exit_code == 1
    assert f"FAILED {parts[0].code}" in res.output and "kind" in res.output
    assert "Traceback" not in res.output
    assert (tmp_path / "out" / f"{parts[1].code}.gpkg").exists()
    report = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert [c["status"] for c in report["counties"]] == ["failed", "done", "done"]


def test_signing_in_on_a_folder_of_counties_is_refused_before_any_work(province_path, tmp_path):
    for p in partitions(province_path):
        write_dataset(read_partition(p), tmp_path / "c" / f"{p.code}.gpkg")
    res = CliRunner().invoke(cli, ["--user", "planner1", "coverage", str(tmp_path / "c"), "--out",
                                   str(tmp_path / "out"), "--workers", "0"], env={"CHILDSAFE_PASSWORD": "x"})
    assert res.exit_code == 2 and "--user" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_a_file_out_is_refused(province_path, tmp_path):
    res = _run("water", province_path, "--out", tmp_path / "x.gpkg", "--workers", 0)
    assert res.exit_code == 2 and "文件夹" in res.output


def test_site_kits_province_budget_and_tables(province_path, tmp_path):
    res = _run("site", "kits", province_path, "--province-new", 3, "--workers", 0,
               "--out", tmp_path / "kits", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["allocated"] == 3 and data["exact"] is True
    assert sum(data["counties"].values()) == 3
    res = _run("staffing", province_path, "--workers", 0, "--out", tmp_path / "staff", "--json")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "staff").glob("*.csv")) == \
        sorted(f"{p.code}.csv" for p in partitions(province_path))
    res = _run("site", "kits", province_path, "--new", 1, "--province-new", 2, "--out", tmp_path / "x")
    assert res.exit_code == 2


def test_patrol_schedule_county_by_county(province_path, tmp_path):
    res = _run("patrol-schedule", province_path, "--from", "2026-06-01", "--to", "2026-06-07",
               "--workers", 0, "--out", tmp_path / "ps", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["done"] == 3 and data["rows"]["patrol_team"] == 3 * 7  # one team, each day, each county
    text = (tmp_path / "ps" / f"{partitions(province_path)[0].code}.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[1].startswith("县代码,县,日期,星期")  # in words, the county named


def test_report_of_many_counties_on_two_workers_equals_one_process(province_path, tmp_path):
    """``childsafe report FOLDER --workers 2``: each county's figures are a Dask task; the
    report is the one computed county after county in one process."""
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    pytest.importorskip("distributed")
    folder = tmp_path / "counties"
    folder.mkdir()
    for p in partitions(province_path):
        write_dataset(read_partition(p), folder / f"{p.code}.gpkg")
    cli_bin = str(Path(sys.executable).parent / "childsafe")
    got = {}
    for name, extra in (("one", []), ("two", ["--workers", "2"])):
        out = tmp_path / f"{name}.json"
        proc = subprocess.run([cli_bin, "-q", "report", str(folder), "--year", "2026", "--on", "2026-11-01",
                               "--out", str(out), *extra], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
        got[name] = json.loads(out.read_text(encoding="utf-8"))
    assert got["one"]["units"] and got["one"]["units"] == got["two"]["units"]
    assert got["one"]["summary"] == got["two"]["summary"]
    assert len({u["code"][:6] for u in got["two"]["units"] if len(u["code"]) >= 6}) == 3


@pytest.mark.slow
def test_the_dashboard_port_or_none(province_path, tmp_path, monkeypatch):
    """``--dashboard PORT|off``: the local cluster's dashboard on 127.0.0.1 at PORT (0: a free
    one), or none; the link printed and kept in the run report is the one served."""
    import subprocess
    import sys
    from pathlib import Path

    from geo.store import settings

    monkeypatch.setattr(settings, "dask_dashboard", settings.dask_dashboard)  # the option sets it
    bad = _run("water", province_path, "--out", tmp_path / "bad", "--dashboard", "99999")
    assert bad.exit_code == 2 and "须为端口号" in bad.output
    folder = tmp_path / "counties"
    folder.mkdir()
    p = partitions(province_path)[0]
    write_dataset(read_partition(p), folder / f"{p.code}.gpkg")
    cli_bin = str(Path(sys.executable).parent / "childsafe")
    for value in ("off", "0"):
        out = tmp_path / f"w-{value}"
        proc = subprocess.run([cli_bin, "water", str(folder), "--out", str(out), "--workers", "1",
                               "--no-hexagons", "--dashboard", value],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        link = json.loads((out / "run.json").read_text(encoding="utf-8"))["dashboard"]
        if value == "off":
            assert "no dashboard" in proc.stderr and link is None
        else:
            assert f"dashboard {link}" in proc.stderr and link.startswith("http://127.0.0.1:")
            assert ":8787/" not in link
    res = _run("demo", "--scale", "1", "--out", tmp_path / "d", "--workers", "0", "--dashboard", "off")
    assert res.exit_code == 0, res.output  # every command with --workers takes it
