"""Every role does its job in the browser, on its own area, in Chinese (and once in English).

A copy of the demo county gets one real account per role (argon2 passwords, the sign-in form);
one Streamlit server serves it and each test signs in as one role in a fresh browser context,
does that role's main job, downloads the result and checks it against the admin's CLI for the
same scope: no traceback or error alert, no English schema word in the Chinese page text or in
the downloaded file, the same figures. Screenshots of each role's main page go to
``tests/artifacts/role-<role>.png`` (copies in docs/img/, linked from docs/app.md).

- leader (county): child-director staffing = ``childsafe staffing`` (38 villages short on the
  demo, not the 14 of a count made on data without children);
- child director (丁营社区): the visit list on the dataset's reference date, most urgent first,
  = ``childsafe visits --on 2026-11-01`` as that director; the map zoomed to the village; then
  the same page in English;
- planner (county): 3 new village stations with their places = ``childsafe site stations``;
- safety officer (county): the water ranking (whole, township filter changes the headline)
  = ``childsafe water``; the calendar with weekday names.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.privacy.accounts import add_user
from geo.privacy.tables import read_table
from geo.store import settings
from geo.store.labels import english_schema_words

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated"),
]

PASSWORD = "correct horse battery"
COUNTY, VILLAGE = "341199", "341199103001"  # 丁营社区: 114 children in scope, 2 to report
ACCOUNTS = {"lead": ("leader", COUNTY), "plan": ("planner", COUNTY), "safe": ("safety_officer", COUNTY),
            "dir": ("child_director", VILLAGE)}
SETTLED_JS = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
  && !document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')"""
#: words that may show in the Chinese UI: file formats and units, not schema identifiers.
ALLOWED = ("Excel", "HTML", "GeoPackage", "GPX", "CSV", "PDF")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "shifan.gpkg"  # a file name of no schema word
    shutil.copy(settings.demo_dataset, path)
    for name, (role, scope) in ACCOUNTS.items():
        add_user(path, name, PASSWORD, role=role, scope=scope)
    return path


@pytest.fixture(scope="module")
def server(county, streamlit_app):
    return streamlit_app({"CHILDSAFE_DATASET": str(county)})


def _cli(*args, user: str | None = None) -> dict:
    env = {"CHILDSAFE_USER": user, "CHILDSAFE_PASSWORD": PASSWORD} if user else {}
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def _settle(page) -> None:
    page.wait_for_function(SETTLED_JS, timeout=180_000, polling=200)
    page.wait_for_timeout(400)
    page.wait_for_function(SETTLED_JS, timeout=180_000, polling=200)


def _sign_in(page, base: str, user: str) -> None:
    page.goto(base)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    _settle(page)


def _open(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    page.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=60_000)
    _settle(page)


def _clean(page, lang: str = "zh") -> str:
    """The page text, after checking it has no traceback, no error alert, no schema word in Chinese."""
    assert page.query_selector('[data-testid="stException"]') is None, page.inner_text('[data-testid="stException"]')
    errors = [e.inner_text() for e in page.query_selector_all('[data-testid="stAlertContentError"]')]
    assert all("报告公安" in e or "police" in e for e in errors), errors
    text = page.inner_text('[data-testid="stApp"]')
    assert "Traceback" not in text and "KeyError" not in text
    if lang == "zh":
        assert english_schema_words(text, allow=ALLOWED) == [], english_schema_words(text, allow=ALLOWED)
    return text


def _download(page, button: str, path):
    with page.expect_download(timeout=60_000) as d:
        page.get_by_role("button", name=button).click()
    d.value.save_as(path)
    return path


def _file_words(path) -> list[str]:
    """English schema words in a downloaded table (headers and cells), the watermark line included."""
    import openpyxl

    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    cells = " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    return english_schema_words(cells, allow=ALLOWED)


def _shot(page, browser_tools, name: str) -> None:
    page.screenshot(path=str(browser_tools.artifacts / f"role-{name}.png"))


def _metrics(page) -> dict[str, str]:
    out = {}
    for m in page.query_selector_all('[data-testid="stMetric"]'):
        label = m.query_selector('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = m.query_selector('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def test_leader_sees_staffing_computed_on_the_full_data(server, county, page, browser_tools, tmp_path):
    admin = _cli("staffing", county, "--out", tmp_path / "cli.xlsx", "--json")
    _sign_in(page, server, "lead")
    _open(page, "村级关爱与走访")
    text = _clean(page)
    assert "没有儿童表" not in text  # the false "no children table" of issue 14
    metrics = _metrics(page)
    assert metrics["儿童主任不足的村"] == f"{admin['villages_short']:,}" == "38"
    assert metrics["村（社区）"] == f"{admin['villages']:,}"
    _shot(page, browser_tools, "leader")
    got = _download(page, "下载配备表（Excel）", tmp_path / "staffing.xlsx")
    table = read_table(got)
    assert "缺口" in table.columns and "名称" in table.columns and "已隐藏的列" in table.columns  # Chinese
    assert int((table["缺口"].fillna(0) > 0).sum()) == admin["villages_short"]
    assert _file_words(got) == []
    assert page.external_requests == []


def test_child_director_gets_the_visit_list_of_the_village(server, county, page, browser_tools, tmp_path):
    admin = _cli("visits", county, "--on", "2026-11-01", "--out", tmp_path / "cli.xlsx", "--json", user="dir")
    _sign_in(page, server, "dir")
    _open(page, "村级关爱与走访")
    text = _clean(page)
    assert "参考日期：2026-11-01" in text  # the dataset's own date, stated
    metrics = _metrics(page)
    assert metrics["在册儿童"] == str(admin["children"]) == "114"
    assert metrics["逾期"] == str(admin["overdue"])
    assert metrics["需报告公安"] == str(admin["report_police"]) == "2"
    assert "本周到期" in metrics and "下周到期" in metrics
    _shot(page, browser_tools, "child_director")
    got = _download(page, "下载走访名单（Excel）", tmp_path / "visits.xlsx")
    table = read_table(got)
    assert len(table) == admin["children"]
    assert table["紧急程度"].tolist()[:3] == [1, 2, 3]
    assert table["需报告公安"].tolist()[:2] == ["是", "是"]  # police reports first
    assert set(table["村（社区）"]) == {"丁营社区"}
    assert _file_words(got) == []
    printable = _download(page, "打印版走访名单（HTML，用浏览器打印）", tmp_path / "visits.html")
    assert "走访名单 2026-11-01" in printable.read_text(encoding="utf-8")
    # the overview map opens on the village, not the county
    _open(page, "总览地图")
    frame = browser_tools.wait_for_map(page)
    frame.wait_for_function("() => window.map && window.map.getZoom() >= 13", timeout=60_000)
    _clean(page)
    # once in English: the same list, words in English, the radio still chosen
    page.get_by_text("English", exact=True).click()
    _settle(page)
    _open(page, "Villages & visits")
    text = _clean(page, "en")
    assert "Reference date: 2026-11-01" in text and "Due this week" in text
    checked = page.locator('[data-testid="stRadio"] input:checked')
    assert checked.count() >= 1
    assert page.external_requests == []


def test_planner_sites_new_stations_with_their_places(server, county, page, browser_tools, tmp_path):
    admin = _cli("site", "stations", county, "--level", "village", "--new", 3, "--metric", "euclidean",
                 "--out", tmp_path / "cli.gpkg", "--json")
    _sign_in(page, server, "plan")
    _open(page, "站点覆盖")
    page.get_by_text("直线", exact=True).click()
    _settle(page)
    page.get_by_text("新站点选址").click()
    page.get_by_label("新站点数 K").fill("3")
    page.get_by_role("button", name="计算").click()
    _settle(page)
    _clean(page)
    metrics = _metrics(page)
    assert metrics["覆盖（后）"] == f"{admin['share_after']:.1%}"
    assert metrics["新站点"] == "3"
    _shot(page, browser_tools, "planner")
    got = _download(page, "下载拟建站点（Excel）", tmp_path / "proposed.xlsx")
    table = read_table(got)
    assert len(table) == 3
    assert table["村（社区）"].str.len().min() > 0 and table["乡镇"].str.len().min() > 0
    assert table["经度"].between(100, 125).all() and table["纬度"].between(20, 45).all()
    assert table["新增覆盖儿童"].sum() == pytest.approx(admin["covered_after"] - admin["covered_before"])
    assert _file_words(got) == []
    gpkg = _download(page, "下载拟建站点（GeoPackage）", tmp_path / "proposed.gpkg")
    import pyogrio

    assert pyogrio.read_info(gpkg, layer="proposed_stations")["features"] == 3
    # the villages page shows the planner staffing, not "no children table"
    _open(page, "村级关爱与走访")
    assert "没有儿童表" not in _clean(page)
    assert page.external_requests == []


def test_safety_officer_ranks_water_and_plans_the_calendar(server, county, page, browser_tools, tmp_path):
    admin = _cli("water", county, "--out", tmp_path / "cli.gpkg", "--json")
    _sign_in(page, server, "safe")
    _open(page, "水域安全")
    _clean(page)
    metrics = _metrics(page)
    assert metrics["水域点位"] == f"{admin['sites']:,}"
    assert metrics["缺“四个一”"] == f"{admin['kit_status']['none']:,}"
    _shot(page, browser_tools, "safety_officer")
    got = _download(page, f"下载完整排名（Excel，{admin['sites']:,} 个点位）", tmp_path / "water.xlsx")
    assert len(read_table(got)) == admin["sites"]  # the whole ranking, not the 20 on screen
    assert _file_words(got) == []
    # one township: the headline follows
    page.locator('[data-testid="stMultiSelect"] input').first.click()
    page.keyboard.type("临塘乡")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function("""(all) => (document.querySelector('[data-testid="stMetricValue"]')
        ?.innerText || all).trim() !== all""", arg=f"{admin['sites']:,}", timeout=60_000)
    _settle(page)
    one = _metrics(page)
    assert 0 < int(one["水域点位"].replace(",", "")) < admin["sites"]
    page.screenshot(path=str(browser_tools.artifacts / "role-safety_officer-township.png"))
    # the calendar: weekdays and day kinds in words
    _open(page, "巡查")
    page.get_by_role("tab", name="巡查日历").click()
    _settle(page)
    _clean(page)
    cal = _download(page, "下载日历（Excel）", tmp_path / "calendar.xlsx")
    table = read_table(cal)
    assert set(table["星期"]) <= {"星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"}
    assert "上学日" in set(table["日期类型"]) or "休息日" in set(table["日期类型"])
    assert _file_words(cal) == []
    assert page.external_requests == []
