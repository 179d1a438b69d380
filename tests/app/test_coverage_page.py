"""AppTest: the Stations & coverage page computes figures, draws its map and runs the siting tool."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_pages import map_args, run_page
from road_villages import V1, V2, write_county


@pytest.fixture
def county_file(tmp_path) -> Path:
    """A 6 km road; a village station at x = 0; households at 500, 1500, 4000, 5800 m."""
    return write_county(tmp_path)


def _page():
    from views import coverage

    coverage.render()


def test_page_shows_coverage_and_map(monkeypatch, county_file):
    at = run_page(_page, monkeypatch, county_file)
    assert not at.exception, at.exception
    assert at.title[0].value == "Stations & coverage"
    values = {m.label: m.value for m in at.metric}
    assert values["Village stations"] == "40.0%"  # a, b of five children within 2 km on foot
    assert values["Township stations"] == "0.0%"
    # the road network's health: one 6 km road, nothing to fix
    assert (values["Components"], values["Fragments"], values["Near misses"]) == ("1", "0", "0")
    assert values["Homes nearest a fragment"] == "0"
    args = map_args(at)
    assert args["returned_objects"] == []
    # the coverage table: both villages at the village level
    table = at.dataframe[0].value  # headers in the UI language (geo.store.labels)
    assert set(table["Code"]) == {V1, V2}
    assert table.set_index("Code").loc[V2, "Covered"] == 0
    assert any(b.label.startswith("Download") for b in at.get("download_button"))


def test_siting_tool_proposes_a_station(monkeypatch, county_file):
    at = run_page(_page, monkeypatch, county_file)
    at.number_input[0].set_value(1)
    at.button[0].click().run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Covered after"] == "100.0%"
    assert values["Status"] == "Optimal"  # the solver state in words, not its identifier
    assert values["New stations"] == "1"


def test_page_in_chinese_and_euclidean(monkeypatch, county_file):
    at = run_page(_page, monkeypatch, county_file, language="zh")
    assert at.title[0].value == "站点覆盖"
    at.radio(key="coverage_metric").set_value("euclidean").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["村级阵地"] == "40.0%"
