"""AppTest: the Stations & coverage page computes figures, draws its map and runs the siting tool."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box
from streamlit.testing.v1 import AppTest

from geo.dataset import Dataset, write_dataset
from geo.schema import LAYERS

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0
V1, V2 = "340123101001", "340123101002"


def gdf(data, geoms):
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


@pytest.fixture
def county_file(tmp_path) -> Path:
    """A 6 km road; a village station at x = 0; households at 500, 1500, 4000, 5800 m."""
    layers = {
        "roads": gdf({"road_id": ["r"], "road_class": ["rural"], "oneway": [False]},
                     [LineString([(X0, Y0), (X0 + 3000, Y0), (X0 + 6000, Y0)])]),
        "admin_units": gdf({"code": [V1, V2], "name": ["West", "East"], "level": ["village", "village"],
                            "parent_code": ["340123101", "340123101"]},
                           [box(X0 - 100, Y0 - 100, X0 + 3000, Y0 + 100),
                            box(X0 + 3000, Y0 - 100, X0 + 6100, Y0 + 100)]),
        "households": gdf({"household_id": ["h1", "h2", "h3", "h4"], "village_code": [V1, V1, V2, V2]},
                          [Point(X0 + x, Y0 + 10) for x in (500, 1500, 4000, 5800)]),
        "children": pd.DataFrame({"child_id": ["a", "b", "c", "d", "e"],
                                  "household_id": ["h1", "h2", "h3", "h3", "h4"],
                                  "left_behind": [True, False, True, False, True]}),
        "stations": gdf({"station_id": ["s1"], "kind": ["childrens_home"], "level": ["village"]},
                        [Point(X0, Y0)]),
    }
    for name, frame in layers.items():
        for col in LAYERS[name].column_names:
            if col not in frame:
                frame[col] = None
    path = tmp_path / "county.gpkg"
    write_dataset(Dataset(layers).to_crs("EPSG:4326"), path)
    return path


def _page():
    from views import coverage

    coverage.render()


def _run(monkeypatch, path: Path, language: str = "en") -> AppTest:
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(_page, default_timeout=90)
    at.session_state["dataset_path"] = str(path)
    at.session_state["lang"] = language
    return at.run()


def _map_args(at: AppTest) -> dict:
    comps = [e for e in at.main if getattr(getattr(e, "proto", None), "component_name", "")
             == "streamlit_folium.st_folium"]
    assert len(comps) == 1
    return json.loads(comps[0].proto.json_args)


def test_page_shows_coverage_and_map(monkeypatch, county_file):
    at = _run(monkeypatch, county_file)
    assert not at.exception, at.exception
    assert at.title[0].value == "Stations & coverage"
    values = {m.label: m.value for m in at.metric}
    assert values["Village stations"] == "40.0%"  # a, b of five children within 2 km on foot
    assert values["Township stations"] == "0.0%"
    args = _map_args(at)
    assert args["returned_objects"] == []
    # the coverage table: both villages at the village level
    table = at.dataframe[0].value
    assert set(table["code"]) == {V1, V2}
    assert table.set_index("code").loc[V2, "covered"] == 0
    assert any(b.label.startswith("Download") for b in at.get("download_button"))


def test_siting_tool_proposes_a_station(monkeypatch, county_file):
    at = _run(monkeypatch, county_file)
    at.number_input[0].set_value(1)
    at.button[0].click().run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Covered after"] == "100.0%"
    assert values["Status"] == "optimal"
    assert values["New stations"] == "1"


def test_page_in_chinese_and_euclidean(monkeypatch, county_file):
    at = _run(monkeypatch, county_file, language="zh")
    assert at.title[0].value == "站点覆盖"
    at.radio(key="coverage_metric").set_value("euclidean").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["村级阵地"] == "40.0%"
