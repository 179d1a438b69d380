"""Script injected through data text never runs: every text field holds XSS payloads."""

from __future__ import annotations

import pytest
from privacy_data import PW, two_villages

from geo.privacy.accounts import add_user
from geo.store.dataset import write_dataset

pytestmark = pytest.mark.browser

PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'

OPEN_ALL_JS = """() => {
  const m = window.map; if (!m) return 0;
  let n = 0;
  m.eachLayer(l => {
    try { if (l.getTooltip && l.getTooltip()) { l.openTooltip(); n++; } } catch (e) {}
    try { if (l.getPopup && l.getPopup()) { l.openPopup(); n++; } } catch (e) {}
  });
  return n;
}"""


@pytest.fixture
def payload_dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("xss") / "xss.gpkg"
    write_dataset(two_villages(payload=PAYLOAD), path)
    add_user(path, "root", PW, role="admin")  # not the demo: the app asks to sign in
    return path


def _xss_set(page) -> list[str]:
    hit = []
    for frame in page.frames:
        try:
            if frame.evaluate("() => window.__xss !== undefined"):
                hit.append(frame.url)
        except Exception:  # a frame that went away while navigating
            continue
    return hit


def test_xss_payloads_never_run(streamlit_app, page, browser_tools, payload_dataset):
    url = streamlit_app({"CHILDSAFE_DATASET": str(payload_dataset)})
    page.goto(url)
    browser_tools.sign_in(page, "root", PW)
    frame = browser_tools.wait_for_map(page)
    frame.wait_for_function("() => window.map && Object.keys(window.map._layers).length > 2",
                            timeout=60_000)
    opened = frame.evaluate(OPEN_ALL_JS)
    page.wait_for_timeout(500)
    assert opened > 0, "the overlays carry tooltips or popups with the data's text"
    assert _xss_set(page) == []
    links = page.locator('[data-testid="stSidebarNavLink"]')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 2
    for i in range(len(hrefs)):  # clicked, not loaded: the signed-in session goes on
        page.locator('[data-testid="stSidebarNavLink"]').nth(i).click()
        browser_tools.wait_for_run(page)
        page.wait_for_timeout(500)
        for f in page.frames:
            try:
                f.evaluate(OPEN_ALL_JS)
            except Exception:
                continue
        page.wait_for_timeout(300)
        assert _xss_set(page) == [], hrefs[i]
    # the payload text is shown as text somewhere (escaped), not dropped
    assert page.external_requests == []
