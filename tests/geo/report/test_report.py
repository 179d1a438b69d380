"""The report: PDF opens with Chinese, Excel in Chinese with numbers, JSON ids, leader suppression; CLI."""

from __future__ import annotations

import json
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from report_data import ON, county

from geo.cli import _main
from geo.privacy.audit import read_audit
from geo.privacy.roles import User
from geo.privacy.tables import read_table
from geo.report.document import SUPPRESSED, build_report, people_columns
from geo.report.facts import unit_facts
from geo.report.render import write_report
from geo.report.snapshots import nearest_snapshot, read_snapshots, trend
from geo.report.spotcheck import draw_spot_check, read_spot_checks
from geo.store import settings
from geo.store.dataset import write_dataset
from geo.store.errors import ValidationError
from geo.store.labels import english_schema_words

C = "341101"


@pytest.fixture(scope="module")
def facts():
    return unit_facts(county(C), on=ON, preset="national")


def test_leader_report_hides_small_counts_and_what_is_made_from_them(facts):
    rep = build_report(facts, user=User("lead", "leader"), year=2026, with_maps=False)
    rows = [rep.top, rep.table]
    threshold = settings.small_count_threshold
    for table in rows:
        for col in people_columns():
            vals = table[col].dropna()
            assert not ((vals > 0) & (vals < threshold)).any(), col
    # 1 open flag (c2b): hidden, with its days open
    top = rep.top.iloc[0]
    hidden = str(top[SUPPRESSED]).split(";")
    assert "police_flags_open" in hidden and "police_flags_days_max" in hidden
    assert str(top["police_flags_days_max"]) == "nan"
    assert rep.notes  # one note per hidden cell
    admin = build_report(facts, user=User("a", "admin"), year=2026, with_maps=False)
    assert admin.top.iloc[0]["police_flags_open"] == 1 and not admin.notes


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_opens_with_the_chinese_title_townships_and_a_map(facts, tmp_path):
    rep = build_report(facts, user=User("lead", "leader"), year=2026)
    pdf = write_report(rep, tmp_path / "report.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "年度工作进展报告" in text
    assert f"乡{C}" in text  # the township's name
    assert "总体进展" in text and "指标说明" in text
    # sources read as the plans' names and items, not as internal codes or settings
    assert "全国方案 第8项" in text and "民发〔2023〕62号" in text
    assert not [w for w in ("000 §", "DOMAIN.md", "settings.", "judgement") if w in text]
    # the hidden cells: the reason once, then one line per unit naming its indicators once each
    assert text.count("按规定隐藏") == 1 and "待强制报告情形" in text.split("隐藏单元格说明")[1]
    admin = write_report(build_report(facts, user=User("a", "admin"), year=2026), tmp_path / "admin.pdf")
    # the coverage map: the admin's in the choropleth's colours; the leader's hatched (every unit
    # of this small county counts too few children), so the map never shows what its table hides
    assert _choropleth_share(admin, tmp_path / "a") > 0.02
    assert _choropleth_share(pdf, tmp_path / "l") < 0.01


def _choropleth_share(pdf, prefix) -> float:
    """Share of the first map page's pixels in the choropleth's colours (rendered by pdftoppm)."""
    from PIL import Image

    from geo.report.maps import SHARE_COLOURS

    pages = int(subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
                .stdout.split("Pages:")[1].split()[0])
    map_page = next(i for i in range(1, pages + 1) if "三、地图" in subprocess.run(
        ["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True, text=True).stdout)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", str(map_page), "-l", str(map_page), str(pdf),
                    str(prefix)], check=True)
    png = next(prefix.parent.glob(prefix.name + "*.png"))
    colours = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in SHARE_COLOURS]
    with Image.open(png) as im:
        rgb = im.convert("RGB")
        drawn = sum(n for n, px in rgb.getcolors(1 << 20) if any(
            sum(abs(a - b) for a, b in zip(px, c, strict=True)) < 40 for c in colours))
        return drawn / (rgb.width * rgb.height)


def test_excel_in_chinese_with_numbers_and_note_rows(facts, tmp_path):
    rep = build_report(facts, user=User("lead", "leader"), year=2026, with_maps=False)
    path = write_report(rep, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert {"封面", "总体情况", "联系走访", "强制报告", "指标说明", "隐藏说明"} <= set(wb.sheetnames)
    visits = read_table(path, sheet="联系走访")
    assert list(visits.columns[:3]) == ["单位代码", "单位名称", "层级"] and "按时入户走访率（%）" in visits.columns
    assert visits["层级"].iloc[0] == "县"
    assert pd.api.types.is_numeric_dtype(visits["按时入户走访率（%）"])  # numbers as numbers (NaN where hidden)
    notes = read_table(path, sheet="隐藏说明")
    assert len(notes) == len(rep.notes) > 0  # one note row per hidden cell
    assert notes["说明"].str.contains("已隐藏|隐藏").all()
    assert "待强制报告情形（分子）" in set(notes["列"])  # the hidden column by its Chinese name
    methods = read_table(path, sheet="指标说明")
    assert set(methods["单位"]) == {"%", "个", "天"}
    assert not english_schema_words(" ".join(notes["列"]) + " ".join(methods["单位"]) + " ".join(methods["依据"]))
    assert not english_schema_words(" ".join(map(str, visits.columns)))


def test_json_has_stable_indicator_ids(facts, tmp_path):
    rep = build_report(facts, user=User("a", "admin"), year=2026, with_maps=False)
    data = json.loads(write_report(rep, tmp_path / "r.json").read_text(encoding="utf-8"))
    top = data["units"][0]
    assert top["code"] == C and top["indicators"]["villages_staffed"]["value"] == 0.5
    assert data["summary"]["visit_overdue"]["status"] in ("close", "behind")
    with pytest.raises(ValidationError, match="not '.doc'"):
        write_report(rep, tmp_path / "r.doc")


@pytest.fixture
def county_file(tmp_path):
    path = tmp_path / "county.gpkg"
    write_dataset(county(C), path)
    return path


def test_cli_snapshot_report_and_spot_check(county_file, tmp_path):
    runner = CliRunner()
    res = runner.invoke(_main.cli, ["snapshot", str(county_file), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"] > 0
    snaps = read_snapshots(county_file)
    assert set(snaps["kind"]) == {"leaf", "total"} and "child_id" not in snaps.columns
    assert nearest_snapshot(county_file, ON, preset="national") is not None
    assert len(trend(county_file, preset="national", code=C)) == 1
    out = tmp_path / "r.json"
    res = runner.invoke(_main.cli, ["report", str(county_file), "--year", "2026", "--role", "leader",
                                    "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["report"]["role"] == "leader" and data["report"]["snapshot"]  # figures of the day's snapshot
    res = runner.invoke(_main.cli, ["report", str(county_file), "--year", "2025", "--on", "2026-01-05",
                                    "--out", str(out)])
    assert res.exit_code == 2 and "not in 2025" in res.output
    lst = tmp_path / "check.xlsx"
    res = runner.invoke(_main.cli, ["spot-check", str(county_file), "--year", "2026", "--out", str(lst),
                                    "--json"])
    # two villages only: fewer than Gaotai's 10 -> refused with the numbers
    assert res.exit_code == 2 and "fewer than the rule's 10" in res.output
    actions = set(read_audit(county_file)["action"])
    assert {"snapshot", "report"} <= actions


def test_spot_check_every_township_reproducible_from_its_seed(county_file, tmp_path):
    ds = county(C)
    a = draw_spot_check(ds, year=2026, min_villages=2, per_village=3)
    b = draw_spot_check(ds, year=2026, min_villages=2, per_village=3, seed=a.seed)
    assert a.digest == b.digest and list(a.files["child_id"]) == list(b.files["child_id"])
    assert a.villages == 2 and a.townships == 1 and len(a.files) == 6
    other = draw_spot_check(ds, year=2027, min_villages=2, per_village=3, seed=a.seed)
    assert other.seed == a.seed  # a new year draws anew from the same seed
    from geo.report.spotcheck import record_spot_check

    record_spot_check(county_file, a, user="bureau")
    draws = read_spot_checks(county_file)
    assert draws.iloc[-1]["seed"] == a.seed and int(draws.iloc[-1]["files"]) == 6
    assert "spot_check" in set(read_audit(county_file)["action"])


def test_leader_no_hidden_cell_is_recoverable_on_the_demo_county(monkeypatch):
    """County, townships and villages as one released table: nothing hidden can be computed back
    (issue 12's audit), and every share, denominator and overdue count is hidden with its inputs."""
    from geo.privacy import disclosure
    from geo.report.document import INDICATOR_SPEC, WHOLE, _independent, release_table
    from geo.report.facts import den, num
    from geo.report.indicators import INDICATORS
    from geo.report.rollup import indicator_table
    from geo.store.dataset import read_dataset

    ds = read_dataset(settings.demo_dataset)
    facts = unit_facts(ds, on="2026-11-01", preset="national", coverage=False)
    full = indicator_table(facts, level="county", down_to=["township", "village"])
    released = release_table(User("l", "leader"), full)
    assert (released[SUPPRESSED].fillna("") != "").sum() > 10  # small villages are hidden
    monkeypatch.setitem(disclosure.TABLES, "indicator_table", INDICATOR_SPEC)
    cols = ["code", *_independent()]
    assert disclosure.recoverable_cells("indicator_table", full[cols], released[[*cols, SUPPRESSED]]) == []
    for ind in INDICATORS.values():
        if not ind.people:
            continue
        shown = released[ind.id].notna()
        if ind.unit == "share":
            assert (released.loc[shown, num(ind.id)].notna() & released.loc[shown, den(ind.id)].notna()).all()
            assert released.loc[shown, WHOLE].notna().all()
        vals = released[num(ind.id)].dropna()
        if ind.follows is None and ind.unit == "count":
            assert not ((vals > 0) & (vals < settings.small_count_threshold)).any(), ind.id


@pytest.mark.xdist_group("postgis")  # one worker, one throwaway cluster
def test_a_county_on_postgis_reports_like_its_file(county_file, tmp_path, pg_url):
    """A roll-up reads PostGIS county schemas as it reads files: the same figures, no password shown."""
    from geo.store.copying import copy_dataset

    copy_dataset(county_file, pg_url)
    runner = CliRunner()
    figures = []
    for source in (str(county_file), pg_url):
        out = tmp_path / f"r{len(figures)}.json"
        res = runner.invoke(_main.cli, ["report", source, "--year", "2026", "--on", str(ON),
                                        "--live", "--out", str(out), "--json"])
        assert res.exit_code == 0, res.output
        assert "pg-test-Secret" not in res.output
        data = json.loads(out.read_text(encoding="utf-8"))
        figures.append((data["summary"], data["units"], data["hidden_cells"]))
    assert figures[0] == figures[1] and figures[0][1]  # every unit's figures equal
