"""What one county task computes: the analysis of each command, on one dataset.

The single-file commands (``childsafe water DATASET``...) and the county tasks of a distributed
run call the same functions here, so a county computed on a worker is computed exactly as the
same county in one process. Each task is a :class:`Task`: the layers it reads, the function
``run(dataset, **options) -> {layer: frame}`` and how its outputs are released by role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from geo.store.dataset import Dataset

Layers = dict[str, pd.DataFrame]


def water_layers(ds: Dataset, *, max_length: float | None = None, band: float | None = None,
                 hexagons: bool = True) -> Layers:
    """``water_sites`` (sites ranked by drowning risk) and ``risk_hexagons``."""
    from geo.water.hotspots import risk_to_hexagons
    from geo.water.pipeline import water_sites

    full = water_sites(ds, max_length=max_length, band=band)
    layers = {"water_sites": full}
    if hexagons:
        layers["risk_hexagons"] = risk_to_hexagons(full)
    return layers


def coverage_layers(ds: Dataset, *, metric: str | None = None,
                    levels: list[str] | None = None) -> Layers:
    """``child_access``, ``coverage_by_unit``, ``service_areas`` and ``gap_areas``."""
    from geo.reach.access import child_access
    from geo.reach.coverage import coverage_by_unit, service_areas
    from geo.reach.gaps import gap_areas
    from geo.reach.roads import network_for_dataset
    from geo.store import settings

    net = network_for_dataset(ds) if (metric or settings.coverage_metric) == "network" else None
    access = child_access(ds, levels=levels, metric=metric, network=net)
    return {
        "child_access": access.drop(columns="household_id"),
        "coverage_by_unit": coverage_by_unit(ds, access),
        "service_areas": service_areas(ds, net, levels=levels, metric=metric),
        "gap_areas": gap_areas(ds, access),
    }


def _county_candidates(ds: Dataset, path: str | None):
    """User candidates inside the county (a county's new stations stand in the county)."""
    if not path:
        return None
    import shapely

    from geo.reach.siting import read_candidates

    cand = read_candidates(path)
    county = ds["admin_units"]
    county = county[county["level"] == "county"]
    if county.empty:
        return cand
    inside = shapely.covers(county.to_crs(cand.crs).geometry.iloc[0], cand.geometry.to_numpy())
    return cand[inside].reset_index(drop=True)


def station_layers(ds: Dataset, *, level: str, new: int | None = None,
                   target: float | None = None, candidates: str | None = None,
                   radius: float | None = None, metric: str | None = None,
                   capacity: float | None = None, method: str = "auto",
                   time_limit: float | None = None) -> Layers:
    """``proposed_stations``: the county's best ``new`` sites (or the fewest to ``target``)."""
    from geo.reach.siting import PROPOSED_COLUMNS, site_stations

    if new == 0:  # a shared budget may give a county none
        import geopandas as gpd

        return {"proposed_stations": gpd.GeoDataFrame(
            {c: pd.Series(dtype="Int64" if c == "order" else "float64" if c == "children_newly_covered"
                          else "string") for c in PROPOSED_COLUMNS},
            geometry=gpd.GeoSeries([], crs=ds.metric_crs), crs=ds.metric_crs)}
    res = site_stations(ds, level=level, new=new, target=target,
                        candidates=_county_candidates(ds, candidates), radius=radius,
                        metric=metric, capacity=capacity, method=method, time_limit=time_limit)
    return {"proposed_stations": res.proposed}


def station_curve_layers(ds: Dataset, *, level: str, k_max: int, candidates: str | None = None,
                         radius: float | None = None, metric: str | None = None,
                         method: str = "exact", time_limit: float | None = None) -> Layers:
    """``station_curve``: children covered with the county's best k new stations, k = 0..K."""
    from geo.reach.siting import siting_curve

    curve = siting_curve(ds, level=level, k_max=k_max, candidates=_county_candidates(ds, candidates),
                         radius=radius, metric=metric, method=method, time_limit=time_limit)
    return {"station_curve": curve.rename(columns={"covered": "value"})}


def kit_layers(ds: Dataset, *, new: int, barriers: int = 0, method: str = "auto",
               time_limit: float | None = None) -> Layers:
    """``proposed_kits``: the county's best ``new`` kits (and ``barriers``)."""
    from geo.water.kitplacement import place_kits
    from geo.water.pipeline import water_sites

    plan = place_kits(water_sites(ds), new, barriers=barriers, method=method, time_limit=time_limit)
    return {"proposed_kits": plan.proposed}


def kit_curve_layers(ds: Dataset, *, k_max: int, method: str = "exact",
                     time_limit: float | None = None) -> Layers:
    """``kit_curve``: drowning risk removed by the county's best k new kits, k = 0..K."""
    from geo.water.kitplacement import place_kits
    from geo.water.pipeline import water_sites

    sites = water_sites(ds)
    rows = []
    for k in range(int(k_max) + 1):
        plan = place_kits(sites, k, method=method, time_limit=time_limit)
        rows.append((k, plan.risk_before - plan.risk_after, plan.bound, plan.status))
    return {"kit_curve": pd.DataFrame(rows, columns=["k", "value", "bound", "status"])}


def visit_layers(ds: Dataset, *, on: str | None = None, preset: str | None = None,
                 alerts: list | None = None) -> Layers:
    """``visit_schedule``: each child's tier, due dates, status and flags."""
    from geo.field.visits import visit_schedule

    return {"visit_schedule": visit_schedule(ds, on=on, preset=preset,
                                             alerts=[tuple(a) for a in alerts or []])}


def patrol_layers(ds: Dataset, *, start: str, end: str, teams: int = 1, preset: str | None = None,
                  alerts: list | None = None, per: str = "team", top: int | None = None) -> Layers:
    """``patrol_<per>``: the county's patrol calendar, weighted to high-risk times."""
    from geo.field.calendar import patrol_schedule
    from geo.water.pipeline import water_sites

    table = patrol_schedule(water_sites(ds), start=start, end=end, teams=teams, preset=preset,
                            alerts=[tuple(a) for a in alerts or []], per=per, top=top)
    return {f"patrol_{per}": table}


def staffing_layers(ds: Dataset) -> Layers:
    """``staffing``: child directors per village against the >30 children rule."""
    from geo.field.staffing import village_staffing

    return {"staffing": village_staffing(ds)}


@dataclass(frozen=True)
class Task:
    """A command as county tasks: the layers it reads, its analysis, how outputs are released.

    ``per_layer``: each output layer is released under its own name and a layer the role may
    not see is left out (else the outputs are released together under the task's name).
    Tasks named in :data:`TABLES` write one table (``OUT/<code>.csv`` through the one table
    writer) of those columns, not a GeoPackage.
    """

    name: str
    used: Callable[[], tuple[str, ...] | None]
    run: Callable[..., Layers]
    per_layer: bool = False

    @property
    def layers(self) -> tuple[str, ...] | None:
        """The layers a county task reads (``None``: all)."""
        return self.used()


def _water_used() -> tuple[str, ...]:
    from geo.water.pipeline import USED_LAYERS

    return tuple(USED_LAYERS)


COVERAGE_LAYERS = ("admin_units", "households", "children", "stations", "roads")


def _ALL() -> None:  # every layer
    return None


def _visit_columns() -> tuple[str, ...]:
    from geo.field.visits import EXPORT_COLUMNS

    return tuple(EXPORT_COLUMNS)


def _staffing_columns() -> tuple[str, ...]:
    from geo.field.staffing import COLUMNS
    from geo.privacy.disclosure import SUPPRESSED

    return (*COLUMNS, SUPPRESSED)

TASKS: dict[str, Task] = {
    "water": Task("water", _water_used, water_layers),
    "coverage": Task("coverage", lambda: COVERAGE_LAYERS, coverage_layers, per_layer=True),
    "site_stations": Task("proposed_stations", lambda: COVERAGE_LAYERS, station_layers),
    "station_curve": Task("station_curve", lambda: COVERAGE_LAYERS, station_curve_layers),
    "site_kits": Task("proposed_kits", _water_used, kit_layers),
    "kit_curve": Task("kit_curve", _water_used, kit_curve_layers),
    "visits": Task("visit_schedule", _ALL, visit_layers),
    "staffing": Task("staffing", _ALL, staffing_layers),
    "patrol_schedule": Task("patrol_schedule", _ALL, patrol_layers),
}
#: tasks writing one table, and its columns (``None``: all of them)
TABLES: dict[str, Callable[[], tuple[str, ...] | None]] = {
    "visits": _visit_columns, "staffing": _staffing_columns, "patrol_schedule": _ALL}


def release(user, task: Task, layers: Mapping[str, pd.DataFrame], ds: Dataset) -> Layers:
    """What ``user`` may see of a task's outputs, through ``geo.privacy.roles.filter_outputs``."""
    from geo.privacy.roles import filter_outputs
    from geo.store.errors import PermissionDenied

    if user is None or user.local:
        return dict(layers)
    if not task.per_layer and len(layers) == 1:  # one output: released by the task's name
        (name, frame), = layers.items()
        return {name: filter_outputs(user, task.name, frame, context=ds)}
    if not task.per_layer:
        return dict(filter_outputs(user, task.name, dict(layers), context=ds))
    shown: Layers = {}
    for name, frame in layers.items():
        try:
            shown[name] = filter_outputs(user, name, frame, context=ds)
        except PermissionDenied:
            continue
    return shown
