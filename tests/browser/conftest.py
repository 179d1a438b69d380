"""Real-browser fixtures: a Streamlit server on 127.0.0.1 and an offline Chromium page.

Reuse them in any ``tests/browser/test_*.py`` (mark the tests ``@pytest.mark.browser``)::

    def test_something(streamlit_app, page, browser_tools):
        url = streamlit_app({"CHILDSAFE_DATASET": str(path)})   # starts (or reuses) a server
        page.goto(url)
        frame = browser_tools.wait_for_map(page)                # the Leaflet frame
        ...
        assert page.external_requests == []                     # nothing left 127.0.0.1

- ``streamlit_app`` (session scope) is a factory: call it with a dict of environment variables
  (e.g. ``CHILDSAFE_DATASET``); it runs ``streamlit run app.py --server.port <free>
  --server.address 127.0.0.1 --server.headless true`` as a subprocess with them, polls
  ``/_stcore/health`` until ``ok`` and returns the base URL. One server per distinct env is
  started and all are stopped at the end of the session.
- ``browser`` (session scope): Debian's ``/usr/bin/chromium`` driven by Playwright (sync API).
- ``page`` (function scope): a fresh page whose every request not to 127.0.0.1 is aborted and
  recorded in ``page.external_requests`` (a list of URLs); console errors land in
  ``page.console_errors``.
- ``browser_tools``: the helpers below as one object (test modules cannot import this conftest):
  :func:`wait_for_map` waits for streamlit-folium's frame and Leaflet inside it and returns the
  frame; :func:`wait_for_run` for the app to finish a script run; :func:`count_layers` counts
  the vector features Leaflet drew (canvas renderer: counted through ``map.eachLayer``) and the
  layer control's entries; ``artifacts`` is the screenshot folder.

Screenshots go to ``tests/artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(env: dict[str, str] | None = None, *, timeout: float = 60.0):
    """Start ``streamlit run app.py`` on a free 127.0.0.1 port; return (process, base URL)."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    full_env = {**os.environ, **(env or {})}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    proc._log = log  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop_streamlit(proc)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout} s")


def stop_streamlit(proc: subprocess.Popen) -> None:
    """Stop a server started by :func:`start_streamlit` (terminate, then kill)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log = getattr(proc, "_log", None)
    if log:
        log.close()


@pytest.fixture(scope="session")
def streamlit_app() -> Iterator:
    """Factory: ``streamlit_app(env) -> base URL`` of a server started with ``env``."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    servers: dict[tuple, tuple] = {}

    def start(env: dict[str, str] | None = None) -> str:
        key = tuple(sorted((env or {}).items()))
        if key not in servers:
            servers[key] = start_streamlit(env)
        return servers[key][1]

    yield start
    for proc, _ in servers.values():
        stop_streamlit(proc)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (never ``playwright install``)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _is_local(url: str) -> bool:
    from urllib.parse import urlparse

    u = urlparse(url)
    return u.scheme in ("data", "blob", "about") or u.hostname == "127.0.0.1"


@pytest.fixture
def page(browser):
    """A fresh page that aborts and records every request not to 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.external_requests = []  # type: ignore[attr-defined]
    pg.console_errors = []  # type: ignore[attr-defined]

    def route(r):
        if _is_local(r.request.url):
            r.continue_()
        else:
            pg.external_requests.append(r.request.url)  # type: ignore[attr-defined]
            r.abort()

    context.route("**/*", route)
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))  # type: ignore[attr-defined]
    yield pg
    context.close()


def wait_for_run(page, timeout: float = 60_000) -> None:
    """Wait until the app has finished its script run."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           state="attached", timeout=timeout)


def wait_for_map(page, timeout: float = 60_000):
    """Wait for streamlit-folium's frame and the Leaflet map inside it; return the frame."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout / 1000
    while True:
        # auto-waiting locators: they follow a frame Streamlit remounts on a rerun
        page.frame_locator(MAP_FRAME).locator(".leaflet-container").first.wait_for(
            state="attached", timeout=timeout)
        try:
            # the iframe element can be replaced between the wait and here (a rerun remounts it):
            # its handle then has no content frame, so look again instead of returning None
            frame = page.locator(MAP_FRAME).first.element_handle(timeout=timeout).content_frame()
            if frame is not None:
                frame.wait_for_function("() => !!window.map", timeout=timeout)
                return frame
        except PlaywrightError:
            pass  # the frame was detached under us
        if time.monotonic() > deadline:
            raise TimeoutError(f"no Leaflet map in {MAP_FRAME} within {timeout / 1000:.0f} s")
        page.wait_for_timeout(100)


COUNT_LAYERS_JS = """() => {
  const m = window.map; if (!m) return null;
  let paths = 0, markers = 0, groups = 0;
  m.eachLayer(l => {
    if (l instanceof L.CircleMarker) markers++;
    else if (l instanceof L.Path) paths++;
    else if (l instanceof L.LayerGroup) groups++;
  });
  const canvas = m.getPanes().overlayPane.querySelectorAll('canvas').length;
  return {paths, markers, groups, canvas, zoom: m.getZoom(),
          overlays: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
                         .map(x => x.textContent.trim())};
}"""


def count_layers(frame) -> dict | None:
    """Count what Leaflet drew in the map frame (features, groups, canvases, control entries)."""
    return frame.evaluate(COUNT_LAYERS_JS)


def sign_in(page, username: str, password: str, timeout: float = 60_000) -> None:
    """Fill the app's sign-in form (Chinese UI) and wait for the signed-in run."""
    wait_for_run(page, timeout)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=timeout)
    wait_for_run(page, timeout)


@pytest.fixture(scope="session")
def browser_tools() -> SimpleNamespace:
    """The browser helpers of this module, for test modules (they cannot import a conftest)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return SimpleNamespace(wait_for_map=wait_for_map, wait_for_run=wait_for_run,
                           count_layers=count_layers, artifacts=ARTIFACTS, map_frame=MAP_FRAME,
                           sign_in=sign_in)
