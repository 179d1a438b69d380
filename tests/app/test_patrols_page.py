"""The Patrols page (AppTest): plan on the demo county, calendar, route sheet, track check, inspection."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from app_pages import sign_in
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from geo.store import settings
from geo.store.dataset import read_dataset, write_dataset


def _page():
    from views import patrols

    patrols.render()


def _app(monkeypatch, path: Path, language: str = "en") -> AppTest:
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(_page, default_timeout=180)
    at.session_state["dataset_path"] = str(path)
    at.session_state["lang"] = language
    sign_in(at, path, monkeypatch)
    return at


def _map_json(at: AppTest) -> str:
    comps = [e for e in at.main if getattr(getattr(e, "proto", None), "component_name", "")
             == "streamlit_folium.st_folium"]
    return json.dumps([json.loads(c.proto.json_args) for c in comps])


@pytest.fixture
def tiny_file(tiny_dataset, tmp_path) -> Path:
    ds = tiny_dataset.copy()
    ds.settings["reference_date"] = "2024-06-01"
    return write_dataset(ds, tmp_path / "tiny.gpkg")


@pytest.mark.skipif(not settings.demo_dataset.exists(), reason="demo county not generated")
def test_plan_on_demo_county(monkeypatch, tmp_path):
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(settings.demo_dataset, path)  # never touch data/demo_county.gpkg
    at = _app(monkeypatch, path).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Patrols"
    # the calendar renders from the start (default: the riskiest patrol_candidates sites)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Site visits"].replace(",", "")) > 0
    at.number_input(key="patrols_teams").set_value(2)
    at.number_input(key="patrols_shift").set_value(2.0)
    at.number_input(key="patrols_time_limit").set_value(0.0)   # the quick greedy plan
    [b for b in at.button if b.label == "Plan routes"][0].click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Sites visited"]) > 0 and metrics["Solver"] == "greedy"
    html = _map_json(at)
    assert "Patrol routes" in html and "Patrol stops (order)" in html and "childsafe-stop" in html
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Route sheet (print)") == 2 and labels.count("GPX") == 2
    assert (path.stat().st_size > 0) and settings.demo_dataset.exists()


def test_inspection_form_updates_risk(monkeypatch, tiny_file):
    from geo.water.pipeline import water_sites

    before = water_sites(read_dataset(tiny_file)).set_index("site_id").loc["w1-000"]
    assert before["kit_status"] == "partial"
    at = _app(monkeypatch, tiny_file).run()
    assert not at.exception, at.exception
    assert any("no roads" in i.value for i in at.info)   # no routes without roads, the rest works
    at.selectbox(key="patrols_insp_site").set_value("w1-000")
    for key in ("sign", "buoy", "rope", "pole", "barrier"):
        at.checkbox(key=f"patrols_insp_{key}").check()
    at.text_area(key="patrols_insp_note").input("all four present")
    [b for b in at.button if b.label == "Record inspection"][0].click().run()
    assert not at.exception, at.exception
    ins = read_dataset(tiny_file)["inspections"]
    assert len(ins) == 1
    row = ins.iloc[0]
    assert row["kit_id"] == "k1" and row["water_id"] == "w1" and bool(row["pole"]) and bool(row["barrier"])
    assert row["inspected_on"] == pd.Timestamp(dt.date.today())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Kit"] == "Complete"
    assert float(metrics["Risk"]) < float(before["risk"])


def test_leader_sees_no_inspection_form(monkeypatch, tiny_file):
    from geo.privacy.roles import User

    monkeypatch.setattr("views.session.current_user", lambda: User("boss", "leader", ""))
    at = _app(monkeypatch, tiny_file).run()
    assert not at.exception, at.exception
    assert any("cannot record inspections" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Record inspection"]


def test_route_sheet_is_escaped_and_one_page():
    from views.patrols import route_sheet_html, stop_sheet

    stops = pd.DataFrame({"team": [1, 1], "order": [1, 2], "site_id": ["s1", "s2"], "arrive_min": [12.0, 75.5],
                          "risk": [3.0, 2.0], "kit_status": ["none", "complete"]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"], "water_id": ["w1", "w2"], "kind": ["pond", "canal"],
                          "missing_items": ["sign;pole", ""]})
    water = pd.DataFrame({"water_id": ["w1", "w2"], "name": ["<script>alert(1)</script>", None]})
    sheet = stop_sheet(stops, sites, water, dt.time(14, 0))
    assert sheet["arrive"].tolist() == ["14:12", "15:15"]
    page = route_sheet_html(1, "S0003", sheet, shift="14:00–18:00", length_km=12.3, duration_min=170)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "第1组" in page and "警示牌、救生杆" in page and "齐全" in page and "签名" in page
    assert "@page { size: A4" in page and "坑塘" in page


def test_track_check_flags_skipped_stops():
    import gpxpy.gpx

    from views.patrols import check_table

    stops = gpd.GeoDataFrame({"team": [1, 1], "order": [1, 2], "site_id": ["a", "b"]},
                             geometry=[Point(117.0, 31.6), Point(117.02, 31.6)], crs="EPSG:4326")
    gpx = gpxpy.gpx.GPX()
    seg = gpxpy.gpx.GPXTrackSegment()
    t0 = dt.datetime(2024, 7, 1, 14, 0)
    # walks slowly past site a and turns back long before site b
    for i, lon in enumerate([116.999, 116.9995, 117.0, 117.0005, 117.001]):
        seg.points.append(gpxpy.gpx.GPXTrackPoint(31.6, lon, time=t0 + dt.timedelta(minutes=2 * i)))
    trk = gpxpy.gpx.GPXTrack()
    trk.segments.append(seg)
    gpx.tracks.append(trk)
    result, flags = check_table(stops, gpx.to_xml().encode(), team=1)
    assert result["status"].tolist() == ["ok", "skipped"]
    assert flags == []  # timed, one day, slow, mostly off the planned line: nothing to doubt
