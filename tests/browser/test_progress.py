"""Real Chromium, no network: a county leader signs in and reads the Progress page in Chinese.

On a copy of the demo county with a leader's account, two snapshots (May and November) and a
spot-check draw: the leader signs in through the form, opens 规划进展 and finds the tiles against
the targets, the township table, the choropleth of townships (with its legend), a trend line
across the two snapshots, the last spot check, no snapshot button (a snapshot is an admin's), and
downloads the yearly report as a PDF whose text names the county and its townships. Nothing
left 127.0.0.1 and no English schema word is on the page. Screenshots:
``tests/artifacts/progress-leader*.png``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from geo.store import settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated"),
]

LEADER, PASSWORD = "county-leader", "a-long-leader-password-1"
DRAWN_JS = ("() => window.map && Object.values(window.map._layers)"
            ".filter(l => l instanceof L.Polygon).length")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    from geo.privacy.accounts import add_user
    from geo.report.facts import unit_facts
    from geo.report.rollup import USED_LAYERS
    from geo.report.snapshots import take_snapshot
    from geo.report.spotcheck import draw_spot_check, record_spot_check
    from geo.store.dataset import read_dataset

    path = tmp_path_factory.mktemp("progress") / "county.gpkg"
    shutil.copy(settings.demo_dataset, path)
    ds = read_dataset(path, layers=USED_LAYERS)
    for day in (dt.date(2026, 5, 1), dt.date(2026, 11, 1)):
        take_snapshot(path, unit_facts(ds, on=day, preset="national"), user="setup")
    record_spot_check(path, draw_spot_check(read_dataset(path), year=2026, seed="test-seed"), user="setup")
    add_user(path, LEADER, PASSWORD, role="leader")
    return path


def _townships(path) -> list[str]:
    from geo.store.dataset import read_dataset

    units = read_dataset(path, layers=["admin_units"])["admin_units"]
    return sorted(units.loc[units["code"].astype(str).str.len() == 9, "name"].astype(str))


def test_leader_reads_progress_in_chinese_and_downloads_the_report(streamlit_app, page, browser_tools, county,
                                                                    tmp_path):
    from geo.store.labels import english_schema_words

    base = streamlit_app({"CHILDSAFE_DATASET": str(county)})
    page.set_viewport_size({"width": 1440, "height": 1120})
    page.goto(base)
    page.get_by_label("用户名").fill(LEADER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    nav = page.locator('[data-testid="stSidebarNav"]').get_by_text("规划进展")
    nav.wait_for(timeout=120_000)  # signed in: the leader's pages are listed
    assert page.get_by_text(f"已登录：{LEADER}（领导").count() == 1
    nav.click()
    page.get_by_role("heading", name="规划进展").wait_for(timeout=120_000)
    browser_tools.wait_for_run(page, timeout=120_000)
    main = page.locator('[data-testid="stMain"]')

    # tiles against the targets: the three counts, then one tile per indicator with a target
    metrics = main.locator('[data-testid="stMetric"]')
    labels = [metrics.nth(i).locator('[data-testid="stMetricLabel"]').inner_text() for i in range(metrics.count())]
    assert [lab.split()[-1] for lab in labels[:3]] == ["达标", "接近", "滞后"], labels
    assert not any(ord(ch) > 0x1F000 for lab in labels for ch in lab)  # no emoji: no font for it offline
    assert any("儿童主任配备达标的村比例" in lab for lab in labels), labels
    assert any("按时入户走访率" in lab for lab in labels), labels

    # the choropleth: one polygon per township, and its legend
    frame = browser_tools.wait_for_map(page)
    frame.wait_for_function(DRAWN_JS, timeout=60_000)
    townships = _townships(county)
    assert frame.evaluate(DRAWN_JS) == len(townships)
    legend = frame.locator("body").inner_text()
    assert "已隐藏（人数过少）" in legend and "无数据" in legend
    page.wait_for_timeout(500)
    page.screenshot(path=str(browser_tools.artifacts / "progress-leader.png"))
    page.locator(browser_tools.map_frame).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(browser_tools.artifacts / "progress-leader-map.png"))

    # the township table: every township by name
    page.get_by_role("tab", name="分单位表").click()
    browser_tools.wait_for_run(page)
    grid = main.locator('[data-testid="stTable"] >> visible=true').first
    grid.wait_for()
    seen = grid.inner_text()
    assert "档案信息完整率" in seen and "按时入户走访率" not in seen  # one group of indicators at a time
    page.get_by_label("指标类别").click()  # the contacts and visits
    page.get_by_role("option", name="联系走访").click()
    browser_tools.wait_for_run(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stTable\"]')]"
                           ".some(t => t.innerText.includes('按时入户走访率'))", timeout=60_000)
    seen += main.locator('[data-testid="stTable"] >> visible=true').first.inner_text()
    grid.scroll_into_view_if_needed()
    page.screenshot(path=str(browser_tools.artifacts / "progress-leader-table.png"))
    assert [t for t in townships if t not in seen] == [], seen[:500]
    assert "None" not in seen and "nan" not in seen  # a hidden cell reads *, a missing one –
    assert "*" in seen, seen  # the leader's table hides small counts

    # the trend across the two snapshots
    page.get_by_role("tab", name="趋势").click()
    browser_tools.wait_for_run(page)
    assert main.get_by_text("2 次快照").count() == 1
    chart = main.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').first
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(browser_tools.artifacts / "progress-leader-trend.png"))

    # the last spot check, and no snapshot button for a leader
    main.get_by_text("档案抽查（最近一次）").click()
    assert main.get_by_text("2026 年度：").count() == 1
    assert page.get_by_role("button", name="保存今日快照").count() == 0

    # the report: make it, then download the PDF
    page.get_by_role("button", name="生成年度报告（PDF）").click()
    download_button = page.get_by_role("button", name="下载报告（PDF）")
    download_button.wait_for(timeout=180_000)
    with page.expect_download() as info:
        download_button.click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "年度工作进展报告" in text and "示范县" in text
    assert [t for t in townships if t not in text] == []
    assert "领导" in text  # the cover says whose report it is (the leader's role)

    # in Chinese throughout, no error, nothing off the machine
    body = main.inner_text()
    assert not english_schema_words(body), english_schema_words(body)
    assert main.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0
    assert page.external_requests == [], page.external_requests
