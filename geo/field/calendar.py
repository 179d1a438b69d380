"""Patrol calendar: how often each water site is patrolled, on which days, in which time window.

The rule (``docs/field-work.md``; every number is a setting):

1. **Risk band.** Sites with risk > 0 are ranked; a site's band is the first of
   ``settings.patrol_schedule_bands`` whose top share holds its rank (default: the top 10% every
   7 days, the next 20% every 14 days, the rest every 30 days, on ordinary school days). Sites
   without risk are not scheduled.
2. **Day weight.** Each day gets ``season x day_off``: season is the larger of the summer-holiday
   weight (drowning peaks in the summer holidays, DOMAIN.md §3) and the flood-season weight (汛期,
   000 §14; also every day of an extreme-weather alert, cf. 004 §6), else 1; ``day_off`` applies to
   weekends, public holidays and the winter holiday outside the summer holiday (children out of
   school and unsupervised, DOMAIN.md §3; the summer weight already counts the days off). With the defaults the top band is patrolled daily in the summer holidays and
   weekly on November school days.
3. **Visits.** A site's patrol rate on a day is ``weight / days_between`` (at most one a day). Its
   visits fall where the running sum of the rates crosses a whole number, started at a staggered
   phase so sites of a band do not all fall on the same day (deterministic, vectorised).
4. **Time window.** School days: after school; days off: afternoon into the evening (most
   drownings of school-age rural children happen in the afternoon, DOMAIN.md §3)
   (``settings.patrol_schedule_windows``).
5. **Teams.** Sites are split among teams in angular sectors around the risk-weighted centre, each
   with about the same number of visits; a team-day with more stops than fit its window
   (``patrol_stop_minutes + patrol_schedule_travel_minutes`` each) is flagged ``over_capacity``.

Public holidays and make-up working days (调休, a weekend day that is a working and school day)
come from the State Council's yearly notices as carried by the ``chinesecalendar`` package
(:mod:`geo.field.holidays`); a year past its data gets its holidays computed from the lunar
calendar (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and the fixed dates, flagged
``holiday_estimated`` "until the State Council publishes the year's schedule" (make-up days cannot
be estimated: none are assumed).
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import shapely

from geo.field.holidays import holiday_schedule
from geo.store import settings
from geo.store.errors import ValidationError

logger = logging.getLogger(__name__)

#: longest calendar, days (a guard against typing the wrong year).
MAX_DAYS = 3 * 366

TEAM_COLUMNS = [
    "date", "weekday", "day_kind", "reasons", "weight", "window_start", "window_end", "team",
    "n_sites", "capacity", "over_capacity", "risk", "site_ids",
]
SITE_COLUMNS = [
    "site_id", "team", "band", "days_between", "risk", "risk_rank", "visits", "visits_per_week",
    "first_visit", "last_visit",
]


def _day(value, what: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise ValidationError(f"{what} {value!r} is not a date (use YYYY-MM-DD)")
    return day


def in_season(dates: pd.DatetimeIndex, window: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """Whether each date falls in the yearly window ((month, day), (month, day)), ends included.

    A window whose end comes before its start wraps the new year (e.g. 15 Dec - 15 Feb).
    """
    (m0, d0), (m1, d1) = window
    key = dates.month.to_numpy() * 100 + dates.day.to_numpy()
    lo, hi = m0 * 100 + d0, m1 * 100 + d1
    return (key >= lo) & (key <= hi) if lo <= hi else (key >= lo) | (key <= hi)


def public_holidays(years: Iterable[int]) -> pd.DatetimeIndex:
    """The public-holiday days off of ``years`` (official, else estimated: :mod:`geo.field.holidays`)."""
    table = holiday_schedule(years)
    return pd.DatetimeIndex(table.loc[table["kind"] == "holiday", "date"])


def day_calendar(
    start, end, *, preset: str | None = None, alerts: Sequence[tuple] = (),
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Return one row per day from ``start`` to ``end`` with its patrol weight and time window.

    Parameters
    ----------
    start, end
        First and last day (inclusive).
    preset
        A patrol preset (:data:`geo.field.presets.PATROL_PRESETS`; flood season and summer weight).
    alerts
        Extreme-weather alerts as (first day, last day): those days weigh at least like the flood
        season.
    weights
        Day weights (``settings.patrol_schedule_weights``: ``summer``, ``flood``, ``day_off``).

    Returns
    -------
    pandas.DataFrame
        ``date, weekday (0 = Monday), summer_holiday, winter_holiday, flood_season, alert,
        public_holiday, weekend, makeup_workday, holiday_estimated, day_kind ("school_day" |
        "day_off"), reasons, weight, window_start, window_end``. ``makeup_workday``: a weekend day
        the State Council made a working (and school) day (调休); ``holiday_estimated``: the day
        is a holiday of a year whose schedule is not published yet (computed, see
        :mod:`geo.field.holidays`).
    """
    from geo.field.presets import get_patrol_preset

    p = get_patrol_preset(preset)
    first, last = _day(start, "the start"), _day(end, "the end")
    if last < first:
        raise ValidationError(f"the calendar ends ({last.date()}) before it starts ({first.date()})")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(f"a patrol calendar covers at most {MAX_DAYS} days, not {(last - first).days + 1}")
    w = {**settings.patrol_schedule_weights, **(weights or {})}
    if p.summer_weight is not None and not (weights and "summer" in weights):
        w["summer"] = p.summer_weight
    if any(v <= 0 for v in w.values()):
        raise ValidationError(f"patrol day weights must be positive: {w}")
    dates = pd.date_range(first, last, freq="D")
    holidays = settings.visit_holidays
    summer = in_season(dates, holidays["summer"]) if "summer" in holidays else np.zeros(len(dates), bool)
    winter = in_season(dates, holidays["winter"]) if "winter" in holidays else np.zeros(len(dates), bool)
    flood = in_season(dates, p.flood_season or settings.patrol_flood_season)
    alert = np.zeros(len(dates), dtype=bool)
    for a, b in alerts:
        alert |= (dates >= _day(a, "the alert start")) & (dates <= _day(b, "the alert end"))
    official = holiday_schedule(range(first.year, last.year + 1))
    hol = official[official["kind"] == "holiday"]
    public = dates.isin(pd.DatetimeIndex(hol["date"]))
    estimated = dates.isin(pd.DatetimeIndex(hol.loc[hol["estimated"], "date"]))
    makeup = dates.isin(pd.DatetimeIndex(official.loc[official["kind"] == "makeup_workday", "date"]))
    makeup &= ~public
    weekend = (dates.day_of_week >= 5) & ~makeup  # a make-up working day is a school day
    off = weekend | public | winter | summer
    season = np.maximum.reduce([np.ones(len(dates)), np.where(summer, w["summer"], 1.0),
                                np.where(flood | alert, w["flood"], 1.0)])
    # summer-holiday days are days off already: the summer weight includes it
    weight = season * np.where((weekend | public | winter) & ~summer, w["day_off"], 1.0)
    kind = np.where(off, "day_off", "school_day")
    windows = settings.patrol_schedule_windows
    names = [("summer_holiday", summer), ("winter_holiday", winter), ("flood_season", flood),
             ("weather_alert", alert), ("public_holiday", public), ("holiday_estimated", estimated),
             ("weekend", weekend), ("makeup_workday", makeup)]
    flags = np.stack([f for _, f in names], axis=1)
    labels = np.array([n for n, _ in names], dtype=object)
    reasons = [";".join(labels[row]) for row in flags]
    return pd.DataFrame({
        "date": dates.astype("datetime64[ms]"), "weekday": dates.day_of_week.astype("int64"),
        "summer_holiday": summer, "winter_holiday": winter, "flood_season": flood, "alert": alert,
        "public_holiday": public, "weekend": weekend, "makeup_workday": makeup,
        "holiday_estimated": estimated, "day_kind": pd.array(kind, dtype="string"), "reasons": pd.array(reasons, dtype="string"),
        "weight": weight.astype(float),
        "window_start": pd.array([windows[k][0] for k in kind], dtype="string"),
        "window_end": pd.array([windows[k][1] for k in kind], dtype="string"),
    })


def risk_bands(risk, bands: Sequence[tuple[float, float]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Band index and days between patrols of each site (``-1`` and ``inf`` for risk <= 0).

    A site's rank share is its rank among the sites with risk > 0 divided by their number (the
    riskiest of 10 has share 0.1); its band is the first whose top share is at least that.
    """
    bands = tuple(settings.patrol_schedule_bands if bands is None else bands)
    shares = np.array([b[0] for b in bands], dtype=float)
    days = np.array([b[1] for b in bands], dtype=float)
    problems = []
    if not len(bands) or np.any(np.diff(shares) <= 0) or shares[-1] < 1.0 or shares[0] <= 0:
        problems.append("band shares must rise strictly and the last must be 1.0")
    if np.any(days <= 0):
        problems.append("days between patrols must be positive")
    if problems:
        raise ValidationError("bad patrol_schedule_bands " + repr(bands) + ": " + "; ".join(problems))
    r = np.asarray(risk, dtype=float)
    pos = np.isfinite(r) & (r > 0)
    band = np.full(len(r), -1, dtype=np.int64)
    gap = np.full(len(r), np.inf)
    if pos.any():
        order = np.argsort(-r[pos], kind="stable")
        rank = np.empty(pos.sum(), dtype=float)
        rank[order] = np.arange(1, pos.sum() + 1)
        b = np.searchsorted(shares, rank / pos.sum() - 1e-12, side="left")
        band[pos] = np.minimum(b, len(bands) - 1)
        gap[pos] = days[band[pos]]
    return band, gap


def assign_teams(xy: np.ndarray | None, load: np.ndarray, teams: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Team (1..teams) of each site: angular sectors around the weighted centre, equal load.

    Without coordinates (``xy`` is ``None``) the sites are dealt in their order.
    """
    n = len(load)
    if teams <= 1 or n == 0:
        return np.ones(n, dtype=np.int64)
    if xy is None or not np.isfinite(xy).all():
        order = np.arange(n)
    else:
        w = np.ones(n) if weights is None or np.sum(weights) <= 0 else np.asarray(weights, float)
        centre = (xy * w[:, None]).sum(axis=0) / w.sum()
        angle = np.arctan2(xy[:, 1] - centre[1], xy[:, 0] - centre[0])
        order = np.argsort(angle, kind="stable")
    cum = np.cumsum(load[order]) - load[order] / 2.0
    total = float(load.sum()) or 1.0
    team = np.empty(n, dtype=np.int64)
    team[order] = np.minimum((cum / total * teams).astype(np.int64), teams - 1) + 1
    return team


def _visit_days(gap: np.ndarray, weight: np.ndarray, phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(site, day) index pairs of the visits.

    A site's rate on day d is ``min(1, weight[d] / gap)``; its k-th visit falls on the first day
    where ``phase + cumulative rate >= k``. Sites sharing a gap share the cumulative rate, so each
    visit is one binary search (no sites x days matrix).
    """
    si, di = [], []
    n_days = len(weight)
    for g in np.unique(gap):
        sites = np.flatnonzero(gap == g)
        cum = np.cumsum(np.minimum(1.0, weight / g))
        ph = phase[sites]
        k_max = int(np.floor(ph.max() + cum[-1] + 1e-9)) if n_days else 0
        if k_max < 1:
            continue
        targets = np.arange(1, k_max + 1)[None, :] - ph[:, None] - 1e-9  # (sites, k)
        day = np.searchsorted(cum, targets, side="left")
        ok = day < n_days
        rows = np.broadcast_to(sites[:, None], day.shape)
        si.append(rows[ok])
        di.append(day[ok])
    if not si:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(si).astype(np.int64), np.concatenate(di).astype(np.int64)


def _capacity(start: str, end: str, per_stop_min: float) -> int:
    h0, m0 = (int(x) for x in start.split(":"))
    h1, m1 = (int(x) for x in end.split(":"))
    minutes = (h1 * 60 + m1) - (h0 * 60 + m0)
    return max(1, int(minutes // per_stop_min))


def patrol_schedule(
    sites: pd.DataFrame,
    *,
    start,
    end,
    teams: int = 1,
    preset: str | None = None,
    alerts: Sequence[tuple] = (),
    per: str = "team",
    bands: Sequence[tuple[float, float]] | None = None,
    weights: dict[str, float] | None = None,
    max_stops: int | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Return the patrol calendar of ``sites`` from ``start`` to ``end``.

    Parameters
    ----------
    sites
        :func:`geo.water.pipeline.water_sites` output (``site_id``, ``risk``; geometry used to split the
        sites among teams; a ``team`` column, if present, is used as given).
    start, end
        First and last day (inclusive; at most :data:`MAX_DAYS` days).
    teams
        Number of patrol teams.
    preset
        Patrol preset (:data:`geo.field.presets.PATROL_PRESETS`; ``settings.visit_preset`` when ``None``).
    alerts
        Extreme-weather alerts (first day, last day), weighted like the flood season.
    per
        ``"team"``: one row per team and day with patrols (:data:`TEAM_COLUMNS`); ``"site"``: one
        row per scheduled site (:data:`SITE_COLUMNS`); ``"visit"``: one row per site visit
        (``date, team, site_id, risk, band, window_start, window_end``).
    bands, weights
        ``settings.patrol_schedule_bands`` and ``settings.patrol_schedule_weights`` when ``None``.
    max_stops
        Stops one team can make in a day; from the window length and
        ``patrol_stop_minutes + patrol_schedule_travel_minutes`` when ``None``.
    top
        Schedule only the ``top`` riskiest sites (bands are then shares of these); all sites with
        risk > 0 when ``None``.

    Raises
    ------
    ValidationError
        Bad dates, teams, bands or weights; sites without ``site_id``/``risk``.
    """
    problems = []
    if per not in ("team", "site", "visit"):
        problems.append(f"per must be team, site or visit, not {per!r}")
    if int(teams) < 1:
        problems.append(f"teams must be at least 1, not {teams}")
    missing = [c for c in ("site_id", "risk") if c not in sites.columns]
    if missing:
        problems.append(f"the sites lack column(s) {', '.join(missing)} (use geo.water.pipeline.water_sites)")
    if problems:
        raise ValidationError("; ".join(problems))
    teams = int(teams)
    cal = day_calendar(start, end, preset=preset, alerts=alerts, weights=weights)
    if top is not None:
        if int(top) < 1:
            raise ValidationError(f"top must be at least 1, not {top}")
        sites = sites.iloc[np.argsort(-sites["risk"].to_numpy(float), kind="stable")[: int(top)]]
    band, gap = risk_bands(sites["risk"].to_numpy(float), bands)
    keep = np.flatnonzero(band >= 0)
    risk = sites["risk"].to_numpy(float)[keep]
    ids = sites["site_id"].astype("string").to_numpy(dtype=object)[keep]
    weight = cal["weight"].to_numpy(float)
    if "team" in sites.columns:
        team = pd.to_numeric(sites["team"], errors="coerce").to_numpy(float)[keep]
        if np.isnan(team).any() or (team < 1).any():
            raise ValidationError("the sites' team column must hold team numbers from 1")
        team = team.astype(np.int64)
        teams = max(teams, int(team.max()) if len(team) else 1)
    else:
        xy = None
        geom = getattr(sites, "geometry", None) if hasattr(sites, "crs") else None
        if geom is not None and len(keep):
            from geo.water.pipeline import site_points

            xy = shapely.get_coordinates(site_points(sites.iloc[keep]))
        uniq, inv = np.unique(gap[keep], return_inverse=True)
        per_gap = np.minimum(1.0, weight[None, :] / uniq[:, None]).sum(axis=1)  # expected visits
        team = assign_teams(xy, per_gap[inv.reshape(-1)], teams, weights=risk)
    # stagger: order sites by risk within their band, spread the phase by the golden ratio
    order = np.argsort(-risk, kind="stable")
    phase = np.empty(len(keep))
    phase[order] = (np.arange(len(keep)) * 0.6180339887498949) % 1.0
    si, di = _visit_days(gap[keep], weight, phase)
    if settings.log_summaries:
        logger.info("patrol calendar: %d days, %d sites in %d bands, %d visits by %d team(s)",
                    len(cal), len(keep), len(set(band[keep])), len(si), teams)
    if per == "visit":
        order = np.lexsort((-risk[si], team[si], di))
        si, di = si[order], di[order]
        return pd.DataFrame({
            "date": cal["date"].to_numpy()[di], "team": team[si], "site_id": pd.array(ids[si], dtype="string"),
            "risk": risk[si], "band": band[keep][si] + 1,
            "window_start": cal["window_start"].to_numpy()[di], "window_end": cal["window_end"].to_numpy()[di],
        })
    if per == "site":
        n_days = len(cal)
        counts = np.bincount(si, minlength=len(keep))
        first = pd.Series(di).groupby(si).min().reindex(range(len(keep)))
        last = pd.Series(di).groupby(si).max().reindex(range(len(keep)))
        dates = cal["date"].to_numpy()

        def when(idx):
            out = np.full(len(keep), np.datetime64("NaT"), dtype="datetime64[ms]")
            ok = idx.notna().to_numpy()
            out[ok] = dates[idx[ok].astype(int).to_numpy()]
            return out

        ranks = sites["risk_rank"].to_numpy()[keep] if "risk_rank" in sites else np.argsort(order) + 1
        out = pd.DataFrame({
            "site_id": pd.array(ids, dtype="string"), "team": team, "band": band[keep] + 1,
            "days_between": gap[keep], "risk": risk, "risk_rank": ranks, "visits": counts,
            "visits_per_week": counts / n_days * 7.0, "first_visit": when(first), "last_visit": when(last),
        })
        return out.sort_values("risk", ascending=False, ignore_index=True)[SITE_COLUMNS]
    per_stop = float(settings.patrol_stop_minutes) + float(settings.patrol_schedule_travel_minutes)
    order = np.lexsort((-risk[si], team[si], di))  # by day, team, riskiest first
    si, di = si[order], di[order]
    vt = team[si]
    start_row = np.flatnonzero(np.r_[True, (di[1:] != di[:-1]) | (vt[1:] != vt[:-1])]) if len(si) else np.zeros(0, int)
    bounds = np.r_[start_row, len(si)]
    vids = ids[si]
    agg = {
        "day": di[start_row], "team": vt[start_row], "n_sites": np.diff(bounds),
        "risk": np.add.reduceat(risk[si], start_row) if len(si) else np.zeros(0),
        "site_ids": np.array([";".join(vids[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
                             dtype=object),
    }
    day = agg["day"]
    cap_by_kind = {k: (int(max_stops) if max_stops else _capacity(a, b, per_stop))
                   for k, (a, b) in settings.patrol_schedule_windows.items()}
    kinds = cal["day_kind"].to_numpy(dtype=object)[day]
    capacity = np.array([cap_by_kind[k] for k in kinds], dtype=np.int64)
    out = pd.DataFrame({
        "date": cal["date"].to_numpy()[day], "weekday": cal["weekday"].to_numpy()[day],
        "day_kind": pd.array(kinds, dtype="string"), "reasons": cal["reasons"].to_numpy()[day],
        "weight": cal["weight"].to_numpy()[day], "window_start": cal["window_start"].to_numpy()[day],
        "window_end": cal["window_end"].to_numpy()[day], "team": agg["team"].astype(np.int64),
        "n_sites": agg["n_sites"].astype(np.int64), "capacity": capacity,
        "over_capacity": agg["n_sites"] > capacity, "risk": agg["risk"].astype(float),
        "site_ids": pd.array(agg["site_ids"], dtype="string"),
    })
    for col in ("reasons", "window_start", "window_end"):
        out[col] = out[col].astype("string")
    if settings.log_summaries and out["over_capacity"].any():
        logger.info("patrol calendar: %d of %d team-days hold more stops than fit a window",
                    int(out["over_capacity"].sum()), len(out))
    return out[TEAM_COLUMNS]


def schedule_summary(table: pd.DataFrame) -> dict:
    """Headline numbers of a per-team calendar: visits, team-days, over-capacity days, teams needed."""
    if not len(table):
        return {"team_days": 0, "visits": 0, "over_capacity_days": 0, "busiest_day": None,
                "busiest_day_sites": 0, "teams_needed": 0}
    by_day = table.groupby("date").agg(n=("n_sites", "sum"), cap=("capacity", "max"))
    busiest = by_day["n"].idxmax()
    return {
        "team_days": int(len(table)), "visits": int(table["n_sites"].sum()),
        "over_capacity_days": int(table["over_capacity"].sum()),
        "busiest_day": pd.Timestamp(busiest).date().isoformat(),
        "busiest_day_sites": int(by_day["n"].max()),
        "teams_needed": int(np.ceil((by_day["n"] / by_day["cap"]).max())),
    }


def to_date(value) -> _dt.date:
    """Parse a day for the CLI and the app (:class:`ValidationError` when it is not a date)."""
    return _day(value, "the date").date()
