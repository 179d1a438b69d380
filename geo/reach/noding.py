"""Junctions of road layers as they come: end points joined within a tolerance, crossings by rule.

Road layers digitised in land-survey or mapping software rarely share a vertex at every junction:
a road ends *on* another road's line (a T-junction) or a few decimetres short of or past it. This
module turns such lines into lines that share a vertex wherever two roads meet, so that
:func:`geo.reach.roads.build_network` (which joins roads at shared vertices) sees the junctions.

Rules, per road (the ``junctions`` column, else ``settings.road_junctions``):

``"ends"`` (default)
    An end point on or within ``tolerance`` of another road is joined to it: to that road's end
    point when one is that close (the ends meet at one of them), else to the nearest point of its
    line, where a vertex is inserted (the edge is split). Two roads that cross mid-segment stay
    apart: an over- or underpass.
``"crossings"``
    As ``"ends"``, and two such roads that cross on the same ``road_level`` are joined at the crossing
    (for sources known to be planar).
``"nodes"``
    The road's own end points are not moved (OpenStreetMap: ways meet at shared nodes only);
    other roads' end points may still be joined to it.

``road_level`` (optional, integer, 0 when missing): the vertical level, from OSM's ``layer`` /
``bridge`` (+1) / ``tunnel`` (-1). Roads on different levels never join at a crossing; an end
point joins whatever it touches (a bridge's end meets the bank road).

Everything is vectorised (STRtree queries, shapely 2 array functions, numpy sorts): no Python
loop over segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

#: the junction rules (a road's optional ``junctions`` column, ``settings.road_junctions``)
JUNCTION_RULES = ("ends", "crossings", "nodes")


@dataclass
class Noded:
    """Lines with their junction vertices, as flat coordinate arrays.

    Attributes
    ----------
    coords
        (m, 2) vertex coordinates, lines one after another, each in drawing order.
    line_idx
        (m,) the line (index into the input) of each vertex.
    moved
        Number of end points moved to join another road (within the tolerance, distance > 0).
    inserted
        Number of vertices inserted into lines (T-junctions and joined crossings).
    crossings
        Number of crossings joined (``"crossings"`` rule).
    """

    coords: np.ndarray
    line_idx: np.ndarray
    moved: int = 0
    inserted: int = 0
    crossings: int = 0


def _ends(line_idx: np.ndarray, n_lines: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first and last vertex of each line in the flat arrays."""
    counts = np.bincount(line_idx, minlength=n_lines)
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    return first, last


def node_lines(
    lines: np.ndarray,
    *,
    rules: np.ndarray,
    layers: np.ndarray,
    tolerance: float,
    precision: float = 0.001,
) -> Noded:
    """Return the vertices of ``lines`` with their junctions made shared vertices.

    Parameters
    ----------
    lines
        (n,) shapely LineStrings (single parts), metric CRS.
    rules
        (n,) junction rule of each line (:data:`JUNCTION_RULES`).
    layers
        (n,) integer layer of each line.
    tolerance
        End points within this distance of another road are joined to it, metres.
    precision
        Vertices closer than this are one node (as :func:`~geo.reach.roads.build_network`).
    """
    n = len(lines)
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    coords = coords[:, :2].copy()
    if n == 0 or len(coords) == 0:
        return Noded(coords, line_idx)
    first, last = _ends(line_idx, n)
    rules = np.asarray(rules, dtype=object)
    layers = np.asarray(layers, dtype=np.int64)
    movable = rules != "nodes"
    moved_total = 0
    if tolerance > 0:
        coords, m1 = _join_ends(coords, first, last, movable, tolerance, precision)
        lines = _rebuild(coords, line_idx, n)
        coords, ins, m2 = _ends_on_lines(lines, coords, first, last, movable, tolerance, precision)
        moved_total = m1 + m2
    else:
        ins = _empty_insert()
    lines = _rebuild(coords, line_idx, n)
    cross = _crossings(lines, rules == "crossings", layers)
    n_cross = len(cross[0]) // 2
    ins = tuple(np.concatenate([a, b]) for a, b in zip(ins, cross, strict=True))
    out_coords, out_idx, n_inserted = _insert(lines, coords, line_idx, ins, precision)
    return Noded(out_coords, out_idx, moved=moved_total, inserted=n_inserted, crossings=n_cross)


def _rebuild(coords: np.ndarray, line_idx: np.ndarray, n: int) -> np.ndarray:
    return shapely.linestrings(coords, indices=line_idx)


def _empty_insert() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty((0, 2))


def _join_ends(coords, first, last, movable, tolerance, precision) -> tuple[np.ndarray, int]:
    """End points within ``tolerance`` of each other meet at one of them (per cluster)."""
    n = len(first)
    end_v = np.concatenate([first, last])  # vertex index of each end point
    end_line = np.concatenate([np.arange(n), np.arange(n)])
    end_movable = np.concatenate([movable, movable])
    pts = shapely.points(coords[end_v])
    tree = shapely.STRtree(pts)
    a, b = tree.query(pts, predicate="dwithin", distance=tolerance)
    keep = (a < b) & (end_line[a] != end_line[b]) & (end_movable[a] | end_movable[b])
    a, b = a[keep], b[keep]
    if not len(a):
        return coords, 0
    k = len(end_v)
    g = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(k, k))
    _, comp = csgraph.connected_components(g, directed=False)
    # representative: an end point that must not move (OSM) first, then the lowest index
    prio = np.where(end_movable, 1, 0) * (k + 1) + np.arange(k)
    order = np.lexsort((prio, comp))
    comp_sorted = comp[order]
    head = order[np.r_[True, comp_sorted[1:] != comp_sorted[:-1]]]
    rep = np.empty(comp.max() + 1, dtype=np.int64)
    rep[comp[head]] = head
    target = rep[comp]
    new = coords[end_v[target]]
    move = end_movable & (np.hypot(*(new - coords[end_v]).T) > 0)
    out = coords.copy()
    out[end_v[move]] = new[move]
    return out, int((np.hypot(*(new - coords[end_v]).T)[move] > precision).sum())


def _ends_on_lines(lines, coords, first, last, movable, tolerance, precision):
    """End points within ``tolerance`` of another line's interior join it (a vertex is inserted)."""
    n = len(first)
    end_v = np.concatenate([first, last])
    end_line = np.concatenate([np.arange(n), np.arange(n)])
    sel = np.concatenate([movable, movable])
    end_v, end_line = end_v[sel], end_line[sel]
    if not len(end_v):
        return coords, _empty_insert(), 0
    pts = shapely.points(coords[end_v])
    tree = shapely.STRtree(lines)
    p, j = tree.query(pts, predicate="dwithin", distance=tolerance)
    keep = end_line[p] != j
    p, j = p[keep], j[keep]
    if len(p):
        # not when the point already is one of that line's end points (joined ends meet there)
        starts = coords[first[j]]
        stops = coords[last[j]]
        xy = coords[end_v[p]]
        at_end = (np.hypot(*(xy - starts).T) <= precision) | (np.hypot(*(xy - stops).T) <= precision)
        p, j = p[~at_end], j[~at_end]
    if not len(p):
        return coords, _empty_insert(), 0
    d = shapely.distance(pts[p], lines[j])
    order = np.lexsort((j, d, p))  # per point: the nearest line, then the lowest index
    p, j, d = p[order], j[order], d[order]
    head = np.r_[True, p[1:] != p[:-1]]
    p, j, d = p[head], j[head], d[head]
    t = shapely.line_locate_point(lines[j], pts[p])
    q = shapely.get_coordinates(shapely.line_interpolate_point(lines[j], t))
    out = coords.copy()
    out[end_v[p]] = q
    return out, (j.astype(np.int64), q), int((d > precision).sum())


def _crossings(lines, planar: np.ndarray, layers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crossing points of planar lines on the same layer, as insertions into both lines."""
    idx = np.flatnonzero(planar)
    if len(idx) < 2:
        return _empty_insert()
    sub = lines[idx]
    tree = shapely.STRtree(sub)
    a, b = tree.query(sub, predicate="intersects")
    keep = (a < b) & (layers[idx[a]] == layers[idx[b]])
    a, b = idx[a[keep]], idx[b[keep]]
    if not len(a):
        return _empty_insert()
    inter = shapely.intersection(lines[a], lines[b])
    xy, which = shapely.get_coordinates(inter, return_index=True)
    la, lb = a[which], b[which]
    return np.concatenate([la, lb]).astype(np.int64), np.concatenate([xy[:, :2], xy[:, :2]])


def _insert(lines, coords, line_idx, ins, precision) -> tuple[np.ndarray, np.ndarray, int]:
    """Merge inserted points into their lines by their position along the line."""
    ins_line, ins_xy = ins
    if not len(ins_line):
        return coords, line_idx, 0
    # position of the original vertices along their line (cumulative segment lengths)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    same = line_idx[1:] == line_idx[:-1]
    seg = np.where(same, seg, 0.0)
    cum = np.r_[0.0, np.cumsum(seg)]
    first = np.r_[0, np.flatnonzero(~same) + 1]
    base = np.repeat(cum[first], np.diff(np.r_[first, len(coords)]))
    pos = cum - base
    # inserted points: where along the (final) line they project
    t = shapely.line_locate_point(lines[ins_line], shapely.points(ins_xy))
    # drop insertions that fall on an existing vertex of their line (nothing to split)
    all_line = np.concatenate([line_idx, ins_line])
    all_pos = np.concatenate([pos, t])
    all_xy = np.concatenate([coords, ins_xy])
    kind = np.concatenate([np.zeros(len(coords), np.int8), np.ones(len(ins_line), np.int8)])
    order = np.lexsort((kind, all_pos, all_line))
    all_line, all_xy, kind = all_line[order], all_xy[order], kind[order]
    # an inserted point equal (to the precision) to the vertex before it adds nothing
    dup = np.r_[False, (all_line[1:] == all_line[:-1])
                & (np.hypot(*np.diff(all_xy, axis=0).T) <= precision)]
    drop = dup & (kind == 1)
    n_inserted = int(((kind == 1) & ~drop).sum())
    return all_xy[~drop], all_line[~drop].astype(np.int64), n_inserted
