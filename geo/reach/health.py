"""Network health: what in a road layer will make distances wrong, so a county can fix it.

:func:`network_health` reports, for a built :class:`~geo.reach.network.Network`:

- **components**: how many connected pieces the roads form, the sizes of the largest, and the
  *fragments* (pieces other than the largest with fewer than ``settings.road_fragment_max_nodes``
  nodes: points snap past them, :func:`geo.reach.network.snap_points`);
- **dead ends**: nodes with one neighbour (a road that stops: normal at a farm track, suspicious
  next to another road);
- **near misses**: dead ends within ``settings.road_near_miss_m`` of another road they do not
  meet (beyond the join tolerance, not a few steps away along the network): likely a junction
  drawn short, to be fixed in the road layer or with a larger ``road_join_tolerance_m``;
- **homes on fragments**: households whose nearest road is a fragment (they were joined to a
  larger component instead, with a longer leg).

:func:`health_features` gives the same as map features (fragments as lines, near misses and dead
ends as points) for the app's map layer. Everything is vectorised (STRtree, sparse matrices).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.reach.network import Network
from geo.store import settings

#: hops along the network within which a nearby road counts as already met (a dead end a few
#: segments past a junction is an overshoot of that junction, not a near miss)
NEAR_HOPS = 4


def _adjacency(net: Network) -> sparse.csr_matrix:
    u, v = net.edge_u, net.edge_v
    keep = u != v
    a = sparse.coo_matrix((np.ones(2 * keep.sum(), dtype=np.int8),
                           (np.r_[u[keep], v[keep]], np.r_[v[keep], u[keep]])),
                          shape=(net.n_nodes, net.n_nodes)).tocsr()
    a.data[:] = 1
    return a


def dead_ends(net: Network) -> np.ndarray:
    """Nodes with exactly one neighbour (indices)."""
    if net.n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    a = _adjacency(net)
    return np.flatnonzero(np.diff(a.indptr) == 1)


def near_misses(net: Network, distance_m: float | None = None) -> pd.DataFrame:
    """Dead ends within ``distance_m`` of a road they do not meet.

    Returns
    -------
    pandas.DataFrame
        ``node, x, y, edge, gap_m, other_component`` (``other_component``: the road it nearly
        meets is not connected to it at all).
    """
    dist = float(settings.road_near_miss_m if distance_m is None else distance_m)
    cols = ["node", "x", "y", "edge", "gap_m", "other_component"]
    ends = dead_ends(net)
    if not len(ends) or net.n_edges == 0:
        return pd.DataFrame({c: [] for c in cols})
    tree = net._segment_tree()
    pts = shapely.points(net.xy[ends])
    p, e = tree.query(pts, predicate="dwithin", distance=dist)
    node = ends[p]
    # not the dead end's own edges, nor roads reached within a few hops along the network
    incident = (net.edge_u[e] == node) | (net.edge_v[e] == node)
    p, e, node = p[~incident], e[~incident], node[~incident]
    if len(p):
        a = _adjacency(net) + sparse.identity(net.n_nodes, dtype=np.int8, format="csr")
        uniq, row = np.unique(node, return_inverse=True)
        reach = sparse.csr_matrix((np.ones(len(uniq), dtype=np.int8), (np.arange(len(uniq)), uniq)),
                                  shape=(len(uniq), net.n_nodes))
        for _ in range(NEAR_HOPS):
            reach = (reach @ a).tocsr()
            reach.data[:] = 1
        met = (np.asarray(reach[row, net.edge_u[e]]).ravel() > 0) | (
            np.asarray(reach[row, net.edge_v[e]]).ravel() > 0)
        p, e, node = p[~met], e[~met], node[~met]
    if not len(p):
        return pd.DataFrame({c: [] for c in cols})
    gap = shapely.distance(pts[p], tree.geometries.take(e))
    frame = pd.DataFrame({"node": node, "edge": e, "gap_m": gap})
    frame = frame.sort_values(["node", "gap_m"]).drop_duplicates("node", ignore_index=True)
    comp = net.components()
    frame["other_component"] = comp[frame["node"].to_numpy()] != comp[net.edge_u[frame["edge"].to_numpy()]]
    frame["x"] = net.xy[frame["node"].to_numpy(), 0]
    frame["y"] = net.xy[frame["node"].to_numpy(), 1]
    return frame[cols]


def network_health(net: Network, households=None, *, top: int = 5) -> dict:
    """The network's health in numbers (see the module docstring).

    Parameters
    ----------
    net
        The network.
    households
        Optional household points (GeoSeries / GeoDataFrame in the network's CRS): how many
        sit nearest to a fragment.
    top
        How many of the largest components to list.

    Returns
    -------
    dict
        ``nodes, edges, length_km, components, largest_share, component_sizes, fragments,
        fragment_nodes, dead_ends, near_misses, near_misses_unconnected, junctions`` and, with
        ``households``, ``households, homes_on_fragments, homes_past_median_m, homes_past_max_m``.
    """
    comp = net.components()
    sizes = np.bincount(comp) if len(comp) else np.zeros(0, dtype=np.int64)
    limit = int(settings.road_fragment_max_nodes)
    frag = (sizes < limit) & (np.arange(len(sizes)) > 0)
    misses = near_misses(net)
    out = {
        "nodes": int(net.n_nodes), "edges": int(net.n_edges),
        "length_km": round(float(net.edge_length.sum()) / 1000.0, 3),
        "components": int(len(sizes)),
        "largest_share": round(float(sizes[0] / sizes.sum()), 4) if len(sizes) else 0.0,
        "component_sizes": [int(s) for s in np.sort(sizes)[::-1][:top]],
        "fragments": int(frag.sum()), "fragment_nodes": int(sizes[frag].sum()),
        "dead_ends": int(len(dead_ends(net))),
        "near_misses": int(len(misses)),
        "near_misses_unconnected": int(misses["other_component"].sum()) if len(misses) else 0,
        "junctions": dict(net.junctions),
    }
    if households is not None:
        geoms = households.geometry if isinstance(households, gpd.GeoDataFrame) else households
        snap = net.snap_points(geoms)
        s = snap.fragment_summary()
        out.update({"households": s["points"], "homes_on_fragments": s["past_fragment"],
                    "homes_past_median_m": round(s["past_median_m"], 1),
                    "homes_past_max_m": round(s["past_max_m"], 1)})
    return out


def health_features(net: Network) -> gpd.GeoDataFrame:
    """Map features of the network's problems, in the network's CRS.

    ``kind``: ``fragment`` (the edges of each fragment merged into one line per fragment, with
    its ``nodes``), ``near_miss`` (a dead end near a road it does not meet, with ``gap_m``) and
    ``unconnected`` (a near miss whose road is in another component).
    """
    rows: dict[str, list] = {"kind": [], "nodes": [], "gap_m": [], "geometry": []}
    comp = net.components()
    if net.n_edges:
        frag_edges = np.flatnonzero(net.fragment_edges())
        if len(frag_edges):
            c = comp[net.edge_u[frag_edges]]
            order = np.argsort(c, kind="stable")
            c, fe = c[order], frag_edges[order]
            segs = shapely.linestrings(np.stack([net.xy[net.edge_u[fe]], net.xy[net.edge_v[fe]]], axis=1))
            uniq, idx = np.unique(c, return_inverse=True)
            lines = shapely.multilinestrings(segs, indices=idx)
            sizes = np.bincount(comp)
            rows["kind"] += ["fragment"] * len(uniq)
            rows["nodes"] += sizes[uniq].tolist()
            rows["gap_m"] += [np.nan] * len(uniq)
            rows["geometry"] += list(shapely.line_merge(lines))
    misses = near_misses(net)
    if len(misses):
        rows["kind"] += np.where(misses["other_component"], "unconnected", "near_miss").tolist()
        rows["nodes"] += [np.nan] * len(misses)
        rows["gap_m"] += misses["gap_m"].round(2).tolist()
        rows["geometry"] += list(shapely.points(misses[["x", "y"]].to_numpy()))
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    frame["kind"] = frame["kind"].astype("string")
    return frame
