"""``childsafe info`` and the CLI's error handling."""

from __future__ import annotations

import json

from click.testing import CliRunner

from geo.cli import main  # noqa: F401  (console-script entry point exists)
from geo.cli._main import cli
from geo.store.dataset import write_dataset


def test_info_lists_every_layer_with_counts(tiny_dataset, tmp_path):
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    res = CliRunner().invoke(cli, ["info", str(path)])
    assert res.exit_code == 0, res.output
    assert "households" in res.output and "audit_log" in res.output
    assert "EPSG:4326" in res.output and "32650" in res.output
    res = CliRunner().invoke(cli, ["info", str(path), "--json"])
    data = json.loads(res.output)
    assert data["layers"]["households"] == 3 and data["layers"]["stations"] == 0
    assert data["problems"] == []


def test_info_reports_content_problems(tiny_dataset, tmp_path):
    ds = tiny_dataset.copy()
    ch = ds["children"].copy()
    ch.loc[0, "household_id"] = "nowhere"
    ds["children"] = ch
    path = write_dataset(ds, tmp_path / "d.gpkg")
    res = CliRunner().invoke(cli, ["info", str(path)])
    assert res.exit_code == 0
    assert "children.household_id: 1 value(s) not found in households.household_id" in res.output


def test_bad_file_is_one_message_and_exit_2(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("hello")
    res = CliRunner().invoke(cli, ["info", str(bad)])
    assert res.exit_code == 2
    assert "not a GeoPackage" in res.output
    assert "Traceback" not in res.output


def test_every_command_has_help():
    runner = CliRunner()
    res = runner.invoke(cli, ["--help"])
    assert res.exit_code == 0
    for name in cli.commands:
        sub = runner.invoke(cli, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage" in sub.output
