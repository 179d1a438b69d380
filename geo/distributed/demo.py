"""The demo county by county: a province- or national-size synthetic dataset as a folder of
county GeoPackages, each drawn by one task in the memory of one county.

The province layout (county outlines, border gates, rivers, codes, names, seeds) is drawn once
here; each task gets its county's part of it (a few kilobytes), draws the county with its own
seed and writes ``OUT/<code>.gpkg``. The same seed and scale give the same files whatever the
number of workers. Ids carry the county code (``H348121-000001``), so the folder is one dataset
(``childsafe info OUT``) and every command takes it county by county.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path

from geo import __version__
from geo.distributed.runner import (
    REPORT,
    CountyResult,
    RunReport,
    _peak_mb,
    _previous,
    map_tasks,
    write_report,
)
from geo.store.errors import ChildSafeError, SettingsError


def _key(spec) -> str:
    return hashlib.sha256(json.dumps(["demo", spec.seed, spec.scale, spec.code, __version__]).encode()).hexdigest()


def _written_key(path: Path) -> str:
    """The ``demo_key`` setting of a county file written by :func:`demo_task` ("" if none)."""
    from geo.store.dataset import read_dataset

    try:
        return str(read_dataset(path, layers=[]).settings.get("demo_key", ""))
    except (ChildSafeError, OSError):  # a file cut short by a kill: drawn again
        return ""


def demo_task(spec, out_dir: str, previous_key: str = "") -> CountyResult:
    """Draw one county of the demo and write it to ``out_dir/<code>.gpkg``."""
    from geo.demo.make import county_demo, write_demo

    t0 = time.perf_counter()
    res = CountyResult(spec.code, spec.name, "failed", key=_key(spec),
                       worker=f"{socket.gethostname()}:{os.getpid()}")
    out = Path(out_dir) / f"{spec.code}.gpkg"
    try:
        if out.exists() and (res.key == previous_key or res.key == _written_key(out)):  # file read only without a report
            res.status = "unchanged"
        else:
            ds = county_demo(spec)
            ds.settings["demo_key"] = res.key  # a run cut short resumes from the files it wrote
            write_demo(ds, out)
            res.status, res.rows = "done", {k: int(v) for k, v in ds.counts().items() if v}
        res.out = str(out)
    except ChildSafeError as exc:
        res.reason = str(exc)
    except Exception as exc:  # one county's bug or a full disk: that county fails, others go on
        res.reason = f"{type(exc).__name__}: {exc}"
    res.seconds = round(time.perf_counter() - t0, 3)
    res.peak_mb = round(_peak_mb(), 1)
    return res


def run_demo(out_dir: str | os.PathLike, *, seed: int = 7, scale: float = 50.0,
             counties: int | None = None, workers: int | None = None,
             scheduler: str | None = None, client=None, announce=None,
             dashboard: str | bool | None = None) -> RunReport:
    """Write the demo of ``scale`` standard counties to the folder ``out_dir``, county by county.

    ``workers=0``: one county after another in this process; else on Dask as
    :func:`geo.distributed.runner.run_counties`. Re-running into the same folder draws only
    the counties missing, failed or of another seed, scale or program version (each file
    keeps its key, so a run cut short resumes too).
    """
    from geo.demo.make import NATIONAL_MAX, province_layout

    t0 = time.perf_counter()
    out = Path(out_dir).resolve()
    if out.suffix.lower() == ".gpkg" or (out.exists() and not out.is_dir()):
        raise SettingsError(f"分县生成的 --out 须为文件夹 / a county-by-county demo writes a folder, "
                            f"not {out}")
    out.mkdir(parents=True, exist_ok=True)
    layout = province_layout(seed=seed, scale=scale, counties=counties, max_scale=NATIONAL_MAX)
    previous = _previous(out)

    def prev_key(code: str) -> str:
        old = previous.get(code)
        return old.key if old is not None and old.status in ("done", "unchanged") else ""

    specs = [layout.county(k) for k in range(len(layout.codes))]
    calls: list[tuple[tuple, dict]] = [((spec, str(out), prev_key(spec.code)), {}) for spec in specs]

    def lost(i: int, exc: BaseException) -> CountyResult:  # the worker died
        return CountyResult(specs[i].code, specs[i].name, "failed",
                            reason=f"worker lost: {type(exc).__name__}: {exc}")

    results, where, link = map_tasks(demo_task, calls, label="demo: counties",
                                     keys=[s.code for s in specs], workers=workers,
                                     scheduler=scheduler, client=client, announce=announce,
                                     dashboard=dashboard, lost=lost)
    for c in results:
        if c.status == "unchanged" and c.code in previous:
            c.rows = previous[c.code].rows
    run = RunReport("demo", "", str(out), {"seed": seed, "scale": scale, "counties": counties},
                    0.0, where, link, round(time.perf_counter() - t0, 3), results)
    write_report(out / REPORT, run)
    return run
