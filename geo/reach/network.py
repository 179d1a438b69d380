"""Routing network: roads as a scipy sparse graph, with point snapping and shortest paths.

Built from road lines by :mod:`geo.reach.roads` (once per dataset) and reused by coverage,
siting and patrol routing.

Model
-----
- **Nodes** are the roads' vertices and end points (coordinates equal to the millimetre are one
  node). Two roads meet only where they share a vertex: a road drawn across a river without a
  shared vertex does *not* connect, so rivers and canals are crossed only where a road (a
  bridge in the data) crosses them.
- **Edges** are the straight segments between consecutive vertices of a road, with their
  length in metres (the network lives in a metric CRS), the road's class and ``oneway`` flag.
- **Modes**: ``"walk"`` (undirected, ``settings.walk_speed_kmh`` on every class) and
  ``"drive"`` (``oneway`` roads only in their drawing direction, speeds
  ``settings.drive_speed_kmh`` by road class).
- **Weights**: ``"length"`` (metres) or ``"time"`` (seconds).

API
---
``geo.reach.roads.build_network(roads)``
    -> :class:`Network` (``roads`` a GeoDataFrame of lines in a metric CRS).
``geo.reach.roads.network_for_dataset(dataset)``
    Built once per dataset from its roads in its metric CRS.
``Network.graph(mode, weight)``
    ``scipy.sparse.csr_matrix`` (n x n), entry ``[i, j]`` the weight of travelling i -> j.
``Network.xy``
    (n, 2) node coordinates in ``Network.crs``.
``snap_points(network, points)`` / ``Network.snap_points(points)``
    -> :class:`Snap`: each point joined to the nearest point of the nearest edge, with the
    off-network leg and the partial lengths to both edge ends.
``Network.shortest_paths(from_nodes, mode=, weight=, limit=, min_only=)``
    Distances from nodes (``scipy.sparse.csgraph.dijkstra``).
``Network.distances_to_points(from_snap, to_snap, ...)``
    Point-to-point network distances including the off-network legs.
``Network.path_geometry(a, b, mode=, weight=)``
    The shortest path between two nodes as a LineString (``None`` if unreachable).
``Network.to_networkx(mode, weight)``
    The same graph as a ``networkx.DiGraph`` (for cross-checks).

Example
-------
>>> net = build_network(roads_metric)
>>> snap = net.snap_points(households.geometry)
>>> d = net.shortest_paths(snap.u[:3], mode="walk")   # (3, n) metres
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geo.store import settings
from geo.store.errors import CRSError, ValidationError

logger = logging.getLogger(__name__)

MODES = ("walk", "drive")
WEIGHTS = ("length", "time")


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
    past_fragment
        Whether the point's nearest road was a fragment (a small component that reaches no
        station, ``settings.road_fragment_max_nodes``) and it was joined to the nearest edge of
        a larger component instead.
    past_m
        For those points, how much longer their leg is than to the fragment, metres (NaN
        elsewhere).
    """

    edge: np.ndarray
    u: np.ndarray
    v: np.ndarray
    along: np.ndarray
    rest: np.ndarray
    offset: np.ndarray
    xy: np.ndarray
    past_fragment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    past_m: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def valid(self) -> np.ndarray:
        """Whether each point was joined (it had a geometry and the network has edges)."""
        return self.edge >= 0

    def fragment_summary(self) -> dict:
        """How many points were joined past a fragment, and how much further (metres)."""
        past = self.past_fragment if len(self.past_fragment) == len(self) else np.zeros(len(self), bool)
        gap = self.past_m[past] if past.any() else np.zeros(0)
        return {"points": int(len(self)), "past_fragment": int(past.sum()),
                "past_median_m": float(np.median(gap)) if len(gap) else 0.0,
                "past_max_m": float(gap.max()) if len(gap) else 0.0}


@dataclass
class Network:
    """A routing network (see the module docstring).

    Attributes
    ----------
    xy
        (n, 2) node coordinates, metres, in ``crs``.
    edge_u, edge_v
        End nodes of each edge (segment), in the road's drawing direction.
    edge_length
        Metres.
    edge_class
        Road class per edge (``ROAD_CLASSES``).
    edge_oneway
        Whether the edge may be driven only from ``u`` to ``v``.
    edge_road
        The ``road_id`` of the road each edge belongs to.
    crs
        The metric CRS of the coordinates.
    """

    xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_class: np.ndarray
    edge_oneway: np.ndarray
    edge_road: np.ndarray
    crs: object = None
    #: what the junction step did (:mod:`geo.reach.noding`): counts of joined ends, split edges
    junctions: dict = field(default_factory=dict)
    _graphs: dict = field(default_factory=dict, repr=False)
    _tree: object = field(default=None, repr=False)

    # --- basic facts -------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        """Number of edges (road segments)."""
        return len(self.edge_u)

    def edge_speed_kmh(self, mode: str) -> np.ndarray:
        """Speed on each edge in km/h for ``mode`` (from settings, read now)."""
        _check_mode(mode)
        if mode == "walk":
            return np.full(self.n_edges, float(settings.walk_speed_kmh))
        speeds = settings.drive_speed_kmh
        default = float(speeds.get("rural", 30.0))
        if "class_codes" not in self._graphs:  # road classes as codes, once
            self._graphs["class_codes"] = np.unique(self.edge_class.astype(str), return_inverse=True)
        names, codes = self._graphs["class_codes"]
        table = np.array([float(speeds.get(str(c), default)) for c in names])
        return table[codes.ravel()] if len(names) else np.empty(0)

    def edge_weight(self, mode: str, weight: str) -> np.ndarray:
        """Weight of each edge: metres (``"length"``) or seconds (``"time"``)."""
        _check_weight(weight)
        if weight == "length":
            return self.edge_length
        return self.edge_length / (self.edge_speed_kmh(mode) / 3.6)

    # --- graphs ------------------------------------------------------------------------------
    def graph(self, mode: str = "walk", weight: str = "length") -> sparse.csr_matrix:
        """Return the graph as a CSR matrix, entry ``[i, j]`` = weight of the move i -> j.

        Parallel edges keep the smallest weight. ``"walk"`` is symmetric; ``"drive"`` honours
        ``oneway``. Built on first use and kept (speeds are read from settings then).
        """
        _check_mode(mode)
        _check_weight(weight)
        key = (mode, weight, _speed_key(mode) if weight == "time" else None)
        if key not in self._graphs:
            self._graphs[key] = self._build_graph(mode, weight)
        return self._graphs[key]

    def _build_graph(self, mode: str, weight: str) -> sparse.csr_matrix:
        w = self.edge_weight(mode, weight)
        u, v = self.edge_u, self.edge_v
        back = np.ones(len(u), dtype=bool) if mode == "walk" else ~self.edge_oneway
        rows = np.concatenate([u, v[back]])
        cols = np.concatenate([v, u[back]])
        vals = np.concatenate([w, w[back]])
        return _min_csr(rows, cols, vals, self.n_nodes)

    def edge_directions(self, mode: str) -> tuple[np.ndarray, np.ndarray]:
        """Whether each edge can be travelled forwards (u->v) and backwards (v->u) in ``mode``."""
        fwd = np.ones(self.n_edges, dtype=bool)
        back = fwd.copy() if mode == "walk" else ~self.edge_oneway
        return fwd, back

    # --- snapping ----------------------------------------------------------------------------
    def _segment_tree(self) -> shapely.STRtree:
        if self._tree is None:
            segs = shapely.linestrings(
                np.stack([self.xy[self.edge_u], self.xy[self.edge_v]], axis=1)
            )
            self._tree = shapely.STRtree(segs)
        return self._tree  # type: ignore[return-value]

    def snap_points(self, points, *, past_fragments: bool = True) -> Snap:
        """Join points to the nearest point of the nearest edge (see :func:`snap_points`)."""
        return snap_points(self, points, past_fragments=past_fragments)

    # --- components --------------------------------------------------------------------------
    def components(self) -> np.ndarray:
        """Connected component of each node (walking, i.e. ignoring one-way), largest = 0."""
        if "components" not in self._graphs:
            if self.n_nodes == 0:
                self._graphs["components"] = np.zeros(0, dtype=np.int64)
            else:
                _, lab = csgraph.connected_components(self.graph("walk", "length"), directed=False)
                sizes = np.bincount(lab)
                rank = np.empty(len(sizes), dtype=np.int64)  # relabel by size, largest first
                rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
                self._graphs["components"] = rank[lab]
        return self._graphs["components"]

    def fragment_edges(self, max_nodes: int | None = None) -> np.ndarray:
        """Whether each edge lies on a fragment: a component other than the largest with fewer
        than ``max_nodes`` nodes (``settings.road_fragment_max_nodes``)."""
        limit = int(settings.road_fragment_max_nodes if max_nodes is None else max_nodes)
        comp = self.components()
        if self.n_edges == 0:
            return np.zeros(0, dtype=bool)
        sizes = np.bincount(comp)
        frag_comp = (sizes < limit) & (np.arange(len(sizes)) > 0)
        return frag_comp[comp[self.edge_u]]

    # --- shortest paths ----------------------------------------------------------------------
    def shortest_paths(
        self,
        from_nodes: Sequence[int] | np.ndarray,
        *,
        mode: str = "walk",
        weight: str = "length",
        limit: float = np.inf,
        min_only: bool = False,
        reverse: bool = False,
        return_predecessors: bool = False,
    ):
        """Return shortest-path weights from ``from_nodes`` to every node.

        Parameters
        ----------
        from_nodes
            Node indices.
        mode, weight
            Travel mode and weight (metres or seconds).
        limit
            Stop searching beyond this weight (unreached nodes are ``inf``).
        min_only
            One multi-source pass: an (n,) array of the weight from the nearest source.
        reverse
            Weights *to* ``from_nodes`` instead of from them (matters for one-way roads).
        return_predecessors
            Also return predecessors (and, with ``min_only``, the source of each node), as
            ``scipy.sparse.csgraph.dijkstra`` does.

        Returns
        -------
        numpy.ndarray or tuple
            (k, n) weights, or (n,) with ``min_only``.
        """
        g = self.graph(mode, weight)
        if reverse:
            g = g.T.tocsr()
        idx = np.asarray(from_nodes, dtype=np.int64)
        return csgraph.dijkstra(
            g,
            directed=True,
            indices=idx,
            limit=limit,
            min_only=min_only,
            return_predecessors=return_predecessors,
        )

    def nearest_source(
        self,
        snap: Snap,
        *,
        mode: str = "walk",
        weight: str = "length",
        limit: float = np.inf,
        reverse: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One multi-source pass from snapped source points (e.g. stations).

        Each source point becomes a virtual node joined to its edge's two ends by the partial
        lengths plus its off-network leg (the leg is weighed at walking speed for ``"time"``).

        Parameters
        ----------
        snap
            The sources, snapped.
        reverse
            Weights from each node *to* the nearest source (travel towards the stations), the
            default; ``False``: from the sources outwards.

        Returns
        -------
        dist : numpy.ndarray
            (n,) weight from each node to its nearest source (``inf`` if none is reachable).
        source : numpy.ndarray
            (n,) index into ``snap`` of that source (-1 if none).
        """
        n = self.n_nodes
        ok = np.flatnonzero(snap.valid)
        if len(ok) == 0:
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        w_u, w_v = self.partial_weights(snap, mode=mode, weight=weight)
        fwd, back = self.edge_directions(mode)
        e = snap.edge[ok]
        k = len(ok)
        virt = n + np.arange(k)
        # travelling from a node to the source point: u -> point needs the forward direction,
        # v -> point needs the backward direction (and vice versa when leaving the source)
        if reverse:
            can_u, can_v = fwd[e], back[e]
        else:
            can_u, can_v = back[e], fwd[e]
        rows = [virt[can_u], virt[can_v]]
        cols = [snap.u[ok][can_u], snap.v[ok][can_v]]
        vals = [w_u[ok][can_u], w_v[ok][can_v]]
        # when reversed, search outward from the virtual nodes over reversed edges
        aug = self._augmented(self._directed(mode, weight, reverse), rows, cols, vals, k)
        dist, _pred, src = csgraph.dijkstra(
            aug, directed=True, indices=virt, limit=limit, min_only=True, return_predecessors=True
        )
        dist = dist[:n]
        src = src[:n]
        source = np.where(src >= n, ok[np.clip(src - n, 0, k - 1)], -1)
        source[~np.isfinite(dist)] = -1
        return dist, source

    def _directed(self, mode: str, weight: str, reverse: bool) -> sparse.csr_matrix:
        """The graph, or its transpose (edges reversed), kept once built."""
        if not reverse or mode == "walk":
            return self.graph(mode, weight)
        key = ("reverse", mode, weight, _speed_key(mode) if weight == "time" else None)
        if key not in self._graphs:
            self._graphs[key] = self.graph(mode, weight).T.tocsr()
        return self._graphs[key]

    @staticmethod
    def _augmented(g: sparse.csr_matrix, rows, cols, vals, k: int) -> sparse.csr_matrix:
        """``g`` with ``k`` virtual nodes appended whose out-edges are (rows - n, cols, vals)."""
        n = g.shape[0]
        r = np.concatenate(rows) - n
        c = np.concatenate(cols)
        v = np.concatenate(vals)
        virt = _min_csr(r, c, v, max(k, 1), n + k)[:k]
        top = sparse.csr_matrix((g.data, g.indices, g.indptr), shape=(n, n + k))
        return sparse.vstack([top, virt], format="csr")

    def partial_weights(
        self, snap: Snap, *, mode: str = "walk", weight: str = "length"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weights from each snapped point to its edge's ``u`` and ``v`` ends, legs included.

        The off-network leg is weighed at walking speed for ``"time"`` (people walk from the
        house to the road).
        """
        e = np.where(snap.valid, snap.edge, 0)
        if weight == "length":
            f = np.ones(len(e))
            leg = snap.offset
        else:
            speed = self.edge_speed_kmh(mode) / 3.6 if self.n_edges else np.ones(1)
            f = 1.0 / speed[e]
            leg = snap.offset / (float(settings.walk_speed_kmh) / 3.6)
        wu = leg + snap.along * f
        wv = leg + snap.rest * f
        bad = ~snap.valid
        wu[bad] = np.inf
        wv[bad] = np.inf
        return wu, wv

    def point_weights(
        self,
        snap: Snap,
        node_dist: np.ndarray,
        *,
        mode: str = "walk",
        weight: str = "length",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weight from each snapped point to the nearest target, given node weights.

        ``node_dist`` is (n,) (e.g. from :meth:`nearest_source`) or (k, n) for k targets.
        Returns the weight and which edge end was used (0 = ``u``, 1 = ``v``).
        """
        wu, wv = self.partial_weights(snap, mode=mode, weight=weight)
        fwd, back = self.edge_directions(mode)
        e = np.where(snap.valid, snap.edge, 0)
        # leaving the point towards u needs the backward direction, towards v the forward one
        wu = np.where(back[e], wu, np.inf) if self.n_edges else wu
        wv = np.where(fwd[e], wv, np.inf) if self.n_edges else wv
        du = node_dist[..., snap.u] + wu
        dv = node_dist[..., snap.v] + wv
        use_v = dv < du
        return np.where(use_v, dv, du), use_v.astype(np.int8)

    def same_edge_weights(
        self, a: Snap, b: Snap, *, mode: str = "walk", weight: str = "length"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Direct weights between points of ``a`` and ``b`` that lie on the same edge.

        Returns ``(i, j, w)``: index into ``a``, index into ``b``, weight of travelling from
        ``a[i]`` to ``b[j]`` along their shared edge (legs included) where that is allowed.
        """
        ai = np.flatnonzero(a.valid)
        bj = np.flatnonzero(b.valid)
        left = pd.DataFrame({"i": ai, "edge": a.edge[ai]})
        right = pd.DataFrame({"j": bj, "edge": b.edge[bj]})
        m = left.merge(right, on="edge")
        if m.empty:
            return (np.empty(0, np.int64),) * 2 + (np.empty(0),)  # type: ignore[return-value]
        i = m["i"].to_numpy()
        j = m["j"].to_numpy()
        e = m["edge"].to_numpy()
        delta = b.along[j] - a.along[i]  # > 0: b lies towards v
        fwd, back = self.edge_directions(mode)
        allowed = np.where(delta >= 0, fwd[e], back[e])
        if weight == "length":
            w = a.offset[i] + np.abs(delta) + b.offset[j]
        else:
            walk = float(settings.walk_speed_kmh) / 3.6
            w = (a.offset[i] + b.offset[j]) / walk + np.abs(delta) / (
                self.edge_speed_kmh(mode)[e] / 3.6
            )
        return i[allowed], j[allowed], w[allowed]

    def path_geometry(
        self, a: int, b: int, *, mode: str = "walk", weight: str = "length"
    ) -> shapely.LineString | None:
        """Return the shortest path from node ``a`` to node ``b`` as a LineString.

        ``None`` when ``b`` cannot be reached; a zero-length path is a two-point line at ``a``.
        """
        dist, pred = csgraph.dijkstra(
            self.graph(mode, weight), directed=True, indices=int(a), return_predecessors=True
        )
        if not np.isfinite(dist[b]):
            return None
        nodes = [int(b)]
        while nodes[-1] != a:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        if len(nodes) == 1:
            nodes = nodes * 2
        return shapely.LineString(self.xy[nodes])

    def path_nodes(self, a: int, b: int, *, mode: str = "walk", weight: str = "length") -> list[int]:
        """Node indices of the shortest path from ``a`` to ``b`` (empty if unreachable)."""
        dist, pred = csgraph.dijkstra(
            self.graph(mode, weight), directed=True, indices=int(a), return_predecessors=True
        )
        if not np.isfinite(dist[b]):
            return []
        nodes = [int(b)]
        while nodes[-1] != a:
            nodes.append(int(pred[nodes[-1]]))
        return nodes[::-1]

    def to_networkx(self, mode: str = "walk", weight: str = "length"):
        """Return the graph as a ``networkx.DiGraph`` with the weight as edge attribute ``weight``

        and node attributes ``x``, ``y``.
        """
        import networkx as nx

        g = self.graph(mode, weight).tocoo()
        out = nx.DiGraph()
        out.add_nodes_from(
            (i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(self.xy)
        )
        out.add_weighted_edges_from(zip(g.row.tolist(), g.col.tolist(), g.data.tolist(), strict=True))
        return out

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """Nodes as a GeoDataFrame of points (index = node index)."""
        return gpd.GeoDataFrame(geometry=shapely.points(self.xy), crs=self.crs)

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """Edges as a GeoDataFrame of two-point lines."""
        segs = shapely.linestrings(np.stack([self.xy[self.edge_u], self.xy[self.edge_v]], axis=1))
        return gpd.GeoDataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "length": self.edge_length,
                "road_class": self.edge_class,
                "oneway": self.edge_oneway,
                "road_id": self.edge_road,
            },
            geometry=segs,
            crs=self.crs,
        )


def _min_csr(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int, m: int | None = None
) -> sparse.csr_matrix:
    """An n x m CSR matrix keeping the smallest of duplicate entries (scipy would sum them).

    Zero weights become 1e-9 m (csgraph would not see an explicit zero as an edge).
    """
    m = n if m is None else m
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    vals = np.where(np.asarray(vals, dtype=float) > 0, vals, 1e-9)
    if len(rows) == 0:
        return sparse.csr_matrix((n, m))
    key = rows * m + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    data = np.minimum.reduceat(vals[order], starts)
    key = key[starts]
    r = key // m
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return sparse.csr_matrix((data, (key - r * m).astype(np.int32 if m < 2**31 else np.int64),
                              indptr), shape=(n, m))


# --- snapping ------------------------------------------------------------------------------


def snap_points(network: Network, points, *, past_fragments: bool = True) -> Snap:
    """Join points to the nearest point of the nearest edge of ``network``.

    Parameters
    ----------
    network
        The network.
    points
        A GeoSeries / array of shapely Points, or an (k, 2) coordinate array, in the
        network's CRS (a GeoSeries in another CRS raises :class:`~geo.store.errors.CRSError`).
    past_fragments
        A point whose nearest edge lies on a fragment (:meth:`Network.fragment_edges`: a small
        piece of road connected to nothing) is joined to the nearest edge of a larger component
        instead, and counted in ``past_fragment`` / ``past_m``: from a fragment no station can
        be reached, so the point would get no distance at all.

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
    past = np.zeros(k, dtype=bool)
    past_m = np.full(k, np.nan)
    if past_fragments and network.n_edges and k:
        frag = network.fragment_edges()
        on_frag = np.flatnonzero((edge >= 0) & frag[np.maximum(edge, 0)])
        if len(on_frag) and not frag.all():
            main = np.flatnonzero(~frag)
            if "main_tree" not in network._graphs:
                segs = shapely.linestrings(
                    np.stack([network.xy[network.edge_u[main]], network.xy[network.edge_v[main]]], axis=1)
                )
                network._graphs["main_tree"] = shapely.STRtree(segs)
            before = tree.geometries.take(edge[on_frag])
            hit = network._graphs["main_tree"].query_nearest(geoms[on_frag], all_matches=False)
            near = main[hit[1]]
            past[on_frag[hit[0]]] = True
            after = network._graphs["main_tree"].geometries.take(hit[1])
            past_m[on_frag[hit[0]]] = (shapely.distance(geoms[on_frag[hit[0]]], after)
                                       - shapely.distance(geoms[on_frag[hit[0]]], before[hit[0]]))
            edge[on_frag[hit[0]]] = near
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
    if network.n_edges and past.any() and settings.log_summaries:
        logger.info("snap: %d of %d points joined past a road fragment (median %.0f m further)",
                    int(past.sum()), k, float(np.nanmedian(past_m[past])))
    return Snap(edge=edge, u=u, v=v, along=along, rest=rest, offset=offset, xy=proj,
                past_fragment=past, past_m=past_m)


# --- helpers ---------------------------------------------------------------------------------


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValidationError(f"travel mode must be one of {MODES}, not {mode!r}")


def _check_weight(weight: str) -> None:
    if weight not in WEIGHTS:
        raise ValidationError(f"weight must be one of {WEIGHTS}, not {weight!r}")


def _speed_key(mode: str):
    if mode == "walk":
        return float(settings.walk_speed_kmh)
    return tuple(sorted((k, float(v)) for k, v in settings.drive_speed_kmh.items()))
