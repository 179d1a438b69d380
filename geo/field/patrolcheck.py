"""Proof of patrol: a GPS track (GPX from a phone) checked against the planned stops.

A planned site counts as **passed** when the track comes within
``settings.patrol_track_pass_distance_m`` of it (distance to the track's segments, so a sparse
track is not penalised); the time of the closest approach is interpolated along that segment.
The **speed near the site** is the lowest segment speed within that distance: a team that never
slowed below ``settings.patrol_max_inspect_speed_kmh`` near a site drove past it without
inspecting (the "perfunctory patrol" the river-chief apps report). Each planned stop gets a
status ``ok``, ``skipped`` or ``too_fast``.
"""

from __future__ import annotations

import logging
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store import settings
from geo.store.errors import ValidationError

logger = logging.getLogger(__name__)

STATUSES = ("ok", "too_fast", "skipped")
#: codes of geo.field.trackproof flags that are only information, not a reason to doubt a proof.
NOTES = ("shifted",)


def local_times(times) -> pd.Series:
    """Naive UTC times as naive times in the county's zone (``settings.local_timezone``)."""
    values = pd.to_datetime(pd.Series(times), errors="coerce")
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    return values.dt.tz_convert(str(settings.local_timezone)).dt.tz_localize(None)


def read_gpx_track(source: str | os.PathLike | bytes) -> gpd.GeoDataFrame:
    """Read the track points of a GPX file (all tracks and segments, in order; else route points).

    Returns
    -------
    geopandas.GeoDataFrame
        ``time`` (naive UTC, may be empty) and point geometry in EPSG:4326.

    Raises
    ------
    ValidationError
        The file is not GPX or holds fewer than two points.
    """
    import gpxpy

    try:
        if isinstance(source, bytes):
            text = source.decode("utf-8-sig")
        else:
            with open(source, encoding="utf-8-sig") as fh:
                text = fh.read()
        gpx = gpxpy.parse(text)
    except Exception as exc:  # gpxpy raises several kinds for bad files
        raise ValidationError(f"the track is not a readable GPX file ({exc})") from exc
    pts: list[gpxpy.gpx.GPXTrackPoint | gpxpy.gpx.GPXRoutePoint]
    pts = [p for trk in gpx.tracks for seg in trk.segments for p in seg.points]
    if not pts:
        pts = [p for r in gpx.routes for p in r.points]
    if len(pts) < 2:
        raise ValidationError("the GPX track holds fewer than two points")
    times = pd.to_datetime([p.time for p in pts], utc=True, errors="coerce").tz_convert(None)
    return gpd.GeoDataFrame(
        {"time": times},
        geometry=gpd.points_from_xy([p.longitude for p in pts], [p.latitude for p in pts]),
        crs="EPSG:4326",
    )


def check_track(
    stops: gpd.GeoDataFrame,
    track: gpd.GeoDataFrame,
    *,
    team: int | None = None,
    pass_distance: float | None = None,
    max_speed_kmh: float | None = None,
) -> pd.DataFrame:
    """Check a track against planned stops.

    Parameters
    ----------
    stops
        ``patrol_stops`` (``team, order, site_id`` and point geometry, any CRS).
    track
        Track points in order with ``time`` (from :func:`read_gpx_track`).
    team
        Check only this team's stops (all stops when ``None``).
    pass_distance
        Metres (``settings.patrol_track_pass_distance_m``).
    max_speed_kmh
        Fastest speed at which a site can be inspected (``settings.patrol_max_inspect_speed_kmh``).

    Returns
    -------
    pandas.DataFrame
        Per stop: ``team, order, site_id, passed, passed_at, distance_m, speed_kmh, status``.
    """
    from geo.store.projection import metric_crs_for

    d_max = float(settings.patrol_track_pass_distance_m if pass_distance is None else pass_distance)
    v_max = float(settings.patrol_max_inspect_speed_kmh if max_speed_kmh is None else max_speed_kmh)
    if stops.crs is None or track.crs is None:
        raise ValidationError("the plan and the track need coordinates with a CRS")
    if team is not None:
        stops = stops[stops["team"].astype(int) == int(team)]
        if not len(stops):
            raise ValidationError(f"the plan has no stops for team {team}")
    crs = stops.crs if stops.crs.is_projected else metric_crs_for(tuple(stops.to_crs("EPSG:4326").total_bounds))
    s = stops.to_crs(crs)
    t = track.to_crs(crs)
    xy = shapely.get_coordinates(t.geometry.to_numpy())
    times = pd.to_datetime(t["time"]).to_numpy(dtype="datetime64[ms]")
    segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    seg_len = np.hypot(*(xy[1:] - xy[:-1]).T)
    dt_s = (times[1:] - times[:-1]) / np.timedelta64(1, "s")
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt_s > 0, seg_len / dt_s * 3.6, np.nan)
    tree = shapely.STRtree(segs)
    pts = s.geometry.to_numpy()
    si, gi = tree.query(pts, predicate="dwithin", distance=d_max)
    dist = shapely.distance(pts[si], segs[gi])
    n = len(s)
    passed = np.zeros(n, dtype=bool)
    passed[si] = True
    best_d = np.full(n, np.nan)
    best_seg = np.full(n, -1)
    order = np.lexsort((dist, si))
    first = np.ones(len(order), dtype=bool)
    first[1:] = si[order][1:] != si[order][:-1]
    best_d[si[order][first]] = dist[order][first]
    best_seg[si[order][first]] = gi[order][first]
    near_speed = pd.Series(speed[gi]).groupby(si).min()
    slowest = near_speed.reindex(np.arange(n)).to_numpy(dtype=float)
    # time of closest approach: position of the site's projection along its closest segment
    passed_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[ms]")
    ok = best_seg >= 0
    if ok.any():
        g = best_seg[ok]
        frac = shapely.line_locate_point(segs[g], pts[ok], normalized=True)
        frac = np.nan_to_num(frac, nan=0.0)
        t0 = times[g]
        span = (times[g + 1] - t0).astype("timedelta64[ms]").astype(np.int64)
        passed_at[ok] = t0 + (frac * span).astype("timedelta64[ms]")
    # off-track distance of stops never passed: to the whole track
    if (~passed).any():
        whole = shapely.LineString(xy)
        best_d[~passed] = shapely.distance(pts[~passed], whole)
    too_fast = passed & np.isfinite(slowest) & (slowest > v_max)
    status = np.where(~passed, "skipped", np.where(too_fast, "too_fast", "ok"))
    out = pd.DataFrame({
        "team": s["team"].astype("int64").to_numpy(),
        "order": s["order"].astype("int64").to_numpy(),
        "site_id": s["site_id"].astype("string").to_numpy(),
        "passed": passed,
        "passed_at": passed_at,
        "distance_m": best_d,
        "speed_kmh": slowest,
        "status": pd.array(status, dtype="string"),
    }, index=stops.index)
    out["passed_at_local"] = local_times(out["passed_at"]).to_numpy()
    if settings.log_summaries:
        logger.info("patrol check: %d stops, %d passed, %d skipped, %d too fast",
                    n, int(passed.sum()), int((~passed).sum()), int(too_fast.sum()))
    return out.sort_values(["team", "order"]).reset_index(drop=True)


def check_summary(result: pd.DataFrame, flags=()) -> dict:
    """Counts of a :func:`check_track` result and whether the patrol needs follow-up.

    ``flags``: the reasons from :func:`geo.field.trackproof.track_flags`; any of them (other
    than information notes) makes the track no proof (``proven`` false, ``flagged`` true).
    """
    counts = result["status"].value_counts()
    out: dict = {k: int(counts.get(k, 0)) for k in STATUSES}
    out["planned"] = int(len(result))
    out["passed_share"] = float(result["passed"].mean()) if len(result) else 0.0
    doubts = [f for f in flags if f["code"] not in NOTES]
    out["flags"] = [{"code": f["code"], "zh": f["zh"], "en": f["en"]} for f in flags]
    out["proven"] = not doubts and out["planned"] > 0
    out["flagged"] = bool(out["skipped"] or out["too_fast"] or doubts)
    return out


def store_checks(path, result: pd.DataFrame, *, user=None, recorded_by: str = "",
                 flags=()) -> int:
    """Append the checked stops of ``result`` (:func:`check_track`) to ``patrol_checks`` of ``path``.

    One row per stop of the track's day (``ok``, ``too_fast`` or ``skipped``), in one SQLite
    transaction, audit-logged: the proof the leaders' "patrols proven" indicator counts
    (docs/indicators.md). Returns the rows stored.

    Raises
    ------
    PermissionDenied
        ``user`` may not record inspections.
    ValidationError
        The track has no times (a track without times proves no day), or ``flags`` (from
        :func:`geo.field.trackproof.track_flags`) hold a reason to doubt it.
    """
    import uuid

    from geo.field._records import append_row
    from geo.privacy.audit import audit_event
    from geo.store.dataset import coerce_layer

    if user is not None:
        from geo.privacy.roles import require

        require(user, "record_inspection")
    doubts = [f for f in flags if f["code"] not in NOTES]
    if doubts:
        raise ValidationError(
            "轨迹不能作为巡查证明：" + "；".join(f["zh"] for f in doubts) + " / the track is no proof "
            "of patrol: " + "; ".join(f["en"] for f in doubts),
            [("track", f["code"], f["en"]) for f in doubts])
    times = pd.to_datetime(result["passed_at"], errors="coerce").dropna()
    if not len(times):
        raise ValidationError("轨迹没有时间，无法证明巡查日期 / the track has no times: it proves no patrol day")
    day = local_times(times).min().normalize()  # the county's day, not UTC's
    rows = pd.DataFrame({
        "check_id": [f"P{day:%Y%m%d}-{uuid.uuid4().hex[:10]}" for _ in range(len(result))],
        "site_id": result["site_id"].astype("string").to_numpy(),
        "team": pd.to_numeric(result["team"], errors="coerce").to_numpy(),
        "checked_on": day, "status": result["status"].astype("string").to_numpy(),
        "recorded_by": recorded_by or getattr(user, "username", None),
    })
    rows, problems = coerce_layer("patrol_checks", rows)
    if problems:
        raise ValidationError("; ".join(problems))
    append_row(path, "patrol_checks", rows,
               audit=audit_event(user, "edit", f"patrol_checks +{len(rows)} ({day.date()})"))
    return len(rows)
