"""Snapping: join points (homes, stations, candidate sites) to the nearest point of a road network.

A :class:`Snap` holds, per point, the edge it joins, the edge's end nodes, the partial lengths to
both ends and the straight off-network leg, so network distances between points can be
completed exactly at both ends (:class:`geo.reach.network.Network`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from geo.store.errors import CRSError

if TYPE_CHECKING:
    from geo.reach.network import Network


@dataclass
class Snap:
    """Points joined to a network: each at the nearest point of its nearest edge.

    Attributes
    ----------
    edge
        Edge index per point (-1 where a point has no geometry).
    u, v
        The edge's end nodes (``u`` the start in the road's drawing direction).
    along
        Distance from ``u`` to the joining point along the edge, metres.
    rest
        Distance from the joining point to ``v``, metres (``along + rest`` = edge length).
    offset
        The off-network leg: straight distance from the point to the joining point, metres.
    xy
        (k, 2) coordinates of the joining points.
    """

    edge: np.ndarray
    u: np.ndarray
    v: np.ndarray
    along: np.ndarray
    rest: np.ndarray
    offset: np.ndarray
    xy: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def valid(self) -> np.ndarray:
        """Whether each point was joined (it had a geometry and the network has edges)."""
        return self.edge >= 0


def snap_points(network: Network, points) -> Snap:
    """Join points to the nearest point of the nearest edge of ``network``.

    Parameters
    ----------
    network
        The network.
    points
        A GeoSeries / array of shapely Points, or an (k, 2) coordinate array, in the
        network's CRS (a GeoSeries in another CRS raises :class:`~geo.store.errors.CRSError`).

    Returns
    -------
    Snap
        Edge, end nodes, partial lengths and off-network leg per point (exact: an STRtree
        over the edge segments finds the nearest segment, the point is projected on it).
    """
    if isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame):
        if points.crs is not None and network.crs is not None and points.crs != network.crs:
            raise CRSError("points and network are in different CRSs")
        geoms = np.asarray(points.geometry if isinstance(points, gpd.GeoDataFrame) else points)
    elif isinstance(points, np.ndarray) and points.ndim == 2 and points.shape[1] == 2:
        geoms = shapely.points(points)
    else:
        geoms = np.asarray(points, dtype=object)
    k = len(geoms)
    edge = np.full(k, -1, dtype=np.int64)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms) if k else np.empty(0, bool)
    pxy = np.full((k, 2), np.nan)
    if k and (~missing).any():
        pxy[~missing] = shapely.get_coordinates(geoms[~missing])[:, :2]
    if network.n_edges and k:
        ok = np.flatnonzero(~missing)
        tree = network._segment_tree()
        if len(ok):
            hit = tree.query_nearest(geoms[ok], all_matches=False)
            edge[ok[hit[0]]] = hit[1]
    valid = edge >= 0
    e = np.where(valid, edge, 0)
    if network.n_edges:
        a = network.xy[network.edge_u[e]]
        b = network.xy[network.edge_v[e]]
        d = b - a
        l2 = np.einsum("ij,ij->i", d, d)
        t = np.clip(np.einsum("ij,ij->i", np.nan_to_num(pxy) - a, d) / np.where(l2 > 0, l2, 1), 0, 1)
        proj = a + t[:, None] * d
        length = network.edge_length[e]
        u, v = network.edge_u[e], network.edge_v[e]
    else:
        t = np.zeros(k)
        proj = np.full((k, 2), np.nan)
        length = np.zeros(k)
        u = v = np.zeros(k, dtype=np.int64)
    offset = np.hypot(*(np.nan_to_num(pxy) - proj).T) if k else np.empty(0)
    along = t * length
    rest = length - along
    for arr in (along, rest, offset):
        arr[~valid] = np.inf
    proj[~valid] = np.nan
    return Snap(edge=edge, u=u, v=v, along=along, rest=rest, offset=offset, xy=proj)
