"""``childsafe export``: the role's view, watermark, geomask, refusals."""

from __future__ import annotations

import json

import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner
from privacy_data import SALT, TOWNSHIP, VILLAGE_A, fast_passwords, two_villages  # noqa: F401

from geo.cli._main import cli
from geo.privacy.accounts import add_user
from geo.privacy.audit import read_audit
from geo.privacy.roles import visible_layers
from geo.store.dataset import read_dataset, write_dataset
from geo.store.labels import english_schema_words

PW = "correct horse battery"


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "county.gpkg"
    write_dataset(two_villages(), p)
    add_user(p, "dirA", PW, role="child_director", scope=VILLAGE_A)
    return p


def _run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env or {})


def test_leader_export_gpkg_has_no_household_layer(path, tmp_path):
    out = tmp_path / "lead.gpkg"
    r = _run("export", str(path), "--role", "leader", "--scope", TOWNSHIP, "--out", str(out), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["role"] == "leader"
    layers = {str(x[0]) for x in pyogrio.list_layers(out)}
    assert layers == set(visible_layers("leader")) | {"watermark"}
    assert "households" not in layers and "children" not in layers
    wm = pyogrio.read_dataframe(out, layer="watermark")
    assert wm["role"].iloc[0] == "leader" and wm["scope"].iloc[0] == TOWNSHIP
    assert wm["exported_by"].iloc[0].startswith("local:")
    assert "export" in set(read_audit(path)["action"])


def test_excel_export_has_a_watermark_row_on_every_sheet(path, tmp_path):
    out = tmp_path / "plan.xlsx"
    r = _run("--lang", "en", "export", str(path), "--role", "planner", "--out", str(out), "--geomask", "150")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    for ws in wb:
        assert str(ws.cell(1, 1).value).startswith("ChildSafe Map export for")
        assert "geomask 150" in ws.cell(1, 1).value
    header = [c.value for c in wb["Households"][2]]
    assert {"Household", "Longitude", "Latitude", "Children", "Caregiver"} <= set(header)
    text = "\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row)
    assert SALT not in text and "argon2" not in text


def test_excel_export_in_chinese(path, tmp_path):
    out = tmp_path / "plan.xlsx"
    r = _run("--lang", "zh", "export", str(path), "--role", "planner", "--out", str(out), "--geomask", "150")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert "户" in wb.sheetnames and "水印" in wb.sheetnames
    for ws in wb:
        line = str(ws.cell(1, 1).value)
        assert line.startswith("童安地图导出") and "规划人员" in line and "地理掩蔽 150 米" in line
    header = [c.value for c in wb["户"][2]]
    assert {"户编号", "村代码", "村（社区）", "经度", "纬度", "儿童", "照料人"} <= set(header)
    text = "\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row)
    allow = ("GeoPackage", "UTC", "county")  # a format, a time zone, the file's name (county.gpkg)
    assert english_schema_words(text + " ".join(wb.sheetnames), allow=allow) == []


def test_child_director_export_as_themselves(path, tmp_path):
    out = tmp_path / "a.gpkg"
    env = {"CHILDSAFE_PASSWORD": PW}
    r = _run("--user", "dirA", "export", str(path), "--out", str(out), env=env)
    assert r.exit_code == 0, r.output
    assert set(read_dataset(out)["households"]["village_code"]) == {VILLAGE_A}
    r = _run("--user", "dirA", "export", str(path), "--role", "admin", "--out", str(out), env=env)
    assert r.exit_code == 2 and "may not export as admin" in r.output
    r = _run("--user", "dirA", "export", str(path), "--scope", "340123", "--out", str(out), env=env)
    assert r.exit_code == 2 and "inside their scope" in r.output


def test_export_refusals(path, tmp_path):
    r = _run("export", str(path), "--out", str(tmp_path / "x.gpkg"))
    assert r.exit_code == 2 and "--role" in r.output
    r = _run("export", str(path), "--role", "leader", "--out", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and ".gpkg, .xlsx" in r.output
