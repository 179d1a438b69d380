"""One synthetic county of the demo: places, water, roads, stations and kits (metres, EPSG:32650).

:func:`make_county` draws one county inside a given outline from a ``numpy`` generator and
returns plain frames (shapely geometries in a ``geometry`` column, metric coordinates) that
:mod:`geo.demo.make` numbers, joins with the people tables and projects to EPSG:4326.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.demo import _geometry as g
from geo.store.geometry import without_collections
from geo.store.schema import STATION_KIND_LEVEL

#: sizes of a standard county (area factor 1, about 1,250 km2)
STANDARD = {
    "area_m2": 1.25e9,
    "villages": 150,
    "townships": 9,
    "households": 9000,
    "ponds": 1400,
    "kits": 600,
    "cisterns": 25,
}

_SURNAMES = list("王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤")
_PLACE = list("集店岗庄圩湾桥楼营寨塘坝郢埠洼铺园岭坊墩")
_TOWN_PREFIX = ["清", "新", "永", "长", "安", "丰", "兴", "和", "平", "泉", "柳", "杨", "双", "龙",
                "凤", "宝", "高", "古", "太", "明", "金", "石", "青", "三", "大", "小", "东", "西",
                "南", "北", "瓦", "白", "黄", "马", "盛", "广", "临", "顺", "隆", "吉"]


def place_names(rng: np.random.Generator, n: int, suffix: str, *, prefix_pool=None) -> list[str]:
    """``n`` distinct fictional place names such as 王集村 (two characters and a suffix)."""
    first = prefix_pool or _SURNAMES
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        a = first[int(rng.integers(len(first)))]
        b = _PLACE[int(rng.integers(len(_PLACE)))] if rng.random() < 0.75 else \
            _TOWN_PREFIX[int(rng.integers(len(_TOWN_PREFIX)))]
        name = a + b + suffix
        if name in seen:
            if len(seen) > 0.8 * len(first) * (len(_PLACE) + len(_TOWN_PREFIX)):
                name = f"{name}{len(names)}"
            else:
                continue
        seen.add(name)
        names.append(name)
    return names


def _frame(geometry, **cols) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    df["geometry"] = np.asarray(geometry, dtype=object)
    return df


def make_county(rng: np.random.Generator, outline, gates, rivers, river_names: list[str],
                code: str, name: str, parent: str, *, af: float | None = None) -> dict:
    """Draw one county inside ``outline``; return its layers as frames in metres.

    Parameters
    ----------
    rng
        The county's own generator.
    outline
        The county polygon (EPSG:32650 metres).
    gates
        Points on the outline where county roads leave (shared with neighbours).
    rivers
        Region river centre lines (vertex arrays); clipped to the county here.
    river_names
        A name per region river.
    code, name, parent
        The county's 6-digit code, name and parent code.
    af
        Size factor: villages, households, ponds... are this many times a standard county's
        (default: the outline's area over the standard area).
    """
    if af is None:
        af = outline.area / STANDARD["area_m2"]
    out: dict = {}
    shapely.prepare(outline)

    # --- rivers, reservoir --------------------------------------------------------------
    rl = shapely.intersection(np.array([shapely.LineString(r) for r in rivers]), outline)
    keep = ~shapely.is_empty(rl)
    river_geoms = list(rl[keep])
    river_nm = [river_names[i] for i in np.flatnonzero(keep)]
    river_units = [f"{name}水利局"] * len(river_geoms)
    inner = outline.buffer(-3000.0)
    river_union = shapely.union_all(river_geoms) if river_geoms else shapely.GeometryCollection()
    reservoir = shapely.Polygon()
    if not inner.is_empty and (af < 2.0 and rng.random() < (1.0 if parent == "" else 0.6)):
        room = inner.difference(river_union.buffer(2500.0)) if river_geoms else inner
        if not room.is_empty and room.area > 1e6:
            c = g.random_points_in(rng, room, 1)[0]
            rad = rng.uniform(850.0, 1300.0) * min(1.0, np.sqrt(af) + 0.3)
            reservoir = g.blob(rng, c[0], c[1], rad, n=72, rough=0.35, stretch=1.4)
            reservoir = reservoir.intersection(outline)
            if river_geoms:  # its outflow: a stream to the nearest river
                a = shapely.get_coordinates(shapely.shortest_line(reservoir.exterior, river_union))
                if np.hypot(*(a[1] - a[0])) < 15000:
                    stream = g.meander(rng, a[0], a[1], step=80.0, wander=0.8)
                    s = shapely.intersection(shapely.LineString(stream), outline)
                    if not s.is_empty:
                        river_geoms.append(s)
                        river_nm.append(place_names(rng, 1, "河", prefix_pool=_TOWN_PREFIX)[0])
                        river_units.append(f"{name}水利局")
    river_geoms_arr = np.array(river_geoms, dtype=object)

    # --- settlements ------------------------------------------------------------------------
    n_v = max(3, int(round(STANDARD["villages"] * af)))
    n_t = max(1, int(round(STANDARD["townships"] * af)))
    avoid = shapely.union_all([river_union.buffer(350.0), reservoir.buffer(800.0)])
    centres, town, seats = g.settlements(rng, outline, avoid, n_v, n_t)
    n_v = len(centres)
    n_t = len(seats)
    is_seat = np.zeros(n_v, bool)
    is_seat[seats] = True
    cx, cy = outline.centroid.coords[0]
    county_seat = int(seats[np.argmin(np.hypot(centres[seats, 0] - cx, centres[seats, 1] - cy))])
    cells = g.village_cells(centres, outline)
    shapely.prepare(cells)

    town_names = [f"{n}{'镇' if rng.random() < 0.7 else '乡'}"
                  for n in place_names(rng, n_t, "", prefix_pool=_TOWN_PREFIX)]
    town_codes = [f"{code}{101 + t:03d}" for t in range(n_t)]
    vil_names = place_names(rng, n_v, "村")
    vil_codes = np.empty(n_v, dtype=object)
    for t in range(n_t):
        members = np.flatnonzero(town == t)
        members = members[np.argsort(~is_seat[members], kind="stable")]  # the seat first
        for k, v in enumerate(members):
            # a township seat is a community (居委会, 001); villages (村委会) count from 201
            vil_codes[v] = f"{town_codes[t]}{1 if is_seat[v] else 200 + k:03d}"
            if is_seat[v]:
                vil_names[v] = vil_names[v][:-1] + "社区"
    town_polys = [shapely.union_all(cells[town == t]) for t in range(n_t)]
    out["admin"] = pd.concat([
        _frame([outline], code=[code], name=[name], level=["county"], parent_code=[parent]),
        _frame(town_polys, code=town_codes, name=town_names, level=["township"] * n_t,
               parent_code=[code] * n_t),
        _frame(cells, code=list(vil_codes), name=vil_names, level=["village"] * n_v,
               parent_code=[town_codes[t] for t in town]),
    ], ignore_index=True)

    # --- households: clusters around village centres and hamlets --------------------------
    n_h = max(n_v, int(round(STANDARD["households"] * af)))
    w = rng.lognormal(0.0, 0.55, n_v) * np.where(is_seat, 2.5, 1.0)
    w[county_seat] *= 2.5
    counts = rng.multinomial(n_h, w / w.sum())
    n_ham = np.minimum(rng.poisson(1.2, n_v), 3)
    hv = np.repeat(np.arange(n_v), n_ham)
    ang = rng.uniform(0, 2 * np.pi, len(hv))
    dist = rng.uniform(450.0, 1100.0, len(hv))
    hc = centres[hv] + np.column_stack([np.cos(ang), np.sin(ang)]) * dist[:, None]
    ok = shapely.contains_xy(cells[hv], hc[:, 0], hc[:, 1]) if len(hv) else np.zeros(0, bool)
    if len(hv) and not avoid.is_empty:
        ok &= ~shapely.intersects(avoid, shapely.points(hc))
    hv, hc = hv[ok], hc[ok]
    share = rng.uniform(0.08, 0.2, len(hv))
    ham_n = np.floor(share * counts[hv]).astype(int)
    main_n = counts - np.bincount(hv, weights=ham_n, minlength=n_v).astype(int)
    clus_c = np.vstack([centres, hc])
    clus_v = np.concatenate([np.arange(n_v), hv])
    clus_n = np.concatenate([main_n, ham_n])
    sigma = 35.0 + 9.0 * np.sqrt(clus_n)
    # the lanes of each settlement (a jittered street lattice); most houses line them
    radii = np.clip(1.7 * sigma, 90.0, 650.0)
    radii[clus_n == 0] = 70.0
    lanes, lane_main, lane_owner, lattice = g.lattice_lanes(rng, clus_c, radii)
    h_cl = np.repeat(np.arange(len(clus_c)), clus_n)
    h_xy = clus_c[h_cl] + rng.normal(0, 1, (len(h_cl), 2)) * sigma[h_cl, None]
    on_lane = (rng.random(len(h_cl)) < 0.7) & np.isin(h_cl, lane_owner)
    if on_lane.any():
        h_xy[on_lane] = g.points_along(rng, lanes, lane_owner, h_cl[on_lane], side=(8.0, 22.0))
    h_v = clus_v[h_cl]
    bad_zone = shapely.union_all([river_union.buffer(40.0), reservoir.buffer(20.0)])
    for attempt in range(3):
        pts = shapely.points(h_xy)
        bad = ~shapely.contains(cells[h_v], pts)
        if not bad_zone.is_empty:
            bad |= shapely.intersects(bad_zone, pts)
        if not bad.any():
            break
        spread = 25.0 if attempt < 2 else 0.0
        h_xy[bad] = centres[h_v[bad]] + rng.normal(0, 1, (int(bad.sum()), 2)) * spread
    out["households"] = _frame(shapely.points(h_xy), village=h_v, township=town[h_v])
    out["village_codes"] = vil_codes
    out["village_names"] = vil_names
    out["village_township"] = town
    out["is_seat"] = is_seat
    out["town_names"] = town_names

    # --- canals and ditches: a rotated irrigation grid ---------------------------------------
    th = rng.uniform(-0.35, 0.35)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    minx, miny, maxx, maxy = outline.bounds
    half = 0.5 * np.hypot(maxx - minx, maxy - miny) + 1000.0
    sp = rng.uniform(3200.0, 3800.0)
    off = rng.uniform(0, sp, 2)
    ks = np.arange(-int(half / sp) - 1, int(half / sp) + 2)
    c0 = np.array([0.5 * (minx + maxx), 0.5 * (miny + maxy)])
    no_water = reservoir.buffer(60.0) if not reservoir.is_empty else None
    canal_lines = []
    for axis in (0, 1):
        for kk in ks:
            if axis == 1 and rng.random() < 0.3:
                continue
            a = np.array([-half, kk * sp + off[axis]])
            b = np.array([half, kk * sp + off[axis]])
            if axis == 1:
                a, b = a[::-1], b[::-1]
            canal_lines.append(shapely.LineString([c0 + rot @ a, c0 + rot @ b]))
    ditch_lines = []
    step = sp / 5
    for a_i in ks:
        for b_i in ks:
            for m in range(1, 5):
                if rng.random() > 0.33:
                    continue
                u = a_i * sp + off[1] + m * step
                v0, v1 = b_i * sp + off[0], (b_i + 1) * sp + off[0]
                ditch_lines.append(shapely.LineString([c0 + rot @ [u, v0], c0 + rot @ [u, v1]]))
    clip_to = outline if no_water is None else outline.difference(no_water)

    def clip(lines):
        arr = shapely.intersection(np.array(lines, dtype=object), clip_to)
        arr = arr[~shapely.is_empty(arr)]
        arr = arr[shapely.length(arr) > 300.0]
        return shapely.line_merge(arr)

    canals = clip(canal_lines)
    ditches = clip(ditch_lines)
    ditches = shapely.get_parts(ditches)
    ditches = ditches[shapely.length(ditches) > 300.0]

    # --- ponds and cisterns -----------------------------------------------------------------
    n_p = int(round(STANDARD["ponds"] * af))
    m = int(n_p * 2.2) + 10
    near = rng.random(m) < 0.72
    base = np.where(near[:, None], h_xy[rng.integers(0, len(h_xy), m)],
                    g.random_points_in(rng, outline, m))
    a2 = rng.uniform(0, 2 * np.pi, m)
    d2 = np.where(near, rng.uniform(30.0, 380.0, m), 0.0)
    pc = base + np.column_stack([np.cos(a2), np.sin(a2)]) * d2[:, None]
    pr = np.clip(rng.lognormal(np.log(22.0), 0.45, m), 10.0, 75.0)
    ponds = g.pond_shapes(rng, pc, pr)
    okp = shapely.within(ponds, outline)
    lines_all = np.concatenate([river_geoms_arr, canals, ditches])
    if len(lines_all):
        t_l = shapely.STRtree(g.segments(shapely.segmentize(lines_all, 200.0))[0])
        hit, _ = t_l.query(ponds, predicate="dwithin", distance=12.0)
        okp[hit] = False
    if not reservoir.is_empty:
        okp &= ~shapely.dwithin(ponds, reservoir, 40.0)
    t_h = shapely.STRtree(shapely.points(h_xy))
    hit, _ = t_h.query(ponds, predicate="dwithin", distance=8.0)
    okp[hit] = False
    ponds, near = ponds[okp], near[okp]
    t_p = shapely.STRtree(ponds)
    i, j = t_p.query(ponds, predicate="dwithin", distance=5.0)
    dup = np.zeros(len(ponds), bool)
    dup[j[i < j]] = True
    ponds, near = ponds[~dup][:n_p], near[~dup][:n_p]
    n_c = max(1, int(round(STANDARD["cisterns"] * af)))
    cb = h_xy[rng.integers(0, len(h_xy), n_c)]
    ca = rng.uniform(0, 2 * np.pi, n_c)
    cc = cb + np.column_stack([np.cos(ca), np.sin(ca)]) * rng.uniform(12.0, 35.0, n_c)[:, None]
    cisterns = g.pond_shapes(rng, cc, rng.uniform(2.0, 3.5, n_c))

    # water frame: kind, name, responsible unit, barrier, the village it lies in
    def village_of(geoms) -> np.ndarray:
        rep = shapely.point_on_surface(geoms)
        tree = shapely.STRtree(cells)
        gi, ci = tree.query(rep, predicate="intersects")
        res = np.zeros(len(geoms), int)
        res[gi[::-1]] = ci[::-1]
        return res

    wv_p, wv_c, wv_d = village_of(ponds), village_of(cisterns), village_of(ditches)
    wv_k = village_of(canals)
    canal_names = [f"{['一', '二', '三', '四', '五', '六', '七', '八', '九'][k % 9]}干渠"
                   if k < 9 else f"{vil_names[wv_k[k]][:2]}支渠" for k in range(len(canals))]
    pond_named = rng.random(len(ponds)) < 0.12
    pond_units = rng.random(len(ponds))
    frames = [
        _frame(river_geoms_arr, kind="river", name=river_nm, responsible_unit=river_units,
               barrier=False, village=-1),
        _frame(canals, kind="canal", name=canal_names,
               responsible_unit=[f"{town_names[town[v]]}水利站" for v in wv_k],
               barrier=rng.random(len(canals)) < 0.15, village=wv_k),
        _frame(ditches, kind="ditch", name=None,
               responsible_unit=[f"{vil_names[v]}委会" if u < 0.55 else None
                                 for v, u in zip(wv_d, rng.random(len(ditches)), strict=True)],
               barrier=rng.random(len(ditches)) < 0.05, village=wv_d),
        _frame(ponds, kind="pond",
               name=[f"{vil_names[v][:2]}塘" if nm else None
                     for v, nm in zip(wv_p, pond_named, strict=True)],
               responsible_unit=[f"{vil_names[v]}委会" if u < 0.6 else
                                 ("承包经营户" if u < 0.75 else None)
                                 for v, u in zip(wv_p, pond_units, strict=True)],
               barrier=rng.random(len(ponds)) < np.where(near, 0.14, 0.05), village=wv_p),
        _frame(cisterns, kind="cistern", name=None,
               responsible_unit=[f"{vil_names[v]}委会" for v in wv_c],
               barrier=rng.random(len(cisterns)) < 0.5, village=wv_c),
    ]
    if not reservoir.is_empty:
        rname = f"{vil_names[int(np.argmin(shapely.distance(shapely.points(centres), reservoir)))][:2]}水库"
        frames.append(_frame([reservoir], kind="reservoir", name=[rname],
                             responsible_unit=[f"{rname}管理所"], barrier=[True], village=-1))
    water = pd.concat(frames, ignore_index=True)
    water["geometry"] = without_collections(water["geometry"].to_numpy())
    water = water[shapely.get_dimensions(water["geometry"].to_numpy()) >= 1].reset_index(drop=True)
    out["water"] = water

    # --- roads -------------------------------------------------------------------------------
    out["roads"] = _roads(rng, outline, centres, is_seat, seats, county_seat, hc, hv, clus_c,
                          (lanes, lane_main, lattice), gates, reservoir, river_geoms_arr, canals)

    # --- stations and kits -------------------------------------------------------------------
    out["stations"] = _stations(rng, centres, seats, county_seat, town, town_names, vil_names,
                                name, outline, counts)
    out["kits"] = _kits(rng, water, centres, h_xy, int(round(STANDARD["kits"] * af)))
    return out


def _roads(rng, outline, centres, is_seat, seats, county_seat, hc, hv, clus_c, village_lanes,
           gates, reservoir, rivers, canals) -> pd.DataFrame:
    lines, rank = [], []

    def add(geoms, r):
        geoms = np.asarray(geoms, dtype=object)
        lines.append(geoms)
        rank.append(np.broadcast_to(np.asarray(r), len(geoms)).astype(int))

    res_zone = reservoir.buffer(150.0) if not reservoir.is_empty else None

    def penalty_for(pts):
        if res_zone is None:
            return None
        return lambda e: shapely.intersects(
            res_zone, shapely.linestrings(np.stack([pts[e[:, 0]], pts[e[:, 1]]], 1)))

    sp = centres[seats]
    e = g.graph_edges(sp, rng, extra=0.5, max_extra_len=25000.0, penalty=penalty_for(sp))
    cls = np.where((seats[e[:, 0]] == county_seat) | (seats[e[:, 1]] == county_seat),
                   g.RANK["primary"], g.RANK["secondary"])
    add(g.wiggle_lines(rng, sp[e[:, 0]], sp[e[:, 1]], step=110.0, amp_frac=0.05, max_amp=500.0),
        cls)
    gate_xy = shapely.get_coordinates(np.asarray(gates, dtype=object)) if len(gates) else np.zeros((0, 2))
    if len(gate_xy):
        near = np.argmin(np.hypot(gate_xy[:, None, 0] - sp[None, :, 0],
                                  gate_xy[:, None, 1] - sp[None, :, 1]), axis=1)
        gate_lines = g.wiggle_lines(rng, sp[near], gate_xy, step=110.0, amp_frac=0.03,
                                    max_amp=300.0)
        add(gate_lines, g.RANK["primary"])
    n_fixed = sum(len(x) for x in lines)  # county roads and exits are not clipped
    ev = g.graph_edges(centres, rng, extra=0.3, max_extra_len=3500.0,
                       penalty=penalty_for(centres))
    cls = np.where(is_seat[ev[:, 0]] | is_seat[ev[:, 1]] | (rng.random(len(ev)) < 0.2),
                   g.RANK["tertiary"], g.RANK["rural"])
    add(g.wiggle_lines(rng, centres[ev[:, 0]], centres[ev[:, 1]], step=110.0, amp_frac=0.07,
                       max_amp=220.0), cls)
    if len(hc):
        add(g.wiggle_lines(rng, centres[hv], hc, step=80.0, amp_frac=0.08, max_amp=120.0),
            g.RANK["rural"])
    lanes, main, lattice = village_lanes
    add(lanes, np.where(main, g.RANK["rural"], g.RANK["path"]))
    n_tr = 1 + rng.poisson(1.1, len(clus_c))
    starts, ends = [], []
    for k, pts in enumerate(lattice):
        pick = pts[rng.integers(0, len(pts), n_tr[k])]
        d = pick - clus_c[k]
        ang = np.arctan2(d[:, 1], d[:, 0])
        ang = np.where(np.hypot(d[:, 0], d[:, 1]) < 1, rng.uniform(0, 2 * np.pi, len(d)), ang)
        ang = ang + rng.normal(0, 0.35, len(d))
        ln = rng.uniform(300.0, 1400.0, len(d))
        starts.append(pick)
        ends.append(pick + np.column_stack([np.cos(ang), np.sin(ang)]) * ln[:, None])
    add(g.wiggle_lines(rng, np.vstack(starts), np.vstack(ends), step=150.0, amp_frac=0.06,
                       max_amp=80.0), g.RANK["track"])
    lines_a = np.concatenate(lines)
    rank_a = np.concatenate(rank)
    # keep roads inside the county (the county roads and exits are drawn to stay inside)
    clip = np.zeros(len(lines_a), bool)
    clip[n_fixed:] = ~shapely.within(lines_a[n_fixed:], outline)
    if clip.any():
        cut = shapely.intersection(lines_a[clip], outline)
        parts, idx = shapely.get_parts(cut, return_index=True)
        parts_ok = shapely.get_type_id(parts) == 1
        lines_a = np.concatenate([lines_a[~clip], parts[parts_ok]])
        rank_a = np.concatenate([rank_a[~clip], rank_a[clip][idx[parts_ok]]])
    water = np.concatenate([rivers, canals])
    is_river = np.concatenate([np.ones(len(rivers), bool), np.zeros(len(canals), bool)])
    pieces, prank, bridge = g.node_roads(lines_a, rank_a, water, is_river, rng,
                                         drop=None if reservoir.is_empty else reservoir)
    return _frame(pieces, road_class=[g.ROAD_RANK_CLASS[r] for r in prank], bridge=bridge)


def _offset(rng, xy, lo, hi, outline):
    ang = rng.uniform(0, 2 * np.pi, len(xy))
    d = rng.uniform(lo, hi, len(xy))
    p = xy + np.column_stack([np.cos(ang), np.sin(ang)]) * d[:, None]
    inside = shapely.contains_xy(outline, p[:, 0], p[:, 1])
    p[~inside] = xy[~inside]
    return p


_VILLAGE_KINDS = {
    "childrens_home": ("儿童之家", 0.13, (20, 60)),
    "child_heart_harbour": ("童心港湾", 0.025, (15, 40)),
    "sunshine_station": ("阳光驿站", 0.015, (10, 30)),
    "love_station": ("爱心驿站", 0.015, (10, 30)),
}


def _stations(rng, centres, seats, county_seat, town, town_names, vil_names, county_name,
              outline, households) -> pd.DataFrame:
    rows: list[tuple] = []  # (kind, name, capacity, x, y)

    def put(kind, nm, cap, xy, lo=60.0, hi=300.0):
        p = _offset(rng, np.asarray(xy, float)[None, :], lo, hi, outline)[0]
        c = None if rng.random() < 0.1 else int(rng.integers(cap[0], cap[1] + 1))
        rows.append((kind, nm, c, p[0], p[1]))
        return p

    cs = centres[county_seat]
    put("rescue_protection_institution", f"{county_name}未成年人救助保护中心", (30, 80), cs, 300, 900)
    put("child_welfare_institution", f"{county_name}儿童福利院", (60, 150), cs, 300, 1200)
    for t, s in enumerate(seats):
        tn = town_names[t]
        put("minor_protection_workstation", f"{tn}未成年人保护工作站", (20, 60), centres[s])
        if rng.random() < 0.55:
            put("social_work_station", f"{tn}社会工作服务站", (30, 80), centres[s])
        if rng.random() < 0.3:
            put("day_care_centre", f"{tn}儿童日间照料中心", (20, 50), centres[s])
        school = put("school", f"{tn}中心小学", (400, 1500), centres[s], 150, 500)
        if rng.random() < 0.35:
            put("school_care_room", f"{tn}中心小学关爱室", (20, 60), school, 5, 20)
        if rng.random() < 0.75:
            put("kindergarten", f"{tn}中心幼儿园", (100, 400), centres[s], 150, 600)
        if rng.random() < 0.4:
            put("boarding_school", f"{tn}中学", (600, 1800), centres[s], 300, 900)
    others = np.setdiff1d(np.arange(len(centres)), seats)
    for kind, (suffix, share, cap) in _VILLAGE_KINDS.items():
        k = int(round(share * len(others)))
        if k == 0:
            continue
        w = households[others].astype(float) + 1
        pick = rng.choice(others, size=min(k, len(others)), replace=False, p=w / w.sum())
        for v in np.sort(pick):
            put(kind, f"{vil_names[v]}{suffix}", cap, centres[v], 20, 150)
    kinds = [r[0] for r in rows]
    return _frame(
        shapely.points([(r[3], r[4]) for r in rows]),
        kind=kinds,
        name=[r[1] for r in rows],
        level=[STATION_KIND_LEVEL[k] for k in kinds],
        capacity=pd.array([r[2] for r in rows], dtype="Int64"),
    )


def _kits(rng, water: pd.DataFrame, centres, h_xy, n_kits: int) -> pd.DataFrame:
    """Four-ones kits at the edge of waters near people (ponds, rivers, canals, reservoir)."""
    geoms = np.asarray(water["geometry"].to_numpy(), dtype=object)
    kind = water["kind"].to_numpy()
    homes = shapely.points(h_xy)
    tree_h = shapely.STRtree(homes)
    cand_w, cand_p, cand_wt = [], [], []
    # ponds and cisterns: at the shore facing the nearest house, weighted by houses nearby
    small = np.flatnonzero(np.isin(kind, ["pond", "cistern"]))
    if len(small):
        wi, hi = tree_h.query(geoms[small], predicate="dwithin", distance=250.0)
        nh = np.bincount(wi, minlength=len(small))
        has = nh > 0
        near_i, near_h = tree_h.query_nearest(geoms[small][has], return_distance=False)
        sl = shapely.shortest_line(geoms[small][has][near_i], homes[near_h])
        cand_w.append(small[has][near_i])
        cand_p.append(shapely.line_interpolate_point(sl, np.minimum(3.0, shapely.length(sl))))
        cand_wt.append(nh[has][near_i].astype(float) * np.where(kind[small][has][near_i] == "pond", 1.0, 0.3))
    # long waters: the point nearest each village centre within 1.5 km
    long_ = np.flatnonzero(np.isin(kind, ["river", "canal", "ditch", "reservoir"]))
    if len(long_):
        cpts = shapely.points(centres)
        tree_w = shapely.STRtree(geoms[long_])
        ci, wi = tree_w.query(cpts, predicate="dwithin", distance=1500.0)
        target = geoms[long_][wi]
        target = np.where(kind[long_][wi] == "reservoir", shapely.boundary(target), target)
        sl = shapely.shortest_line(target, cpts[ci])
        cand_w.append(long_[wi])
        cand_p.append(shapely.line_interpolate_point(sl, np.minimum(6.0, shapely.length(sl))))
        kind_weight = {"river": 6.0, "canal": 4.0, "ditch": 1.5, "reservoir": 8.0}
        cand_wt.append(np.array([kind_weight[k] for k in kind[long_][wi]]))
    w_idx = np.concatenate(cand_w)
    pts = np.concatenate(cand_p)
    wt = np.concatenate(cand_wt)
    n = min(n_kits, len(w_idx))
    pick = np.sort(rng.choice(len(w_idx), size=n, replace=False, p=wt / wt.sum()))
    state = rng.choice(3, size=n, p=[0.42, 0.48, 0.10])  # complete, partial, stripped
    items = np.ones((n, 4), bool)
    part = state == 1
    miss = rng.random((n, 4)) < np.array([0.15, 0.55, 0.45, 0.5])
    none_missing = part & ~miss.any(axis=1)
    miss[none_missing, rng.integers(1, 4, int(none_missing.sum()))] = True
    items[part] = ~miss[part]
    stripped = state == 2
    items[stripped] = False
    items[stripped, 0] = rng.random(int(stripped.sum())) < 0.5
    return _frame(pts[pick], water=w_idx[pick], sign=items[:, 0], buoy=items[:, 1],
                  rope=items[:, 2], pole=items[:, 3])
