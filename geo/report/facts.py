"""The counts behind the indicators: one row per leaf unit (village or township) of one dataset.

:func:`unit_facts` computes, for one dataset on one day under one preset, the numerator and
denominator of every indicator of :mod:`geo.report.indicators` at its leaf unit: a row per
village (12-digit code) for the village indicators, per township (9 digits) for the workstation
ones. Things that belong to no known village (a water site outside every village polygon) go to
the most specific unit known (its township, else the county), so every count reaches the county
total. Columns are ``<indicator>:num`` and ``<indicator>:den``; :mod:`geo.report.rollup` adds
them up.

The analyses are the product's own: :func:`geo.field.visits.visit_schedule` (tiers, due dates,
police flags), :func:`geo.field.staffing.village_staffing` (the >30 rule),
:func:`geo.water.pipeline.water_sites` (sites, "four ones", barriers, children near),
:func:`geo.field.calendar.patrol_schedule` (planned patrols, per county: each county patrols its
own waters) and :func:`geo.reach.access.child_access` (children within the service standard of
each station level). Everything runs on the full data (never a role view): suppression comes
after (docs/security.md).
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.field.presets import VisitPreset
from geo.field.staffing import children_village, in_scope, village_staffing
from geo.field.visits import visit_schedule
from geo.report.indicators import INDICATORS
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.progress import stage

logger = logging.getLogger(__name__)

#: the station levels whose coverage is an indicator (``covered_<level>``).
COVERAGE_LEVELS = ("village", "township", "county", "school")


def num(indicator: str) -> str:
    """The numerator column of ``indicator``."""
    return f"{indicator}:num"


def den(indicator: str) -> str:
    """The denominator column of ``indicator``."""
    return f"{indicator}:den"


FACT_COLUMNS = [c for i in INDICATORS for c in (num(i), den(i))]


@dataclass
class UnitFacts:
    """The facts of one dataset and what the report's maps draw from it.

    Attributes
    ----------
    facts
        One row per leaf unit, indexed by code: :data:`FACT_COLUMNS` (floats; ``NaN`` where the
        indicator has no count at that unit).
    names
        Unit code -> name (from ``admin_units``).
    units
        The ``admin_units`` polygons (metric CRS), for maps.
    sites
        :func:`geo.water.pipeline.water_sites` output (metric CRS; empty without waters).
    stations
        The ``stations`` layer (metric CRS).
    on, preset
        The day and the preset the facts are for.
    """

    facts: pd.DataFrame
    names: dict[str, str]
    units: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    on: _dt.date
    preset: str


class _Leaves:
    """Accumulates counts per unit code and indicator column."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, codes, columns: dict[str, np.ndarray | float]) -> None:
        frame = pd.DataFrame({"code": pd.array(codes, dtype="string"), **{
            k: (np.broadcast_to(np.asarray(v, dtype=float), (len(codes),)) if np.ndim(v) == 0
                else np.asarray(v, dtype=float)) for k, v in columns.items()}})
        self.parts.append(frame)

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=FACT_COLUMNS, index=pd.Index([], dtype="string", name="code"))
        long = pd.concat(self.parts, ignore_index=True)
        long = long[long["code"].notna()]
        return aggregate_columns(long, "code").reindex(columns=FACT_COLUMNS)


def aggregate_columns(frame: pd.DataFrame, by) -> pd.DataFrame:
    """Add up the fact columns of ``frame`` grouped ``by``: the ``max`` indicators take the largest."""
    groups = frame.groupby(by, sort=True)
    cols = [c for c in frame.columns if c in FACT_COLUMNS]
    maxed = [c for c in cols if INDICATORS[c.split(":")[0]].agg == "max"]
    out = groups[[c for c in cols if c not in maxed]].sum(min_count=1)
    if maxed:
        out = out.join(groups[maxed].max())
    return out


def _most_specific(village: pd.Series, township: pd.Series, county: str | None) -> np.ndarray:
    v = village.astype("string").to_numpy(dtype=object)
    t = township.astype("string").to_numpy(dtype=object)
    out = np.asarray(np.where(pd.isna(v), t, v), dtype=object)
    return np.asarray(np.where(pd.isna(out), np.array(county, dtype=object), out), dtype=object)


def _county_code(ds: Dataset) -> str | None:
    admin = ds["admin_units"]
    counties = admin[admin["level"].astype("string") == "county"]["code"].astype("string").dropna()
    return str(counties.iloc[0]) if len(counties) == 1 else None


def _to_day(on) -> _dt.date:
    return pd.Timestamp(on).date()


def unit_facts(
    dataset: Dataset,
    *,
    on: _dt.date | str,
    preset: str,
    coverage: bool = True,
    visit_rules: VisitPreset | None = None,
) -> UnitFacts:
    """Return the indicator counts of every leaf unit of ``dataset`` on day ``on``.

    Parameters
    ----------
    dataset
        The full dataset (any CRS; analyses project it once).
    on
        The day the indicators are for (due dates, "last quarter", the patrol year).
    preset
        The plan whose rules apply (visit tiers, patrol seasons): a key of
        :data:`geo.report.indicators.PRESETS`.
    coverage
        Compute station coverage (network distances; needs ``roads``, else straight lines).
    visit_rules
        Visit tiers other than the preset's own (a county's stricter or looser rule); the
        preset's targets still apply.

    Returns
    -------
    UnitFacts
    """
    day = _to_day(on)
    ds = dataset.metric()
    leaves = _Leaves()
    county = _county_code(ds)
    admin = ds["admin_units"]
    names = dict(zip(admin["code"].astype(str), admin["name"].astype("string").fillna(""), strict=True))
    with stage("children and visits", 1, 5):
        _children_facts(ds, leaves, day, visit_rules or preset, county, coverage)
    with stage("child directors", 2, 5):
        _director_facts(ds, leaves)
    with stage("water sites", 3, 5):
        sites = _water_facts(ds, leaves, day, preset, county)
    with stage("stations", 4, 5):
        _station_facts(ds, leaves)
    with stage("adding up", 5, 5):
        facts = leaves.table()
    if settings.log_summaries:
        logger.info("indicator facts: %d leaf units on %s (%s)", len(facts), day, preset)
    return UnitFacts(facts, names, admin, sites, ds["stations"], day, preset)


def _children_facts(ds: Dataset, leaves: _Leaves, day: _dt.date, preset: str | VisitPreset,
                    county: str | None, coverage: bool) -> None:
    children = ds["children"]
    if not len(children):
        return
    scope = in_scope(children)
    kids = children[scope]
    village = children_village(ds)[scope]
    codes = np.asarray(np.where(village.isna().to_numpy(), county, village.astype(object).to_numpy()), dtype=object)
    sched = visit_schedule(ds, on=day, preset=preset)  # same rows (children in scope), same order
    has_fields = (kids["birth_year"].notna() & kids["sex"].notna() & kids["guardianship"].notna()
                  ).to_numpy(bool) & village.notna().to_numpy()
    contacted = ~np.isnat(sched["last_contact"].to_numpy(dtype="datetime64[ms]"))
    n = np.ones(len(kids))
    contact_late = (sched["contact_status"] == "overdue").to_numpy(bool)
    visit_late = (sched["visit_status"] == "overdue").to_numpy(bool)
    flags = sched["report_police"].to_numpy(bool)
    since = sched["last_contact"].to_numpy(dtype="datetime64[ms]")
    if "flagged_on" in kids.columns:
        flagged = pd.to_datetime(kids["flagged_on"], errors="coerce").to_numpy(dtype="datetime64[ms]")
        since = np.where(np.isnat(flagged), since, flagged)
    ref = np.datetime64(day, "ms")
    days = (ref - since) / np.timedelta64(1, "D")
    known = flags & ~np.isnan(days)
    cols: dict[str, np.ndarray | float] = {
        num("children_on_file"): n,
        num("records_complete"): (has_fields & contacted).astype(float), den("records_complete"): n,
        num("contact_on_schedule"): (~contact_late).astype(float), den("contact_on_schedule"): n,
        num("visit_on_schedule"): (~visit_late).astype(float), den("visit_on_schedule"): n,
        num("contact_overdue"): contact_late.astype(float), den("contact_overdue"): n,
        num("visit_overdue"): visit_late.astype(float), den("visit_overdue"): n,
        num("police_flags_open"): flags.astype(float), den("police_flags_open"): n,
        num("police_flags_days_mean"): np.where(known, np.maximum(days, 0), 0.0),
        den("police_flags_days_mean"): known.astype(float),
        num("police_flags_days_max"): np.where(known, np.maximum(days, 0), np.nan),
    }
    if coverage and "stations" in ds and "households" in ds:
        from geo.reach.access import child_access

        metric = None if "roads" in ds else "euclidean"
        access = child_access(ds.derive({"households": ds["households"], "children": kids,
                                         "stations": ds["stations"], "roads": ds["roads"]}),
                              levels=[lv for lv in COVERAGE_LEVELS if lv in settings.service_standard],
                              metric=metric)
        pos = pd.Index(kids["child_id"].astype("string")).get_indexer(access["child_id"].astype("string"))
        for lv in COVERAGE_LEVELS:
            m = (access["level"] == lv).to_numpy()
            if not m.any():
                continue
            covered = np.zeros(len(kids))
            ok = m & (pos >= 0)
            covered[pos[ok]] = access["covered"].to_numpy(bool)[ok]
            cols[num(f"covered_{lv}")] = covered
            cols[den(f"covered_{lv}")] = n
    _add_max_aware(leaves, codes, cols)


def _add_max_aware(leaves: _Leaves, codes: np.ndarray, cols: dict) -> None:
    """Add per-child columns (the ``max`` ones are reduced with max when the leaves are added up)."""
    leaves.add(codes, cols)


def _director_facts(ds: Dataset, leaves: _Leaves) -> None:
    if not len(ds["admin_units"]) and not len(ds["households"]):
        return
    staff = village_staffing(ds)
    if not len(staff):
        return
    codes = staff["village_code"].astype("string").to_numpy(dtype=object)
    one = np.ones(len(staff))
    leaves.add(codes, {
        num("villages_with_director"): (staff["directors"].to_numpy() >= 1).astype(float),
        den("villages_with_director"): one,
        num("villages_staffed"): (staff["shortfall"].to_numpy() == 0).astype(float),
        den("villages_staffed"): one,
        num("directors_short"): staff["shortfall"].to_numpy(float),
        den("directors_short"): staff["directors_needed"].to_numpy(float),
    })


def _empty_sites(ds: Dataset) -> gpd.GeoDataFrame:
    from geo.water.pipeline import RESULT_COLUMNS

    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in RESULT_COLUMNS},
                            geometry=gpd.GeoSeries([], crs=ds.metric_crs), crs=ds.metric_crs)


def _water_facts(ds: Dataset, leaves: _Leaves, day: _dt.date, preset: str,
                 county: str | None) -> gpd.GeoDataFrame:
    from geo.water.pipeline import water_sites

    inspections = ds["inspections"]
    window_start = pd.Timestamp(day) - pd.DateOffset(months=3)
    recent = inspections[(pd.to_datetime(inspections["inspected_on"]) > window_start)
                         & (pd.to_datetime(inspections["inspected_on"]) <= pd.Timestamp(day))]
    if len(recent):
        _inspection_counts(ds, leaves, recent, county)
    if "water_bodies" not in ds:
        return _empty_sites(ds)
    sites = water_sites(ds, as_of=day)
    if not len(sites):
        return sites
    near = float(settings.water_count_distances_m[1])
    risky = (sites["children_500m"].to_numpy(float) > 0) if near == 500.0 else (
        sites["nearest_child_m"].to_numpy(float) <= near)
    codes = _most_specific(sites["village_code"], sites["township_code"], county)
    kits_seen = set(recent["kit_id"].dropna().astype(str)) if len(recent) else set()
    waters_seen = set(recent["water_id"].dropna().astype(str)) if len(recent) else set()
    best = sites["best_kit"].astype("string").fillna("").to_numpy(dtype=object)
    wid = sites["water_id"].astype("string").fillna("").to_numpy(dtype=object)
    inspected = np.array([b in kits_seen or w in waters_seen for b, w in zip(best, wid, strict=True)],
                         dtype=bool)
    r = risky.astype(float)
    leaves.add(codes, {
        num("risky_sites"): r,
        num("risky_sites_four_ones"): r * (sites["kit_status"] == "complete").to_numpy(float),
        den("risky_sites_four_ones"): r,
        num("risky_sites_barrier"): r * sites["barrier"].to_numpy(bool).astype(float),
        den("risky_sites_barrier"): r,
        num("risky_sites_inspected"): r * inspected, den("risky_sites_inspected"): r,
    })
    _patrol_facts(ds, leaves, sites, codes, day, preset)
    return sites


def _inspection_counts(ds: Dataset, leaves: _Leaves, recent: pd.DataFrame, county: str | None) -> None:
    from geo.water.pipeline import admin_codes, site_points

    kits = ds["safety_kits"]
    pts = pd.Series(kits.geometry.to_numpy(), index=kits["kit_id"].astype(str).to_numpy())
    water = ds["water_bodies"]
    if len(water):
        wpts = pd.Series(site_points(water.assign(whole=True)), index=water["water_id"].astype(str).to_numpy())
        pts = pd.concat([pts, wpts.add_prefix("water:")])
    pts = pts[~pts.index.duplicated()]
    keys = np.where(recent["kit_id"].notna(), recent["kit_id"].astype(str),
                    "water:" + recent["water_id"].astype(str))
    geoms = pts.reindex(keys).to_numpy(dtype=object)
    found = np.array([g is not None and not (isinstance(g, float)) for g in geoms], dtype=bool)
    codes = np.full(len(keys), county, dtype=object)
    if found.any():
        ac = admin_codes(geoms[found], ds["admin_units"])
        codes[found] = _most_specific(ac["village_code"], ac["township_code"], county)
    leaves.add(codes, {num("inspections_last_quarter"): 1.0})


def _patrol_facts(ds: Dataset, leaves: _Leaves, sites: gpd.GeoDataFrame, codes: np.ndarray,
                  day: _dt.date, preset: str) -> None:
    from geo.field.calendar import day_calendar, patrol_schedule

    year = day.year
    cal = day_calendar(f"{year}-01-01", f"{year}-12-31", preset=preset)
    season = set(pd.to_datetime(cal.loc[cal["summer_holiday"] | cal["flood_season"], "date"]))
    if not season or not (sites["risk"].to_numpy(float) > 0).any():
        return
    county_of = pd.Series([str(c)[:6] if isinstance(c, str) else "" for c in codes], index=sites.index)
    code_of = pd.Series(codes, index=sites["site_id"].astype(str).to_numpy())
    code_of = code_of[~code_of.index.duplicated()]
    checks = ds["patrol_checks"] if ds.holds("patrol_checks") else None
    proven = None  # no patrol checks recorded: the proven share has no data
    if checks is not None and len(checks):
        ok = checks[checks["status"].astype("string") == "ok"]
        proven = pd.Index(ok["site_id"].astype(str) + "@"
                          + pd.to_datetime(ok["checked_on"]).dt.strftime("%Y-%m-%d"))
    for _, part in sites.groupby(county_of, sort=True):  # each county plans its own patrols
        if not (part["risk"].to_numpy(float) > 0).any():
            continue
        visits = patrol_schedule(part, start=f"{year}-01-01", end=f"{year}-12-31", preset=preset,
                                 per="visit")
        dates = pd.to_datetime(visits["date"])
        visits = visits[dates.isin(season).to_numpy()]
        if not len(visits):
            continue
        vid = visits["site_id"].astype(str).to_numpy()
        cols: dict[str, np.ndarray | float] = {num("patrols_planned"): 1.0}
        if proven is not None:
            keys = visits["site_id"].astype(str) + "@" + pd.to_datetime(visits["date"]).dt.strftime("%Y-%m-%d")
            done = keys.isin(proven).to_numpy(float)
            planned_to_date = (pd.to_datetime(visits["date"]) <= pd.Timestamp(day)).to_numpy(float)
            cols[num("patrols_proven")] = done * planned_to_date
            cols[den("patrols_proven")] = planned_to_date
        leaves.add(code_of.reindex(vid).to_numpy(dtype=object), cols)


def _station_facts(ds: Dataset, leaves: _Leaves) -> None:
    from geo.water.pipeline import admin_codes

    admin = ds["admin_units"]
    towns = admin[admin["level"].astype("string") == "township"]["code"].astype("string").dropna()
    if not len(towns):
        return
    stations = ds["stations"]
    ws = stations[stations["kind"].astype("string") == "minor_protection_workstation"]
    per_town = pd.Series(0.0, index=pd.Index(towns.to_numpy(dtype=object)))
    if len(ws):
        ac = admin_codes(ws.geometry.to_numpy(), admin)
        t = ac["township_code"].dropna().astype(str)
        per_town = per_town.add(t.value_counts().astype(float), fill_value=0.0)
    per_town = per_town[per_town.index.isin(towns.to_numpy())]
    leaves.add(per_town.index.to_numpy(dtype=object), {
        num("townships_with_workstation"): (per_town.to_numpy() > 0).astype(float),
        den("townships_with_workstation"): 1.0,
        num("workstations"): per_town.to_numpy(),
    })
