"""Benchmark: multi-county runs as county tasks on Dask, against one process.

Runs the real commands as separate processes and reads their run reports (``OUT/run.json``:
seconds, peak memory of each worker process, status of each county):

1. scale 50 (``/tmp/childsafe-bench/province50.gpkg``, one GeoPackage split by county):
   ``childsafe coverage`` and ``childsafe water`` on the whole file in one process, county by
   county in one process (``--workers 0``) and on a LocalCluster of 2 workers
   (``--workers 2``); the county results of the last two are compared (every layer, 1e-9);
2. 10, 50 and 200 counties drawn county by county (``childsafe demo --scale N --workers 2``,
   a folder of county GeoPackages): demo, coverage and water time and peak memory per worker;
3. the 200-county water run again with one county broken (a column dropped);
4. the same county tasks on a cluster started by hand (``dask scheduler`` + 2 ``dask worker``
   processes on this machine, ``--scheduler tcp://127.0.0.1:PORT``); and what 16 cores would
   give, from the measured task times (longest-first onto 16 workers).

Run it under the heavy lock (the machine is shared): ``flock /work/scratch/heavy.lock
.venv/bin/python bench/bench_distributed.py``; ``--sizes 10,50`` for a shorter run. Writes
``bench/results/distributed.md`` and the plot ``docs/scale-time.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = str(BIN / "childsafe")
OUT = ROOT / "bench" / "results" / "distributed.md"
PLOT = ROOT / "docs" / "scale-time.png"
WORK = Path("/tmp/childsafe-bench")
PROVINCE = WORK / "province50.gpkg"


def run(*args: str, check: bool = True) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``childsafe ARGS``; wall seconds and the peak memory (MB) of its largest process."""
    t0 = time.perf_counter()
    proc = subprocess.run([CLI, "-q", *args], capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if check and proc.returncode not in (0, 1):
        raise RuntimeError(f"childsafe {' '.join(args)} failed: {proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return secs, peak, proc


def report(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def worker_peak(rep: dict) -> float:
    return max((c["peak_mb"] for c in rep["counties"]), default=0.0)


def same_results(a: Path, b: Path) -> tuple[bool, int]:
    """Every county result of ``a`` equals that of ``b`` (rows; numbers to 1e-9)."""
    import pandas as pd
    import pyogrio

    n = 0
    for fa in sorted(a.glob("*.gpkg")):
        fb = b / fa.name
        for layer in [r[0] for r in pyogrio.list_layers(fa)]:
            x = pyogrio.read_dataframe(fa, layer=layer)
            y = pyogrio.read_dataframe(fb, layer=layer)
            pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-9, atol=1e-9)
            n += len(x)
    return True, n


def side_by_side(one: dict, two: dict) -> float:
    """How much work the 2 workers did at once against one process alone: twice the task time
    of the one-process run over the task time of the 2-worker run (2.0 on two free cores; the
    same tasks run slower side by side on shared vCPUs)."""
    return 2 * sum(c["seconds"] for c in one["counties"]) / sum(c["seconds"] for c in two["counties"])


ROUNDS = 5


def _rounds(cmd: str, folder: Path, extra: list[str]) -> str:
    """``cmd`` on ``folder`` in one process, on 2 workers and on 2 workers with no dashboard
    (``--dashboard off``), :data:`ROUNDS` times in turn: the table row of the median rounds
    (this VM's second core comes and goes)."""
    modes = {"0": ["--workers", "0"], "2": ["--workers", "2"], "2off": ["--workers", "2", "--dashboard", "off"]}
    got: dict[str, list[tuple[float, dict]]] = {m: [] for m in modes}
    caps = []
    for r in range(ROUNDS):
        caps.append(capacity()[2])
        for m in (list(modes) if r % 2 == 0 else list(reversed(modes))):
            out = WORK / f"{cmd}-c50-w{m}"
            shutil.rmtree(out, ignore_errors=True)
            secs, _, _ = run(cmd, str(folder), "--out", str(out), *modes[m], *extra)
            got[m].append((secs, report(out)))
    ok, rows_n = same_results(WORK / f"{cmd}-c50-w0", WORK / f"{cmd}-c50-w2")
    ok_off, _ = same_results(WORK / f"{cmd}-c50-w0", WORK / f"{cmd}-c50-w2off")
    cells, median_round = [], {}
    for m in ("2", "2off"):
        ratios = [a[0] / b[0] for a, b in zip(got["0"], got[m], strict=True)]
        mid = median_round[m] = sorted(range(ROUNDS), key=lambda i: ratios[i])[ROUNDS // 2]
        cells.append(f"{got[m][mid][0]:.1f} s vs {got['0'][mid][0]:.1f} s: **{ratios[mid]:.2f}×**; "
                     f"{min(ratios):.2f}–{max(ratios):.2f}×")
    one, two = got["0"][median_round["2"]], got["2"][median_round["2"]]  # the work of that round
    return (f"| `{cmd}` | {sorted(t for t, _ in got['0'])[ROUNDS // 2]:.1f} s | {cells[0]} | {cells[1]} | "
            f"{side_by_side(one[1], two[1]):.2f}× | "
            f"{min(caps):.2f}–{max(caps):.2f}× | {'yes' if ok and ok_off else 'NO'} ({rows_n:,} rows) |")


def lpt_makespan(task_secs: list[float], workers: int) -> float:
    """Longest-first onto ``workers``: the time the slowest worker finishes."""
    load = [0.0] * workers
    for t in sorted(task_secs, reverse=True):
        i = load.index(min(load))
        load[i] += t
    return max(load)


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()} cores"


def _spin(_: int = 0) -> float:
    """CPU time of a fixed pure-Python loop (wall seconds)."""
    t0 = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - t0


def capacity() -> tuple[float, float, float]:
    """How much two processes at once get done against one alone (2.0 on two real cores): the
    ceiling of any 2-worker speed-up on this machine. The loop alone, the two at once, the ratio."""
    import multiprocessing as mp

    alone = min(_spin() for _ in range(2))
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [0, 0])  # warm
        both = max(pool.map(_spin, [0, 1]))
    return alone, both, 2 * alone / both


def parallel_capacity() -> str:
    alone, both, ratio = capacity()
    return (f"- parallel capacity: a fixed CPU loop takes {alone:.2f} s alone and {both:.2f} s with two "
            f"at once, so 2 processes do **{ratio:.2f}×** the work of one (the ceiling of a "
            "2-worker speed-up here)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,50,200")
    ap.add_argument("--skip-province", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    WORK.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    notes: list[str] = [f"- start: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {load_line()}",
                        parallel_capacity()]

    def emit(line: str) -> None:
        print(line, flush=True)
        rows.append(line)
        _write(notes, rows)  # each row as measured: a run cut short keeps what it measured

    # 1. scale 50, one file split by county
    if not args.skip_province:
        if not PROVINCE.exists():
            run("demo", "--scale", "50", "--out", str(PROVINCE))
        emit("\n## Scale 50: whole file, county by county in one process, 2 workers\n")
        emit("| command | whole file, 1 process | counties, 1 process | counties, 2 workers | "
             "speed-up vs whole / vs 1 process | peak MB per worker | identical |")
        emit("|---|---|---|---|---|---|---|")
        for cmd, extra in (("coverage", []), ("water", ["--no-hexagons"])):
            t_whole, m_whole, _ = run(cmd, str(PROVINCE), "--out", str(WORK / f"{cmd}50.gpkg"), *extra)
            outs = {}
            times = {}
            for w in ("0", "2"):
                out = WORK / f"{cmd}50-w{w}"
                shutil.rmtree(out, ignore_errors=True)
                times[w], _, _ = run(cmd, str(PROVINCE), "--out", str(out), "--workers", w, *extra)
                outs[w] = report(out)
            ok, n = same_results(WORK / f"{cmd}50-w0", WORK / f"{cmd}50-w2")
            emit(f"| `{cmd}` | {t_whole:.1f} s ({m_whole:,.0f} MB) | {times['0']:.1f} s | "
                 f"{times['2']:.1f} s | {t_whole / times['2']:.2f}× / {times['0'] / times['2']:.2f}× | "
                 f"{worker_peak(outs['2']):,.0f} | {'yes' if ok else 'NO'} ({n:,} rows) |")
        notes.append(f"- after scale 50: {load_line()}")

    # 2. 10 / 50 / 200 counties, county by county
    emit("\n## Counties drawn county by county (folders), 2 workers\n")
    emit("| counties | demo | peak MB/worker | coverage | s per county | peak MB/worker | "
         "water | s per county | peak MB/worker |")
    emit("|---|---|---|---|---|---|---|---|---|")
    speedups: list[str] = []
    curve: list[tuple[int, float, float, float]] = []
    for n in sizes:
        folder = WORK / f"counties{n}"
        t_demo, _, _ = run("demo", "--scale", str(n), "--out", str(folder), "--workers", "2")
        demo_rep = report(folder)
        res = {}
        for cmd, extra in (("coverage", []), ("water", ["--no-hexagons"])):
            out = WORK / f"{cmd}-c{n}"
            shutil.rmtree(out, ignore_errors=True)
            secs, _, _ = run(cmd, str(folder), "--out", str(out), "--workers", "2", *extra)
            res[cmd] = (secs, report(out))
            if n == 50:  # the same county tasks in one process: the speed-up of 2 workers
                speedups.append(_rounds(cmd, folder, extra))
        fresh = sum(c["status"] == "done" for c in demo_rep["counties"])
        demo_cell = f"{t_demo:.0f} s" if fresh == n else f"(kept from an earlier run: {n - fresh} unchanged)"
        emit(f"| {n} | {demo_cell} | {worker_peak(demo_rep):,.0f} | "
             f"{res['coverage'][0]:.1f} s | {res['coverage'][0] / n:.2f} | {worker_peak(res['coverage'][1]):,.0f} | "
             f"{res['water'][0]:.1f} s | {res['water'][0] / n:.2f} | {worker_peak(res['water'][1]):,.0f} |")
        curve.append((n, res["coverage"][0], res["water"][0], t_demo if fresh == n else float("nan")))
    if speedups:
        emit("\n## 50 counties (a folder): 2 workers against the same county tasks in one process\n")
        emit(f"Each command {ROUNDS} times, one process, 2 workers and 2 workers with no dashboard in "
             "turn (the order reversed each round), with the machine's parallel capacity measured "
             "before each round. The median of the one-process times; for each speed-up its median "
             "round (the 2-worker time against that round's one-process time) and its range:\n")
        emit("| command | 1 process (`--workers 0`) | 2 workers (the dashboard on, the default): "
             "speed-up | 2 workers, `--dashboard off`: speed-up | work done side by side | "
             "parallel capacity | identical |")
        emit("|---|---|---|---|---|---|---|")
        for line in speedups:
            emit(line)
    notes.append(f"- after the county sizes: {load_line()}")

    # 3. one broken county in the largest run
    n = max(sizes)
    folder = WORK / f"counties{n}"
    victim = sorted(folder.glob("*.gpkg"))[n // 2]
    keep = victim.read_bytes()
    try:
        con = sqlite3.connect(victim)
        con.execute("ALTER TABLE water_bodies DROP COLUMN kind")
        con.commit()
        con.close()
        out = WORK / f"water-c{n}"  # the clean run's results are there: only the broken one reruns
        secs, _, proc = run("water", str(folder), "--out", str(out), "--workers", "2", "--no-hexagons")
        rep = report(out)
        status = {}
        for c in rep["counties"]:
            status[c["status"]] = status.get(c["status"], 0) + 1
        failed = [c for c in rep["counties"] if c["status"] == "failed"]
        emit(f"\n## {n} counties, county {victim.stem} broken (column `kind` of water_bodies dropped)\n")
        emit(f"- exit status {proc.returncode}; {status}; {secs:.1f} s (the others unchanged: only "
             "the broken county is computed again)")
        emit(f"- its reason in the run report: `{failed[0]['reason'].splitlines()[-1] if failed else '-'}`")
        shutil.rmtree(out / "fresh", ignore_errors=True)
        secs, _, proc = run("water", str(folder), "--out", str(out / "fresh"), "--workers", "2", "--no-hexagons")
        rep = report(out / "fresh")
        ok = sum(c["status"] == "done" for c in rep["counties"])
        emit(f"- from scratch: exit {proc.returncode}, {ok} counties written, "
             f"{sum(c['status'] == 'failed' for c in rep['counties'])} failed, {secs:.1f} s")
    finally:
        victim.write_bytes(keep)

    # 4. a cluster started by hand, and 16 cores from the task times
    mid = 50 if 50 in sizes else sizes[0]
    folder = WORK / f"counties{mid}"
    port = free_port()
    sched = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--dashboard-address", "127.0.0.1:0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        time.sleep(3)
        workers = [subprocess.Popen([str(BIN / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                                     "--nworkers", "1", "--memory-limit", "4GiB"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        time.sleep(8)
        out = WORK / f"coverage-sched{mid}"
        shutil.rmtree(out, ignore_errors=True)
        secs, _, proc = run("coverage", str(folder), "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}")
        rep = report(out)
        same, rows_n = same_results(WORK / f"coverage-c{mid}", out)
        task = [c["seconds"] for c in rep["counties"]]
        emit("\n## A cluster started by hand: `dask scheduler` + 2 × `dask worker` on this machine\n")
        emit(f"- `childsafe coverage counties{mid}/ --scheduler tcp://127.0.0.1:{port}`: exit {proc.returncode}, "
             f"{secs:.1f} s for {len(task)} counties on {rep['where']}; identical to the LocalCluster run: "
             f"{'yes' if same else 'NO'} ({rows_n:,} rows)")
        emit(f"- county tasks: {sum(task):.1f} s of work in all, longest {max(task):.1f} s, median "
             f"{sorted(task)[len(task) // 2]:.2f} s")
        for w in (2, 16, 64):
            emit(f"- {w} workers (longest task first, from these task times, no start-up): "
                 f"{lpt_makespan(task, w):.1f} s")
    finally:
        for p in [*workers, sched]:
            p.terminate()
        for p in [*workers, sched]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    notes.append(f"- end: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {load_line()}")
    notes.append(parallel_capacity().replace("- parallel capacity", "- parallel capacity at the end"))

    if len(curve) >= 2:
        _plot(curve)
    _write(notes, rows)
    print(f"wrote {OUT}")


def _write(notes: list[str], rows: list[str]) -> None:
    head = ["# Distributed runs (bench/bench_distributed.py)", "",
            "Wall time of the whole command (cluster start-up included), peak memory of each worker "
            "process from the run reports. The machine has 2 cores; the run holds the heavy lock "
            "(no other benchmark or test suite runs meanwhile):", "",
            *notes, ""]
    OUT.write_text("\n".join(head + rows) + "\n", encoding="utf-8")


def _plot(curve: list[tuple[int, float, float, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [c[0] for c in curve]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    ax.plot(n, [c[1] for c in curve], "o-", label="coverage")
    ax.plot(n, [c[2] for c in curve], "s-", label="water")
    if all(c[3] == c[3] for c in curve):
        ax.plot(n, [c[3] for c in curve], "^-", label="demo (generate)")
    ax.set_xlabel("counties")
    ax.set_ylabel("seconds, 2 workers")
    ax.set_title("Time vs counties (county tasks on Dask, this 2-core machine)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(PLOT)


if __name__ == "__main__":
    main()
