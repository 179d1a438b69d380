"""Benchmark: how often a run projects the dataset, and what projecting once gains.

Runs the real commands (``childsafe patrol`` and ``childsafe coverage``) as separate processes on
the demo county and on a province-size instance, and counts every ``to_crs`` those processes
make (calls and rows), with the wall time and peak memory of each run.

``--code DIR`` runs the commands from another checkout of the project (e.g. the commit before the
dataset learnt to project itself once), so the two can be compared on the same machine in one run:

    git worktree add /tmp/before <commit>
    .venv/bin/python bench/bench_projection.py --code /tmp/before --label before
    .venv/bin/python bench/bench_projection.py --label after

Each run appends its rows to ``bench/results/projection.md`` under its label.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
OUT = ROOT / "bench" / "results" / "projection.md"

# Counts every GeoDataFrame/GeoSeries.to_crs of the process, then runs the CLI.
_COUNTING = r"""
import atexit, json, sys
import geopandas as gpd
calls = {"calls": 0, "rows": 0}
depth = [0]
def counting(cls):
    inner = cls.to_crs
    def to_crs(self, *a, **k):
        if depth[0] == 0:  # a frame's to_crs projects its GeoSeries: count the outer call once
            calls["calls"] += 1
            calls["rows"] += len(self)
        depth[0] += 1
        try:
            return inner(self, *a, **k)
        finally:
            depth[0] -= 1
    cls.to_crs = to_crs
counting(gpd.GeoDataFrame)
counting(gpd.GeoSeries)
atexit.register(lambda: sys.stderr.write("TO_CRS " + json.dumps(calls) + "\n"))
from geo.cli import main
sys.argv = ["childsafe", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
"""


def run(code: Path, args: list[str]) -> dict:
    """Run ``childsafe ARGS`` from the checkout ``code``; wall s, peak RSS GB and projections."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "PEAK %M", PY, "-c", _COUNTING, *args],
                       capture_output=True, text=True, env=env, cwd=code)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{p.stderr[-2000:]}")
    lines = p.stderr.splitlines()
    proj = json.loads(next(x for x in lines if x.startswith("TO_CRS "))[7:])
    peak = int(next(x for x in lines if x.startswith("PEAK "))[5:]) / 1024 / 1024
    return {"wall": wall, "peak_gb": peak, **proj}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose code runs (default: this one)")
    ap.add_argument("--label", default="this checkout")
    ap.add_argument("--province", type=Path, default=Path("/tmp/childsafe-bench/province50.gpkg"),
                    help="scale-50 dataset (made with `childsafe demo --scale 50` if missing)")
    ap.add_argument("--skip-50", action="store_true")
    opts = ap.parse_args()
    code = opts.code.resolve()
    if not (code / "geo").is_dir():
        raise SystemExit(f"{code} is not a checkout of the project")
    datasets = [("1", ROOT / "data" / "demo_county.gpkg")]
    if not opts.skip_50:
        if not opts.province.exists():
            opts.province.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(Path(PY).with_name("childsafe")), "demo", "--scale", "50", "--seed", "7",
                            "--out", str(opts.province)], check=True, cwd=ROOT)
        datasets.append(("50", opts.province))
    rev = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale, path in datasets:
            for name, args in (
                ("patrol (3 teams, 4 h)", ["patrol", str(path), "--teams", "3", "--shift-hours", "4",
                                           "--time-limit", "2", "--out", f"{tmp}/p.gpkg"]),
                ("coverage (4 levels, network)", ["coverage", str(path), "--out", f"{tmp}/c.gpkg"]),
            ):
                r = run(code, args)
                rows.append((scale, name, r))
                print(f"scale {scale} {name}: {r['wall']:.1f} s, {r['peak_gb']:.2f} GB, "
                      f"to_crs {r['calls']} calls / {r['rows']:,} rows", flush=True)
    load = os.getloadavg()[0]
    lines = [f"\n## {opts.label} (commit {rev}, load {load:.1f} on {os.cpu_count()} cores)\n",
             "| scale | command | wall | peak RSS | `to_crs` calls | rows projected |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {s} | `childsafe {n}` | {r['wall']:.1f} s | {r['peak_gb']:.2f} GB | {r['calls']} | "
              f"{r['rows']:,} |" for s, n, r in rows]
    if not OUT.exists():
        OUT.write_text("# Projecting the dataset once: benchmark\n\n"
                       "`bench/bench_projection.py`: the real commands as processes; every `to_crs` "
                       "they make is counted.\n")
    with OUT.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
