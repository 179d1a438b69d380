"""The app on a county server: ``CHILDSAFE_DATASET=postgresql://…`` (password in ``PGPASSWORD``),
an account stored in PostGIS, signing in through the form and opening the overview.

The demo county is copied into a schema of the throwaway cluster (tests/pg.py) with
``childsafe copy``; the app's server gets the URL without a password. The page must show the
server dataset's name without the password, sign in with the server's account (the sign-in is
in the server's audit log, chained), draw the overview with the county's figures, and never
leave 127.0.0.1.
"""

from __future__ import annotations

import pytest

from geo.privacy.accounts import add_user
from geo.privacy.audit import read_audit, verify_audit
from geo.store import settings
from geo.store.copying import copy_dataset
from geo.store.dataset import read_dataset

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("postgis"),
    pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated"),
]

PASSWORD = "correct horse battery"
SETTLED_JS = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
  && !document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')"""


@pytest.fixture(scope="module")
def county_url(pg_server):
    url = pg_server.url("county_app")
    copy_dataset(settings.demo_dataset, url, force=True)
    add_user(url, "bureau", PASSWORD, role="admin")
    return url


def _settle(page) -> None:
    page.wait_for_function(SETTLED_JS, timeout=180_000, polling=200)
    page.wait_for_timeout(400)
    page.wait_for_function(SETTLED_JS, timeout=180_000, polling=200)


def test_sign_in_on_a_server_dataset_and_open_the_overview(county_url, pg_server, streamlit_app, page,
                                                            browser_tools):
    shown = pg_server.url("county_app", with_password=False)
    base = streamlit_app({"CHILDSAFE_DATASET": shown, "PGPASSWORD": pg_server.password})
    page.goto(base)
    page.wait_for_selector('[data-testid="stTextInput"] input', timeout=120_000)
    text = page.inner_text('[data-testid="stApp"]')
    assert "county_app" in text and pg_server.password not in text
    page.get_by_label("用户名").fill("bureau")
    page.get_by_label("密码").fill("not the password at all")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=120_000)
    _settle(page)
    assert page.query_selector('[data-testid="stException"]') is None, page.inner_text('[data-testid="stException"]')
    text = page.inner_text('[data-testid="stApp"]')
    assert "Traceback" not in text and pg_server.password not in text
    stations = len(read_dataset(county_url, layers=["stations"])["stations"])
    assert "总览地图" in text and f"{stations:,}" in text  # the overview's figures, from the server
    browser_tools.wait_for_map(page)
    page.screenshot(path=str(browser_tools.artifacts / "server-overview.png"))
    assert page.external_requests == []
    actions = read_audit(county_url)["action"].tolist()
    first_failed = actions.index("login_failed")
    assert "login" in actions[first_failed:]  # the failure, then the sign-in, in the server's log
    assert verify_audit(county_url).ok
