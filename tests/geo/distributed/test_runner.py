"""County tasks: a Dask run of 2 worker processes equals the run in one process; a broken
county fails alone; a re-run computes only the failed and changed counties."""

from __future__ import annotations

import json
import logging
import sys
import types

import pandas as pd
import pyogrio
import pytest
from distributed_data import same_results as _same_results

from geo.distributed.partitions import partitions, read_partition
from geo.distributed.runner import REPORT, run_counties
from geo.store.dataset import write_dataset

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]


@pytest.fixture(scope="module")
def client():
    import dask
    from distributed import Client, LocalCluster

    # A Streamlit AppTest run earlier in this test process leaves its page script as __main__,
    # which spawned worker processes would re-run (NameError '__args'): start them from a plain
    # __main__, as the childsafe command does.
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        # a loaded machine starts worker processes slowly
        with dask.config.set({"distributed.comm.timeouts.connect": "120s"}), \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                             silence_logs=logging.ERROR) as cluster, Client(cluster) as c:
            yield c
    finally:
        if main is not None:
            sys.modules["__main__"] = main


@pytest.mark.parametrize("task", ["water", "coverage"])
def test_two_workers_equal_one_process(task, province_path, tmp_path, client):
    one = run_counties(task, province_path, tmp_path / "one", workers=0)
    two = run_counties(task, province_path, tmp_path / "two", client=client)
    assert one.by_status() == two.by_status() == {"done": 3, "unchanged": 0, "failed": 0}
    assert len({c.worker for c in two.counties}) == 2  # both worker processes took counties
    assert [c.rows for c in one.counties] == [c.rows for c in two.counties]
    assert all(n > 0 for c in one.counties for n in c.rows.values()) or task == "coverage"
    _same_results(tmp_path / "one", tmp_path / "two")
    report = json.loads((tmp_path / "two" / REPORT).read_text(encoding="utf-8"))
    assert [c["code"] for c in report["counties"]] == [p.code for p in partitions(province_path)]


def test_a_county_equals_its_own_file_run(province_path, tmp_path):
    """A county's result is the analysis of that county alone (as `childsafe water county.gpkg`)."""
    from geo.distributed.tasks import water_layers

    part = partitions(province_path)[0]
    run_counties("water", province_path, tmp_path / "run", workers=0, codes=[part.code])
    alone = water_layers(read_partition(part))["water_sites"]
    got = pyogrio.read_dataframe(tmp_path / "run" / f"{part.code}.gpkg", layer="water_sites")
    assert list(got["site_id"]) == list(alone["site_id"])
    assert (got["county_code"] == part.code).all()
    pd.testing.assert_series_equal(got["risk"], alone["risk"].reset_index(drop=True), rtol=1e-9,
                                   check_names=False)


def test_broken_county_fails_alone_and_rerun_computes_only_what_changed(province_path, tmp_path, client):
    parts = partitions(province_path)
    folder = tmp_path / "counties"
    for p in parts:
        write_dataset(read_partition(p), folder / f"{p.code}.gpkg")
    broken = folder / f"{parts[1].code}.gpkg"
    good_bytes = broken.read_bytes()
    # the county's water loses its column `kind`: its data cannot be used
    import sqlite3

    con = sqlite3.connect(broken)
    con.execute("ALTER TABLE water_bodies DROP COLUMN kind")
    con.commit()
    con.close()
    out = tmp_path / "out"
    run = run_counties("water", folder, out, client=client)
    status = {c.code: c.status for c in run.counties}
    assert status == {parts[0].code: "done", parts[1].code: "failed", parts[2].code: "done"}
    reason = run.failed[0].reason
    assert "kind" in reason and "Traceback" not in reason
    assert not (out / f"{parts[1].code}.gpkg").exists()
    assert (out / f"{parts[0].code}.gpkg").exists() and (out / f"{parts[2].code}.gpkg").exists()

    # fixed: only that county is computed again
    broken.write_bytes(good_bytes)
    run = run_counties("water", folder, out, workers=0)
    assert {c.code: c.status for c in run.counties} == {
        parts[0].code: "unchanged", parts[1].code: "done", parts[2].code: "unchanged"}
    assert run.counties[0].rows  # kept from the first run

    # one county's data changes (a kit removed): only it is computed again
    ds = read_partition(partitions(folder)[2])
    ds["safety_kits"] = ds["safety_kits"].iloc[1:]
    write_dataset(ds, folder / f"{parts[2].code}.gpkg")
    run = run_counties("water", folder, out, workers=0)
    assert [c.status for c in run.counties] == ["unchanged", "unchanged", "done"]
    # other options: everything again
    run = run_counties("water", folder, out, {"band": 800.0}, workers=0)
    assert [c.status for c in run.counties] == ["done"] * 3


def test_demo_county_by_county_is_the_same_on_any_number_of_workers(tmp_path, client):
    from geo.distributed.demo import run_demo

    one = run_demo(tmp_path / "one", seed=3, scale=0.15, counties=3, workers=0)
    two = run_demo(tmp_path / "two", seed=3, scale=0.15, counties=3, client=client)
    assert one.by_status() == two.by_status() == {"done": 3, "unchanged": 0, "failed": 0}
    for c in one.counties:
        assert (tmp_path / "one" / f"{c.code}.gpkg").read_bytes() == \
            (tmp_path / "two" / f"{c.code}.gpkg").read_bytes()
    parts = partitions(tmp_path / "one")
    assert [p.code for p in parts] == [c.code for c in one.counties]
    ds = read_partition(parts[0])
    assert ds["households"]["household_id"].str.startswith(f"H{parts[0].code}-").all()
    assert ds["households"]["village_code"].str.startswith(parts[0].code).all()
    again = run_demo(tmp_path / "one", seed=3, scale=0.15, counties=3, workers=0)
    assert [c.status for c in again.counties] == ["unchanged"] * 3
    assert again.counties[0].rows == one.counties[0].rows
    # a run cut short (no run report, one file cut by the kill) resumes from the files it wrote
    (tmp_path / "one" / REPORT).unlink()
    cut = tmp_path / "one" / f"{one.counties[1].code}.gpkg"
    cut.write_bytes(cut.read_bytes()[:4096])
    resumed = run_demo(tmp_path / "one", seed=3, scale=0.15, counties=3, workers=0)
    assert [c.status for c in resumed.counties] == ["unchanged", "done", "unchanged"]
    assert cut.read_bytes() == (tmp_path / "two" / cut.name).read_bytes()


def test_an_unreadable_county_file_fails_alone(province_path, tmp_path):
    parts = partitions(province_path)
    folder = tmp_path / "counties"
    for p in parts[:2]:
        write_dataset(read_partition(p), folder / f"{p.code}.gpkg")
    (folder / "999999.gpkg").write_bytes(b"not a geopackage at all")
    found = partitions(folder)
    assert [p.code for p in found] == [parts[0].code, parts[1].code, "999999"]
    run = run_counties("water", folder, tmp_path / "out", workers=0)
    assert [c.status for c in run.counties] == ["done", "done", "failed"]
    assert "GeoPackage" in run.failed[0].reason


def test_a_folder_rerun_reads_only_the_changed_county(province_path, tmp_path):
    """A county file is keyed by its bytes: a re-run skips the unchanged files unread and
    recomputes the one that changed."""
    import sqlite3

    folder = tmp_path / "counties"
    folder.mkdir()
    parts = partitions(province_path)
    for p in parts:
        write_dataset(read_partition(p), folder / f"{p.code}.gpkg")
    first = run_counties("coverage", folder, tmp_path / "out", workers=0)
    assert first.by_status() == {"done": 3, "unchanged": 0, "failed": 0}
    again = run_counties("coverage", folder, tmp_path / "out", workers=0)
    assert again.by_status() == {"done": 0, "unchanged": 3, "failed": 0}
    changed = folder / f"{parts[1].code}.gpkg"
    con = sqlite3.connect(changed)
    con.execute("DELETE FROM stations WHERE fid = (SELECT MIN(fid) FROM stations)")
    con.commit()
    con.close()
    third = run_counties("coverage", folder, tmp_path / "out", workers=0)
    assert [c.status for c in third.counties] == ["unchanged", "done", "unchanged"]
    assert third.counties[1].key != first.counties[1].key


def _paused(cl, seconds: float) -> tuple[set, set]:
    """Stop the one worker process for ``seconds``; the worker addresses before and after."""
    import os
    import signal
    import time

    before = set(cl.scheduler_info()["workers"])
    (pid,) = cl.run(os.getpid).values()
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert cl.submit(sum, [1, 2], pure=False).result(timeout=120) == 3
    return before, set(cl.scheduler_info()["workers"])


def test_a_paused_local_worker_is_kept(monkeypatch):
    """A machine that sleeps (or a run paused with SIGSTOP) longer than the scheduler's
    time-to-live used to lose every worker of the run; our LocalCluster has no time-to-live
    (its nannies watch the processes). The control: Dask's own cluster with a 1 s life drops it."""
    import dask
    from distributed import Client, LocalCluster

    from geo.distributed.runner import dask_client

    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # as in ``client``
    with dask.config.set({"distributed.scheduler.worker-ttl": "1s",
                          "distributed.comm.timeouts.connect": "120s"}):
        with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address="127.0.0.1:0",
                          silence_logs=logging.CRITICAL) as cluster, Client(cluster) as cl:
            before, after = _paused(cl, 6)
            assert before != after  # dropped, and its nanny started a new one
        with dask_client(workers=1, dashboard="127.0.0.1:0") as cl:
            before, after = _paused(cl, 6)
            assert before == after


def _loaded(name: str) -> bool:
    return name in sys.modules


def test_local_workers_are_forked_with_what_this_process_has_loaded(monkeypatch):
    """Our LocalCluster's workers are forked on Linux: they start with the libraries (and any
    module) this process has loaded, where spawned ones load everything again. Dask's own
    setting, when given, is used as it is."""
    from geo.distributed.runner import dask_client, start_method

    monkeypatch.delenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", raising=False)
    assert start_method() == ("fork" if sys.platform.startswith("linux") else "spawn")
    monkeypatch.setenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", "forkserver")
    assert start_method() == "forkserver"
    monkeypatch.delenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD")
    if not sys.platform.startswith("linux"):
        return
    monkeypatch.setitem(sys.modules, "childsafe_loaded_here", types.ModuleType("childsafe_loaded_here"))
    with dask_client(workers=1, dashboard="127.0.0.1:0") as cl:
        assert cl.submit(_loaded, "childsafe_loaded_here", pure=False).result() is True
        assert cl.submit(_loaded, "geo.store.dataset", pure=False).result() is True


def _profile_interval() -> str:
    import dask

    return dask.config.get("distributed.worker.profile.interval")


def _listening(dask_scheduler) -> list[str]:
    return sorted({sock.getsockname()[0] for sock in dask_scheduler.http_server._sockets.values()})


def _status(link: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(link, timeout=30) as page:
            return page.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _has_bokeh() -> bool:
    return "bokeh" in sys.modules


def test_our_local_cluster_samples_less_and_serves_the_dashboard_it_names(monkeypatch):
    """Our LocalCluster's workers sample their task's stack every 100 ms (not 10 ms); a value
    set otherwise in Dask's configuration is kept. Its HTTP server listens on 127.0.0.1 only
    (a bare ``:PORT`` too); without a dashboard there is no dashboard page and no link named
    (Dask's own ``dashboard_link`` names one anyway); with one, the link named is served once
    :func:`open_dashboard` has added its pages (the workers do not load them)."""
    import dask

    from geo.distributed.runner import (
        dashboard_address,
        dashboard_link,
        dask_client,
        local_dask_config,
        open_dashboard,
        start_method,
    )

    assert dashboard_address(":0") == "127.0.0.1:0" and dashboard_address(False) is None
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # as in ``client``
    with dask_client(workers=1, dashboard=False) as cl:
        assert cl.run(_profile_interval) == {w: "100ms" for w in cl.scheduler_info()["workers"]}
        assert cl.run_on_scheduler(lambda dask_scheduler: "stealing" in dask_scheduler.extensions)
        assert dashboard_link(cl) is None and cl.dashboard_link  # Dask's names one
        assert _status(cl.dashboard_link) == 404  # Dask's HTTP server, no dashboard page
        assert cl.run_on_scheduler(_listening) == ["127.0.0.1"]
    with dask.config.set({"distributed.worker.profile.interval": "50ms"}):
        assert "distributed.worker.profile.interval" not in local_dask_config()
        had = _has_bokeh()
        with dask_client(workers=1, dashboard=":0") as cl:
            assert set(cl.run(_profile_interval).values()) == {"50ms"}
            link = dashboard_link(cl)
            assert link and link.startswith("http://127.0.0.1:") and ":8787/" not in link
            assert _status(link) == 404  # its pages are opened once the tasks are given out
            assert cl.run_on_scheduler(_bokeh_apps) == 0
            # the workers, started before the pages are loaded, have only what this process had
            assert set(cl.run(_has_bokeh).values()) == {had and start_method() == "fork"}
            open_dashboard(cl)
            assert _status(link) == 200 and _status(link.replace("/status", "/")) == 200
            open_dashboard(cl)  # once only
            assert cl.run_on_scheduler(_bokeh_apps) == 1 and _status(link) == 200
            assert cl.run_on_scheduler(_listening) == ["127.0.0.1"]


def _bokeh_apps(dask_scheduler) -> int:
    return len(dask_scheduler.http_application.applications)


def test_a_dashboard_that_fails_to_open_leaves_the_run_going(monkeypatch, caplog, tmp_path):
    """When the dashboard's pages cannot be loaded (bokeh missing, too old, or failing), the
    county tasks run on, no link is named, and the user is told why."""
    import distributed.dashboard.scheduler

    from geo.distributed.runner import dashboard_link, dask_client, map_tasks

    def broken(*_args, **_kwargs):
        raise RuntimeError("bokeh is broken")

    monkeypatch.setattr(distributed.dashboard.scheduler, "connect", broken)
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    lines: list[str] = []
    with dask_client(workers=1, dashboard="127.0.0.1:0") as cl:
        assert dashboard_link(cl)
        out, _, link = map_tasks(abs, [((-2,), {}), ((3,), {})], label="t", keys=["a", "b"],
                                 workers=1, client=cl, announce=lines.append)
        assert out == [2, 3] and link is None and dashboard_link(cl) is None
    assert lines == ["Dask LocalCluster (1 worker); no dashboard"]
    assert "no Dask dashboard: RuntimeError: bokeh is broken" in caplog.text


def _freeze_count(*_args) -> int:
    import gc

    return gc.get_freeze_count()


class _Cycle:
    def __init__(self):
        self.me = self


def test_the_collector_leaves_alone_what_the_command_held_before_the_tasks(monkeypatch):
    """Objects alive when the county tasks start (modules, libraries) are frozen for the
    collector, in this process and in the workers forked from it; cycles made later are still
    collected. Nested or overlapping blocks (two threads) keep the heap frozen until the last
    closes, an error included, and then it is the collector's again."""
    import gc
    import threading
    import weakref

    from geo.distributed.runner import dask_client, frozen_heap, map_tasks

    assert gc.get_freeze_count() == 0
    held, where, _ = map_tasks(_freeze_count, [((i,), {}) for i in range(2)], label="t", keys=["a", "b"],
                               workers=0)
    assert where == "this process" and min(held) > 1000 and gc.get_freeze_count() == 0
    before = _Cycle()
    with frozen_heap():
        assert gc.get_freeze_count() > 1000
        later = weakref.ref(_Cycle())  # a cycle made in the block, dropped at once
        gc.collect()
        assert later() is None  # collected
        kept = weakref.ref(before)
        del before
        gc.collect()
        assert kept() is not None  # frozen: waits for the unfreeze
        with pytest.raises(RuntimeError), frozen_heap():
            raise RuntimeError("a county's error")
        assert gc.get_freeze_count() > 1000  # still frozen (the count drops as frozen objects are freed)
    gc.collect()
    assert gc.get_freeze_count() == 0 and kept() is None  # the collector's again

    opened, release = threading.Event(), threading.Event()

    def session():
        with frozen_heap():
            opened.set()
            release.wait(30)

    other = threading.Thread(target=session)
    with frozen_heap():
        other.start()
        assert opened.wait(30)
    assert gc.get_freeze_count() > 1000  # the other thread's block is still open
    release.set()
    other.join(30)
    assert gc.get_freeze_count() == 0

    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # as in ``client``
    with dask_client(workers=1, dashboard=False) as cl:
        assert gc.get_freeze_count() > 1000
        if sys.platform.startswith("linux"):  # forked: the worker has them frozen too
            assert cl.submit(_freeze_count, pure=False).result() > 1000
    assert gc.get_freeze_count() == 0
