"""AppTest: the Progress page for an admin (demo) and a signed-in leader, in Chinese and English."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_pages import map_args, run_page
from report_data import county

from geo.privacy.accounts import add_user
from geo.privacy.roles import User
from geo.store.dataset import write_dataset

C = "341101"


@pytest.fixture
def county_file(tmp_path) -> Path:
    path = tmp_path / "county.gpkg"
    write_dataset(county(C), path)
    return path


def _page():
    from views import progress

    progress.render()


def test_admin_sees_tiles_units_map_and_saves_a_snapshot(monkeypatch, county_file):
    at = run_page(_page, monkeypatch, county_file, language="zh")
    assert not at.exception, at.exception
    assert at.title[0].value == "规划进展"
    labels = [m.label for m in at.metric]
    assert [lab.split()[-1].rstrip("]") for lab in labels[:3]] == ["达标", "接近", "滞后"]
    assert not any(ord(ch) > 0x1F000 for lab in labels for ch in lab)  # no emoji (offline: no emoji font)
    assert any("儿童主任配备达标的村比例" in lab for lab in labels)
    args = map_args(at)
    assert args["returned_objects"] == []
    assert "http" not in " ".join(args.get("js_links", []))
    at.button(key="progress_snapshot").click().run()
    assert not at.exception, at.exception
    assert any("已保存" in s.value for s in at.success)


def test_leader_sees_small_counts_hidden(monkeypatch, county_file):
    add_user(county_file, "boss", "a-long-enough-password-1", role="leader")
    monkeypatch.setenv("CHILDSAFE_DATASET", str(county_file))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page, default_timeout=90)
    at.session_state["dataset_path"] = str(county_file)
    at.session_state["lang"] = "en"
    at.session_state["auth"] = {"path": str(county_file.resolve()), "user": User("boss", "leader"),
                                "seen": time.time()}
    at.run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    flags = next(v for k, v in values.items() if "Mandatory-report flags open" in k)
    assert flags == "*"  # one child with a flag: hidden from a leader
    assert not [b for b in at.button if b.key == "progress_snapshot"]  # no snapshot button for leaders



def _features(at) -> list[dict]:
    """The GeoJSON features the page's map hands to Leaflet."""
    import json

    fg = map_args(at)["feature_group"]
    start = fg.index('({"features"') + 1
    return json.JSONDecoder().raw_decode(fg[start:])[0]["features"]


def test_a_province_is_drawn_whole_by_its_cities(monkeypatch, tmp_path):
    # three counties in two cities of province 34: no city or province outline in any county file
    from report_data import union

    path = tmp_path / "province.gpkg"
    write_dataset(union(union(county("341101"), county("342101", dx=1.0)), county("341102", dx=0.5)), path)
    at = run_page(_page, monkeypatch, path, language="zh")
    assert not at.exception, at.exception
    assert at.selectbox(key="progress_drill_34").label == "下钻到市"
    features = _features(at)
    tips = sorted(f["properties"]["_tip"] for f in features)
    assert len(features) == 2 and "3411市" in tips[0] and "3421市" in tips[1]  # one feature per city
    # city 3411 is drawn as its two counties (117.0-117.2 and 117.5-117.7), 3421 as its one
    by_city = {("3411" if "3411市" in f["properties"]["_tip"] else "3421"): f["geometry"] for f in features}
    assert by_city["3411"]["type"] == "MultiPolygon" and len(by_city["3411"]["coordinates"]) == 2
    assert by_city["3421"]["type"] == "Polygon"
