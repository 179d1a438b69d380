"""From road lines to a routing network: nodes, segments, road classes and one-way flags.

:func:`build_network` turns a layer of road lines (in a metric CRS) into a
:class:`~geo.reach.network.Network`; :func:`network_for_dataset` does it once per dataset, from
the dataset's roads in its metric CRS.

Model: the roads' vertices and end points are the nodes (coordinates equal to the millimetre
are one node). Junctions are made first (:mod:`geo.reach.noding`): an end point on or within
``settings.road_join_tolerance_m`` of another road is joined to it (its edge split there), while
roads that merely cross mid-segment stay apart (over- and underpasses) unless their ``junctions``
rule says the source is planar; OSM roads (``junctions = "nodes"``) meet at shared nodes only.
So a road drawn across a river without touching the bank roads does *not* connect, and rivers
and canals are crossed only where a road (a bridge in the data) crosses them. Each straight
segment between consecutive vertices is an edge with its length in metres, its road's class and
``oneway`` flag.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.reach.network import Network
from geo.reach.noding import JUNCTION_RULES, node_lines
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import CRSError, MissingLayerError, SettingsError, ValidationError

logger = logging.getLogger(__name__)


def build_network(
    roads: gpd.GeoDataFrame,
    *,
    precision_m: float = 0.001,
    tolerance_m: float | None = None,
    junctions: str | None = None,
) -> Network:
    """Build the routing network from road lines.

    Parameters
    ----------
    roads
        Lines (``LineString`` / ``MultiLineString``) in a metric CRS with columns
        ``road_class`` and ``oneway`` (``road_id``, ``junctions`` and ``road_level`` optional).
    precision_m
        Vertices closer than this (after rounding) are one node, metres.
    tolerance_m
        End points within this distance of another road are joined to it
        (``settings.road_join_tolerance_m`` when ``None``; 0 joins shared vertices only).
    junctions
        The junction rule of roads without a ``junctions`` value (``settings.road_junctions``
        when ``None``; see :mod:`geo.reach.noding`).

    Returns
    -------
    Network
    """
    if roads.crs is None:
        raise CRSError("the roads have no CRS")
    if not roads.crs.is_projected:
        raise CRSError("build_network needs roads in a metric CRS (use geo.store.projection)")
    geoms = roads.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad_type = keep & ~np.isin(shapely.get_type_id(geoms), [1, 5])
    if bad_type.any():
        rows = np.flatnonzero(bad_type)[:10].tolist()
        raise ValidationError(f"roads must be lines; rows {rows} are not")
    kept = geoms[keep]
    if (shapely.get_type_id(kept) == 1).all():  # plain lines: no parts to split
        parts, part_idx = kept, np.arange(len(kept))
    else:
        parts, part_idx = shapely.get_parts(kept, return_index=True)
    road_rows = np.flatnonzero(keep)[part_idx]
    n_lines = len(parts)
    tol = float(settings.road_join_tolerance_m if tolerance_m is None else tolerance_m)
    rule = str(settings.road_junctions if junctions is None else junctions)
    if rule not in JUNCTION_RULES or not np.isfinite(tol) or tol < 0:
        raise SettingsError(
            f"road junctions must be one of {JUNCTION_RULES} and the join tolerance a distance >= 0, "
            f"not {rule!r} / {tol!r}"
        )
    if "junctions" in roads.columns:
        rules = _column(roads, "junctions", rule).astype(str).to_numpy(dtype=object)[road_rows]
        unknown = sorted(set(rules) - set(JUNCTION_RULES))
        if unknown:
            raise ValidationError(f"roads: unknown junctions value(s) {unknown}; use one of {JUNCTION_RULES}")
    else:
        rules = np.full(n_lines, rule, dtype=object)
    if "road_level" in roads.columns:
        layers = pd.to_numeric(roads["road_level"], errors="coerce").fillna(0)
        layers = layers.to_numpy(dtype=float).astype(np.int64)[road_rows]
    else:
        layers = np.zeros(n_lines, dtype=np.int64)
    noded = node_lines(np.asarray(parts), rules=rules, layers=layers, tolerance=tol,
                       precision=precision_m)
    coords, line_idx = noded.coords, noded.line_idx
    if len(coords) == 0:
        empty = np.empty(0, dtype=np.int64)
        return Network(
            xy=np.empty((0, 2)), edge_u=empty, edge_v=empty, edge_length=np.empty(0),
            edge_class=np.empty(0, dtype=object), edge_oneway=np.empty(0, dtype=bool),
            edge_road=np.empty(0, dtype=object), crs=roads.crs,
        )
    key = np.round(coords[:, :2] / precision_m).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    if float(span[0]) * float(span[1]) < 2**62:  # one int64 per vertex: a fast 1-D unique
        uniq, node = np.unique(key[:, 0] * span[1] + key[:, 1], return_inverse=True)
    else:
        uniq, node = np.unique(key, axis=0, return_inverse=True)
    node = node.ravel()
    # node coordinates: the first vertex seen for each node
    first = np.full(len(uniq), -1, dtype=np.int64)
    order = np.arange(len(node))[::-1]
    first[node[order]] = order
    xy = coords[first]
    # segments between consecutive vertices of the same line
    same = line_idx[1:] == line_idx[:-1]
    a = node[:-1][same]
    b = node[1:][same]
    seg_line = line_idx[:-1][same]
    nonzero = a != b
    a, b, seg_line = a[nonzero], b[nonzero], seg_line[nonzero]
    length = np.hypot(*(coords[1:][same][nonzero] - coords[:-1][same][nonzero]).T)
    rows = road_rows[seg_line]
    cls = _column(roads, "road_class", "rural").to_numpy(dtype=object)[rows]
    oneway = _column(roads, "oneway", False).fillna(False).astype(bool).to_numpy()[rows]
    if "road_id" in roads.columns:
        rid = roads["road_id"].astype(object).to_numpy()[rows]
    else:
        rid = np.asarray(roads.index, dtype=object)[rows]
    net = Network(
        xy=xy, edge_u=a.astype(np.int64), edge_v=b.astype(np.int64), edge_length=length,
        edge_class=cls, edge_oneway=oneway, edge_road=rid, crs=roads.crs,
    )
    net.junctions = {"moved_ends": noded.moved, "split_points": noded.inserted,
                     "joined_crossings": noded.crossings, "tolerance_m": tol}
    logger.info(
        "network: %d roads (%d lines) -> %d nodes, %d edges, %.1f km; %d end points joined, "
        "%d edges split, %d crossings joined",
        len(roads), n_lines, net.n_nodes, net.n_edges, length.sum() / 1000, noded.moved,
        noded.inserted, noded.crossings,
    )
    return net


def _column(frame: pd.DataFrame, name: str, default) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(object).where(frame[name].notna(), default)
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def network_for_dataset(dataset: Dataset) -> Network:
    """Return the routing network of ``dataset``'s roads in its metric CRS, built once per dataset.

    The network is kept with the dataset (:meth:`~geo.store.dataset.Dataset.cached`) until its
    roads are written again, so the analyses of one run share it.

    Raises
    ------
    MissingLayerError
        If the dataset has no roads.
    """
    if "roads" not in dataset:
        raise MissingLayerError(["roads"], "a routing network")
    metric = dataset.metric()
    return metric.cached("network", lambda: build_network(metric["roads"]))
