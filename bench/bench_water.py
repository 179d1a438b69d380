"""Benchmark: the water-safety pipeline side by side with the peer tools a GIS analyst would use.

Run: ``.venv/bin/python bench/bench_water.py [--scales 1 50] [--repeat 3]``. Writes
``bench/results/water.md``. Inputs: the synthetic demo, ``childsafe demo --seed 7 --scale S``
(generated once into ``--cache``, default ``/tmp/childsafe-bench``).

Rows (same inputs for every row of a task, data in memory, imports warm, median of repeats):

- whole ``childsafe water`` process (start to file written), wall time and peak RSS;
- exposure counts (children within 100 m and 500 m of each site): ours vs
  ``STRtree.query(predicate="dwithin")`` used directly (on child points) vs buffer + ``sjoin``;
- risk exposure (every child within 1,000 m with its exact distance and decay): ours vs STRtree
  dwithin + ``shapely.distance``; and the nearest site per child with ``sjoin_nearest``;
- Gi* hot spots: ours vs ``esda.G_Local(star=True, transform="B")`` analytic (with building its
  ``libpysal`` DistanceBand weights) and with its default permutations; max |dz|.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.store.dataset import read_dataset  # noqa: E402
from geo.water.hotspots import hotspots  # noqa: E402
from geo.water.kitplacement import place_kits  # noqa: E402
from geo.water.kits import kit_status  # noqa: E402
from geo.water.pipeline import USED_LAYERS, water_sites  # noqa: E402
from geo.water.risk import decay_weight, household_positions, site_risk  # noqa: E402
from geo.water.sites import sites_from_water  # noqa: E402

PY = sys.executable
CHILDSAFE = str(Path(PY).with_name("childsafe"))



# --- helpers --------------------------------------------------------------------------------------

def timed(fn, repeat: int):
    """Median wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def dataset_file(scale: float, cache: Path) -> Path:
    """The demo dataset of ``scale`` (seed 7), generated once into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"demo_s{scale:g}_seed7.gpkg"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        subprocess.run([CHILDSAFE, "-q", "demo", "--seed", "7", "--scale", f"{scale:g}", "--out", str(path)], check=True)
    return path


_WRAPPER = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
)


def process_run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds (process start to exit) and peak RSS in MB of one process."""
    out = subprocess.run([PY, "-c", _WRAPPER, *cmd], capture_output=True, text=True, check=True)
    secs, rss_kb, rc = out.stdout.split()
    if int(rc) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed")
    return float(secs), float(rss_kb) / 1024


def cli_run(args: list[str]) -> tuple[float, float]:
    """:func:`process_run` of ``childsafe -q ARGS``."""
    return process_run([CHILDSAFE, "-q", *args])


# the command's work when only the layers the analysis uses are read (the CLI's open_dataset
# reads every layer of the file: roads and visits are most of a province file)
_USED_ONLY = (
    "import sys; from geo.store.dataset import read_dataset, write_layers; "
    "from geo.water.pipeline import USED_LAYERS, water_sites; from geo.water.hotspots import risk_to_hexagons; "
    "s = water_sites(read_dataset(sys.argv[1], layers=USED_LAYERS)); "
    "write_layers(sys.argv[2], {'water_sites': s, 'risk_hexagons': risk_to_hexagons(s)})"
)


# --- one scale ------------------------------------------------------------------------------------

def run_scale(scale: float, repeat: int, cache: Path, permutations: bool) -> list[dict]:
    rows: list[dict] = []

    def row(task, approach, seconds, note=""):
        rows.append({"scale": scale, "task": task, "approach": approach, "seconds": seconds, "note": note})
        print(f"  {task:<34} {approach:<52} {seconds:8.3f} s  {note}", flush=True)

    path = dataset_file(scale, cache)
    out = Path(tempfile.mkdtemp()) / "water.gpkg"
    # 1. the whole command, process start to file written
    runs = [cli_run(["water", str(path), "--out", str(out)]) for _ in range(repeat if scale <= 5 else 1)]
    secs = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    row("whole `childsafe water` command", "ours (read, analyse, write GeoPackage)", secs, f"peak RSS {rss:,.0f} MB")
    runs = [process_run([PY, "-c", _USED_ONLY, str(path), str(out)]) for _ in range(repeat if scale <= 5 else 1)]
    row("same, reading only the 6 layers used", "python -c: read_dataset(layers=…) + water_sites + write",
        statistics.median(r[0] for r in runs), f"peak RSS {max(r[1] for r in runs):,.0f} MB")

    # 2. in memory: the same inputs for every approach
    ds = read_dataset(path, layers=USED_LAYERS).metric()
    ds.settings["reference_date"] = "2026-11-01"
    as_of = dt.date(2026, 11, 1)
    water, hh, ch = ds["water_bodies"], ds["households"], ds["children"]
    t, sites = timed(lambda: sites_from_water(water), repeat)
    row("water sites", f"ours: cut {len(water):,} waters", t, f"{len(sites):,} sites")
    status = kit_status(sites, ds["safety_kits"], water=water, inspections=ds["inspections"])
    merged = sites.drop(columns=["barrier"]).join(status)
    pos = household_positions(ch, hh)
    child_pts = hh.geometry.to_numpy()[pos[pos >= 0]]
    g = sites.geometry.to_numpy()
    n = len(sites)

    t, risk = timed(lambda: site_risk(merged, status, hh, ch, as_of=as_of), repeat)
    row("exposure counts (100 m, 500 m)", "ours: counts + risk, all within 1,000 m, exact", t,
        f"{len(child_pts):,} children")

    def peer_dwithin():
        tree = shapely.STRtree(child_pts)
        c = []
        for d in (100.0, 500.0):
            s_i, _ = tree.query(g, predicate="dwithin", distance=d)
            c.append(np.bincount(s_i, minlength=n))
        return c

    t, (p100, p500) = timed(peer_dwithin, repeat)
    same = bool((p100 == risk["children_100m"].to_numpy()).all() and (p500 == risk["children_500m"].to_numpy()).all())
    row("exposure counts (100 m, 500 m)", "STRtree.query(predicate='dwithin') + bincount", t,
        "counts identical to ours" if same else "COUNTS DIFFER")

    def peer_dwithin_500():
        s_i, _ = shapely.STRtree(child_pts).query(g, predicate="dwithin", distance=500.0)
        return np.bincount(s_i, minlength=n)

    t, _ = timed(peer_dwithin_500, repeat)
    row("exposure counts (500 m only)", "STRtree.query(predicate='dwithin') + bincount", t)

    children_gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(child_pts, crs=sites.crs), crs=sites.crs)
    site_gdf = gpd.GeoDataFrame({"i": np.arange(n)}, geometry=sites.geometry.reset_index(drop=True), crs=sites.crs)

    def peer_buffers():
        c = []
        for d in (100.0, 500.0):
            buf = site_gdf.set_geometry(site_gdf.buffer(d))
            j = gpd.sjoin(children_gdf, buf, predicate="within")
            c.append(np.bincount(j["i"].to_numpy(), minlength=n))
        return c

    t, (b100, b500) = timed(peer_buffers, repeat)
    diff = int(max(np.abs(b100 - p100).max(), np.abs(b500 - p500).max()))
    row("exposure counts (100 m, 500 m)", "geopandas buffer + sjoin", t, f"counts off by up to {diff}")

    def peer_risk():
        s_i, c_j = shapely.STRtree(child_pts).query(g, predicate="dwithin", distance=1000.0)
        d = shapely.distance(g[s_i], child_pts[c_j])
        return np.bincount(s_i, weights=decay_weight(d), minlength=n)

    t, _ = timed(peer_risk, repeat)
    row("risk exposure (1,000 m, distances)", "STRtree dwithin + shapely.distance + bincount", t)

    t, _ = timed(lambda: gpd.sjoin_nearest(children_gdf, site_gdf, max_distance=1000.0, distance_col="d"), repeat)
    row("nearest site per child (reference)", "geopandas sjoin_nearest (1,000 m)", t)

    # 3. hot spots
    merged = merged.join(risk)
    t, hs = timed(lambda: hotspots(merged, "risk"), repeat)
    row("Gi* hot spots (1 km band)", "ours: cKDTree band pairs + esda's formulas", t, f"{n:,} sites")
    ours = t
    xy = shapely.get_coordinates(shapely.centroid(g))
    y = merged["risk"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import esda
        import libpysal

        def esda_analytic():
            w = libpysal.weights.DistanceBand(xy, threshold=1000.0, binary=True, silence_warnings=True)
            return esda.G_Local(y, w, star=True, transform="B", permutations=0)

        t, ref = timed(esda_analytic, 1 if scale > 5 else repeat)
        ok = np.isfinite(ref.Zs)
        dz = float(np.abs(ref.Zs[ok] - hs["gi_z"].to_numpy()[ok]).max()) if ok.any() else 0.0
        row("Gi* hot spots (1 km band)", "esda.G_Local analytic (+ DistanceBand weights)", t,
            f"max |dz| vs ours {dz:.1e}; ours {t / ours:,.0f}x faster")
        if permutations:
            w = libpysal.weights.DistanceBand(xy, threshold=1000.0, binary=True, silence_warnings=True)
            esda.G_Local(y[:50], libpysal.weights.DistanceBand(xy[:50], threshold=1000.0, binary=True,
                                                              silence_warnings=True), star=True, transform="B")
            t0 = time.perf_counter()
            esda.G_Local(y, w, star=True, transform="B", seed=1)
            row("Gi* hot spots (1 km band)", "esda.G_Local, 999 permutations (numba warm)", time.perf_counter() - t0)

    # 4. kit placement
    k = 10 if scale <= 5 else 500
    sites_full = water_sites(ds)
    t, plan = timed(lambda: place_kits(sites_full, k), 1)
    row(f"kit placement, {k} new kits", f"ours: MaximalCovering ({plan.status})", t,
        f"gap {100 * plan.gap:.2f}%, risk -{plan.objective:,.0f}")
    return rows


def write_markdown(rows: list[dict], path: Path, load: tuple[float, float, float], started: str) -> None:
    lines = [
        "# Water safety: benchmark",
        "",
        f"Run {started} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, shared with other "
        f"work: load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start, so expect ±25% or more). "
        "Inputs: `childsafe demo --seed 7 --scale S`. In-memory rows: data read and projected once, imports "
        "warm, median of the repeats; the whole-command row is a fresh process from start to file written.",
        "",
        "| scale | task | approach | seconds | note |",
        "|---|---|---|---:|---|",
    ]
    for r in rows:
        lines.append(f"| {r['scale']:g} | {r['task']} | {r['approach']} | {r['seconds']:.3f} | {r['note']} |")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", type=float, default=[1.0, 50.0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/childsafe-bench"))
    ap.add_argument("--no-permutations", action="store_true", help="Skip esda with 999 permutations.")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "water.md")
    args = ap.parse_args()
    load = os.getloadavg()
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    rows: list[dict] = []
    for scale in args.scales:
        print(f"scale {scale:g}", flush=True)
        rows += run_scale(scale, args.repeat if scale <= 5 else 1, args.cache, not args.no_permutations)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_markdown(rows, args.out, load, started)
    print(json.dumps({"wrote": str(args.out), "rows": len(rows)}))


if __name__ == "__main__":
    main()
