"""AppTest: the Water safety page ranks sites, explains one, downloads Excel and places kits."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from app_pages import map_args, run_page

from geo.store.dataset import write_dataset


@pytest.fixture
def tiny_file(tiny_dataset, tmp_path) -> Path:
    ds = tiny_dataset.copy()
    ds.settings["reference_date"] = "2024-06-01"
    return write_dataset(ds, tmp_path / "tiny.gpkg")


def _page():
    from views import water

    water.render()


def test_page_ranks_and_maps_sites(monkeypatch, tiny_file):
    at = run_page(_page, monkeypatch, tiny_file)
    assert not at.exception, at.exception
    assert at.title[0].value == "Water safety"
    values = {m.label: m.value for m in at.metric}
    assert values["Water sites"] == "5" and values["Complete kits"] == "0" and values["Without any kit"] == "4"
    args = map_args(at)
    assert args["returned_objects"] == ["last_object_clicked_tooltip"]
    html = json.dumps(args)
    assert "Water sites (by risk)" in html and "w1-000" in html
    table = at.dataframe[0].value
    assert table["Site"].tolist()[0] == "w1-000"
    assert table["Children ≤100 m"].tolist()[0] == 1
    # details of the first site: children by age band (c1, 3 years old, at 50 m)
    assert at.selectbox(key="water_site").value == "w1-000"
    by_age = at.dataframe[1].value.set_index("Age band")
    assert by_age.loc["1-4", "Within 100 m"] == 1 and by_age.loc["5-9", "Within 500 m"] == 1
    assert values["Kit"] == "Partial"
    # the Excel download holds the whole ranking, not only the top N on screen
    button = [b for b in at.get("download_button") if b.label.startswith("Download the whole ranking")][0]
    assert "5 sites" in button.label


def test_filters_and_excel(monkeypatch, tiny_file):
    from geo.privacy.tables import read_table
    from views.water import excel_bytes, ranked_rows

    at = run_page(_page, monkeypatch, tiny_file)
    at.multiselect(key="water_kinds").set_value(["Canal"]).run()  # AppTest takes the shown labels
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Kind"]) == {"Canal"} and len(table) == 4  # values in words too
    at.number_input(key="water_top").set_value(2).run()
    assert len(at.dataframe[0].value) == 2
    sites = pd.DataFrame({"risk_rank": [2, 1], "site_id": ["b", "a"], "risk": [1.0, 2.0]})
    back = read_table(excel_bytes(ranked_rows(sites, 5)))
    assert back.iloc[:, 1].tolist() == ["a", "b"]


def test_kit_placement_tool(monkeypatch, tiny_file):
    at = run_page(_page, monkeypatch, tiny_file)
    at.number_input(key="water_new_kits").set_value(2)
    at.number_input(key="water_new_barriers").set_value(1)
    at.button(key="water_place").click().run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Status"] == "optimal" and values["Gap to bound"] == "0.00%"
    assert float(values["Risk after"]) < float(values["Risk before"])
    assert "Proposed kits" in json.dumps(map_args(at))


def test_page_in_chinese(monkeypatch, tiny_file):
    at = run_page(_page, monkeypatch, tiny_file, language="zh")
    assert not at.exception, at.exception
    assert at.title[0].value == "水域安全"
    assert {m.label: m.value for m in at.metric}["水域点位"] == "5"
