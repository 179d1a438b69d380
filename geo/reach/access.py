"""Access: each child's distance and travel time to the nearest station of each level.

One multi-source shortest-path pass per station level (``scipy.sparse.csgraph.dijkstra`` with
``min_only=True`` from a virtual node per station): never one search per station or per child.
Children are placed at their household; households and stations join the road network at the
nearest point of the nearest road segment, and the off-network legs count (see
:mod:`geo.reach.network`). Straight-line distance is the alternative ``metric="euclidean"``.

A child is *covered* by a level when the distance is within that level's service standard
(``settings.service_standard``: metres and travel mode per level).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.reach.network import Network, Snap
from geo.reach.roads import network_for_dataset
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import MissingLayerError, SettingsError
from geo.store.schema import STATION_KIND_LEVEL, STATION_LEVELS
from geo.store.withheld import require_full

logger = logging.getLogger(__name__)

METRICS = ("network", "euclidean")
ACCESS_COLUMNS = ["child_id", "household_id", "level", "station_id", "distance_m", "time_min", "covered"]


def service_standards(standards: dict | None = None) -> dict[str, tuple[float, str]]:
    """Return the service standard (metres, mode) per level, checked (settings by default)."""
    std = dict(settings.service_standard if standards is None else standards)
    problems = []
    for level, value in std.items():
        try:
            dist, mode = value
            if float(dist) <= 0 or mode not in ("walk", "drive"):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{level}: {value!r}")
    if problems:
        raise SettingsError(
            "service standards must be (metres > 0, 'walk' or 'drive'): " + "; ".join(problems)
        )
    return {k: (float(v[0]), str(v[1])) for k, v in std.items()}


def stations_of_level(stations: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Stations of ``level`` with a geometry (an empty level falls back to the kind's level)."""
    if len(stations) == 0:
        return stations
    lv = stations["level"].astype(object).where(stations["level"].notna(), None)
    lv = lv.fillna(stations["kind"].astype(object).map(STATION_KIND_LEVEL))
    keep = (lv == level).to_numpy() & ~(stations.geometry.isna() | stations.geometry.is_empty).to_numpy()
    return stations[keep]


def household_access(
    households: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    level: str,
    network: Network | None = None,
    metric: str | None = None,
    standards: dict | None = None,
    household_snap: Snap | None = None,
) -> pd.DataFrame:
    """Return each household's distance and time to the nearest station of ``level``.

    Parameters
    ----------
    households, stations
        Points in one metric CRS (``stations`` may hold every level; only ``level`` is used).
    level
        Station level (``village``, ``township``, ``county``, ``school``).
    network
        The routing network (needed for ``metric="network"``).
    metric
        ``"network"`` or ``"euclidean"`` (default ``settings.coverage_metric``).
    standards
        Service standards (default ``settings.service_standard``).
    household_snap
        The households already snapped to ``network`` (saves snapping once per level).

    Returns
    -------
    pandas.DataFrame
        Index of ``households``; columns ``station_id`` (nearest by distance; missing when none
        is reachable), ``distance_m``, ``time_min`` (to the quickest station of the level),
        ``covered`` (distance within the standard).
    """
    metric = _check_metric(metric)
    std = service_standards(standards)
    if level not in std:
        raise SettingsError(f"no service standard for station level {level!r}")
    radius, mode = std[level]
    st = stations_of_level(stations, level)
    n = len(households)
    dist = np.full(n, np.inf)
    time_s = np.full(n, np.inf)
    which = np.full(n, -1, dtype=np.int64)
    if len(st) and n:
        if metric == "euclidean":
            hxy = _xy(households)
            ok = np.isfinite(hxy).all(axis=1)
            d, j = cKDTree(_xy(st)).query(hxy[ok])
            dist[ok], which[ok] = d, j
            speed = settings.walk_speed_kmh if mode == "walk" else _euclid_drive_speed()
            time_s = dist / (float(speed) / 3.6)
        else:
            if network is None:
                raise SettingsError('metric="network" needs a routing network')
            hs = household_snap if household_snap is not None else network.snap_points(households.geometry)
            ss = network.snap_points(st.geometry)
            dist, which = _network_nearest(network, hs, ss, mode=mode, weight="length")
            if mode == "walk":  # one speed everywhere (legs too): the nearest is the quickest
                time_s = dist / (float(settings.walk_speed_kmh) / 3.6)
            else:
                time_s, _ = _network_nearest(network, hs, ss, mode=mode, weight="time")
    sid = st["station_id"].astype(object).to_numpy() if len(st) else np.empty(0, dtype=object)
    station_id = np.full(n, None, dtype=object)
    found = which >= 0
    station_id[found] = sid[which[found]]
    out = pd.DataFrame(
        {
            "station_id": pd.array(station_id, dtype="string"),
            "distance_m": np.where(np.isfinite(dist), dist, np.nan),
            "time_min": np.where(np.isfinite(time_s), time_s / 60.0, np.nan),
            "covered": dist <= radius,
        },
        index=households.index,
    )
    return out


def _network_nearest(
    network: Network, hs: Snap, ss: Snap, *, mode: str, weight: str
) -> tuple[np.ndarray, np.ndarray]:
    """Weight from each snapped household to its nearest snapped station, and which station."""
    node_d, node_src = network.nearest_source(ss, mode=mode, weight=weight, reverse=True)
    d, use_v = network.point_weights(hs, node_d, mode=mode, weight=weight)
    end = np.where(use_v == 1, hs.v, hs.u)
    which = np.where(np.isfinite(d), node_src[end], -1)
    # a household and a station on the same road segment: straight along it
    i, j, w = network.same_edge_weights(hs, ss, mode=mode, weight=weight)
    if len(i):
        better = w < d[i]
        i, j, w = i[better], j[better], w[better]
        order = np.argsort(-w)  # the smallest written last wins
        d[i[order]] = w[order]
        which[i[order]] = j[order]
    which[~hs.valid] = -1
    d[~hs.valid] = np.inf
    return d, which


def child_access(
    dataset: Dataset,
    *,
    levels: Iterable[str] | None = None,
    metric: str | None = None,
    standards: dict | None = None,
    network: Network | None = None,
) -> pd.DataFrame:
    """Return every child's access to the nearest station of each level.

    Parameters
    ----------
    dataset
        A dataset with ``households``, ``children`` and ``stations`` (and ``roads`` for the
        network metric); any CRS (projected to its metric CRS here).
    levels
        Station levels (default: every level with a service standard).
    metric
        ``"network"`` (default ``settings.coverage_metric``) or ``"euclidean"``.
    standards
        Service standards per level (default ``settings.service_standard``).
    network
        A prebuilt network (default: :func:`geo.reach.roads.network_for_dataset`, cached).

    Returns
    -------
    pandas.DataFrame
        One row per child and level: ``child_id``, ``household_id``, ``level``, ``station_id``,
        ``distance_m`` (metres), ``time_min`` (minutes), ``covered`` (bool). Children whose
        household has no location, or with no station of a level, are not covered.
    """
    metric = _check_metric(metric)
    std = service_standards(standards)
    levels = list(levels) if levels is not None else [lv for lv in STATION_LEVELS if lv in std]
    unknown = [lv for lv in levels if lv not in std]
    if unknown:
        raise SettingsError(f"no service standard for station level(s) {unknown}")
    require_full(dataset, "households", "children", task="station coverage")
    need = [name for name in ("households", "children") if name not in dataset]
    if need:
        raise MissingLayerError(need, "station coverage")
    mds = dataset.metric()
    households = mds["households"]
    stations = mds["stations"]
    if metric == "network" and network is None:
        network = network_for_dataset(dataset)
    hsnap = network.snap_points(households.geometry) if metric == "network" and network else None
    children = mds["children"][["child_id", "household_id"]]
    hid = households["household_id"].astype(object).to_numpy()
    pos = pd.Series(np.arange(len(households)), index=pd.Index(hid)).groupby(level=0).first()
    child_pos = pos.reindex(children["household_id"].astype(object).to_numpy()).to_numpy()
    frames = []
    for level in levels:
        ha = household_access(
            households, stations, level=level, network=network, metric=metric,
            standards=std, household_snap=hsnap,
        ).reset_index(drop=True)
        found = ~np.isnan(child_pos)
        idx = np.where(found, child_pos, 0).astype(np.int64)
        part = ha.iloc[idx].reset_index(drop=True)
        part.loc[~found, "station_id"] = pd.NA
        part.loc[~found, ["distance_m", "time_min"]] = np.nan
        part.loc[~found, "covered"] = False
        part.insert(0, "level", level)
        part.insert(0, "household_id", children["household_id"].to_numpy())
        part.insert(0, "child_id", children["child_id"].to_numpy())
        frames.append(part)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ACCESS_COLUMNS)
    out["level"] = out["level"].astype("string")
    out["child_id"] = out["child_id"].astype("string")
    out["household_id"] = out["household_id"].astype("string")
    out["covered"] = out["covered"].astype(bool)
    if hsnap is not None:  # how many homes were joined past a road fragment, and how far
        out.attrs["households_snap"] = hsnap.fragment_summary()
    if settings.log_summaries and len(children):
        parts = [
            f"{lv} {100 * out.loc[out['level'] == lv, 'covered'].mean():.1f}%" for lv in levels
        ]
        logger.info("coverage (%s): %d children; %s", metric, len(children), ", ".join(parts))
    final = out[ACCESS_COLUMNS]
    final.attrs.update(out.attrs)
    return final


def _check_metric(metric: str | None) -> str:
    metric = settings.coverage_metric if metric is None else metric
    if metric not in METRICS:
        raise SettingsError(f"metric must be one of {METRICS}, not {metric!r}")
    return metric


def _euclid_drive_speed() -> float:
    """Straight-line time by road: at the rural-road speed (assumption, see docs)."""
    return float(settings.drive_speed_kmh.get("rural", 30.0))


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    geoms = frame.geometry
    out = np.full((len(frame), 2), np.nan)
    ok = ~(geoms.isna() | geoms.is_empty).to_numpy()
    if ok.any():
        out[ok, 0] = geoms[ok].x.to_numpy()
        out[ok, 1] = geoms[ok].y.to_numpy()
    return out
