"""Benchmark: writes to the GeoPackage store cost the rows written, not the dataset's size.

Run ``.venv/bin/python bench/bench_store.py [--province /tmp/childsafe-bench/province50.gpkg]
[--runs 5] [--concurrency | --concurrency-only] [--visits 500] [--no-postgis]``; writes
``bench/results/store.md`` (``--concurrency-only`` replaces only its concurrency section). Take
the heavy lock first.

On a copy of the demo county (scale 1) and of the scale-50 province, side by side:

1. importing 1,000 households (a CSV ledger, ids new to the dataset) with ``import_file``: the
   whole import (read, map, check against the dataset inside the write, write, audit event,
   durable commit), and the same as a ``childsafe import`` process;
2. appending 1,000 visits in one write (``import_file("visits", …)``: checked against the
   children, append-only);
3. recording one visit as the app does (``store_visit``: one transaction with its event), the
   median of 20.

Bars: (1) and (2) under 2 s at scale 50 and about the same at scale 1 and 50. The file is never
copied: its size grows by about the rows written. With ``--concurrency`` also 8 processes x 500
visits recorded one by one on the demo county (4,000 rows and 4,000 events expected) and 8
processes importing distinct 5,000-household files (40,000 rows), on a copy of the GeoPackage and
on a throwaway PostGIS server (tests/pg.py) the demo county is copied into; the audit chain is
checked after the runs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo_county.gpkg"
CLI = ROOT / ".venv" / "bin" / "childsafe"
OUT = ROOT / "bench" / "results" / "store.md"


def _villages_and_extent(path: Path) -> tuple[list[str], tuple[float, float, float, float]]:
    con = sqlite3.connect(path)
    try:
        codes = [r[0] for r in con.execute("SELECT code FROM admin_units WHERE level='village' LIMIT 200")]
        ext = con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents "
                          "WHERE table_name='households'").fetchone()
    finally:
        con.close()
    return codes, ext


def _children(path: Path, n: int) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT child_id FROM children ORDER BY fid LIMIT ?", (n,))]
    finally:
        con.close()


def households_csv(path: Path, dataset: Path, n: int, tag: str) -> Path:
    import random

    codes, (x0, y0, x1, y1) = _villages_and_extent(dataset)
    rng = random.Random(tag)
    rows = ["household_id,village_code,caregiver,lon,lat"]
    for i in range(n):
        lon = x0 + (x1 - x0) * (0.2 + 0.6 * rng.random())
        lat = y0 + (y1 - y0) * (0.2 + 0.6 * rng.random())
        rows.append(f"B{tag}-{i},{codes[i % len(codes)]},parents,{lon:.6f},{lat:.6f}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def visits_csv(path: Path, dataset: Path, n: int, tag: str) -> Path:
    kids = _children(dataset, n)
    rows = ["visit_id,child_id,visited_on,kind,recorded_by"]
    rows += [f"V{tag}-{i},{kids[i % len(kids)]},2026-11-20,contact,bench" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def measure(dataset: Path, work: Path, runs: int) -> dict[str, object]:
    from geo.field.visits import store_visit
    from geo.ingest.imports import import_file

    copy = work / f"copy-{dataset.stem}.gpkg"
    shutil.copyfile(dataset, copy)
    size0 = copy.stat().st_size
    out: dict[str, list[float]] = {"households": [], "visits": [], "cli": [], "one_visit": []}
    import_file("visits", visits_csv(work / "warm.csv", copy, 10, "warm"), into=copy)  # key index made once
    import_file("households", households_csv(work / "warmh.csv", copy, 10, "warmh"), into=copy)
    for r in range(runs):
        hh = households_csv(work / f"h{r}.csv", copy, 1000, f"{copy.stem}{r}")
        out["households"].append(_timed(lambda hh=hh: import_file("households", hh, into=copy)))
        vv = visits_csv(work / f"v{r}.csv", copy, 1000, f"{copy.stem}{r}")
        out["visits"].append(_timed(lambda vv=vv: import_file("visits", vv, into=copy)))
        cli_src = households_csv(work / f"c{r}.csv", copy, 1000, f"cli{copy.stem}{r}")
        out["cli"].append(_timed(lambda c=cli_src: subprocess.run(
            [str(CLI), "-q", "import", "households", str(c), "--into", str(copy)], check=True,
            stdout=subprocess.DEVNULL)))
    kid = _children(copy, 1)[0]
    for _ in range(20):
        out["one_visit"].append(_timed(lambda: store_visit(copy, kid, "contact", "2026-11-21")))
    grown = copy.stat().st_size - size0
    con = sqlite3.connect(copy)
    hh_rows = con.execute("SELECT count(*) FROM households").fetchone()[0]
    con.close()
    copy.unlink()
    return {"median": {k: statistics.median(v) for k, v in out.items()},
            "max": {k: max(v) for k, v in out.items()}, "size0": size0, "grown": grown,
            "households": hh_rows}


def _visit_worker(path: str, worker: int, count: int, kids: list[str], start) -> None:
    from geo.field.visits import store_visit

    start.wait()
    for i in range(count):
        store_visit(path, kids[(worker * count + i) % len(kids)], "contact", "2026-11-22")


def _import_worker(path: str, src: str, start) -> None:
    from geo.ingest.imports import import_file

    start.wait()
    import_file("households", src, into=path)


def _counts(target: str) -> dict[str, int]:
    """Rows of the tables the concurrency runs write, through the store (file or server)."""
    from geo.store.stores import open_store

    store = open_store(target)
    return {"visits": len(store.table("visits", ["visit_id"])),
            "events": len(store.table("audit_log", ["action"])),
            "households": len(store.table("households", ["household_id"]))}


def _all(ctx, target, argsets) -> float:
    start = ctx.Event()
    procs = [ctx.Process(target=target, args=(*args, start)) for args in argsets]
    for p in procs:
        p.start()
    t = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    bad = [p.exitcode for p in procs if p.exitcode != 0]
    if bad:
        raise SystemExit(f"a writer failed (exit codes {bad})")
    return time.perf_counter() - t


def concurrency(work: Path, target: str, visits: int, households: int = 5000) -> dict[str, object]:
    """8 processes x ``visits`` visits one write each, then 8 importing distinct 5,000-household
    files, into ``target`` (a copy of the demo county: a file, or a schema on the server)."""
    from geo.privacy.audit import verify_audit

    ctx = mp.get_context("fork")
    before = _counts(target)
    kids = _children(DEMO, 400)
    visits_s = _all(ctx, _visit_worker, [(target, w, visits, kids) for w in range(8)])
    mid = _counts(target)
    files = [households_csv(work / f"cc{k}.csv", DEMO, households, f"cc{k}") for k in range(8)]
    imports_s = _all(ctx, _import_worker, [(target, str(f)) for f in files])
    after = _counts(target)
    check = verify_audit(target)
    return {"visits": mid["visits"] - before["visits"], "events": mid["events"] - before["events"],
            "import_events": after["events"] - mid["events"],
            "visits_s": visits_s, "writes": 8 * visits, "households": after["households"] - before["households"],
            "imports_s": imports_s, "chain": check.text("en"), "per_file": households}


def concurrency_runs(work: Path, visits: int, postgis: bool, households: int = 5000) -> dict[str, dict[str, object]]:
    """The concurrency runs on a copy of the demo county, and (``postgis``) on a throwaway
    PostgreSQL + PostGIS cluster (tests/pg.py, fsync on) after ``copy_dataset`` into it."""
    from geo.store.copying import copy_dataset

    copy = work / "concurrent.gpkg"
    shutil.copyfile(DEMO, copy)
    out = {"GeoPackage": concurrency(work, str(copy), visits, households)}
    if postgis:
        sys.path.append(str(ROOT / "tests"))
        from pg import running_cluster

        with running_cluster(durable=True) as server:
            os.environ["PGPASSWORD"] = server.password  # the URL carries no password
            url = server.url("bench_concurrency", with_password=False)
            copy_dataset(DEMO, url)
            out["PostGIS"] = concurrency(work, url, visits, households)
            from geo.store.postgis import close_pools

            close_pools()
    return out


def _concurrency_lines(conc: dict[str, dict[str, object]], load: tuple[float, float]) -> list[str]:
    lines = ["## Concurrency (demo county, forked processes)", "",
             f"Finished {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
             "`bench/bench_store.py --concurrency[-only]`; load average (1 min) "
             f"{load[0]:.1f} at start, {load[1]:.1f} at the end. Every visit is one write (`store_visit`: "
             "lock, check the child, append, move its dates, audit event, commit); the PostGIS server is "
             "a throwaway cluster on this machine with fsync on.", "",
             "| | " + " | ".join(conc) + " |", "|---|" + "---|" * len(conc)]
    rows = [(f"8 processes x {next(iter(conc.values()))['writes'] // 8:,} visits, one write each: rows / audit events",
             lambda c: f"{c['visits']:,} / {c['events']:,}"),
            ("... wall time (s), per write (ms)",
             lambda c: f"{c['visits_s']:.1f} s, {c['visits_s'] / c['writes'] * 1000:.0f} ms"),
            (f"8 processes importing distinct {next(iter(conc.values()))['per_file']:,}-household files: rows / audit events",
             lambda c: f"{c['households']:,} / {c['import_events']}"),
            ("... wall time (s)", lambda c: f"{c['imports_s']:.1f}"),
            ("audit chain after the runs", lambda c: str(c["chain"]))]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(c) for c in conc.values()) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", type=Path, default=Path("/tmp/childsafe-bench/province50.gpkg"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", action="store_true",
                        help="also the concurrency runs, on the GeoPackage and on PostGIS")
    parser.add_argument("--concurrency-only", action="store_true",
                        help="only the concurrency runs: replace that section of store.md, keep the rest")
    parser.add_argument("--visits", type=int, default=500, help="visits per writer (the bar: 500)")
    parser.add_argument("--households", type=int, default=5000, help="households per importer (the bar: 5,000)")
    parser.add_argument("--no-postgis", action="store_true", help="concurrency on the GeoPackage only")
    args = parser.parse_args()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        work = Path(tmp)
        if args.concurrency_only:
            conc = concurrency_runs(work, args.visits, not args.no_postgis, args.households)
            section = _concurrency_lines(conc, (load0[0], os.getloadavg()[0]))
            text = OUT.read_text(encoding="utf-8") if OUT.exists() else "# Store benchmark (bench/bench_store.py)\n"
            head = text.split("\n## Concurrency")[0].rstrip("\n")
            OUT.write_text(head + "\n\n" + "\n".join(section) + "\n", encoding="utf-8")
            print("\n".join(section))
            return
        results = {"scale 1": measure(DEMO, work, args.runs)}
        if args.province.exists():
            results["scale 50"] = measure(args.province, work, args.runs)
        conc = concurrency_runs(work, args.visits, not args.no_postgis, args.households) if args.concurrency else None
    load1 = os.getloadavg()
    lines = [
        "# Store benchmark (bench/bench_store.py)", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared, Python {platform.python_version()}; "
        f"median (max) of {args.runs} runs; each write is one durable transaction (synchronous=EXTRA). "
        "Datasets are copies of data/demo_county.gpkg and the scale-50 province. "
        f"Load average (1 min) {load0[0]:.1f} at start, {load1[0]:.1f} at the end.", "",
        "| | " + " | ".join(results) + " |", "|---|" + "---|" * len(results),
    ]
    rows = [("dataset size (MB)", lambda r: f"{r['size0'] / 1e6:.0f}"),
            ("households stored after the runs", lambda r: f"{r['households']:,}"),
            ("import 1,000 households, `import_file` (s)",
             lambda r: f"{r['median']['households']:.2f} ({r['max']['households']:.2f})"),
            ("append 1,000 visits in one write (s)",
             lambda r: f"{r['median']['visits']:.2f} ({r['max']['visits']:.2f})"),
            ("`childsafe import` of 1,000 households, whole process (s)",
             lambda r: f"{r['median']['cli']:.2f} ({r['max']['cli']:.2f})"),
            ("record one visit (`store_visit`, ms)",
             lambda r: f"{r['median']['one_visit'] * 1000:.0f} ({r['max']['one_visit'] * 1000:.0f})"),
            ("file growth over all runs (MB)", lambda r: f"{r['grown'] / 1e6:.1f}")]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results.values()) + " |")
    if conc:
        lines += ["", *_concurrency_lines(conc, (load0[0], load1[0]))]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
