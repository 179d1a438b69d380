"""AppTest: the app shell and the overview map run, switch language, and load nothing remote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_pages import sign_in
from streamlit.testing.v1 import AppTest

from geo.store import settings
from geo.store.dataset import Dataset, write_dataset

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _map(at: AppTest) -> dict:
    comps = [e for e in at.main if getattr(getattr(e, "proto", None), "component_name", "")
             == "streamlit_folium.st_folium"]
    assert len(comps) == 1, "the overview draws one map"
    return json.loads(comps[0].proto.json_args)


def _run(monkeypatch, path: Path, signed_in: bool = True) -> AppTest:
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    if signed_in:
        sign_in(at, path, monkeypatch)
    return at.run()


@pytest.fixture
def tiny_file(tiny_dataset, tmp_path) -> Path:
    ds = tiny_dataset.copy()
    water = ds["water_bodies"].copy()
    water.loc[water.index[0], "name"] = "<script>alert('x')</script>"
    ds["water_bodies"] = water
    path = tmp_path / "tiny.gpkg"
    write_dataset(ds, path)
    return path


def test_runs_on_tiny_dataset_with_figures(monkeypatch, tiny_file):
    at = _run(monkeypatch, tiny_file)
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    # 3 children, 1 left-behind; water sites: the pond (one site) + the 2 km canal cut into
    # four 500 m pieces; kit k1 lacks its pole; no stations
    assert values == {"儿童": "3", "留守儿童": "1 · 33%", "水域点位": "5", "“四个一”齐全": "0 / 1",
                      "阵地与机构": "0"}
    args = _map(at)
    assert "feature_group_feature_group_0" in args["feature_group"]
    assert args["returned_objects"] == []


def test_language_switch_changes_labels(monkeypatch, tiny_file):
    at = _run(monkeypatch, tiny_file)
    assert at.title[0].value == "总览地图"
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Overview map"
    assert [m.label for m in at.metric] == ["Children", "Left-behind", "Water sites",
                                            "Kits complete", "Stations"]
    args = _map(at)
    assert "Water bodies" in args["layer_control"] and "水域" not in args["layer_control"]


def test_no_remote_asset_links(monkeypatch, tiny_file):
    args = _map(_run(monkeypatch, tiny_file))
    links = args["js_links"] + args["css_links"]
    assert links, "Leaflet must be loaded from somewhere"
    assert not [u for u in links if u.startswith(("http:", "https:", "//"))]
    assert any(u.endswith("/leaflet.js") for u in args["js_links"])
    everything = args["header"] + args["html"] + args["script"] + args["feature_group"]
    assert "https://" not in everything and "http://" not in everything


def test_data_text_is_escaped(monkeypatch, tiny_file):
    args = _map(_run(monkeypatch, tiny_file))
    assert "<script>alert" not in args["feature_group"]
    # html.escape in the tooltip, then Jinja's tojson escapes "&" as \u0026 in the script
    assert "\\u0026lt;script\\u0026gt;alert" in args["feature_group"]


def test_dataset_with_only_some_layers(monkeypatch, tiny_dataset, tmp_path):
    path = tmp_path / "partial.gpkg"
    write_dataset(Dataset({"households": tiny_dataset["households"],
                           "water_bodies": tiny_dataset["water_bodies"]}), path)
    at = _run(monkeypatch, path)
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["儿童"] == "0"
    assert [c.label for c in at.sidebar.checkbox] == ["户", "水域"]
    _map(at)


def test_household_modes(monkeypatch, tiny_file):
    at = _run(monkeypatch, tiny_file)
    for mode in ("hexagon", "points"):
        at.radio(key="overview_households_mode").set_value(mode).run()
        assert not at.exception
        _map(at)


def test_overlays_over_the_limit_are_not_drawn(monkeypatch, tiny_file):
    monkeypatch.setattr(settings, "map_max_features", 1)  # water has 2 features, kits 1
    at = _run(monkeypatch, tiny_file)
    assert not at.exception
    assert any("水域" in i.value for i in at.info)
    layer_control = _map(at)["layer_control"]
    # names reach the script JSON-escaped (\uXXXX)
    assert json.dumps("水域")[1:-1] not in layer_control
    assert json.dumps("“四个一”设施")[1:-1] in layer_control


def test_unreadable_dataset_shows_one_error(monkeypatch, tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    at = _run(monkeypatch, bad, signed_in=False)
    assert not at.exception
    assert len(at.error) == 1


@pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated yet")
def test_demo_county(monkeypatch):
    at = _run(monkeypatch, settings.demo_dataset, signed_in=False)  # demo mode
    assert not at.exception
    args = _map(at)
    assert len(args["feature_group"]) < 8_000_000  # aggregated households, simplified shapes


def test_amap_basemap_shifts_overlays(monkeypatch, tiny_file):
    at = _run(monkeypatch, tiny_file)
    plain = _map(at)
    assert "autonavi" not in plain["script"] and "tile" not in plain["script"].lower()
    at.selectbox(key="basemap").set_value("amap").run()
    assert not at.exception
    shifted = _map(at)
    assert "autonavi.com" in shifted["script"]
    assert shifted["feature_group"] != plain["feature_group"]  # overlays moved into GCJ-02
    at.selectbox(key="basemap").set_value("tianditu").run()
    assert not at.exception and len(at.warning) >= 1  # no key yet: a warning, no tiles
    assert "tianditu" not in _map(at)["script"]
