"""Real Chromium, no network: every page of the app opens on the demo county without an error.

The demo county has no accounts, so the app runs in demo mode as admin and every page in
``views.PAGES`` is reachable. Each page is opened by its URL path (``/<module's last part>``, as
``app.py`` builds it), waited on until the script run has finished and, where the page has a
map, until Leaflet has drawn features; then it is checked for exceptions, error alerts and
requests that left 127.0.0.1, and screenshotted to ``tests/artifacts/page-<name>.png``
(1440 px wide, the size of the README images in docs/img/).
"""

from __future__ import annotations

import logging
import re
import time

import pytest

from geo.store import settings
from views import PAGES

logger = logging.getLogger(__name__)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated"),
]

#: the viewport of the README screenshots.
VIEWPORT = {"width": 1440, "height": 1120}
#: a Leaflet map with at least one vector feature (the overlays are added after Leaflet loads).
MAP_DRAWN_JS = "() => window.map && Object.values(window.map._layers).some(l => l instanceof L.Path)"
#: the run is over and every element has drawn: no skeletons (lazy element code still loading)
#: and no stale elements left from an earlier run.
SETTLED_JS = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
  && !document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], '
                             + '[data-testid="stAppSkeleton"], [data-stale="true"]')"""


#: red alerts that are page content, not errors (the Villages & visits police-report notice).
CONTENT_ALERTS = re.compile(r"名儿童需立即报告公安机关|must be reported to the police")
#: what to do on a page before its screenshot: the Patrols page draws its map once routes are
#: planned (the default plan: a few seconds on the demo county); the Villages & visits map is on
#: the child-director staffing tab.
ACTIONS = {"patrols": ("button", "规划路线"), "visits": ("tab", "儿童主任配备")}


def _settle(page, browser_tools) -> None:
    browser_tools.wait_for_run(page, timeout=90_000)
    page.wait_for_function(SETTLED_JS, timeout=90_000, polling=100)
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED_JS, timeout=90_000, polling=100)  # no second run started


def _open(page, browser_tools, url: str, action: tuple[str, str] | None) -> bool:
    """Open ``url``, wait for the run (and the map); return whether the page has a map."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stHeading"]', timeout=60_000)
    _settle(page, browser_tools)
    if action is not None:
        role, name = action
        page.get_by_role(role, name=name).click()
        page.wait_for_selector(browser_tools.map_frame, state="attached", timeout=90_000)
        _settle(page, browser_tools)
    if page.query_selector(browser_tools.map_frame) is None:
        return False
    frame = browser_tools.wait_for_map(page)
    frame.wait_for_function(MAP_DRAWN_JS, timeout=60_000)
    page.wait_for_timeout(500)  # canvas paint after the last layer was added
    return True


def test_every_page_opens_cleanly(streamlit_app, page, browser_tools):
    base = streamlit_app({"CHILDSAFE_DATASET": str(settings.demo_dataset)})
    page.set_viewport_size(VIEWPORT)
    problems = []
    for i, (module, _zh, en, _icon, _roles) in enumerate(PAGES):
        path = module.split(".")[-1]
        t0 = time.monotonic()
        url = f"{base}/" if i == 0 else f"{base}/{path}"  # the first page is the app's root
        has_map = _open(page, browser_tools, url, ACTIONS.get(path))
        if page.get_by_text("Page not found").count():
            problems.append(f"{en} ({url}): Streamlit says the page does not exist")
        logger.info("page %s: %.1f s%s", path, time.monotonic() - t0, " (map)" if has_map else "")
        page.screenshot(path=str(browser_tools.artifacts / f"page-{path}.png"))
        shown = page.locator(f"{browser_tools.map_frame} >> visible=true")
        if has_map and shown.count():  # and with the map scrolled into view (README images)
            shown.first.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            page.screenshot(path=str(browser_tools.artifacts / f"page-{path}-map.png"))
        for selector, what in (('[data-testid="stException"]', "exception"),
                               ('[data-testid="stAlertContentError"]', "error alert")):
            for el in page.query_selector_all(selector):
                text = el.inner_text()
                if what == "error alert" and CONTENT_ALERTS.search(text):
                    continue
                problems.append(f"{en} (/{path}): {what}: {text[:300]}")
    assert problems == []
    assert page.external_requests == [], f"requests left 127.0.0.1: {page.external_requests}"
