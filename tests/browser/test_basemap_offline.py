"""Real Chromium, no network: an online basemap that cannot load says so on the map."""

from __future__ import annotations

import re

import pytest

from geo.store.labels import label
from layers.basemap import base_map

pytestmark = pytest.mark.browser


def _open_offline(browser, html_path):
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(html_path.as_uri())
    page.wait_for_function("() => document.querySelector('.leaflet-container') !== null")
    return page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_online_basemap_offline_shows_a_note(browser, tmp_path, lang):
    path = tmp_path / "osm.html"
    base_map((110.0, 30.0, 111.0, 31.0), basemap="osm", lang=lang).save(str(path))
    page = _open_offline(browser, path)
    note = page.locator(".childsafe-basemap-note")
    note.wait_for(state="visible", timeout=30_000)  # on the first failed tile
    assert note.inner_text() == label("basemap_unavailable", lang)  # the label tables' words
    if lang == "zh":
        assert "底图无法加载" in note.inner_text() and not re.search("[A-Za-z]", note.inner_text())
    else:
        assert "offline" in note.inner_text() and not re.search("[\u4e00-\u9fff]", note.inner_text())
    assert note.count() == 1  # one note, however many tiles fail
    page.close()


def test_no_basemap_has_no_note(browser, tmp_path):
    path = tmp_path / "none.html"
    base_map((110.0, 30.0, 111.0, 31.0), basemap="none").save(str(path))
    page = _open_offline(browser, path)
    page.wait_for_timeout(500)
    assert page.locator(".childsafe-basemap-note").count() == 0
    page.close()
