"""Benchmark: the yearly report and the Progress page, on the demo county and the scale-50 province.

Run ``.venv/bin/python bench/bench_report.py [--province /tmp/childsafe-bench/province50.gpkg]
[--runs 3]``; writes ``bench/results/report.md``. Take the heavy lock first.

1. ``childsafe report DATASET --year 2026 --live --out report.pdf`` in a fresh process (the command
   users run: read, indicators, maps, PDF), on a copy of the dataset (the report logs itself in the
   dataset's audit log, so the read-only province file is copied). Bars: demo county < 10 s,
   scale-50 province roll-up < 60 s.
2. The Progress page in headless Chromium (``streamlit run app.py``, every request off 127.0.0.1
   aborted): from navigation to the choropleth drawn (polygons in Leaflet's map). First navigation
   (cold: the indicators are computed) and the median of the warm ones. Bars: < 3 s warm on the
   demo county, < 5 s for the province with the whole province visible (its counties).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
DEMO = ROOT / "data" / "demo_county.gpkg"
CLI = ROOT / ".venv" / "bin" / "childsafe"
DRAWN_JS = ("() => { if (typeof L === 'undefined') return 0; const m = window.map || Object.values(window)"
            ".find(v => v instanceof L.Map); if (!m) return 0; let n = 0; m.eachLayer(l => { if (l instanceof "
            "L.Polygon) n++; }); return n; }")


def run_report(dataset: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``childsafe report`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([str(CLI), "-q", "report", str(dataset), "--year", "2026", "--live", "--out", str(out), *extra],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


ANY_DRAWN_JS = ("() => { if (typeof L === 'undefined') return 0; const m = window.map || Object.values(window)"
                ".find(v => v instanceof L.Map); if (!m) return 0; let n = 0; m.eachLayer(l => { if (l instanceof "
                "L.Path) n++; }); return n; }")


def time_page(dataset: Path, runs: int, page: str = "progress",
              drawn_js: str = DRAWN_JS) -> tuple[float, list[float], list[float], int]:
    """(cold first seconds, warm seconds, returning seconds, polygons drawn) of the Progress page.

    Cold: the server's first navigation (indicators computed). Warm: a fresh browser context each
    time (Streamlit's JavaScript downloaded and parsed again, like a first visit). Returning: one
    browser context kept across navigations (its HTTP cache warm, like a leader opening the page
    again in the same browser).
    """
    from conftest import CHROMIUM, CHROMIUM_ARGS, MAP_FRAME, start_streamlit, stop_streamlit
    from playwright.sync_api import sync_playwright

    proc, url = start_streamlit({"CHILDSAFE_DATASET": str(dataset)})
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    times, returning, drawn = [], [], 0

    def context():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        external: list[str] = []

        def route(r, external=external):
            if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        return ctx, external

    def navigate(ctx, external) -> float:
        nonlocal drawn
        pg = ctx.new_page()
        t = time.perf_counter()
        pg.goto(url.rstrip("/") + "/" + page)
        pg.wait_for_selector(MAP_FRAME, state="attached", timeout=600_000)
        frame = pg.query_selector(MAP_FRAME).content_frame()
        frame.wait_for_function(drawn_js, timeout=600_000, polling=50)
        took = time.perf_counter() - t
        drawn = int(frame.evaluate(drawn_js))
        assert not external, external
        pg.close()
        return took

    try:
        for _ in range(runs + 1):
            ctx, external = context()
            times.append(navigate(ctx, external))
            ctx.close()
        ctx, external = context()
        navigate(ctx, external)  # fills this browser's cache
        returning = [navigate(ctx, external) for _ in range(runs)]
        ctx.close()
    finally:
        browser.close()
        pw.stop()
        stop_streamlit(proc)
    return times[0], times[1:], returning, drawn


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--province", type=Path, default=Path("/tmp/childsafe-bench/province50.gpkg"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-page", action="store_true")
    ap.add_argument("--skip-report", action="store_true", help="only the page (rows of an earlier run are lost)")
    args = ap.parse_args()
    load = os.getloadavg()
    rows: list[tuple[str, ...]] = []

    def write() -> None:  # after every row: a long run interrupted keeps what it measured
        _write(rows, load)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        demo = tmp / "demo_county.gpkg"
        shutil.copy(DEMO, demo)
        prov = None
        if args.province.exists():
            prov = tmp / "province50.gpkg"
            shutil.copy(args.province, prov)
        if not args.skip_report:
            walls, cpus = zip(*[run_report(demo, tmp / "r.pdf", []) for _ in range(args.runs)], strict=True)
            rows.append(("1", "`childsafe report` demo county → PDF (fresh process)", f"{statistics.median(walls):.1f} s",
                         f"CPU {statistics.median(cpus):.1f} s; runs {', '.join(f'{w:.1f}' for w in walls)}", "< 10 s"))
            write()
            wall, cpu = run_report(demo, tmp / "r.xlsx", [])
            rows.append(("1", "`childsafe report` demo county → Excel", f"{wall:.1f} s", f"CPU {cpu:.1f} s", ""))
            write()
        if prov is not None and not args.skip_report:
            wall, cpu = run_report(prov, tmp / "p.pdf", ["--level", "province", "--area-name", "示范省"])
            rows.append(("50", "`childsafe report` province roll-up (50 counties) → PDF", f"{wall:.1f} s",
                         f"CPU {cpu:.1f} s", "< 60 s"))
            write()
        if not args.skip_page:
            cold, warm, back, n = time_page(demo, args.runs)
            rows.append(("1", "Progress page, headless Chromium, to choropleth drawn", f"{statistics.median(warm):.1f} s warm",
                         f"cold {cold:.1f} s; returning browser {statistics.median(back):.1f} s; warm runs "
                         f"{', '.join(f'{w:.1f}' for w in warm)}; {n} polygons (townships)", "< 3 s warm"))
            write()
            # the overview map in the same run: the app's other map page, as a yardstick of the load
            cold, warm, back, n = time_page(demo, args.runs, page="", drawn_js=ANY_DRAWN_JS)
            rows.append(("1", "reference: Overview page (bench_map.py's bar: < 5 s), same run",
                         f"{statistics.median(warm):.1f} s warm", f"cold {cold:.1f} s; returning browser "
                         f"{statistics.median(back):.1f} s; warm runs {', '.join(f'{w:.1f}' for w in warm)}", ""))
            write()
            if prov is not None:
                cold, warm, back, n = time_page(prov, args.runs)
                rows.append(("50", "Progress page, whole province visible", f"{statistics.median(warm):.1f} s warm",
                             f"cold {cold:.1f} s (indicators computed once); returning browser "
                             f"{statistics.median(back):.1f} s; warm runs {', '.join(f'{w:.1f}' for w in warm)}; "
                             f"{n} polygons (its units below the province)", "< 5 s warm"))
                write()


def _write(rows: list[tuple[str, ...]], load: tuple[float, float, float]) -> None:
    lines = ["# Report and Progress page: benchmark", "",
             f"`bench/bench_report.py` on {platform.node()} ({os.cpu_count()} cores, shared: load average "
             f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start), Python {platform.python_version()}.", "",
             "| scale | what | time | notes | bar |", "|---|---|---:|---|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    lines += ["", "The report runs the product's own analyses (visit schedules, staffing, water sites with kits and "
              "hot spots, the patrol calendar per county, network coverage of four station levels), draws three "
              "maps with matplotlib and sets the PDF with WeasyPrint. `--live` forces the computation even when a "
              "snapshot of the day exists (with one, the figures come from it). Peer tools: none does this report; "
              "the analyses' own peers are in water.md, coverage.md and fieldwork.md.", ""]
    out = ROOT / "bench" / "results" / "report.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print(rows[-1] if rows else "", flush=True)


if __name__ == "__main__":
    main()
