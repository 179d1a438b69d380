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
from scipy.spatial import cKDTree

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
    original = coords.copy()
    if tolerance > 0 and movable.any():
        # one place per vertex position (as build_network's nodes), shared by both steps
        _, place = np.unique(_keys(coords, precision), return_inverse=True)
        place = place.ravel()
        joined = _joined_ends(place, first, last)
        coords, m1 = _join_ends(coords, place, first, last, movable, tolerance, precision,
                                shapely.length(lines))
        lines = _rebuild(lines, coords, original, line_idx, n)
        loose = np.concatenate([movable, movable]) & ~joined
        coords, ins, m2 = _ends_on_lines(lines, coords, first, last, loose, tolerance, precision)
        moved_total = m1 + m2
    else:
        ins = _empty_insert()
    lines = _rebuild(lines, coords, original, line_idx, n)
    cross = _crossings(lines, rules == "crossings", layers)
    n_cross = len(cross[0]) // 2
    ins = tuple(np.concatenate([a, b]) for a, b in zip(ins, cross, strict=True))
    out_coords, out_idx, n_inserted = _insert(lines, coords, line_idx, ins, precision)
    return Noded(out_coords, out_idx, moved=moved_total, inserted=n_inserted, crossings=n_cross)


def _rebuild(lines: np.ndarray, coords: np.ndarray, original: np.ndarray, line_idx: np.ndarray,
             n: int) -> np.ndarray:
    """``lines`` with the lines whose vertices moved (``coords`` vs ``original``) made anew."""
    changed = np.unique(line_idx[np.any(coords != original, axis=1)])
    if not len(changed):
        return lines
    out = np.array(lines, dtype=object, copy=True)
    sel = np.isin(line_idx, changed)
    _, local = np.unique(line_idx[sel], return_inverse=True)
    out[changed] = shapely.linestrings(coords[sel], indices=local)
    return out


def _keys(xy: np.ndarray, precision: float) -> np.ndarray:
    """One exact int64 key per point rounded to ``precision`` (as build_network's nodes)."""
    k = np.round(xy / precision).astype(np.int64)
    k -= k.min(axis=0)
    span = k.max(axis=0) + 1
    if float(span[0]) * float(span[1]) < 2**62:
        return k[:, 0] * span[1] + k[:, 1]
    return np.unique(k, axis=0, return_inverse=True)[1].ravel()


def _joined_ends(place, first, last) -> np.ndarray:
    """Per end point (first ends, then last ends): whether it already is a junction drawn with
    shared vertices (an interior vertex of a road, or the end of three or more roads): nothing to
    join there. A dangling end, or two roads continuing each other, may still end on a third.

    ``place``: the position (node) of each vertex."""
    m = int(place.max()) + 1
    is_end = np.zeros(len(place), dtype=bool)
    is_end[first] = True
    is_end[last] = True
    inner = np.bincount(place[~is_end], minlength=m)
    ends = place[np.concatenate([first, last])]
    count = np.bincount(ends, minlength=m)
    return (inner[ends] > 0) | (count[ends] >= 3)


def _empty_insert() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty((0, 2))


def _join_ends(coords, place, first, last, movable, tolerance, precision, length) -> tuple[np.ndarray, int]:
    """End points within ``tolerance`` of each other meet at one of them (per cluster).

    A line's own two ends meet too when it is longer than twice the tolerance (a ring road drawn
    nearly closed), not when it is a stub shorter than that (it would vanish).

    End points at one position (a junction drawn with shared ends) are one place; only places
    closer than the tolerance but apart are paired (a KD-tree), so a fully noded layer costs one
    ``np.unique`` and one tree query.
    """
    n = len(first)
    end_v = np.concatenate([first, last])  # vertex index of each end point
    end_line = np.concatenate([np.arange(n), np.arange(n)])
    end_movable = np.concatenate([movable, movable])
    # the places of the end points, numbered 0..m-1 (no sort: a lookup table over all places)
    end_place = place[end_v]
    present = np.zeros(int(place.max()) + 1, dtype=bool)
    present[end_place] = True
    number = np.cumsum(present) - 1
    inv = number[end_place]
    m = int(present.sum())
    pos = np.empty(m, dtype=np.int64)
    pos[inv[::-1]] = np.arange(len(inv))[::-1]  # the first end point at each place
    count = np.bincount(inv, minlength=m)
    any_movable = np.bincount(inv, weights=end_movable, minlength=m) > 0
    fixed = np.bincount(inv, weights=~end_movable, minlength=m) > 0  # holds an end that must not move (OSM)
    only_line = np.where(count == 1, end_line[pos], -1)
    pairs = cKDTree(coords[end_v[pos]]).query_pairs(tolerance, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    own = (only_line[a] >= 0) & (only_line[a] == only_line[b])
    stub = own & (length[np.maximum(only_line[a], 0)] <= 2 * tolerance)
    keep = ~stub & (any_movable[a] | any_movable[b])
    a, b = a[keep], b[keep]
    if not len(a):
        return coords, 0
    g = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(m, m))
    _, comp = csgraph.connected_components(g, directed=False)
    # representative place: one holding a fixed end first, then the lowest index
    prio = np.where(fixed, 0, 1) * (m + 1) + np.arange(m)
    order = np.lexsort((prio, comp))
    comp_sorted = comp[order]
    head = order[np.r_[True, comp_sorted[1:] != comp_sorted[:-1]]]
    rep = np.empty(comp.max() + 1, dtype=np.int64)
    rep[comp[head]] = head
    new = coords[end_v[pos[rep[comp[inv]]]]]
    shift = np.hypot(*(new - coords[end_v]).T)
    move = end_movable & (shift > 0)
    out = coords.copy()
    out[end_v[move]] = new[move]
    return out, int((shift[move] > precision).sum())


def _ends_on_lines(lines, coords, first, last, loose, tolerance, precision):
    """End points within ``tolerance`` of another line's interior join it (a vertex is inserted).

    ``loose``: per end point (first ends, then last ends) whether to look for a line to join.
    """
    end_v = np.concatenate([first, last])[loose]
    if not len(end_v):
        return coords, _empty_insert(), 0
    # one query per place: the ends at one position (two roads continuing each other) share it;
    # a line with an end at the place is never joined there (that excludes the ends' own lines)
    _, at, grp = np.unique(_keys(coords[end_v], precision), return_index=True, return_inverse=True)
    grp = grp.ravel()
    xy0 = coords[end_v[at]]
    tree = shapely.STRtree(lines)
    # bounding boxes first; exact distances only to the lines left
    boxes = shapely.box(xy0[:, 0] - tolerance, xy0[:, 1] - tolerance, xy0[:, 0] + tolerance,
                        xy0[:, 1] + tolerance)
    p, j = tree.query(boxes)
    if len(p):
        xy = xy0[p]
        at_end = (np.hypot(*(xy - coords[first[j]]).T) <= precision) | (
            np.hypot(*(xy - coords[last[j]]).T) <= precision)
        p, j = p[~at_end], j[~at_end]
    if not len(p):
        return coords, _empty_insert(), 0
    pts = shapely.points(xy0[p])
    d = shapely.distance(pts, lines[j])
    near = d <= tolerance
    p, j, d, pts = p[near], j[near], d[near], pts[near]
    if not len(p):
        return coords, _empty_insert(), 0
    order = np.lexsort((j, d, p))  # per place: the nearest line, then the lowest index
    p, j, d, pts = p[order], j[order], d[order], pts[order]
    head = np.r_[True, p[1:] != p[:-1]]
    p, j, d, pts = p[head], j[head], d[head], pts[head]
    t = shapely.line_locate_point(lines[j], pts)
    q = shapely.get_coordinates(shapely.line_interpolate_point(lines[j], t))
    target = np.full((len(xy0), 2), np.nan)
    target[p] = q
    dist = np.full(len(xy0), np.nan)
    dist[p] = d
    hit = ~np.isnan(dist[grp])
    out = coords.copy()
    out[end_v[hit]] = target[grp[hit]]
    return out, (j.astype(np.int64), q), int((dist[grp[hit]] > precision).sum())


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
    """Merge inserted points into their lines by their position along the line.

    Only the lines that receive points are re-sorted; the others keep their vertices as drawn.
    """
    ins_line, ins_xy = ins
    if not len(ins_line):
        return coords, line_idx, 0
    hit = np.isin(line_idx, np.unique(ins_line))
    idx = np.flatnonzero(hit)
    sub_xy, sub_line = coords[idx], line_idx[idx]
    # position of those lines' vertices along their line (cumulative segment lengths)
    seg = np.hypot(*np.diff(sub_xy, axis=0).T)
    same = sub_line[1:] == sub_line[:-1]
    seg = np.where(same, seg, 0.0)
    cum = np.r_[0.0, np.cumsum(seg)]
    first = np.r_[0, np.flatnonzero(~same) + 1]
    pos = cum - np.repeat(cum[first], np.diff(np.r_[first, len(sub_xy)]))
    # inserted points: where along the (final) line they project
    t = shapely.line_locate_point(lines[ins_line], shapely.points(ins_xy))
    all_line = np.concatenate([sub_line, ins_line])
    all_pos = np.concatenate([pos, t])
    all_xy = np.concatenate([sub_xy, ins_xy])
    kind = np.concatenate([np.zeros(len(idx), np.int8), np.ones(len(ins_line), np.int8)])
    order = np.lexsort((kind, all_pos, all_line))
    all_line, all_xy, kind = all_line[order], all_xy[order], kind[order]
    # an inserted point equal (to the precision) to the vertex before it adds nothing
    dup = np.r_[False, (all_line[1:] == all_line[:-1])
                & (np.hypot(*np.diff(all_xy, axis=0).T) <= precision)]
    keep = ~(dup & (kind == 1))
    all_line, all_xy = all_line[keep], all_xy[keep]
    n_inserted = int(len(all_line) - len(idx))
    # splice: the untouched lines' vertices and the re-sorted ones, in line order
    rest = np.flatnonzero(~hit)
    out_line = np.concatenate([line_idx[rest], all_line])
    out_xy = np.concatenate([coords[rest], all_xy])
    order = np.argsort(out_line, kind="stable")
    return out_xy[order], out_line[order].astype(np.int64), n_inserted
