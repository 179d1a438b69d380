"""Many writers at once, and writers killed half way: the GeoPackage store loses nothing.

Real processes (forked, so they start in milliseconds) write one dataset file at once through
the real import and visit paths; a SIGKILL at random moments of an import leaves the old or the
new state. The full-size runs (8 x 500 visits one by one, on both stores) are in
bench/bench_store.py --concurrency.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.store.dataset import Dataset, empty_layer, read_dataset, write_dataset
from geo.store.files import stale_temps
from geo.store.validate import dataset_problems

TODAY = date(2026, 12, 1)
#: visits each of the 8 writers records, one write each. The issue's bar is 500: it passes here
#: on both stores but takes 3-3.5 min per store on this 2-core machine (about 50 ms a write
#: with 8 writers queued on the lock), so the full 8 x 500 runs in ``bench/bench_store.py
#: --concurrency`` (bench/results/store.md) and the test records 8 x 40 the same way.
VISITS_PER_WRITER = 40
_FORK = mp.get_context("fork")
pytestmark = pytest.mark.xdist_group("store_concurrency")  # one runner: they time real processes


def _base(path, *, children: int = 0):
    villages = gpd.GeoDataFrame(
        {"code": ["341122100001"], "name": ["一村"], "level": ["village"], "parent_code": ["341122100"]},
        geometry=[shapely.box(116.0, 32.0, 117.0, 33.0)], crs=4326)
    hh = gpd.GeoDataFrame({"household_id": ["h0"], "village_code": ["341122100001"], "caregiver": ["none"]},
                          geometry=[shapely.Point(116.5, 32.5)], crs=4326)
    kids = pd.DataFrame({"child_id": [f"c{i}" for i in range(children)], "household_id": "h0",
                         "birth_year": 2015, "sex": "F"})
    layers = {"admin_units": villages, "households": hh}
    if children:
        layers["children"] = kids
    write_dataset(Dataset({n: _full(n, f) for n, f in layers.items()}), path)
    return path


def _full(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the contract's other columns, empty."""
    missing = [c for c in empty_layer(name).columns if c not in frame.columns and c != "geometry"]
    return frame.assign(**{c: None for c in missing})


def _households_csv(path: Path, prefix: str, n: int, village: str = "341122100001") -> Path:
    rng = random.Random(prefix)
    lines = ["household_id,village_code,caregiver,lon,lat"]
    lines += [f"{prefix}{i},{village},parents,{116.1 + rng.random() * 0.8:.6f},"
              f"{32.1 + rng.random() * 0.8:.6f}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(kind: str, src: str, into: str, start, result) -> None:
    from geo.ingest.imports import import_file

    start.wait()
    try:
        res = import_file(kind, src, into=into, today=TODAY)
        result.put((src, res.imported, None))
    except BaseException as exc:  # report, do not hang the parent
        result.put((src, 0, repr(exc)))


def _run_all(target, argsets, timeout: float = 120) -> list:
    start = _FORK.Event()
    result = _FORK.Queue()
    procs = [_FORK.Process(target=target, args=(*args, start, result)) for args in argsets]
    for p in procs:
        p.start()
    start.set()
    out = [result.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
        assert p.exitcode == 0
    return out


def test_eight_importers_of_distinct_rows_all_land(tmp_path):
    into = _base(tmp_path / "ds.gpkg")
    n = 5000
    files = [_households_csv(tmp_path / f"h{k}.csv", f"p{k}-", n) for k in range(8)]
    out = _run_all(_import, [("households", str(f), str(into)) for f in files])
    assert [err for *_, err in out if err] == []
    assert sorted(imported for _, imported, _ in out) == [n] * 8
    ds = read_dataset(into)
    assert len(ds["households"]) == 1 + 8 * n  # the one stored before, and every row imported
    assert ds["households"]["household_id"].is_unique
    log = ds["audit_log"]
    assert (log["action"] == "import").sum() == 8  # exactly one event per import
    assert dataset_problems(ds) == []


def test_two_importers_of_the_same_ids_end_as_one_of_them(tmp_path):
    into = _base(tmp_path / "ds.gpkg")
    a = _households_csv(tmp_path / "a.csv", "same-", 300, village="341122100001")
    b = tmp_path / "b.csv"
    b.write_text(a.read_text().replace(",341122100001,parents,", ",341122100001,grandparents,"), encoding="utf-8")
    _run_all(_import, [("households", str(a), str(into)), ("households", str(b), str(into))])
    hh = read_dataset(into)["households"]
    mine = hh[hh["household_id"].str.startswith("same-")]
    assert len(mine) == 300
    assert mine["caregiver"].nunique() == 1  # all of one import, never a mix


def _visits(into: str, worker: int, count: int, start, result) -> None:
    from geo.field.visits import store_visit

    start.wait()
    try:
        for i in range(count):
            store_visit(into, f"c{(worker * count + i) % 40}", "contact", "2026-11-20")
        result.put((worker, count, None))
    except BaseException as exc:
        result.put((worker, 0, repr(exc)))


@pytest.mark.parametrize("store", ["gpkg", pytest.param("postgis", marks=pytest.mark.xdist_group("postgis"))])
def test_eight_writers_of_visits_one_at_a_time_lose_none(tmp_path, request, store):
    """8 processes recording visits one write each, on a GeoPackage and on PostGIS: every row
    lands, one audit event per write, the audit chain whole (the bar's 8 x 500: bench_store)."""
    from geo.privacy.audit import verify_audit

    target = str(tmp_path / "ds.gpkg") if store == "gpkg" else request.getfixturevalue("pg_url")
    into = _base(target, children=40)
    count = VISITS_PER_WRITER
    out = _run_all(_visits, [(str(into), w, count) for w in range(8)], timeout=600)
    assert [err for *_, err in out if err] == []
    ds = read_dataset(into)
    assert len(ds["visits"]) == 8 * count
    assert ds["visits"]["visit_id"].is_unique
    assert (ds["audit_log"]["detail"].str.startswith("visits +1")).sum() == 8 * count
    assert len(ds["audit_log"]) == 8 * count  # exactly one event per write, nothing else
    assert (ds["children"]["last_contact"] == pd.Timestamp("2026-11-20")).all()
    check = verify_audit(into)
    assert check.ok and check.chained == 8 * count, check.text()


def _import_and_exit(src: str, into: str) -> None:
    from geo.ingest.imports import import_file

    import_file("households", src, into=into, today=TODAY)
    os._exit(0)


def test_kill_9_at_random_moments_of_an_import_leaves_old_or_new(tmp_path):
    base = _base(tmp_path / "base.gpkg")
    src = _households_csv(tmp_path / "h.csv", "k-", 400)
    # how long one import takes here, to kill inside it
    timed = tmp_path / "timed.gpkg"
    timed.write_bytes(base.read_bytes())
    t0 = time.perf_counter()
    proc = _FORK.Process(target=_import_and_exit, args=(str(src), str(timed)))
    proc.start()
    proc.join(60)
    span = time.perf_counter() - t0
    assert proc.exitcode == 0 and len(read_dataset(timed)["households"]) == 401
    rng = random.Random(11)
    states = []
    for round_ in range(20):
        into = tmp_path / f"k{round_}.gpkg"
        into.write_bytes(base.read_bytes())
        proc = _FORK.Process(target=_import_and_exit, args=(str(src), str(into)))
        proc.start()
        time.sleep(rng.uniform(0.0, span))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        ds = read_dataset(into)  # the next command
        rows = len(ds["households"])
        assert rows in (1, 401), f"round {round_}: {rows} households"
        assert len(ds["audit_log"]) == (rows == 401)  # the event goes with its rows
        assert dataset_problems(ds) == []
        assert stale_temps(into) == []
        assert not Path(f"{into}-journal").exists()
        states.append(rows)
    assert 1 in states  # the kills did land inside imports
