"""Benchmark: importing ledgers of a county (9k households, 12k children) and of a province.

Run ``.venv/bin/python bench/bench_import.py [--scale 1] [--scale 10]``; writes
``bench/results/import.md``.

The ledgers are the demo county's households and children written as CSV: Chinese headers in
GBK (as a county's Excel export) and, for the peer comparison, SCHEMA.md headers in UTF-8. Each
row is measured three ways on the same file:

- ``childsafe``: :func:`geo.ingest.imports.prepare_import` (read, map headers and values, personal-data
  scan, coordinates, every validation rule, split) and :func:`geo.ingest.imports.import_file` (the same
  plus the atomic GeoPackage write of the whole dataset and the quarantine file);
- ``pandas+pyogrio`` (peer baseline, no validation): ``pandas.read_csv`` +
  ``geopandas.points_from_xy`` + ``pyogrio.write_dataframe`` of that one layer;
- ``ogr2ogr`` (GDAL's command-line converter, no validation), when it is installed.

Peak memory (VmHWM) is taken in a fresh subprocess per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "import.md"
HH_ZH = {"household_id": "户编号", "village_code": "村代码", "caregiver": "照料类型"}
KID_ZH = {"child_id": "儿童编号", "household_id": "户编号", "birth_year": "出生年份", "sex": "性别",
          "left_behind": "是否留守", "guardianship": "监护情况", "last_contact": "最近联系日期"}


def make_ledgers(folder: Path, scale: float) -> dict[str, Path]:
    """Write the demo county's (or a scaled instance's) households and children as CSV."""
    import pandas as pd

    from geo.store.dataset import read_dataset

    if scale == 1:
        ds = read_dataset(ROOT / "data" / "demo_county.gpkg")
    else:
        from geo.demo.make import make_demo

        ds = make_demo(seed=7, scale=scale)
    hh = ds["households"].to_crs("EPSG:4326")
    h = pd.DataFrame(hh.drop(columns="geometry"))
    h["lon"], h["lat"] = hh.geometry.x.round(6), hh.geometry.y.round(6)
    k = pd.DataFrame(ds["children"])[list(KID_ZH)].copy()
    k["sex"] = k["sex"].map({"M": "男", "F": "女"})
    k["left_behind"] = k["left_behind"].map({True: "是", False: "否"})
    k["guardianship"] = k["guardianship"].map({"good": "良好", "average": "一般", "poor": "较差"})
    paths = {
        "households_zh": folder / "households_zh.csv", "children_zh": folder / "children_zh.csv",
        "households_en": folder / "households_en.csv",
    }
    h.rename(columns={**HH_ZH, "lon": "经度", "lat": "纬度"}).to_csv(paths["households_zh"], index=False, encoding="gb18030")
    k.rename(columns=KID_ZH).to_csv(paths["children_zh"], index=False, encoding="gb18030")
    h.to_csv(paths["households_en"], index=False, encoding="utf-8")
    return paths


def _hwm_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited
    from the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(task: dict) -> None:
    """Run one measurement (in a fresh process) and print its JSON result."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    from geo.ingest.imports import import_file, prepare_import
    from geo.store.dataset import read_dataset

    base = _hwm_mb()
    t0 = time.perf_counter()
    out: dict = {}
    if task["tool"] == "prepare":
        ds = read_dataset(task["into"]) if Path(task["into"]).exists() else None
        t0 = time.perf_counter()
        res = prepare_import(task["kind"], task["file"], dataset=ds)
        out = {"read": res.rows_read, "imported": res.imported, "quarantined": res.quarantined}
    elif task["tool"] == "import":
        res = import_file(task["kind"], task["file"], into=task["into"])
        out = {"read": res.rows_read, "imported": res.imported, "quarantined": res.quarantined}
    elif task["tool"] == "pandas":
        frame = pd.read_csv(task["file"], dtype=str)
        gdf = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                               geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)),
                               crs="EPSG:4326")
        pyogrio.write_dataframe(gdf, task["into"], layer="households", driver="GPKG")
        out = {"read": len(frame), "imported": len(gdf), "quarantined": 0}
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = _hwm_mb()
    out["base_mb"] = base
    print(json.dumps(out))


def _measure(task: dict) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(task)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ogr2ogr(csv: Path, out: Path) -> dict | None:
    exe = shutil.which("ogr2ogr")
    if exe is None:
        return None
    t0 = time.perf_counter()
    subprocess.run([exe, "-f", "GPKG", str(out), str(csv), "-oo", "X_POSSIBLE_NAMES=lon",
                    "-oo", "Y_POSSIBLE_NAMES=lat", "-a_srs", "EPSG:4326", "-nln", "households"],
                   check=True, capture_output=True)
    return {"seconds": time.perf_counter() - t0, "peak_mb": float("nan"), "base_mb": float("nan"), "read": None,
            "imported": None, "quarantined": None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, action="append", help="demo scale(s); default 1")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    rows = []
    for scale in args.scale or [1.0]:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            files = make_ledgers(folder, scale)
            into = folder / "ds.gpkg"
            cases = [
                ("households (GBK, 中文表头)", "households", files["households_zh"], "prepare"),
                ("households (GBK, 中文表头)", "households", files["households_zh"], "import"),
                ("children (GBK, 中文表头)", "children", files["children_zh"], "prepare"),
                ("children (GBK, 中文表头)", "children", files["children_zh"], "import"),
                ("households (UTF-8, English)", "households", files["households_en"], "pandas"),
            ]
            for label, kind, path, tool in cases:
                target = into if tool != "pandas" else folder / "peer.gpkg"
                r = _measure({"tool": tool, "kind": kind, "file": str(path), "into": str(target)})
                name = {"prepare": "childsafe prepare_import (no write)",
                        "import": "childsafe import_file (incl. atomic write)",
                        "pandas": "pandas.read_csv + pyogrio (peer, no validation)"}[tool]
                rows.append((scale, label, name, r))
                print(scale, label, name, r, flush=True)
            ogr = _ogr2ogr(files["households_en"], folder / "ogr.gpkg")
            if ogr:
                rows.append((scale, "households (UTF-8, English)", "ogr2ogr (peer, no validation)", ogr))
    load = os.getloadavg()
    lines = [
        "# Import benchmark",
        "",
        f"Machine: {os.cpu_count()} CPU cores shared with other work; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min), so times are noisy. "
        "Each row ran in a fresh process; peak MB is that process's high-water resident memory (VmHWM), and \"after "
        "imports\" the same once the libraries were loaded, before the work.",
        "",
        "| scale | file | tool | rows read | imported | quarantined | seconds | peak MB | after imports MB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, label, name, r in rows:
        fmt = lambda v: "" if v is None else f"{v:,}"  # noqa: E731
        lines.append(f"| {scale:g} | {label} | {name} | {fmt(r['read'])} | {fmt(r['imported'])} | "
                     f"{fmt(r['quarantined'])} | {r['seconds']:.2f} | {r['peak_mb']:.0f} | {r['base_mb']:.0f} |")
    lines += ["", "`import_file` rewrites the whole dataset file (atomic write), so its time grows "
              "with the dataset, not only with the imported file. Reproduce with "
              "`.venv/bin/python bench/bench_import.py --scale 1 --scale 10`."]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
