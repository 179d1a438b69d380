"""Whether a GPS track can prove a patrol: the checks that catch a faked or misread track.

:func:`geo.field.patrolcheck.check_track` says which planned stops a track passed. That is
proof only if the track is a real walk of that day, so :func:`track_flags` looks for what a
forger or a wrong setting leaves (each a flag with its reason, in Chinese and English):

- ``no_times`` / ``some_times_missing``: a track without times proves no time (the planned
  route's own GPX, exported from the plan, passed all 18 stops before);
- ``times_disordered``: times that go backwards (tracks spliced or edited by hand);
- ``other_day`` / ``several_days`` / ``future``: times outside the planned day (county local
  time, ``settings.local_timezone``), over more than one day, or later than now;
- ``impossible_speed``: a segment faster than ``settings.patrol_max_travel_speed_kmh`` (points
  moved by hand, or a track glued from two phones);
- ``replayed_plan``: most points lie exactly on the planned line (within
  ``settings.patrol_replay_tolerance_m``), which a phone's GPS never does (metres of noise);
- ``coords``: the track matches clearly more stops when read in another coordinate system
  (a GCJ-02 or BD-09 phone track read as WGS-84 matched 3 of 18 stops): give ``--coords``.

:func:`local_times` turns the track's UTC times into the county's local time for display and
for the day a check is recorded on (defined in :mod:`geo.field.patrolcheck`).
"""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.field.patrolcheck import check_track, local_times
from geo.store import settings
from geo.store.coords import SYSTEMS, normalize_system, to_wgs84

_TEXT: dict[str, tuple[str, str]] = {
    "no_times": ("轨迹没有时间，不能证明何时巡查", "the track has no times, so it proves no patrol time"),
    "some_times_missing": ("{n} 个轨迹点没有时间", "{n} track points have no time"),
    "times_disordered": ("轨迹时间倒退 {n} 次（拼接或改过的轨迹）",
                         "the track's times go backwards {n} times (a spliced or edited track)"),
    "other_day": ("轨迹时间（{first} 至 {last}，{tz}）不在计划日 {day}",
                  "the track's times ({first} to {last}, {tz}) are not on the planned day {day}"),
    "several_days": ("轨迹跨越多天（{first} 至 {last}，{tz}）",
                     "the track spans several days ({first} to {last}, {tz})"),
    "future": ("轨迹时间晚于现在（{last}，{tz}）", "the track's times are later than now ({last}, {tz})"),
    "impossible_speed": ("{n} 段轨迹速度不可能（最高 {v:.0f} km/h，上限 {limit:g} km/h）",
                         "{n} track segments have impossible speeds (up to {v:.0f} km/h; the "
                         "limit is {limit:g} km/h)"),
    "replayed_plan": ("{share:.0%} 的轨迹点恰好落在计划路线上（真实 GPS 有几米误差）：像是回放的计划",
                      "{share:.0%} of the track points lie exactly on the planned line (a real "
                      "GPS is metres off): it looks like the plan played back"),
    "coords": ("轨迹按 {given} 坐标只匹配 {n_given} 个点位，按 {best} 匹配 {n_best} 个：请指定 --coords {best}",
               "read as {given} the track matches {n_given} stops, as {best} {n_best}: give "
               "--coords {best}"),
    "shifted": ("轨迹已从 {given} 坐标转换为 WGS-84 后匹配（{n_given} 个点位；不转换只有 {n_raw} 个）",
                "the track matches after converting it from {given} to WGS-84 ({n_given} stops; "
                "{n_raw} without converting)"),
}


def flag_text(flag: dict, lang: str = "en") -> str:
    """The reason of one flag from :func:`track_flags` in ``lang``."""
    return flag["zh"] if lang == "zh" else flag["en"]


def _flag(code: str, **details) -> dict:
    zh, en = _TEXT[code]
    return {"code": code, "zh": zh.format(**details), "en": en.format(**details), **details}


def track_in(track: gpd.GeoDataFrame, system: str | None) -> gpd.GeoDataFrame:
    """The track's points moved from ``system`` (``gcj02``, ``bd09``...) to WGS-84."""
    system = normalize_system(system)
    if system in ("wgs84", "cgcs2000"):
        return track
    wgs = track.to_crs("EPSG:4326")
    lon, lat = to_wgs84(wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy(), system)
    return gpd.GeoDataFrame(track.drop(columns=track.geometry.name),
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _passed(stops, track, team) -> int:
    before = settings.log_summaries
    settings.log_summaries = False
    try:
        return int(check_track(stops, track, team=team)["passed"].sum())
    finally:
        settings.log_summaries = before


def track_flags(stops: gpd.GeoDataFrame, track: gpd.GeoDataFrame, *, routes=None,
                team: int | None = None, day: date | str | None = None,
                coords: str | None = "wgs84", raw_track: gpd.GeoDataFrame | None = None,
                now: datetime | None = None) -> list[dict]:
    """Reasons why ``track`` (already in WGS-84) cannot prove the patrol of ``stops``.

    Parameters
    ----------
    stops, team
        The planned stops (``patrol_stops``) and the team that walked.
    track
        The track as checked: points in order with ``time`` (naive UTC), in WGS-84.
    routes
        The planned lines (``patrol_routes`` of the plan, with ``team``); without them the
        straight lines between the team's stops in order.
    day
        The planned day (county local time); without it the track must lie within one day.
    coords, raw_track
        The coordinate system the track was read in and the track before converting (to say
        whether another system would match better, or that the conversion made the match).
    now
        The current time (naive UTC; default now).

    Returns
    -------
    list of dict
        One flag per problem: ``code``, ``zh``, ``en`` and its figures. Codes in :data:`NOTES`
        are information only.
    """
    flags: list[dict] = []
    tz = str(settings.local_timezone)
    times = pd.to_datetime(track["time"], errors="coerce") if "time" in track else pd.Series(
        pd.NaT, index=track.index)
    timed = times.notna()
    if timed.sum() < 2:
        flags.append(_flag("no_times"))
    else:
        if (~timed).any():
            flags.append(_flag("some_times_missing", n=int((~timed).sum())))
        t = times[timed].to_numpy(dtype="datetime64[ms]")
        back = int((np.diff(t) < np.timedelta64(0, "ms")).sum())
        if back:
            flags.append(_flag("times_disordered", n=back))
        local = local_times(times[timed])
        first, last = local.min(), local.max()
        span = {"first": f"{first:%Y-%m-%d %H:%M}", "last": f"{last:%Y-%m-%d %H:%M}", "tz": tz}
        if day is not None:
            planned = pd.Timestamp(day).date()
            if first.date() != planned or last.date() != planned:
                flags.append(_flag("other_day", day=f"{planned:%Y-%m-%d}", **span))
        elif first.date() != last.date():
            flags.append(_flag("several_days", **span))
        current = pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
        if times.max() > current + pd.Timedelta(minutes=10):
            flags.append(_flag("future", **span))
        flags += _speed_flags(track[timed.to_numpy()])
    flags += _replay_flags(stops, track, routes, team)
    flags += _coords_flags(stops, track, raw_track, team, coords)
    return flags


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from geo.store.projection import metric_crs_for

    wgs = frame.to_crs("EPSG:4326")
    return wgs.to_crs(metric_crs_for(tuple(wgs.total_bounds)))


def _speed_flags(track: gpd.GeoDataFrame) -> list[dict]:
    if len(track) < 2:
        return []
    m = _metric(track)
    xy = shapely.get_coordinates(m.geometry.to_numpy())
    dist = np.hypot(*(xy[1:] - xy[:-1]).T)
    t = pd.to_datetime(track["time"]).to_numpy(dtype="datetime64[ms]")
    dt = (t[1:] - t[:-1]) / np.timedelta64(1, "s")
    limit = float(settings.patrol_max_travel_speed_kmh)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dist / dt * 3.6, np.where(dist > 1.0, np.inf, 0.0))
    bad = speed > limit
    if not bad.any():
        return []
    finite = speed[bad & np.isfinite(speed)]
    top = float(finite.max()) if len(finite) else float("inf")
    return [_flag("impossible_speed", n=int(bad.sum()), v=top, limit=limit)]


def _planned_lines(stops, routes, team):
    if routes is not None and len(routes):
        lines = routes if team is None or "team" not in routes else routes[
            routes["team"].astype(int) == int(team)]
        if len(lines):
            return lines.to_crs("EPSG:4326").geometry
    mine = stops if team is None else stops[stops["team"].astype(int) == int(team)]
    lines = []
    for _, group in mine.to_crs("EPSG:4326").sort_values(["team", "order"]).groupby("team"):
        pts = shapely.get_coordinates(group.geometry.to_numpy())
        if len(pts) >= 2:
            lines.append(shapely.LineString(pts))
        elif len(pts) == 1:
            lines.append(shapely.Point(pts[0]))
    return gpd.GeoSeries(lines, crs="EPSG:4326")


def _replay_flags(stops, track, routes, team) -> list[dict]:
    lines = _planned_lines(stops, routes, team)
    if not len(lines) or len(track) < 3:
        return []
    both = _metric(gpd.GeoDataFrame(geometry=pd.concat(
        [track.to_crs("EPSG:4326").geometry, lines], ignore_index=True), crs="EPSG:4326"))
    pts = both.geometry.to_numpy()[: len(track)]
    planned = shapely.union_all(both.geometry.to_numpy()[len(track):])
    share = float((shapely.distance(pts, planned) <= float(settings.patrol_replay_tolerance_m)).mean())
    if share >= float(settings.patrol_replay_share):
        return [_flag("replayed_plan", share=share)]
    return []


def _coords_flags(stops, track, raw_track, team, coords) -> list[dict]:
    given = normalize_system(coords)
    raw = raw_track if raw_track is not None else track
    n_given = _passed(stops, track, team)
    planned = len(stops) if team is None else int((stops["team"].astype(int) == int(team)).sum())
    plain = given in ("wgs84", "cgcs2000")
    if plain and n_given >= planned:
        return []  # every stop matched as it is: no other reading can do better
    others = [s for s in SYSTEMS if s not in ("cgcs2000", given)]
    if n_given >= planned:
        others = ["wgs84"]  # only to say whether the conversion made the match
    tried = {s: _passed(stops, track_in(raw, s), team) for s in others}
    best = max(tried, key=lambda s: tried[s])
    if tried[best] >= n_given + max(2, 0.2 * planned):
        return [_flag("coords", given=given, n_given=n_given, best=best, n_best=tried[best])]
    n_raw = tried.get("wgs84", n_given)
    if given not in ("wgs84", "cgcs2000") and n_given > n_raw:
        return [_flag("shifted", given=given, n_given=n_given, n_raw=n_raw)]
    return []
