"""Proof of patrol that cannot be faked (issue 12): ``childsafe patrol-check`` on forged tracks.

Before: a track without timestamps was full proof (the planned route's own GPX passed 18 of
18 stops) and a GCJ-02 phone track matched 3 of 18 stops. Each forged or misread track below
is flagged with its reason and cannot be recorded; a real walk is proof and is recorded on the
county's local day.
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import gpxpy.gpx
import numpy as np
import pytest
from click.testing import CliRunner
from privacy_data import two_villages
from shapely.geometry import LineString, Point

from geo.cli._main import cli
from geo.store.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.store.dataset import read_dataset, write_dataset, write_layers

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0
#: a route east 3 km, north 2 km, east 2 km; a stop every 500 m of it
CORNERS = [(X0, Y0), (X0 + 3000, Y0), (X0 + 3000, Y0 + 2000), (X0 + 5000, Y0 + 2000)]
ROUTE = LineString(CORNERS)
STOPS = [ROUTE.interpolate(d) for d in np.arange(0, ROUTE.length + 1, 500)]
START_UTC = dt.datetime(2026, 7, 10, 0, 30)  # 08:30 in Asia/Shanghai


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.gpkg"
    stops = gpd.GeoDataFrame({"team": 1, "order": range(1, len(STOPS) + 1),
                              "site_id": [f"s{i}" for i in range(len(STOPS))]},
                             geometry=STOPS, crs=CRS).to_crs("EPSG:4326")
    routes = gpd.GeoDataFrame({"team": [1]}, geometry=[ROUTE], crs=CRS).to_crs("EPSG:4326")
    write_layers(path, {"patrol_stops": stops, "patrol_routes": routes})
    return path


@pytest.fixture
def county(tmp_path):
    path = tmp_path / "county.gpkg"
    write_dataset(two_villages(), path)
    return path


def _walk(step_m=25.0, speed_kmh=5.0, jitter_m=6.0, seed=1):
    """Points along the route every ``step_m`` with GPS noise, and their times (naive UTC)."""
    rng = np.random.default_rng(seed)
    d = np.arange(0, ROUTE.length, step_m)
    pts = [ROUTE.interpolate(x) for x in d]
    xy = np.array([(p.x, p.y) for p in pts]) + rng.normal(0, jitter_m, (len(pts), 2))
    seconds = d / (speed_kmh / 3.6)
    times = [START_UTC + dt.timedelta(seconds=float(s)) for s in seconds]
    return xy, times


def _gpx(tmp_path, xy, times, *, system="wgs84", name="track.gpx"):
    lonlat = gpd.GeoSeries([Point(x, y) for x, y in xy], crs=CRS).to_crs("EPSG:4326")
    lon, lat = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    if system == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif system == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    g = gpxpy.gpx.GPX()
    trk, seg = gpxpy.gpx.GPXTrack(), gpxpy.gpx.GPXTrackSegment()
    for i in range(len(lon)):
        seg.points.append(gpxpy.gpx.GPXTrackPoint(float(lat[i]), float(lon[i]),
                                                  time=None if times is None else times[i]))
    trk.segments.append(seg)
    g.tracks.append(trk)
    path = tmp_path / name
    path.write_text(g.to_xml())
    return path


def _check(county, plan, track, *args):
    r = CliRunner().invoke(cli, ["patrol-check", str(county), "--plan", str(plan), "--track",
                                 str(track), "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _codes(out):
    return [f["code"] for f in out["flags"]]


def test_a_real_walk_is_proof_and_recorded_on_the_local_day(county, plan, tmp_path):
    xy, times = _walk()
    out = _check(county, plan, _gpx(tmp_path, xy, times), "--day", "2026-07-10")
    assert out["ok"] == len(STOPS) and out["proven"] and out["flags"] == []
    assert out["timezone"] == "Asia/Shanghai"
    assert out["stops"][0]["passed_at_local"].startswith("2026-07-10 08:30")  # 00:30 UTC
    r = CliRunner().invoke(cli, ["patrol-check", str(county), "--plan", str(plan), "--track",
                                 str(_gpx(tmp_path, xy, times)), "--record"])
    assert r.exit_code == 0, r.output
    assert "at 08:30" in r.output and "Asia/Shanghai" in r.output
    checks = read_dataset(county, layers=["patrol_checks"])["patrol_checks"]
    assert len(checks) == len(STOPS) and set(checks["checked_on"].astype(str)) == {"2026-07-10"}


def test_the_planned_routes_own_gpx_is_not_proof(county, plan, tmp_path):
    """Before: the plan's GPX (no times, exactly on the line) passed every stop."""
    line = np.array(ROUTE.coords)
    dense = np.array([ROUTE.interpolate(d).coords[0] for d in np.arange(0, ROUTE.length, 25)])
    track = _gpx(tmp_path, np.vstack([dense, line[-1:]]), None)
    out = _check(county, plan, track)
    assert out["ok"] == len(STOPS)  # it does pass every stop...
    assert not out["proven"] and {"no_times", "replayed_plan"} <= set(_codes(out))  # ...but proves nothing
    r = CliRunner().invoke(cli, ["patrol-check", str(county), "--plan", str(plan), "--track",
                                 str(track), "--record"])
    assert r.exit_code == 2 and "no proof of patrol" in r.output
    assert not len(read_dataset(county, layers=["patrol_checks"])["patrol_checks"])


def test_a_replayed_plan_with_times_is_flagged(county, plan, tmp_path):
    xy, times = _walk(jitter_m=0.0)
    out = _check(county, plan, _gpx(tmp_path, xy, times))
    assert _codes(out) == ["replayed_plan"] and not out["proven"]


def test_times_out_of_the_planned_day(county, plan, tmp_path):
    xy, times = _walk()
    out = _check(county, plan, _gpx(tmp_path, xy, times), "--day", "2026-07-11")
    assert _codes(out) == ["other_day"]
    assert "2026-07-10 08:30" in out["flags"][0]["en"]  # in county time


def test_a_track_over_several_days_and_in_the_future(county, plan, tmp_path):
    xy, times = _walk()
    half = len(times) // 2
    later = times[:half] + [t + dt.timedelta(days=1) for t in times[half:]]
    assert "several_days" in _codes(_check(county, plan, _gpx(tmp_path, xy, later)))
    future = [t + dt.timedelta(days=3650) for t in times]
    assert "future" in _codes(_check(county, plan, _gpx(tmp_path, xy, future, name="f.gpx")))


def test_impossible_speeds_and_times_going_backwards(county, plan, tmp_path):
    xy, times = _walk()
    fast = list(times)
    k = len(fast) // 2
    fast[k:] = [t - dt.timedelta(minutes=40) for t in fast[k:]]  # 40 minutes gone: a jump back
    out = _check(county, plan, _gpx(tmp_path, xy, fast))
    assert {"times_disordered", "impossible_speed"} <= set(_codes(out))
    glued = np.vstack([xy[:k], xy[k:] + [20_000, 0]])  # the second half 20 km away
    out = _check(county, plan, _gpx(tmp_path, glued, times, name="g.gpx"))
    assert "impossible_speed" in _codes(out)


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_phone_tracks_in_gcj02_or_bd09(county, plan, tmp_path, system):
    """Before: a GCJ-02 phone track matched 3 of 18 stops and nothing said why."""
    xy, times = _walk()
    track = _gpx(tmp_path, xy, times, system=system)
    as_wgs = _check(county, plan, track)
    assert as_wgs["ok"] < len(STOPS) // 2
    flag = next(f for f in as_wgs["flags"] if f["code"] == "coords")
    assert f"--coords {system}" in flag["en"]
    right = _check(county, plan, track, "--coords", system)
    assert right["ok"] == len(STOPS) and right["proven"]
    assert _codes(right) == ["shifted"]  # says the match needed the shift


def test_a_track_without_times_cannot_be_recorded_from_the_engine(county, plan, tmp_path):
    from geo.field.patrolcheck import check_track, read_gpx_track, store_checks
    from geo.field.trackproof import track_flags
    from geo.store.errors import ValidationError

    xy, _ = _walk()
    track = read_gpx_track(_gpx(tmp_path, xy, None))
    stops = gpd.read_file(plan, layer="patrol_stops")
    result = check_track(stops, track)
    flags = track_flags(stops, track)
    with pytest.raises(ValidationError, match="no times"):
        store_checks(county, result, flags=flags)
