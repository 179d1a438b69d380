"""Proof of patrol: GPX tracks that pass, skip, or speed past planned sites."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import gpxpy.gpx
import pytest
from shapely.geometry import Point

from geo.field.patrolcheck import check_summary, check_track, read_gpx_track
from geo.store.errors import ValidationError

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0


def _stops():
    return gpd.GeoDataFrame({"team": [1, 1, 1], "order": [1, 2, 3], "site_id": ["a", "b", "c"]},
                            geometry=[Point(X0, Y0), Point(X0 + 1000, Y0), Point(X0 + 2000, Y0)], crs=CRS)


def _gpx(path_xy, seconds_per_step: float, tmp_path) -> str:
    pts = gpd.GeoSeries([Point(x, y) for x, y in path_xy], crs=CRS).to_crs("EPSG:4326")
    g = gpxpy.gpx.GPX()
    trk = gpxpy.gpx.GPXTrack()
    seg = gpxpy.gpx.GPXTrackSegment()
    t0 = dt.datetime(2024, 7, 10, 15, 0, 0)
    for i, p in enumerate(pts):
        seg.points.append(gpxpy.gpx.GPXTrackPoint(p.y, p.x, time=t0 + dt.timedelta(seconds=i * seconds_per_step)))
    trk.segments.append(seg)
    g.tracks.append(trk)
    f = tmp_path / "t.gpx"
    f.write_text(g.to_xml())
    return str(f)


def test_track_that_skips_a_site_is_flagged(tmp_path):
    # walk (100 m per 60 s = 6 km/h) along y = 10, but detour 500 m north around site b
    path = [(X0 + x, Y0 + 10) for x in range(-100, 600, 100)]
    path += [(X0 + 600, Y0 + 500), (X0 + 1400, Y0 + 500)]
    path += [(X0 + x, Y0 + 10) for x in range(1500, 2200, 100)]
    track = read_gpx_track(_gpx(path, 60, tmp_path))
    res = check_track(_stops(), track).set_index("site_id")
    assert res.loc["a", "status"] == "ok" and res.loc["c", "status"] == "ok"
    assert res.loc["b", "status"] == "skipped" and not res.loc["b", "passed"]
    assert res.loc["b", "distance_m"] == pytest.approx(490, abs=5)
    assert res.loc["a", "distance_m"] == pytest.approx(10, abs=3)
    assert res.loc["a", "speed_kmh"] == pytest.approx(6.0, rel=0.02)
    # closest approach to a (x = 0) is one minute after the start (x = -100)
    assert res.loc["a", "passed_at"] == pytest.approx(dt.datetime(2024, 7, 10, 15, 1, 0), abs=dt.timedelta(seconds=2))
    s = check_summary(res.reset_index())
    assert s["skipped"] == 1 and s["ok"] == 2 and s["flagged"]


def test_fast_track_is_flagged(tmp_path):
    # 100 m per 6 s = 60 km/h straight past every site
    path = [(X0 + x, Y0 + 5) for x in range(-100, 2200, 100)]
    res = check_track(_stops(), read_gpx_track(_gpx(path, 6, tmp_path)))
    assert set(res["status"]) == {"too_fast"}
    assert res["speed_kmh"].min() == pytest.approx(60, rel=0.02)
    # same track, but the team stopped at b for two minutes: b is fine
    path = [(X0 + x, Y0 + 5) for x in range(-100, 1100, 100)] + [(X0 + 1000, Y0 + 5)] * 20
    path += [(X0 + x, Y0 + 5) for x in range(1100, 2200, 100)]
    res = check_track(_stops(), read_gpx_track(_gpx(path, 6, tmp_path))).set_index("site_id")
    assert res.loc["b", "status"] == "ok" and res.loc["a", "status"] == "too_fast"


def test_pass_distance_setting(tmp_path, monkeypatch):
    from geo.store import settings

    path = [(X0 + x, Y0 + 80) for x in range(-100, 2200, 100)]
    gpx = _gpx(path, 60, tmp_path)
    assert set(check_track(_stops(), read_gpx_track(gpx))["status"]) == {"skipped"}
    monkeypatch.setattr(settings, "patrol_track_pass_distance_m", 100.0)
    assert set(check_track(_stops(), read_gpx_track(gpx))["status"]) == {"ok"}


def test_bad_gpx(tmp_path):
    f = tmp_path / "x.gpx"
    f.write_text("not xml")
    with pytest.raises(ValidationError, match="GPX"):
        read_gpx_track(str(f))
    with pytest.raises(ValidationError, match="team 7"):
        check_track(_stops(), read_gpx_track(_gpx([(X0, Y0), (X0 + 1, Y0)], 1, tmp_path)), team=7)
