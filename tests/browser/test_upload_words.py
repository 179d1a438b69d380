"""Real Chromium: Streamlit's own upload-widget words read in Chinese in the Chinese UI.

Streamlit has no Chinese; ``views._common.widget_words`` hides its text nodes and shows Chinese
through CSS ``::after``. ``innerText`` cannot see either effect, so the test reads what a user sees:
the text nodes that are rendered (not ``display:none``, font size above 0, not an icon ligature)
plus every pseudo-element's ``content``.
"""

from __future__ import annotations

import json

import pytest

from geo.store import settings
from geo.store.labels import WIDGET_LABELS

pytestmark = pytest.mark.browser

DROPZONE = '[data-testid="stFileUploaderDropzone"]'

#: the words a user sees in the element: rendered text nodes and ::before/::after contents.
VISIBLE_TEXT_JS = r"""zone => {
  const out = [];
  // rendered: no ancestor hidden; the text's own font size above 0 (a pseudo-element has its own)
  const shown = (el, ownSize = true) => {
    for (let e = el; e && e !== zone.parentElement; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || e.getAttribute('aria-hidden') === 'true'
          || (e === el && ownSize && parseFloat(s.fontSize) === 0)) return false;
    }
    return true;
  };
  const walker = document.createTreeWalker(zone, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.textContent.trim() && shown(n.parentElement)) out.push(n.textContent.trim());
  }
  for (const el of [zone, ...zone.querySelectorAll('*')]) {
    if (!shown(el, false)) continue;
    for (const pseudo of ['::before', '::after']) {
      const ps = getComputedStyle(el, pseudo);
      const c = ps.content;
      if (c && c !== 'none' && c !== 'normal' && ps.display !== 'none' && parseFloat(ps.fontSize) > 0)
        out.push(JSON.parse(c));
    }
  }
  return out.join(' | ');
}"""

ENGLISH = ("Drag and drop", "Limit", "per file", "Browse files", "Upload", "File must be", "or smaller",
           "not allowed", "Error", "retry")
UPLOADER = '[data-testid="stFileUploader"]'
#: a drag over the drop zone carrying one file (react-dropzone shows its overlay text)
DRAG_JS = """() => { const d = new DataTransfer();
  d.items.add(new File(['x'], 'a.csv', {type: 'text/csv'})); return d; }"""


def _uploader_words(page, url: str, browser_tools) -> str:
    page.goto(f"{url}/data_import")
    zone = page.locator(DROPZONE).first
    zone.wait_for(state="visible", timeout=60_000)
    browser_tools.wait_for_run(page)
    return zone.evaluate(VISIBLE_TEXT_JS)


def test_upload_widget_words_in_chinese(streamlit_app, page, browser_tools, tmp_path):
    url = streamlit_app({"CHILDSAFE_DATASET": str(settings.demo_dataset)})
    words = _uploader_words(page, url, browser_tools)
    assert "选择文件" in words and "拖放" in words, words
    limit = min(int(settings.max_upload_mb), 50)  # .streamlit/config.toml: maxUploadSize = 50
    assert f"{limit} MB" in words, words
    assert not [w for w in ENGLISH if w.lower() in words.lower()], f"English shown in the zh UI: {words}"
    page.locator(DROPZONE).first.screenshot(path=str(browser_tools.artifacts / "uploader-zh.png"))

    # a file dragged over the zone: Streamlit's "Drag and drop files here" overlay, in Chinese
    zone = page.locator(DROPZONE).first
    zone.dispatch_event("dragenter", {"dataTransfer": page.evaluate_handle(DRAG_JS)})
    page.wait_for_function(f"""() => document.querySelector('{DROPZONE}').innerText.includes(
        {json.dumps(WIDGET_LABELS["upload_drop"][0])})""", timeout=10_000)
    dragging = zone.evaluate(VISIBLE_TEXT_JS)
    assert "Drag and drop" not in dragging, dragging
    zone.screenshot(path=str(browser_tools.artifacts / "uploader-zh-drag.png"))
    zone.dispatch_event("dragleave", {"dataTransfer": page.evaluate_handle(DRAG_JS)})

    # a file over the size limit: Streamlit refuses it in the browser, its message in Chinese
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(limit * 1024 * 1024 + 1)  # one byte over the limit (sparse: nothing written)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(big)
    chip = page.locator('[data-testid="stFileChip"][aria-invalid="true"]').first
    chip.wait_for(state="visible", timeout=30_000)
    refused = f"文件须不超过 {limit} MB"
    page.wait_for_function(f"""() => document.querySelector('{UPLOADER}').textContent.includes('{refused}')""",
                           timeout=10_000)
    shown = page.locator(UPLOADER).first.evaluate(VISIBLE_TEXT_JS)
    every = page.locator(UPLOADER).first.evaluate("e => e.textContent + ' ' + e.innerHTML")
    assert not [w for w in ENGLISH if w.lower() in shown.lower()], f"English shown in the zh UI: {shown}"
    assert "File must be" not in every and "Error:" not in every, every  # nor for a screen reader
    chip.hover()  # the chip's tooltip repeats the message
    tip = page.locator('[role="tooltip"]').first
    tip.wait_for(state="visible", timeout=10_000)
    assert refused in tip.inner_text() and "File must be" not in tip.inner_text(), tip.inner_text()
    page.locator(UPLOADER).first.screenshot(path=str(browser_tools.artifacts / "uploader-zh-too-large.png"))
    page.locator('[data-testid="stFileChipDeleteBtn"] button').first.click()

    # the same page switched to English keeps Streamlit's own words (the override is for zh only),
    # which also proves the reader above sees the widget's text at all; the switch must not crash
    # the page (relabel_widgets once set the empty uploader's value: a traceback)
    page.get_by_text("English", exact=True).click()
    browser_tools.wait_for_run(page)
    page.wait_for_function("""() => {
        const s = document.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
        return !!s && getComputedStyle(s).display !== 'none'; }""", timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    en = page.locator(DROPZONE).first.evaluate(VISIBLE_TEXT_JS)
    assert "per file" in en and "Upload" in en and "选择" not in en, en
    assert page.external_requests == []
