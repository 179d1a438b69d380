"""Geometry of the synthetic demo county: outlines, settlements, water and roads.

Everything here works in metres in one metric CRS (UTM zone 50N, EPSG:32650, around
lon 117, lat 32.5) and draws every random number from the ``numpy.random.Generator`` it is
given, so the same generator state gives the same geometry.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from scipy.signal import lfilter
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

#: road classes by rank (higher = more important); index into ROAD_RANK_CLASS
ROAD_RANK_CLASS = ("path", "track", "rural", "tertiary", "secondary", "primary")
RANK = {c: i for i, c in enumerate(ROAD_RANK_CLASS)}

#: lowest road class given a bridge over a river / canal without being needed for connectivity
RIVER_BRIDGE_MIN_RANK = RANK["secondary"]
CANAL_BRIDGE_MIN_RANK = RANK["rural"]
RING_RADIUS = 15.0  # metres: roads are split this far either side of a water crossing


# --- small helpers --------------------------------------------------------------------------


def blob(rng: np.random.Generator, cx: float, cy: float, radius: float, *, n: int = 96,
         rough: float = 0.18, harmonics: int = 6, stretch: float = 1.0) -> shapely.Polygon:
    """Return an irregular closed outline of mean radius ``radius`` around (cx, cy)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 2 + harmonics):
        r += rough / k**0.8 * rng.normal() * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    r = np.clip(r, 0.45, None) * radius
    rot = rng.uniform(0, np.pi)
    x = r * np.cos(t) * stretch
    y = r * np.sin(t) / stretch
    xr = cx + x * np.cos(rot) - y * np.sin(rot)
    yr = cy + x * np.sin(rot) + y * np.cos(rot)
    return shapely.make_valid(shapely.Polygon(np.column_stack([xr, yr])))


def random_points_in(rng: np.random.Generator, poly, n: int) -> np.ndarray:
    """Uniform random points inside ``poly`` (rejection sampling), shape (n, 2)."""
    minx, miny, maxx, maxy = poly.bounds
    frac = max(poly.area / ((maxx - minx) * (maxy - miny)), 0.05)
    shapely.prepare(poly)
    out = []
    have = 0
    while have < n:
        m = int((n - have) / frac * 1.2) + 16
        pts = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        inside = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
        out.append(pts[inside])
        have += int(inside.sum())
    return np.concatenate(out)[:n]


def meander(rng: np.random.Generator, start, end, *, step: float = 100.0,
            wander: float = 0.55) -> np.ndarray:
    """A meandering polyline from ``start`` to exactly ``end`` (vertices ``step`` m apart)."""
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    d = end - start
    length = float(np.hypot(*d))
    n = max(int(length / step * 1.25), 3)
    base = np.arctan2(d[1], d[0])
    noise = rng.normal(0.0, wander * 0.22, n)
    heading = base + lfilter([1.0], [1.0, -0.93], noise)
    steps = np.column_stack([np.cos(heading), np.sin(heading)]) * step
    pts = np.vstack([start, start + np.cumsum(steps, axis=0)])
    # bend the walk so that it ends exactly at ``end``
    s = np.linspace(0.0, 1.0, len(pts))[:, None]
    pts = pts + s * (end - pts[-1])
    pts[0] = start
    pts[-1] = end
    return pts


def longest_step(points: np.ndarray) -> float:
    """The longest segment of the polyline ``points``."""
    return float(np.max(np.hypot(*np.diff(points, axis=0).T))) if len(points) > 1 else 0.0


def span_near(points: np.ndarray, box: tuple[float, float, float, float],
              step: float | None = None) -> np.ndarray:
    """The stretch of the polyline ``points`` from its first to its last vertex near ``box``
    (within two of its longest steps, so every segment meeting the box is kept whole);
    ``step``: its :func:`longest_step`, when known."""
    if len(points) < 3:
        return points
    reach = 2.0 * (longest_step(points) if step is None else step)
    minx, miny, maxx, maxy = box
    near = np.flatnonzero((points[:, 0] >= minx - reach) & (points[:, 0] <= maxx + reach)
                          & (points[:, 1] >= miny - reach) & (points[:, 1] <= maxy + reach))
    if not len(near):
        return points[:0]
    return points[max(near[0] - 1, 0):near[-1] + 2]


def wiggle_lines(rng: np.random.Generator, starts: np.ndarray, ends: np.ndarray, *,
                 step: float, amp_frac: float, max_amp: float) -> np.ndarray:
    """Gently curving lines from each start to exactly its end, vertices about ``step`` apart."""
    starts = np.asarray(starts, float).reshape(-1, 2)
    ends = np.asarray(ends, float).reshape(-1, 2)
    if not len(starts):
        return np.array([], dtype=object)
    d = ends - starts
    length = np.hypot(d[:, 0], d[:, 1])
    keep = length > 1.0
    starts, ends, d, length = starts[keep], ends[keep], d[keep], length[keep]
    n = np.maximum(2, np.ceil(length / step).astype(int) + 1)
    idx = np.repeat(np.arange(len(n)), n)
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    t = (np.arange(len(idx)) - first[idx]) / (n[idx] - 1)
    amp = np.minimum(max_amp, amp_frac * length)
    coef = rng.normal(0.0, 1.0, (len(n), 3)) * amp[:, None] * np.array([1.0, 0.45, 0.2])
    off = (coef[idx, 0] * np.sin(np.pi * t) + coef[idx, 1] * np.sin(2 * np.pi * t)
           + coef[idx, 2] * np.sin(3 * np.pi * t))
    unit = d / length[:, None]
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    pts = starts[idx] + t[:, None] * d[idx] + off[:, None] * normal[idx]
    last = first + n - 1
    pts[first] = starts
    pts[last] = ends
    return shapely.linestrings(pts, indices=idx)


def graph_edges(points: np.ndarray, rng: np.random.Generator, *, extra: float,
                max_extra_len: float, penalty=None) -> np.ndarray:
    """Edges (i, j) of a minimum spanning tree of ``points`` plus a share of Delaunay edges."""
    n = len(points)
    if n < 2:
        return np.zeros((0, 2), int)
    if n < 4:
        return np.column_stack([np.arange(n - 1), np.arange(1, n)])
    tri = Delaunay(points)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    w = np.hypot(*(points[e[:, 0]] - points[e[:, 1]]).T)
    cost = w.copy()
    if penalty is not None:
        cost = cost * np.where(penalty(e), 50.0, 1.0)
    mst = minimum_spanning_tree(coo_matrix((cost, (e[:, 0], e[:, 1])), shape=(n, n))).tocoo()
    tree = {(min(a, b), max(a, b)) for a, b in zip(mst.row, mst.col, strict=True)}
    in_tree = np.array([(a, b) in tree for a, b in e])
    ok = ~in_tree & (w < max_extra_len) & (rng.random(len(e)) < extra)
    if penalty is not None:
        ok &= ~penalty(e)
    return e[in_tree | ok]


# --- the region: counties and their outlines -------------------------------------------------


def county_layout(rng: np.random.Generator, n: int, area: float, centre: tuple[float, float]):
    """Outlines of ``n`` counties of about ``area`` m2 each, tiling one region.

    Returns (counties, region, gateways): gateways[k] lists points on county k's border where
    a county road leaves it (shared exactly with the neighbour across that border).
    """
    cx, cy = centre
    if n == 1:
        county = blob(rng, cx, cy, np.sqrt(area / np.pi), stretch=rng.uniform(1.0, 1.25))
        ring = county.exterior
        pos = (rng.uniform(0, 1) + np.arange(3) / 3 + rng.uniform(-0.05, 0.05, 3)) % 1.0
        gates = [np.array(shapely.line_interpolate_point(ring, pos, normalized=True))]
        return [county], county, gates
    side = np.sqrt(area)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
    grid = np.column_stack([gx.ravel(), gy.ravel()])[:n].astype(float)
    grid -= grid.mean(axis=0)
    centres = np.array([cx, cy]) + grid * side + rng.uniform(-0.18, 0.18, (n, 2)) * side
    hull = shapely.union_all(
        [blob(rng, x, y, side * 0.78, n=48, rough=0.12) for x, y in centres]
    )
    region = shapely.make_valid(hull.buffer(side * 0.05).buffer(-side * 0.05))
    if region.geom_type == "MultiPolygon":
        region = max(region.geoms, key=lambda g: g.area)
    vor = shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=region.envelope.buffer(side),
                                   ordered=True)
    cells = shapely.intersection(np.array(shapely.get_parts(vor)), region)
    counties = []
    for c in cells:
        if c.geom_type != "Polygon":
            c = max(shapely.get_parts(c), key=lambda g: g.area)
        counties.append(c)
    shared_gates: list[list] = [[] for _ in range(n)]
    if n < 4:
        e = np.array([(a, b) for a in range(n) for b in range(a + 1, n)])
    else:
        tri = Delaunay(centres)
        e = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]],
                       tri.simplices[:, [0, 2]]])
    for a, b in np.unique(np.sort(e, axis=1), axis=0):
        shared = shapely.line_merge(shapely.intersection(counties[a].boundary, counties[b].boundary))
        if shared.is_empty or shared.length < side * 0.1:
            continue
        if shared.geom_type == "MultiLineString":
            shared = max(shared.geoms, key=lambda g: g.length)
        p = shapely.line_interpolate_point(shared, rng.uniform(0.3, 0.7), normalized=True)
        shared_gates[a].append(p)
        shared_gates[b].append(p)
    return counties, region, [np.array(g, dtype=object) for g in shared_gates]


def rivers_for_region(rng: np.random.Generator, region, n_counties: int) -> list[np.ndarray]:
    """Meandering river centre lines across ``region``: main rivers and tributaries joining them."""
    c = np.array(region.centroid.coords[0])
    minx, miny, maxx, maxy = region.bounds
    radius = 0.5 * np.hypot(maxx - minx, maxy - miny) + 2000.0
    n_main = max(1, int(round(0.7 * np.sqrt(n_counties))))
    n_trib = max(1, int(round(0.9 * n_counties)))
    rivers: list[np.ndarray] = []
    for _ in range(n_main):
        phi = rng.uniform(0, 2 * np.pi)
        off = rng.uniform(-0.3, 0.3) * radius
        perp = np.array([-np.sin(phi), np.cos(phi)])
        a = c - radius * np.array([np.cos(phi), np.sin(phi)]) + perp * off
        b = c + radius * np.array([np.cos(phi + rng.uniform(-0.4, 0.4)),
                                   np.sin(phi + rng.uniform(-0.4, 0.4))]) + perp * off * 0.5
        rivers.append(meander(rng, a, b, step=100.0, wander=0.6))
    mains = np.vstack(rivers)
    tree = cKDTree(mains)  # the main rivers only: tributaries join them, not each other
    for _ in range(n_trib):
        if n_counties == 1:
            phi = rng.uniform(0, 2 * np.pi)
            a = c + radius * np.array([np.cos(phi), np.sin(phi)])
        else:
            a = random_points_in(rng, region, 1)[0]
        d, j = tree.query(a)
        if d < 4000:
            continue
        b = mains[j]  # an exact vertex of the main river: a confluence
        rivers.append(meander(rng, a, b, step=100.0, wander=0.7))
    return rivers


# --- one county -----------------------------------------------------------------------------


def settlements(rng: np.random.Generator, county, avoid, n_villages: int, n_townships: int):
    """Village centres (evenly spread, away from ``avoid``), their township and the seats.

    Returns (centres (V, 2), township label per village (V,), seat village index per township).
    """
    sample = random_points_in(rng, county, max(25 * n_villages, 1000))
    if avoid is not None and not avoid.is_empty:
        shapely.prepare(avoid)
        sample = sample[~shapely.contains_xy(avoid, sample[:, 0], sample[:, 1])]
    k = min(n_villages, len(sample))
    cent, _ = kmeans2(sample, k, iter=6, minit="points", seed=rng)
    # snap each centroid to the nearest allowed sample point of its cluster (stays allowed)
    _, j = cKDTree(sample).query(cent)
    centres = sample[j] + rng.normal(0, 60.0, (k, 2))
    inside = shapely.contains_xy(county, centres[:, 0], centres[:, 1])
    if avoid is not None and not avoid.is_empty:
        inside &= ~shapely.contains_xy(avoid, centres[:, 0], centres[:, 1])
    centres[~inside] = sample[j][~inside]
    centres = np.unique(centres, axis=0)
    nt = min(n_townships, len(centres))
    if nt == 1:
        town = np.zeros(len(centres), int)
        seats = np.array([int(np.argmin(np.hypot(*(centres - centres.mean(0)).T)))])
        return centres, town, seats
    tc, town = kmeans2(centres, nt, iter=20, minit="++", seed=rng)
    seat_list = []
    for t in range(nt):
        members = np.flatnonzero(town == t)
        if not len(members):
            continue
        dist = np.hypot(*(centres[members] - tc[t]).T)
        seat_list.append(members[np.argmin(dist)])
    # relabel townships 0..T-1 in order of seat position (west to east, north to south)
    seats = np.array(seat_list)
    old = town[seats]
    order = np.lexsort((centres[seats, 0], -np.round(centres[seats, 1], -3)))
    remap = {int(old[o]): i for i, o in enumerate(order)}
    town = np.array([remap[int(t)] for t in town])
    return centres, town, seats[order]


def village_cells(centres: np.ndarray, county) -> np.ndarray:
    """Voronoi cells of the village centres clipped to the county (they tile it)."""
    if len(centres) == 1:
        return np.array([county], dtype=object)
    vor = shapely.voronoi_polygons(shapely.MultiPoint(centres),
                                   extend_to=county.envelope.buffer(5000.0), ordered=True)
    cells = shapely.intersection(np.array(shapely.get_parts(vor)), county)
    return cells


def pond_shapes(rng: np.random.Generator, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Irregular pond polygons of 8..16 vertices around ``centres`` with mean ``radii`` (m)."""
    n = len(centres)
    nv = rng.integers(8, 17, n)
    idx = np.repeat(np.arange(n), nv)
    first = np.concatenate([[0], np.cumsum(nv)[:-1]])
    k = np.arange(len(idx)) - first[idx]
    t = 2 * np.pi * k / nv[idx] + rng.uniform(0, 0.25, len(idx))
    stretch = rng.uniform(1.0, 1.8, n)
    rot = rng.uniform(0, np.pi, n)
    r = radii[idx] * (1 + rng.normal(0, 0.08, len(idx)))
    x = r * np.cos(t) * stretch[idx]
    y = r * np.sin(t) / stretch[idx]
    cr, sr = np.cos(rot)[idx], np.sin(rot)[idx]
    pts = centres[idx] + np.column_stack([x * cr - y * sr, x * sr + y * cr])
    # close each ring: repeat its first vertex
    ring_idx = np.concatenate([idx, np.arange(n)])
    ring_pts = np.concatenate([pts, pts[first]])
    order = np.argsort(ring_idx, kind="stable")
    rings = shapely.linearrings(ring_pts[order], indices=ring_idx[order])
    return shapely.polygons(rings)


def lattice_lanes(rng: np.random.Generator, centres: np.ndarray, radii: np.ndarray):
    """Village lanes: a jittered street lattice around each settlement centre.

    Returns (lines, is_main, settlement of each line, lattice points per settlement). The two
    lanes through each centre are the main lanes; the centre itself is an exact vertex of both.
    """
    lines, main, owner, pts_of = [], [], [], []
    for k, (c, rad) in enumerate(zip(centres, radii, strict=True)):
        s = rng.uniform(72.0, 100.0)
        m = max(1, int(rad / s))
        th = rng.uniform(0, np.pi)
        rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        ii, jj = np.meshgrid(np.arange(-m, m + 1), np.arange(-m, m + 1), indexing="ij")
        keep = ii**2 + jj**2 <= (rad / s) ** 2 + 0.5
        local = np.stack([ii, jj], -1) * s + rng.normal(0, 9.0, ii.shape + (2,))
        local[m, m] = 0.0
        grid = c + local @ rot.T
        grid[m, m] = c
        pts_of.append(grid[keep])
        for axis in (0, 1):
            for off in range(-m, m + 1):
                sel = keep[off + m, :] if axis == 0 else keep[:, off + m]
                if sel.sum() < 2:
                    continue
                if off != 0 and rng.random() < 0.22:
                    continue
                seg = grid[off + m, sel] if axis == 0 else grid[sel, off + m]
                lines.append(shapely.LineString(seg))
                main.append(off == 0)
                owner.append(k)
    return np.array(lines, dtype=object), np.array(main, bool), np.array(owner, int), pts_of


def points_along(rng: np.random.Generator, lines: np.ndarray, owner: np.ndarray,
                 group: np.ndarray, *, side: tuple[float, float]) -> np.ndarray:
    """One random point beside a line of each ``group`` (lines chosen by length), shape (n, 2).

    ``owner`` gives the group of each line (sorted); points stand ``side`` (min, max) metres to
    the left or right of the line. Every group in ``group`` must own a line.
    """
    length = shapely.length(lines)
    cum = np.cumsum(length)
    start = np.concatenate([[0.0], cum])[np.searchsorted(owner, np.arange(owner.max() + 1))]
    total = np.bincount(owner, weights=length)
    pos = start[group] + rng.random(len(group)) * total[group]
    li = np.minimum(np.searchsorted(cum, pos, side="right"), len(lines) - 1)
    along = np.clip(pos - (cum[li] - length[li]), 0.0, length[li])
    a = shapely.get_coordinates(shapely.line_interpolate_point(lines[li], along))
    b = shapely.get_coordinates(shapely.line_interpolate_point(lines[li], along + 1.0))
    back = shapely.get_coordinates(shapely.line_interpolate_point(lines[li], along - 1.0))
    d = np.where(np.hypot(*(b - a).T)[:, None] > 0.5, b - a, a - back)
    d = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    off = rng.uniform(side[0], side[1], len(group)) * rng.choice([-1.0, 1.0], len(group))
    return a + np.column_stack([-d[:, 1], d[:, 0]]) * off[:, None]


def node_roads(lines: np.ndarray, rank: np.ndarray, water_lines: np.ndarray,
               water_is_river: np.ndarray, rng: np.random.Generator, *, drop=None):
    """Node road lines into pieces, keep rivers and canals crossed only at bridges, connect.

    Returns (pieces, rank per piece, bridge flag per piece): the largest connected network.
    """
    # crossings with water -> rings so a crossing piece is short (trees of short segments:
    # a long canal's bounding box would otherwise cover the whole county)
    wseg, wown = segments(shapely.segmentize(water_lines, 200.0))
    tree_w = shapely.STRtree(wseg)
    rseg, rown = segments(lines)
    li, wi = tree_w.query(rseg, predicate="intersects")
    ring_lines = np.array([], dtype=object)
    if len(li):
        xs = shapely.intersection(rseg[li], wseg[wi])
        xp = shapely.get_parts(xs)
        xp = xp[shapely.get_type_id(xp) == 0]
        if len(xp):
            coords = shapely.get_coordinates(xp)
            coords = np.unique(np.round(coords, 1), axis=0)
            ring_lines = shapely.get_exterior_ring(
                shapely.buffer(shapely.points(coords), RING_RADIUS, quad_segs=3))
    if drop is not None and not drop.is_empty:
        ring_lines = np.concatenate([ring_lines, shapely.get_parts(shapely.boundary(drop))])
    merged = shapely.union_all(np.concatenate([lines, ring_lines]))
    pieces = shapely.get_parts(merged)
    # map pieces to their source road (ring arcs have none)
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    tree_r = shapely.STRtree(rseg)
    pi, ri = tree_r.query(mid, predicate="dwithin", distance=0.01)
    prank = np.full(len(pieces), -1)
    np.maximum.at(prank, pi, rank[rown[ri]])
    keep = prank >= 0
    if drop is not None:
        keep &= ~shapely.contains_xy(drop, *shapely.get_coordinates(mid).T)
    pieces, prank = pieces[keep], prank[keep]
    # which pieces cross water, and which of those are designated bridges
    # (within 0.5 m counts as crossing: rounding the coordinates later must not make a touch)
    ci, cw = tree_w.query(pieces, predicate="dwithin", distance=0.5)
    crosses = np.zeros(len(pieces), bool)
    crosses[ci] = True
    over_river = np.zeros(len(pieces), bool)
    over_river[ci[water_is_river[wown[cw]]]] = True
    min_rank = np.where(over_river, RIVER_BRIDGE_MIN_RANK, CANAL_BRIDGE_MIN_RANK)
    bridge = crosses & (prank >= min_rank)
    # graph on the endpoints
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(pieces, 0)),
                      shapely.get_coordinates(shapely.get_point(pieces, -1))])
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.ravel()
    u, v = node[: len(pieces)], node[len(pieces):]
    nn = int(node.max()) + 1
    base = ~crosses | bridge
    g = coo_matrix((np.ones(base.sum()), (u[base], v[base])), shape=(nn, nn))
    _, comp = connected_components(g, directed=False)
    # Kruskal: add the fewest other crossings (best class first) that join separate parts
    cand = np.flatnonzero(crosses & ~bridge)
    cand = cand[np.lexsort((rng.random(len(cand)), -prank[cand]))]
    parent = np.arange(comp.max() + 1)
    size = np.bincount(comp)
    # a crossing leading only to a dead end (a lone node) joins nothing worth a bridge
    cand = cand[(size[comp[u[cand]]] > 1) & (size[comp[v[cand]]] > 1)]

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for p in cand:
        a, b = find(comp[u[p]]), find(comp[v[p]])
        if a != b:
            parent[a] = b
            bridge[p] = True
    use = ~crosses | bridge
    g = coo_matrix((np.ones(use.sum()), (u[use], v[use])), shape=(nn, nn))
    _, comp = connected_components(g, directed=False)
    main = np.bincount(comp[u[use]]).argmax()
    final = use & (comp[u] == main)
    return _tidy_ends(pieces[final]), prank[final], bridge[final]


def _tidy_ends(pieces: np.ndarray, tol: float = 1.5) -> np.ndarray:
    """Drop interior vertices closer than ``tol`` m to a piece's ends.

    Noding puts nodes anywhere along a line, sometimes a few centimetres from a vertex; rounding
    the coordinates later could then make two pieces cross right next to their shared node.
    """
    xy, idx = shapely.get_coordinates(pieces, return_index=True)
    n = np.bincount(idx, minlength=len(pieces))
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    last = first + n - 1
    pos = np.arange(len(idx))
    d0 = np.hypot(*(xy - xy[first[idx]]).T)
    d1 = np.hypot(*(xy - xy[last[idx]]).T)
    keep = (pos == first[idx]) | (pos == last[idx]) | ((d0 > tol) & (d1 > tol))
    return shapely.linestrings(xy[keep], indices=idx[keep])


def segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split lines into their two-point segments; return (segments, index of their line)."""
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    return shapely.linestrings(np.stack([a, b], axis=1)), idx[:-1][same]


def graph_node_count(lines: np.ndarray) -> int:
    """Nodes of the graph made by splitting ``lines`` at every vertex (shared coordinates)."""
    coords = shapely.get_coordinates(lines)
    return len(np.unique(coords, axis=0))
