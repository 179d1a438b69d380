"""Real Chromium, no network: the overview map draws with its overlays from local assets only."""

from __future__ import annotations

import shutil

import pytest

from geo.store import settings
from geo.store.dataset import write_dataset

pytestmark = pytest.mark.browser


@pytest.fixture
def dataset_file(tiny_dataset, tmp_path_factory):
    """The demo county when it exists, else the tiny hand-made village."""
    if settings.demo_dataset.exists():
        return settings.demo_dataset
    path = tmp_path_factory.mktemp("browser") / "tiny.gpkg"
    write_dataset(tiny_dataset, path)
    return path


def test_overview_map_draws_offline(streamlit_app, page, browser_tools, dataset_file):
    url = streamlit_app({"CHILDSAFE_DATASET": str(dataset_file)})
    page.goto(url)
    frame = browser_tools.wait_for_map(page)
    browser_tools.wait_for_run(page)
    # the overlays are added after Leaflet loads: wait for features, not just the container
    frame.wait_for_function(
        "() => window.map && Object.values(window.map._layers).some(l => l instanceof L.Path)",
        timeout=60_000,
    )
    drawn = browser_tools.count_layers(frame)
    assert drawn["canvas"] >= 1, "prefer_canvas: one canvas draws the vector overlays"
    assert drawn["paths"] + drawn["markers"] > 0
    assert drawn["markers"] >= 1  # households (village circles) and the kit are circle markers
    assert {"行政区划", "水域", "“四个一”设施"} <= set(drawn["overlays"])
    assert page.query_selector(".leaflet-container") is None  # the map lives in its frame
    assert frame.query_selector(".childsafe-legend") is not None
    shot = browser_tools.artifacts / "overview.png"
    page.screenshot(path=str(shot))
    shutil.copy(shot, browser_tools.artifacts / "overview-latest.png")
    assert page.external_requests == [], f"requests left 127.0.0.1: {page.external_requests}"


MARKERS_JS = """() => { let n = 0; window.map.eachLayer(l => { if (l instanceof L.CircleMarker) n++; });
                       return n; }"""


def test_household_points_only_when_zoomed_in(streamlit_app, page, browser_tools, dataset_file):
    from geo.store.dataset import read_dataset
    from views.overview import POINTS_MIN_ZOOM

    n_households = len(read_dataset(dataset_file)["households"])
    page.goto(streamlit_app({"CHILDSAFE_DATASET": str(dataset_file)}))
    browser_tools.wait_for_map(page)
    browser_tools.wait_for_run(page)
    page.get_by_text("点位（放大查看）").click()
    # the rerun may remount the map's frame (its legend changed): an auto-waiting locator through
    # the frame follows the remount until the new layer control lists the points (``last``: for
    # a moment the old frame and the new one are both on the page)
    page.frame_locator(browser_tools.map_frame).last.locator(
        ".leaflet-control-layers-overlays label", has_text="户（点位）").first.wait_for(
        state="attached", timeout=60_000)
    browser_tools.wait_for_run(page)
    frame = browser_tools.wait_for_map(page)

    def markers_at(zoom: int) -> int:
        frame.evaluate(f"() => {{ window.map.setZoom({zoom}, {{animate: false}}); return true; }}")
        frame.wait_for_timeout(300)  # the gate runs on zoomend
        return frame.evaluate(MARKERS_JS)

    low = markers_at(POINTS_MIN_ZOOM - 3)
    high = markers_at(POINTS_MIN_ZOOM + 1)
    assert high - low == n_households  # the points appear only from the gate's zoom on
    assert markers_at(POINTS_MIN_ZOOM - 3) == low
    page.screenshot(path=str(browser_tools.artifacts / "overview-points.png"))
    assert page.external_requests == []
