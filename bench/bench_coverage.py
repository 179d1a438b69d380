"""Benchmark: station coverage and siting against the peer stack, side by side on the same inputs.

Peers: an osmnx graph of the same roads + ``osmnx.distance.nearest_nodes`` +
``networkx.multi_source_dijkstra_path_length`` (network access); ``spopt.locate.MCLP`` with
CBC through pulp (siting). Inputs: the demo county (``data/demo_county.gpkg``, scale 1) and a
province-size instance (``childsafe demo --scale 50``, made here if missing).

Run: ``.venv/bin/python bench/bench_coverage.py [--skip-50] [--province PATH]``; writes
``bench/results/coverage.md``. Wall times are medians of ``--repeat`` runs (1 at scale 50);
CPU seconds are given too because the machine is shared (2 cores, several jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
CHILDSAFE = str(Path(PY).with_name("childsafe"))
OUT = ROOT / "bench" / "results" / "coverage.md"


def timed(fn, repeat=1):
    """Median wall seconds, CPU seconds of the last run, and the last result of ``fn()``."""
    walls, res, cpu = [], None, 0.0
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        res = fn()
        walls.append(time.perf_counter() - t0)
        cpu = time.process_time() - c0
    return float(np.median(walls)), cpu, res


def run_process(args: list[str]) -> tuple[float, float, float, str]:
    """Run a command; return wall s, CPU s (user+sys) and peak RSS (GB) of the child, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *args], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kb = int(p.stderr.strip().splitlines()[-1])
    return wall, cpu, peak_kb / 1024 / 1024, p.stdout


def load(path):
    from geo.store.dataset import read_dataset

    ds = read_dataset(path, layers=["households", "children", "stations", "roads", "admin_units"])
    return ds, ds.metric()


# --- network access ---------------------------------------------------------------------------


def ours_access(mds, level="village"):
    """Our product path: build, edge snapping, one multi-source pass (distances per household)."""
    from geo.reach.access import stations_of_level
    from geo.reach.roads import build_network

    net = build_network(mds["roads"])
    hs = net.snap_points(mds["households"].geometry)
    ss = net.snap_points(stations_of_level(mds["stations"], level).geometry)
    node_d, _src = net.nearest_source(ss, mode="walk")
    d, _ = net.point_weights(hs, node_d, mode="walk")
    return d


def ours_node_access(mds, level="village"):
    """The peer's question with our engine: nearest NODE snapping (cKDTree), node distances."""
    from scipy.spatial import cKDTree

    from geo.reach.access import _xy, stations_of_level
    from geo.reach.roads import build_network

    net = build_network(mds["roads"])
    tree = cKDTree(net.xy)
    h_nodes = tree.query(_xy(mds["households"]))[1]
    s_nodes = tree.query(_xy(stations_of_level(mds["stations"], level)))[1]
    dist = net.shortest_paths(np.unique(s_nodes), mode="walk", min_only=True)
    return dist[h_nodes], net


def peer_graph(net):
    """An osmnx MultiDiGraph of the same nodes and edges (both directions, lengths in metres)."""
    import geopandas as gpd
    import osmnx as ox
    import pandas as pd
    import shapely

    nodes = gpd.GeoDataFrame(
        {"x": net.xy[:, 0], "y": net.xy[:, 1]}, geometry=shapely.points(net.xy), crs=net.crs,
        index=pd.Index(np.arange(net.n_nodes), name="osmid"),
    )
    g = net.graph("walk", "length").tocoo()  # parallel segments kept once (the shorter)
    u, v = g.row.astype(np.int64), g.col.astype(np.int64)
    segs = shapely.linestrings(np.stack([net.xy[u], net.xy[v]], axis=1))
    edges = gpd.GeoDataFrame(
        {"length": g.data}, geometry=segs, crs=net.crs,
        index=pd.MultiIndex.from_arrays([u, v, np.zeros(len(u), dtype=int)], names=["u", "v", "key"]),
    )
    return ox.convert.graph_from_gdfs(nodes, edges, graph_attrs={"crs": net.crs})


def peer_access(mds, net, level="village"):
    import networkx as nx
    import osmnx as ox

    from geo.reach.access import _xy, stations_of_level

    c0, t0 = time.process_time(), time.perf_counter()
    g = peer_graph(net)
    build = time.perf_counter() - t0
    hxy = _xy(mds["households"])
    sxy = _xy(stations_of_level(mds["stations"], level))
    t1 = time.perf_counter()
    h_nodes = ox.distance.nearest_nodes(g, hxy[:, 0], hxy[:, 1])
    s_nodes = ox.distance.nearest_nodes(g, sxy[:, 0], sxy[:, 1])
    dist = nx.multi_source_dijkstra_path_length(g, set(np.asarray(s_nodes).tolist()), weight="length")
    d = np.array([dist.get(n, np.inf) for n in h_nodes])
    peer_access.cpu = time.process_time() - c0
    return d, build, time.perf_counter() - t1


# --- siting -----------------------------------------------------------------------------------


def siting_inputs(mds, *, level="village", spacing=1.0, max_points=None, cell_m=None):
    from geo.reach.access import child_access
    from geo.reach.roads import build_network
    from geo.reach.siting import default_candidates, network_coverage_matrix, siting_demand

    net = build_network(mds["roads"])
    acc = child_access(mds, levels=[level], network=net)
    demand, covered, _ = siting_demand(mds, acc, level=level, max_points=max_points, cell_m=cell_m)
    cand = default_candidates(mds, net, demand, radius=2000.0, spacing=spacing)
    t0 = time.perf_counter()
    cov = network_coverage_matrix(net, demand.geometry, cand.geometry, radius=2000.0)
    return demand, cand, cov, covered, time.perf_counter() - t0


def ours_mclp(cov, w, p, method="auto"):
    from geo.reach.allocation import MaximalCovering

    return MaximalCovering.from_coverage(cov, w, p=p).solve(method=method)


def spopt_mclp(cov, w, p):
    import pulp
    from spopt.locate import MCLP

    cost = np.where(cov.toarray(), 0.0, 1.0)
    model = MCLP.from_cost_matrix(cost, w, service_radius=0.5, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j, f in enumerate(model.fac_vars) if f.value() > 0.5]
    return float(w[np.asarray(cov[:, chosen].sum(axis=1)).ravel() > 0].sum())


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--county", default=str(ROOT / "data" / "demo_county.gpkg"))
    ap.add_argument("--province", default="/tmp/childsafe_province.gpkg")
    ap.add_argument("--skip-50", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows: list[tuple[str, ...]] = []
    notes: list[str] = [f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"]

    # scale 1 ---------------------------------------------------------------------------------
    w, c, p, out = run_process([CHILDSAFE, "coverage", args.county, "--out", "/tmp/bench_cov1.gpkg", "--json"])
    rows.append(("1", "`childsafe coverage` whole process (4 levels, network)", f"{w:.2f} s (CPU {c:.2f} s, {p:.2f} GB)",
                 "", "", "bar < 5 s"))
    ds, mds = load(args.county)
    wo, co, d_ours = timed(lambda: ours_access(mds), args.repeat)
    wn, cn, (d_node, net) = timed(lambda: ours_node_access(mds), args.repeat)
    d_peer, build_peer, q_peer = peer_access(mds, net)
    same = np.allclose(np.nan_to_num(d_node, posinf=-1), np.nan_to_num(d_peer, posinf=-1), rtol=1e-9, atol=1e-6)
    rows.append(("1", "network access, village level (build + snap + distances)",
                 f"{wn:.3f} s, CPU {cn:.3f} s (node snap); {wo:.3f} s (edge snap, product)",
                 f"{build_peer + q_peer:.2f} s, CPU {peer_access.cpu:.2f} s (graph {build_peer:.2f} s)",
                 f"{(build_peer + q_peer) / wn:.0f}x wall, {peer_access.cpu / cn:.0f}x CPU",
                 f"identical node distances: {same}"))
    demand, cand, cov, covered, tmat = siting_inputs(mds, spacing=1.0)
    wgt = demand["weight"].to_numpy(float)
    wm, cm, model = timed(lambda: ours_mclp(cov, wgt, 10, "exact"), args.repeat)
    ws, cs_, peer_obj = timed(lambda: spopt_mclp(cov, wgt, 10), 1)
    rows.append(("1", f"siting K=10 of {len(cand)} candidates x {len(demand):,} demand points (exact)",
                 f"{wm:.2f} s ({model.status})", f"{ws:.1f} s", f"{ws / wm:.0f}x",
                 f"same optimum: {abs(model.objective - peer_obj) < 1e-6} ({model.objective:,.0f} children); "
                 f"coverage matrix {tmat:.2f} s"))

    # scale 50 --------------------------------------------------------------------------------
    if not args.skip_50:
        prov = Path(args.province)
        if not prov.exists():
            subprocess.run([CHILDSAFE, "demo", "--scale", "50", "--out", str(prov)], check=True,
                           capture_output=True)
        w, c, p, out = run_process([CHILDSAFE, "coverage", str(prov), "--out", "/tmp/bench_cov50.gpkg", "--json"])
        rows.append(("50", "`childsafe coverage` whole process (4 levels, network)",
                     f"{w:.1f} s (CPU {c:.1f} s, peak {p:.2f} GB)", "", "", "bars < 60 s, < 4 GB"))
        ds, mds = load(prov)
        wo, co, d_ours = timed(lambda: ours_access(mds), 1)
        wn, cn, (d_node, net) = timed(lambda: ours_node_access(mds), 1)
        d_peer, build_peer, q_peer = peer_access(mds, net)
        same = np.allclose(np.nan_to_num(d_node, posinf=-1), np.nan_to_num(d_peer, posinf=-1), rtol=1e-9, atol=1e-6)
        rows.append(("50", f"network access, village level ({net.n_nodes:,} nodes, {len(mds['households']):,} households)",
                     f"{wn:.2f} s, CPU {cn:.2f} s (node snap); {wo:.2f} s (edge snap, product)",
                     f"{build_peer + q_peer:.1f} s, CPU {peer_access.cpu:.1f} s (graph {build_peer:.1f} s)",
                     f"{(build_peer + q_peer) / wn:.0f}x wall, {peer_access.cpu / cn:.0f}x CPU",
                     f"identical node distances: {same}; bar >= 15x"))
        demand, cand, cov, covered, tmat = siting_inputs(mds, spacing=3.6, cell_m=400.0, max_points=1)
        wgt = demand["weight"].to_numpy(float)
        wm, cm, model = timed(lambda: ours_mclp(cov, wgt, 500, "auto"), 1)
        rows.append(("50", f"siting K=500 of {len(cand):,} candidates x {len(demand):,} demand cells",
                     f"{wm:.1f} s ({model.status}, {model.method}, gap {100 * model.gap:.2f}%)",
                     "not run (notes: did not finish in 300 s, 4.7 GB)", "",
                     f"bar: gap <= 0.5% in < 30 s; coverage matrix {tmat:.1f} s"))

    lines = ["# Station coverage and siting: benchmark", "",
             "Ours vs the peer stack on the same inputs (`bench/bench_coverage.py`).", "",
             "| scale | task | ours | peer | speed-up | check |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "Peers: osmnx MultiDiGraph of the same segments + `osmnx.distance.nearest_nodes` + "
              "`networkx.multi_source_dijkstra_path_length`; `spopt.locate.MCLP` + CBC (pulp) on the "
              "same coverage matrix (as a 0/1 cost matrix).", "",
              "Notes:"] + [f"- {n}" for n in notes] + [f"- finished at load {os.getloadavg()[0]:.1f}", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(json.dumps({"written": str(OUT)}))


if __name__ == "__main__":
    main()
