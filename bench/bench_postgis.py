"""Benchmark: ``childsafe coverage`` on the PostGIS store vs the GeoPackage, at scale 1 and 50.

Bar (issue 11): coverage on PostGIS within 1.5x of the GeoPackage time at scale 1 and 50.

Run (take the heavy lock): ``.venv/bin/python bench/bench_postgis.py [--province PATH] [--runs 3]``;
writes ``bench/results/postgis.md``. A throwaway PostgreSQL + PostGIS cluster (``tests/pg.py``,
fsync on) is started on 127.0.0.1 and removed at the end; each dataset is copied into it with
``childsafe copy`` (timed too), then ``childsafe coverage DATASET --out …`` runs in fresh
processes alternately on the file and on the server. Wall times are medians; CPU seconds are of
the ``childsafe`` process only (the server's work is not in them), so the machine's load is shown.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT / "tests"))
CLI = str(Path(sys.executable).with_name("childsafe"))
OUT = ROOT / "bench" / "results" / "postgis.md"
DEMO = ROOT / "data" / "demo_county.gpkg"
PROVINCE = Path("/tmp/childsafe-bench/province50.gpkg")


def run(args: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the child) of one ``childsafe`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([CLI, "-q", *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_scale(label: str, gpkg: Path, url: str, runs: int, work: Path) -> list[str]:
    src = work / f"{label}.gpkg"  # a copy: `childsafe copy` logs itself in the source's audit log
    subprocess.run(["cp", str(gpkg), str(src)], check=True)
    copy_wall, copy_cpu = run(["copy", str(src), url])
    file_runs, pg_runs = [], []
    for i in range(runs):  # alternate, so a change of the machine's load hits both alike
        file_runs.append(run(["coverage", str(src), "--out", str(work / f"f{i}.gpkg")]))
        pg_runs.append(run(["coverage", url, "--out", str(work / f"p{i}.gpkg")]))
    fw = statistics.median(w for w, _ in file_runs)
    pw = statistics.median(w for w, _ in pg_runs)
    fc = statistics.median(c for _, c in file_runs)
    pc = statistics.median(c for _, c in pg_runs)
    ratio = pw / fw
    verdict = "meets" if ratio <= 1.5 else "MISSES"
    print(f"{label}: file {fw:.2f} s, postgis {pw:.2f} s, ratio {ratio:.2f}; copy {copy_wall:.1f} s", flush=True)
    return [
        f"| {label} | `childsafe coverage` | {fw:.2f} s (CPU {fc:.2f} s) | {pw:.2f} s (CPU {pc:.2f} s) "
        f"| {ratio:.2f}x | {verdict} the bar <= 1.5x |",
        f"| {label} | `childsafe copy` GeoPackage -> PostGIS (every table, read back and compared) "
        f"| | {copy_wall:.1f} s (CPU {copy_cpu:.1f} s) | | |",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--province", type=Path, default=PROVINCE)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-50", action="store_true")
    args = ap.parse_args()
    from pg import running_cluster

    load0 = os.getloadavg()[0]
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp, running_cluster(durable=True) as server:
        work = Path(tmp)
        os.environ["PGPASSWORD"] = server.password  # the URLs below carry no password
        rows += bench_scale("1 (demo county)", DEMO, server.url("bench_scale1", with_password=False),
                            args.runs, work)
        write(rows, load0, args.runs, done=args.skip_50)  # each scale is written as measured
        if not args.skip_50:
            if not args.province.exists():
                subprocess.run([CLI, "-q", "demo", "--scale", "50", "--out", str(args.province)], check=True)
            rows += bench_scale("50 (province)", args.province, server.url("bench_scale50", with_password=False),
                                max(1, args.runs - 1), work)
            write(rows, load0, args.runs, done=True)


def write(rows: list[str], load0: float, runs: int, *, done: bool) -> None:
    load1 = os.getloadavg()[0]
    text = "\n".join([
        "# PostGIS store: benchmark",
        "",
        "`childsafe coverage` (4 levels, network metric) on the same dataset as a GeoPackage and as a",
        "PostGIS schema (`bench/bench_postgis.py`; a local throwaway PostgreSQL 15 + PostGIS 3 cluster",
        "with fsync on). Wall times are medians of fresh processes, run alternately; CPU is the",
        "`childsafe` process's own (the server's work is not in it).",
        "",
        "| scale | task | GeoPackage | PostGIS | PostGIS / GeoPackage | check |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared; load average {load0:.1f} at start,",
        f"{load1:.1f} at the end. Runs: {runs} at scale 1, {max(1, runs - 1)} at scale 50."
        + ("" if done else " Scale 50: still running when this was written."),
        "",
    ])
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}", flush=True)


if __name__ == "__main__":
    main()
