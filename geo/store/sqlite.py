"""SQLite transactions on a dataset GeoPackage, under the dataset's lock file.

Every write of a GeoPackage dataset (:mod:`geo.store.gpkg`, the append-only writers, the
accounts) is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` on the file, never a rewrite of it, taken
under the sidecar lock ``.NAME.lock`` (:func:`dataset_lock`), which serialises ChildSafe writers
and says who holds it. A writer waiting for the lock shows a progress line and gives up after
:data:`geo.store.writer.LOCK_TIMEOUT` seconds with a message naming the holder. Faults of the
file system (disk full, read-only folder, a file that is not a GeoPackage, a lock held by another
program) become :class:`~geo.store.errors.StoreError` messages; the dataset is left as it was.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from geo.store.errors import DatasetError, StoreError
from geo.store.files import LOCK_TIMEOUT, fault, remove_stale_temps, wait_message
from geo.store.location import is_url, shown
from geo.store.progress import report

logger = logging.getLogger(__name__)

#: seconds between two progress lines of a waiting writer.
_WAIT_STEP = 1.0


def quoted(name: str) -> str:
    """``name`` as an SQLite identifier (a table or column name), in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def lock_path(path: str | os.PathLike) -> Path:
    """The sidecar lock file of the dataset ``path``."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def _holder_text(fh) -> str:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        fh.seek(0)
        return fh.read(300).decode("utf-8").strip()
    return ""


def _me() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in a container: the uid will do
        user = str(os.getuid())
    cmd = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    return f"pid {os.getpid()} {user} {cmd} {time.strftime('%H:%M:%S')}".strip()


def _default_timeout() -> float:
    return float(os.environ.get("CHILDSAFE_LOCK_TIMEOUT", LOCK_TIMEOUT))


def refuse_url(path: object) -> None:
    """Raise the clear message for a command that needs a GeoPackage, given a PostGIS URL."""
    if is_url(path):
        raise DatasetError(shown(str(path)), [
            "此命令尚不支持 PostGIS 数据集；可先用 childsafe copy 复制为 GeoPackage / this command does not "
            "work on a PostGIS dataset yet; copy it to a GeoPackage with childsafe copy",
        ])


@contextlib.contextmanager
def dataset_lock(path: str | os.PathLike, *, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock of the dataset ``path`` (its sidecar file ``.NAME.lock``).

    Waits up to ``timeout`` seconds (default ``CHILDSAFE_LOCK_TIMEOUT``, 60), reporting a
    progress line every second that names the holder; then raises a ``locked``
    :class:`StoreError`. The holder's pid, user and command are written into the lock file.
    In a read-only folder there is no lock file to take: SQLite's own locking still applies.
    """
    import fcntl

    path = Path(path)
    timeout = _default_timeout() if timeout is None else timeout
    try:
        fh = open(lock_path(path), "a+b")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            os.chmod(lock_path(path), 0o600)
        start = time.monotonic()
        last = -1.0
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                holder = _holder_text(fh)
                if waited >= timeout:
                    zh, en = wait_message(waited, timeout, holder)
                    raise StoreError(
                        "locked",
                        f"数据集 {path.name} 被占用，等待 {timeout:.0f} 秒后放弃：{holder or '另一个写入者'}"
                        "。请等它结束后重试。",
                        f"the dataset {path.name} is locked; gave up after {timeout:.0f} s. Held "
                        f"by: {holder or 'another writer'}. Try again when it has finished.",
                    ) from None
                if last < 0 or waited - last >= _WAIT_STEP:
                    zh, en = wait_message(waited, timeout, holder)
                    if last < 0:  # once, where no progress bar shows (logs, pipes)
                        logger.warning("%s / %s", zh, en)
                    report(f"{zh} / {en}", int(waited), int(timeout))
                    last = waited
                time.sleep(0.05)
        try:
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
                fh.write(_me().encode("utf-8"))
                fh.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


#: the columns a county's (or a village's) rows are found by, beside each layer's key: a county
#: split from a province file reads its households by village code, their children by household
#: and those children's visits by child (``geo.distributed.partitions``)
LINKS = {"households": ("village_code",), "children": ("household_id",), "visits": ("child_id",)}


def index_keys(path: str | os.PathLike) -> None:
    """Index the key column of every contract layer in the GeoPackage ``path`` (a new file), so
    writes find stored ids by index, whatever the dataset's size; and the :data:`LINKS`, so a
    county's rows are found without reading the whole province."""
    from geo.store.files import building
    from geo.store.schema import ALL_LAYERS

    con = building(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for name, spec in ALL_LAYERS.items():
            if name not in tables:
                continue
            columns = {str(r[1]) for r in con.execute(f"PRAGMA table_info({quoted(name)})")}
            for col in ((spec.key,) if spec.key else ()) + LINKS.get(name, ()):
                if col in columns:
                    con.execute(f"CREATE INDEX IF NOT EXISTS {quoted(f'idx_{name}_{col}')} "
                                f"ON {quoted(name)} ({quoted(col)})")
        con.commit()
    finally:
        con.close()


def check_geopackage(path: str | os.PathLike) -> None:
    """Raise :class:`DatasetError` unless ``path`` is an existing SQLite/GeoPackage file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, ["the file does not exist / 文件不存在"])
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise fault(exc, path) from exc
    if head != b"SQLite format 3\x00":
        raise DatasetError(path, ["the file is not a GeoPackage (.gpkg, an SQLite database) / "
                                  "该文件不是 GeoPackage（.gpkg）数据集"])


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """Open the dataset GeoPackage for a small transaction (it must exist).

    Stale temp files of crashed writers beside it are removed. The connection waits up to the
    lock timeout for other programs' SQLite locks and syncs every commit to the disk.
    """
    refuse_url(path)
    path = Path(path)
    check_geopackage(path)
    remove_stale_temps(path)  # a hot journal SQLite rolls back itself at this read-write open
    try:
        con = sqlite3.connect(path, timeout=_default_timeout(), isolation_level=None)
        con.execute("PRAGMA synchronous=EXTRA")  # the commit (and journal removal) hits the disk
    except sqlite3.Error as exc:
        raise fault(exc, path) from exc
    return con


@contextlib.contextmanager
def transaction(
    path: str | os.PathLike, *, row_factory: type | None = None, timeout: float | None = None
) -> Iterator[sqlite3.Connection]:
    """One immediate SQLite transaction on the dataset at ``path``, under its lock file.

    Yields the connection after ``BEGIN IMMEDIATE`` (the write lock is held before anything is
    read); commits, synced to the disk, when the block ends normally, rolls back when it raises
    (anything, including ``KeyboardInterrupt``), and always closes. SQLite and file-system faults
    become :class:`StoreError` messages.

    Parameters
    ----------
    path
        The dataset GeoPackage (must exist).
    row_factory
        Set as the connection's ``row_factory`` (e.g. :class:`sqlite3.Row`); ``None`` keeps tuples.
    timeout
        Seconds to wait for another writer (default ``CHILDSAFE_LOCK_TIMEOUT``).
    """
    refuse_url(path)
    with dataset_lock(path, timeout=timeout):
        con = connect(path)
        try:
            if row_factory is not None:
                con.row_factory = row_factory
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise fault(exc, path) from exc
            try:
                yield con
                con.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                found = fault(exc, path)
                if found is exc:
                    raise
                raise found from exc
        finally:
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            con.close()
