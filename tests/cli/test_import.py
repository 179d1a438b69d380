"""``childsafe import``: counts, problems in the user's language, exit status 2 on unreadable files."""

from __future__ import annotations

import json

from click.testing import CliRunner

from geo.cli._main import cli
from geo.store.dataset import read_dataset

VILLAGE = "340123101001"


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_creates_the_dataset_and_prints_counts(tmp_path):
    src = tmp_path / "hh.csv"
    src.write_bytes(("户编号,村代码,照料类型,经度,纬度,联系电话\n"
                     f"h1,{VILLAGE},祖父母,117.27,31.86,13812345678\n"
                     "h2,12,父母,117.28,31.87,\n").encode("gbk"))
    into = tmp_path / "new.gpkg"
    res = _run("import", "households", str(src), "--into", str(into), "--lang", "en")
    assert res.exit_code == 0, res.output
    assert "read 2, imported 1, quarantined 1" in res.output
    assert "row 3, village_code" in res.output
    assert "联系电话" in res.output  # the notice names the dropped column
    assert len(read_dataset(into)["households"]) == 1
    zh = _run("import", "households", str(src), "--into", str(into), "--lang", "zh")
    assert "读取 2 行，导入 1 行，隔离 1 行" in zh.output and "第 3 行" in zh.output


def test_json_output_and_quarantine_path(tmp_path):
    src = tmp_path / "k.csv"
    src.write_text("kit_id,lon,lat\nk1,117.2,31.8\nk2,0,0\n", encoding="utf-8")
    q = tmp_path / "out" / "bad.csv"
    res = _run("import", "safety_kits", str(src), "--into", str(tmp_path / "d.gpkg"),
               "--quarantine", str(q), "--coords", "bd09", "--json")
    data = json.loads(res.output)
    assert (data["read"], data["imported"], data["quarantined"]) == (2, 1, 1)
    assert data["quarantine_file"] == str(q) and q.exists()
    assert data["problems"][0]["row"] == 3


def test_unreadable_file_exits_2_and_changes_nothing(tmp_path):
    into = tmp_path / "d.gpkg"
    src = tmp_path / "k.csv"
    src.write_text("kit_id,lon,lat\nk1,117.2,31.8\n")
    _run("import", "safety_kits", str(src), "--into", str(into))
    before = into.read_bytes()
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"garbage")
    res = CliRunner().invoke(cli, ["import", "safety_kits", str(bad), "--into", str(into)])
    assert res.exit_code == 2
    assert "cannot be read" in res.output and "Traceback" not in res.output
    assert into.read_bytes() == before
    res = CliRunner().invoke(cli, ["import", "safety_kits", str(src), "--into", str(into),
                                   "--coords", "mercator"])
    assert res.exit_code == 2 and "unknown coordinate system" in res.output


def test_replace_flag(tmp_path):
    into = tmp_path / "d.gpkg"
    a = tmp_path / "a.csv"
    a.write_text("kit_id,lon,lat\nk1,117.2,31.8\nk2,117.3,31.8\n")
    b = tmp_path / "b.csv"
    b.write_text("kit_id,lon,lat\nk3,117.2,31.9\n")
    _run("import", "safety_kits", str(a), "--into", str(into))
    _run("import", "safety_kits", str(b), "--into", str(into), "--replace")
    assert read_dataset(into)["safety_kits"]["kit_id"].tolist() == ["k3"]
