"""Run a command county by county: in this process, on a local Dask cluster or an existing one.

Each county is one task (:func:`county_task`). It reads its own partition (the workers open the
files; nothing of the dataset is shipped from here), runs the analysis, writes its own result
partition ``OUT/<code>.gpkg`` and returns a small :class:`CountyResult`. A county that fails
fails alone: its reason is in the run report ``OUT/run.json`` and the others complete.

Results are keyed by a content hash of the county's inputs (every layer read, its settings),
the command, its options and the program version: a re-run into the same ``OUT`` recomputes
only the counties that failed or whose key changed.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import resource
import socket
import sys
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo import __version__
from geo.distributed.partitions import Partition, partitions, read_partition
from geo.distributed.tasks import TABLES, TASKS, release
from geo.store.dataset import Dataset, write_layers
from geo.store.errors import ChildSafeError, SettingsError
from geo.store.location import is_url, shown
from geo.store.progress import report

logger = logging.getLogger(__name__)

REPORT = "run.json"


@dataclass
class CountyResult:
    """What one county task did: ``status`` is ``done``, ``unchanged`` (kept from the last run)
    or ``failed`` (with its ``reason``)."""

    code: str
    name: str
    status: str
    reason: str = ""
    key: str = ""
    out: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0
    worker: str = ""
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class RunReport:
    """The run report (also written as ``OUT/run.json``)."""

    task: str
    source: str
    out: str
    options: dict
    halo_m: float
    where: str
    dashboard: str | None
    seconds: float
    counties: list[CountyResult]

    def by_status(self) -> dict[str, int]:
        out = {"done": 0, "unchanged": 0, "failed": 0}
        for c in self.counties:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    @property
    def failed(self) -> list[CountyResult]:
        return [c for c in self.counties if c.status == "failed"]

    def to_json(self) -> dict:
        return asdict(self)


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a frame: its columns and their types, values and geometries (WKB), row
    order included.

    Each column is hashed as it is typed (pandas' vectorised hashes; a missing value hashes
    alike in each type): a county's children hash in 8 ms where made Python objects first they
    took 46 ms. A column read with another type (a run of another version), or hashed by
    another pandas, makes another hash, and its county is computed again: never a county
    skipped wrongly.
    """
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    plain = frame.drop(columns=[c for c in frame.columns if c == "geometry"])
    if len(plain.columns):
        h.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
    if "geometry" in frame.columns:
        wkb = shapely.to_wkb(np.asarray(frame.geometry.values), hex=False)
        h.update(b"".join(b or b"" for b in wkb))
    h.update(str(len(frame)).encode())
    return h.hexdigest()


def dataset_hash(ds: Dataset) -> str:
    """A content hash of a dataset's layers and settings (the inputs of a county task)."""
    h = hashlib.sha256()
    for name in sorted(ds):
        h.update(name.encode())
        h.update(frame_hash(ds[name]).encode())
    h.update(json.dumps(sorted(ds.settings.items())).encode())
    return h.hexdigest()


def file_hash(part: Partition) -> str | None:
    """A content hash of a county read whole from its own GeoPackage (its bytes: the store
    commits into the file itself, no write-ahead log beside it); ``None`` for other partitions
    (one county of a file, a server schema), whose inputs are hashed as read."""
    if part.local_file is None:
        return None
    h = hashlib.sha256()
    with open(part.local_file, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return f"file:{h.hexdigest()}"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def county_task(task_name: str, part: Partition, out_dir: str, options: Mapping, *,
                halo_m: float = 0.0, others: Sequence[Partition] = (), user=None,
                previous_key: str = "", lang: str = "zh") -> CountyResult:
    """Compute one county: read its partition, run the task, write ``out_dir/<code>.gpkg``.

    A table task writes ``out_dir/<code>.csv`` in ``lang`` (a worker process does not share the
    CLI's ``--lang``: it is passed). Never raises for the county's own problems: a failure is
    returned with its reason.
    """
    t0 = time.perf_counter()
    res = CountyResult(part.code, part.name, "failed", worker=f"{socket.gethostname()}:{os.getpid()}")
    task = TASKS[task_name]
    out = Path(out_dir) / f"{part.code}{'.csv' if task_name in TABLES else '.gpkg'}"

    def key_of(inputs: str) -> str:
        return hashlib.sha256(json.dumps(
            [task_name, dict(options), halo_m, getattr(user, "label", ""), __version__, inputs,
             lang if task_name in TABLES else ""],
            sort_keys=True, default=str).encode()).hexdigest()

    try:
        ds = None
        whole = file_hash(part) if halo_m == 0 else None  # a county file: its bytes are its inputs
        if whole is not None:
            res.key = key_of(whole)
        else:
            ds = read_partition(part, layers=task.layers, halo_m=halo_m, others=others)
            res.key = key_of(dataset_hash(ds))
        if previous_key and previous_key == res.key and out.exists():
            res.status, res.out = "unchanged", str(out)  # not even read again
        else:
            if ds is None:
                ds = read_partition(part, layers=task.layers)
            if user is not None and not user.local:
                from geo.privacy.roles import analysis_view

                ds = analysis_view(user, ds)
            layers = release(user, task, task.run(ds, **options), ds)
            layers = {k: v.assign(county_code=part.code) if "county_code" not in v.columns else v
                      for k, v in layers.items()}
            if task_name in TABLES:
                _write_table(out, layers, TABLES[task_name](), user, lang=lang,
                             places=ds.get("admin_units"))
            else:
                write_layers(out, layers)
            res.status, res.out = "done", str(out)
            res.rows = {k: int(len(v)) for k, v in layers.items()}
    except ChildSafeError as exc:
        res.reason = str(exc)
    except Exception as exc:  # a bug or unreadable data: this county fails, the run goes on
        res.reason = f"{type(exc).__name__}: {exc}"
        logger.debug("county %s failed:\n%s", part.code, traceback.format_exc())
    res.seconds = round(time.perf_counter() - t0, 3)
    res.peak_mb = round(_peak_mb(), 1)
    return res


def _write_table(out: Path, layers: Mapping[str, pd.DataFrame], columns: Sequence[str] | None,
                 user, *, lang: str, places=None) -> None:
    """A task's one table through the one table writer (watermarked with who it is for), in
    ``lang`` with the names of ``places`` next to their codes."""
    from geo.privacy.roles import LOCAL_OPERATOR
    from geo.privacy.tables import watermark_text, write_table

    (sheet, frame), = layers.items()
    keep = (["county_code", *[c for c in columns if c in frame.columns]] if columns is not None
            else ["county_code", *[c for c in frame.columns if c != "county_code"]])
    write_table(out, {sheet: pd.DataFrame(frame)[keep]}, lang=lang, places=places,
                watermark=watermark_text(user or LOCAL_OPERATOR, lang=lang))


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """How the workers of our own LocalCluster start: forked from this process on Linux.

    A forked worker has the libraries (pandas, GDAL, PROJ) loaded and ready, where a spawned one
    imports them again and loads GDAL's drivers and PROJ's database on its first county: on 2
    cores, a 50-county run takes 4 s less (``docs/scale.md``). Dask forks them from its own
    process thread; a worker runs Dask's worker only, none of this process's threads. Elsewhere
    (macOS, Windows) they are spawned. Dask's own setting
    ``DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD`` (``spawn``, ``forkserver``), when
    given, is used as it is, and so is a method other than the default ``spawn`` in a Dask
    configuration file. A forked worker keeps this process's environment: Dask's
    ``pre-spawn-environ`` (malloc trimming, one BLAS thread) applies to spawned ones only.
    """
    import multiprocessing

    import dask

    chosen = os.environ.get("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", "").strip()
    if chosen:
        return chosen
    configured = dask.config.get("distributed.worker.multiprocessing-method", "spawn")
    if configured != "spawn":  # set in a Dask configuration file (spawn is Dask's default)
        return configured
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


#: Dask settings of our own LocalCluster, each as (Dask's default, ours). A value other than
#: Dask's default, set in a Dask configuration file or the environment
#: (``DASK_DISTRIBUTED__WORKER__PROFILE__INTERVAL=10ms``), is kept; one set to Dask's default
#: itself cannot be told from none, and is ours.
#:
#: - the worker's profiler samples the running task's stack every 100 ms, not 10 ms: the
#:   dashboard's profile page stays, a tenth as fine, and each worker's own thread spends about
#:   half the CPU (measured on 2 cores, 25 counties' water per worker: 0.35 s instead of 0.6 s,
#:   docs/scale.md). Work stealing stays on: counties of a short run or a re-run, or after a
#:   worker restarts, are given to workers at once, and only stealing moves them to one that
#:   frees.
LOCAL_DASK: dict[str, tuple[object, object]] = {
    "distributed.worker.profile.interval": ("10ms", "100ms"),
}


def local_dask_config() -> dict:
    """The Dask settings our LocalCluster runs with (:data:`LOCAL_DASK`, where not set otherwise;
    the start method; no time-to-live)."""
    import dask

    out: dict[str, object] = {key: ours for key, (default, ours) in LOCAL_DASK.items()
                              if dask.config.get(key, default) == default}
    # No time-to-live for our own local workers: their nannies see a crashed one at once, and a
    # machine that sleeps (or a run paused with SIGSTOP) longer than the default 5 minutes had
    # the scheduler drop every worker and the run wait for ever on none.
    out["distributed.scheduler.worker-ttl"] = None
    out["distributed.worker.multiprocessing-method"] = start_method()
    return out


def dashboard_address(dashboard: str | bool | None = None) -> str | None:
    """Where our LocalCluster's dashboard listens: ``dashboard`` (an address; ``False`` or
    ``""``: none), by default (``None``, ``True``) :data:`geo.store.settings.dask_dashboard`."""
    if dashboard is None or dashboard is True:
        from geo.store import settings

        dashboard = settings.dask_dashboard
    if not dashboard:
        return None
    # a bare ":PORT" would listen on every interface (Dask's reading); ours is this machine only
    return f"127.0.0.1{dashboard}" if dashboard.startswith(":") else dashboard


_FROZEN = {"depth": 0}
_FROZEN_LOCK = threading.RLock()  # re-entrant: a finalizer run by the collection may open a block


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Python's cyclic garbage collector leaves alone the objects this process holds when the
    county tasks start, here and in the workers forked from it (``gc.freeze``).

    A full collection walks every container object alive, and most of those alive at the start
    (the libraries imported so far) never become garbage.
    Measured on 50 counties' water: full collections took 2.3 s of a one-process run, 0.6 s with
    them frozen; in each of 2 forked workers 1.5 s, 0.8-0.9 s frozen (docs/scale.md). Objects made
    later (every county's data, the analysis modules a task imports) are collected as before;
    frozen objects are still freed by their reference counts, and only a reference cycle among
    them waits, until the last block closes and ``gc.unfreeze`` hands them back to the collector
    (a forked worker keeps them until it exits). Blocks may nest and overlap across threads: the
    first to open freezes, the last to close unfreezes. Spawned workers (not Linux) start their
    own heap, not frozen.
    """
    with _FROZEN_LOCK:
        if _FROZEN["depth"] == 0:
            gc.collect()  # freeze no garbage
            gc.freeze()
        _FROZEN["depth"] += 1
    try:
        yield
    finally:
        with _FROZEN_LOCK:
            _FROZEN["depth"] -= 1
            if _FROZEN["depth"] == 0:
                gc.unfreeze()


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None, *,
                dashboard: str | bool | None = None) -> Iterator:
    """A ``distributed.Client``: to ``scheduler`` (``tcp://HOST:PORT``), else on a new
    ``LocalCluster`` of ``workers`` processes (one thread each; default all cores; its
    dashboard at :func:`dashboard_address`, its pages served once :func:`open_dashboard` is
    called; settings :func:`local_dask_config`)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SettingsError(f"无法连接 Dask 调度器 {scheduler} / cannot reach the Dask "
                                f"scheduler {scheduler} ({exc})") from exc
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or default_workers()
    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # the CLI without -v: quiet
        for name in ("distributed", "distributed.client", "tornado"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # the dashboard binds 127.0.0.1 only; bokeh's warning about its allowed origins is noise,
        # and so is the HTTP server's line for each page not found
        logging.getLogger("bokeh").setLevel(logging.ERROR)
        logging.getLogger("tornado.access").setLevel(logging.ERROR)
    import dask

    address = dashboard_address(dashboard)
    with frozen_heap(), warnings.catch_warnings(), dask.config.set(local_dask_config()):
        # Python 3.12+ warns of any fork in a process with threads (here Dask's own)
        warnings.filterwarnings("ignore", r".*use of fork\(\) may lead to deadlocks", DeprecationWarning,
                                module=r"multiprocessing\.popen_fork")
        # Dask's HTTP server (health, metrics) listens at the dashboard's address (without one,
        # on a free port); the dashboard's pages are added by :func:`open_dashboard`
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=address or "127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            _LINKS[client] = client.dashboard_link if address else None
            if address:
                _PENDING[client] = (cluster.scheduler, cluster.loop)
            try:
                yield client
            finally:  # never opened (the caller did not submit): nothing to open once closed
                _PENDING.pop(client, None)


_LINKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PENDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # dashboards not yet opened


def open_dashboard(client) -> None:
    """Serve the pages of the dashboard at :func:`dashboard_link`, when the client's is our
    LocalCluster's and they are not served yet (else nothing).

    Our cluster starts without them, and :func:`map_tasks` opens them once the county tasks are
    given out: loading the dashboard (bokeh) takes about 0.5 s of CPU, which the scheduler
    would spend before the first worker starts, and which is then spent while the workers
    compute (docs/scale.md); workers forked before do not carry it (unless this process had
    loaded it already). Until then the link answers from Dask's own HTTP server (health,
    metrics), without the pages; a caller of :func:`dask_client` that names the link opens
    them first. When they cannot be loaded, the run goes on, and no link is named.
    """
    pending = _PENDING.pop(client, None)
    if pending is None:
        return
    scheduler, loop = pending
    try:
        # A worker the nanny restarts (forks) while this runs inherits bokeh half loaded; it
        # never imports bokeh itself, so it does not wait on its import locks.
        from distributed.dashboard.scheduler import connect

        async def attach() -> None:  # on the scheduler's own event loop
            connect(scheduler.http_application, scheduler.http_server, scheduler, prefix="/")

        from distributed.utils import sync

        sync(loop, attach)
    except Exception as exc:  # bokeh missing or too old, or its pages failed: no dashboard
        logger.warning("no Dask dashboard: %s: %s", type(exc).__name__, exc)
        _LINKS[client] = None
        return
    with _FROZEN_LOCK:  # loaded in a frozen block: frozen too, as if loaded before it
        if _FROZEN["depth"]:
            gc.freeze()


def dashboard_link(client) -> str | None:
    """The link of the client's dashboard; ``None`` for our LocalCluster started without one
    (Dask's own ``dashboard_link`` names one even then)."""
    if client in _LINKS:  # ours: known without asking (Dask's link is worked out each time)
        return _LINKS[client]
    return client.dashboard_link


def map_tasks(func: Callable, calls: Sequence[tuple[tuple, Mapping]], *, label: str,
              keys: Sequence[str], workers: int | None, scheduler: str | None = None, client=None,
              announce: Callable[[str], None] | None = None, dashboard: str | bool | None = None,
              lost: Callable[[int, BaseException], object] | None = None,
              sizes: Sequence[int] | None = None) -> tuple[list, str, str | None]:
    """``func(*args, **kwargs)`` for each of ``calls``, with a progress line counting them.

    In this process, one after another, when ``workers == 0`` and no ``scheduler`` or
    ``client`` is given; else each call is one Dask task (:func:`dask_client`), named on the
    dashboard by ``func`` and its entry of ``keys``. ``lost(i, exc)`` gives the result of a call whose worker died
    (default: raise). ``sizes`` (of each call's work) start the largest first, so that no worker
    is left with a large one at the end while the others wait. Returns the results in the order
    of ``calls``, where they ran and the dashboard link.
    """
    n_calls = len(calls)
    if workers == 0 and not scheduler and client is None:
        out = []
        with frozen_heap():  # as the forked workers have it
            for i, (args, kwargs) in enumerate(calls):
                report(label, i, n_calls)
                out.append(func(*args, **kwargs))
        report(label, n_calls, n_calls)
        return out, "this process", None
    from distributed import as_completed

    with _client(client, workers, scheduler, dashboard) as cl:
        stamp = f"{os.getpid()}-{time.time_ns()}"
        futures = {cl.submit(func, *args, pure=False, key=f"{func.__name__}-{keys[i]}-{stamp}",
                             priority=int(sizes[i]) if sizes else 0, **kwargs): i
                   for i, (args, kwargs) in enumerate(calls)}
        open_dashboard(cl)  # while the workers compute; the link is named once it is served
        n = len(cl.scheduler_info(n_workers=-1)["workers"])
        where, link = f"Dask {scheduler or 'LocalCluster'} ({n} worker{'' if n == 1 else 's'})", dashboard_link(cl)
        if announce:
            announce(f"{where}; dashboard {link}" if link else f"{where}; no dashboard")
        got: dict[int, object] = {}
        report(label, 0, n_calls)
        for done, fut in enumerate(as_completed(list(futures)), start=1):
            i = futures[fut]
            try:
                got[i] = fut.result()
            except Exception as exc:
                if lost is None:
                    raise
                got[i] = lost(i, exc)
            report(label, done, n_calls)
    return [got[i] for i in range(n_calls)], where, link


@contextmanager
def _client(given, workers: int | None, scheduler: str | None, dashboard: str | bool | None) -> Iterator:
    if given is not None:
        yield given
        return
    with dask_client(workers, scheduler, dashboard=dashboard) as client:
        yield client


def _size(part: Partition) -> int:
    """How much a county's task reads: its file's size (a county of one file, a server schema:
    0, taken in their order)."""
    try:
        return os.path.getsize(part.local_file) if part.local_file else 0
    except OSError:
        return 0


def _previous(out_dir: Path) -> dict[str, CountyResult]:
    path = out_dir / REPORT
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {c["code"]: CountyResult(**c) for c in data.get("counties", [])}
    except (ValueError, TypeError, KeyError):
        logger.warning("ignoring an unreadable run report %s", path)
        return {}


def run_counties(task: str, source: str | os.PathLike, out_dir: str | os.PathLike,
                 options: Mapping | None = None, *, workers: int | None = None,
                 scheduler: str | None = None, halo_m: float = 0.0, user=None,
                 codes: Sequence[str] | None = None,
                 announce: Callable[[str], None] | None = None,
                 dashboard: str | bool | None = None, client=None,
                 per_county: Mapping[str, Mapping] | None = None,
                 lang: str | None = None) -> RunReport:
    """Run ``task`` (a name of :data:`geo.distributed.tasks.TASKS`) on every county of ``source``.

    Parameters
    ----------
    workers
        0: county by county in this process (the single-process run); N: a ``LocalCluster``
        of N worker processes; ``None``: all cores (ignored with ``scheduler``).
    scheduler
        Address of a running Dask scheduler (``tcp://HOST:PORT``); its workers must see
        ``source`` and ``out_dir`` at the same paths (a shared file system).
    halo_m
        Cross-county service: stations of neighbouring counties within this distance count.
    user
        The signed-in user (``geo.privacy.roles.User``): counties outside the user's scope are
        left out, and every output is released by role. ``None``: the local operator.
    codes
        Only these counties (default: all).
    announce
        Called with one line for the user (the dashboard link).
    client
        A ``distributed.Client`` to use as it is (instead of ``workers``/``scheduler``).
    per_county
        Options of some counties over ``options`` (a shared budget: each county its share).
    lang
        The language of table outputs (default ``settings.language``: the CLI's ``--lang``).
    """
    if task not in TASKS:
        raise SettingsError(f"没有此分县任务 / no county task {task!r} (have {', '.join(TASKS)})")
    if workers is not None and workers < 0:
        raise SettingsError(f"--workers 须为 0 或更大 / --workers must be 0 or more, not {workers}")
    t0 = time.perf_counter()
    source = str(source) if is_url(source) else str(Path(source).resolve())
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise SettingsError(f"分县运行的 --out 须为文件夹 / {out} is a file; a county-by-county "
                            "run writes a folder (--out DIR)")
    out.mkdir(parents=True, exist_ok=True)
    parts = partitions(source)
    if user is not None and not user.local and user.scope:
        parts = [p for p in parts if p.code.startswith(user.scope[:6]) or user.scope.startswith(p.code)]
    if codes:
        unknown = sorted(set(codes) - {p.code for p in parts})
        if unknown:
            raise SettingsError(f"数据中没有这些县 / no county {', '.join(unknown)} in {shown(source)}")
        parts = [p for p in parts if p.code in set(codes)]
    previous = _previous(out)
    opts = dict(options or {})
    extra = {code: dict(v) for code, v in (per_county or {}).items()}

    def opts_of(code: str) -> dict:
        return {**opts, **extra.get(code, {})}

    def prev_key(code: str) -> str:
        old = previous.get(code)
        return old.key if old is not None and old.status in ("done", "unchanged") else ""

    from geo.store import settings

    kwargs = {"halo_m": halo_m, "others": parts if halo_m > 0 else (), "user": user,
              "lang": lang or settings.language}
    calls = [((task, part, str(out), opts_of(part.code)),
              {"previous_key": prev_key(part.code), **kwargs}) for part in parts]

    def lost(i: int, exc: BaseException) -> CountyResult:  # the worker died (out of memory, killed)
        return CountyResult(parts[i].code, parts[i].name, "failed",
                            reason=f"worker lost: {type(exc).__name__}: {exc}")

    counties, where, link = map_tasks(county_task, calls, label=f"{task}: counties", keys=[p.code for p in parts],
                                      workers=workers, scheduler=scheduler, client=client,
                                      announce=announce, dashboard=dashboard, lost=lost,
                                      sizes=[_size(p) for p in parts])
    for c in counties:  # a county kept from the last run keeps its row counts
        if c.status == "unchanged" and c.code in previous:
            c.rows = previous[c.code].rows
    run = RunReport(task, shown(source), str(out), opts, halo_m, where, link,
                    round(time.perf_counter() - t0, 3), counties)
    write_report(out / REPORT, run)
    return run


def write_report(path: Path, run: RunReport) -> None:
    """Write the run report atomically (a crash leaves the previous one)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(run.to_json(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)
