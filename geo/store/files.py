"""Files around a dataset: temp files, permission bits, durable renames, and outputs that must not
overwrite a dataset.

- **Temp files** are named ``.NAME.PID.RANDOM.tmp.gpkg`` beside their target, created with the
  target's permission bits (``0600`` for a new file: datasets hold data about children) and
  removed on every exit path; a crash can still leave one, so :func:`remove_stale_temps` (run
  at every open of a dataset) deletes those whose process is gone.
- **Durable**: :func:`replace_durably` fsyncs the new file, renames it over the target and
  fsyncs the folder, so a reported success survives a power cut.
- **Built unsynced**: a temp file is written without a sync at each of its commits
  (:data:`UNSYNCED_GDAL`, :func:`building`): it is synced once, complete, before its rename,
  and a crash while it is built leaves only a temp file. A 4-layer result file is written in
  0.18 s instead of 0.22 s, and two workers writing at once no longer queue at the disk.
- **Outputs** (``--out``, ``--quarantine``, ``--gpx``, exports, ``demo --out``) go through
  :func:`check_output`: the dataset itself, or any file that is a ChildSafe dataset, is refused
  unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from geo.store.errors import StoreError

#: seconds a write waits for another writer before giving up (env ``CHILDSAFE_LOCK_TIMEOUT``).
LOCK_TIMEOUT = float(os.environ.get("CHILDSAFE_LOCK_TIMEOUT", "60"))
#: permission bits of a new dataset or output file (only the owner reads data about children).
NEW_FILE_MODE = 0o600
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp(\.[A-Za-z0-9]+)?$")
#: tables that make a GeoPackage a ChildSafe dataset (any one of them): every dataset has its
#: audit log (written empty with a new dataset); exports and result files have none of these.
DATASET_MARKERS = ("audit_log", "users", "dataset_settings")


def file_mode(path: str | os.PathLike, default: int = NEW_FILE_MODE) -> int:
    """The permission bits of ``path``, or ``default`` when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return default


@contextlib.contextmanager
def temp_beside(path: str | os.PathLike, *, suffix: str = ".tmp.gpkg",
                mode: int | None = None) -> Iterator[Path]:
    """A temp file name beside ``path`` (the file itself not created), removed on every exit.

    The name carries this process's id, so :func:`remove_stale_temps` can tell a crashed
    writer's file from a running one's. ``mode`` (default: ``path``'s own, else 0600) is set
    on the file when the block ends normally, before the caller renames it.
    """
    path = Path(path)
    want = file_mode(path) if mode is None else mode
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=suffix,
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL) create the file themselves
    try:
        yield tmp
        if tmp.exists():
            os.chmod(tmp, want)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        for side in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{tmp}{side}").unlink()


#: GDAL's SQLite settings while it writes a temp file: no sync at each commit (GDAL commits
#: several times per layer), the rollback journal in memory (no journal file beside the temp).
UNSYNCED_GDAL: dict[str, str] = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "MEMORY"}


_GDAL_LOCK = threading.Lock()
#: options set by blocks still open: key -> [how many blocks hold it, its value before the first]
_GDAL_HELD: dict[str, list] = {}


@contextlib.contextmanager
def gdal_options(options: Mapping[str, str | bool | None]) -> Iterator[None]:
    """GDAL configuration ``options`` while any block holding them is open.

    GDAL's configuration is the process's, and blocks of several threads overlap (the app's
    sessions, a worker's threads): the first block to open sets an option, the last to close
    restores its value from before the first, so overlapping blocks never leave it set. Every
    caller gives a key the same value; give only options right for any GDAL write of this
    program in the same moment (every one writes a temp file, :data:`UNSYNCED_GDAL`).
    """
    import pyogrio

    with _GDAL_LOCK:
        for key, value in options.items():
            held = _GDAL_HELD.get(key)
            if held is None:
                _GDAL_HELD[key] = [1, pyogrio.get_gdal_config_option(key)]
                pyogrio.set_gdal_config_options({key: value})
            else:
                held[0] += 1
    try:
        yield
    finally:
        with _GDAL_LOCK:
            for key in options:
                held = _GDAL_HELD[key]
                held[0] -= 1
                if held[0] == 0:
                    del _GDAL_HELD[key]
                    pyogrio.set_gdal_config_options({key: held[1]})


def building(path: str | os.PathLike) -> sqlite3.Connection:
    """An SQLite connection to a temp file being built: no sync at its commits, the rollback
    journal in memory (:func:`replace_durably` syncs the finished file)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=MEMORY")
    return con


def fsync_path(path: str | os.PathLike) -> None:
    """Flush ``path`` (a file or a folder) to the disk."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if Path(path).is_dir() else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Rename the finished ``tmp`` over ``path``, both fsynced (the file, then the folder)."""
    fsync_path(tmp)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
        fsync_path(Path(path).parent)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temps(path: str | os.PathLike) -> list[Path]:
    """Temp files beside ``path`` left by writers that are no longer running."""
    path = Path(path)
    out = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m is None:
            name = entry.name
            if name.endswith(("-journal", "-wal", "-shm")):  # a temp's own SQLite side file
                base = name.rsplit("-", 1)[0]
                m2 = _TEMP.match(base)
                if m2 and m2["name"] == path.name and not _alive(int(m2["pid"])):
                    out.append(entry)
            continue
        if m["name"] == path.name and not _alive(int(m["pid"])):
            out.append(entry)
    return out


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Delete :func:`stale_temps` of ``path``; returns what was removed (nothing raises)."""
    removed = []
    for tmp in stale_temps(path):
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def recover(path: str | os.PathLike) -> None:
    """Undo what a killed writer left half done beside ``path`` (its ``-journal``).

    A *hot* journal (a writer died mid-transaction) is rolled back by SQLite at the next
    read-write open, which readers that open the file read-only (GDAL) cannot do, so every open
    of a dataset calls this first. A journal SQLite does not find hot (the writer died before
    writing into it) is stale: it is deleted while this holds the write lock, so it cannot be a
    running writer's. Nothing here raises.
    """
    journal = Path(f"{path}-journal")
    if not journal.exists():
        return
    try:
        con = sqlite3.connect(path, timeout=LOCK_TIMEOUT, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()  # rolls a hot journal back
        if journal.exists():
            con.execute("PRAGMA busy_timeout=0")
            con.execute("BEGIN IMMEDIATE")  # fails while a writer runs: then it is its journal
            try:
                journal.unlink(missing_ok=True)
            finally:
                con.execute("ROLLBACK")
    except (sqlite3.Error, OSError):
        pass
    finally:
        con.close()


# --- outputs that must not destroy a dataset ---------------------------------------------------


def is_sqlite_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an SQLite file (what every GeoPackage is)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def is_childsafe_dataset(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a ChildSafe dataset: a GeoPackage with an audit log, accounts or
    settings (an export or a result file is not one and may be replaced)."""
    path = Path(path)
    if not is_sqlite_file(path):
        return False
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:
        return False
    finally:
        con.close()
    return bool(names & set(DATASET_MARKERS))


_FORCE: contextvars.ContextVar[bool] = contextvars.ContextVar("childsafe_force", default=False)


def forced() -> bool:
    """Whether the running command was given ``--force`` (see :func:`overwrite_allowed`)."""
    return _FORCE.get()


@contextlib.contextmanager
def overwrite_allowed(allowed: bool = True) -> Iterator[None]:
    """Within the block, :func:`check_output` lets outputs replace other ChildSafe datasets
    (the CLI's ``--force``); a command's own dataset stays refused."""
    token = _FORCE.set(allowed)
    try:
        yield
    finally:
        _FORCE.reset(token)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: str | os.PathLike, *, datasets: Iterable[str | os.PathLike | None] = (),
                 force: bool | None = None, what: str = "--out") -> Path:
    """Refuse an output path that would overwrite a dataset; returns the path.

    ``out`` is refused when it is one of ``datasets`` (the command's own, by file identity, so
    a link or another spelling of the path counts) or any file that is a ChildSafe dataset,
    unless ``force`` (default: :func:`forced`). A file that is the command's own dataset is
    refused even with ``force``. Every writer of outputs calls this (result GeoPackages, tables,
    reports, GPX, quarantine files, the demo), so no command can overwrite a dataset by mistake.

    Raises
    ------
    StoreError
        ``kind="refused"``, saying which dataset it would destroy and what to do.
    """
    out = Path(out)
    for ds in datasets:
        if ds is None or str(ds).startswith(("postgresql://", "postgres://")):
            continue
        if _same(out, Path(ds)) or out.resolve() == Path(ds).resolve():
            raise StoreError(
                "refused",
                f"拒绝写入：{what} {out} 就是数据集本身，写入会毁掉数据集（户、儿童、账户和审计日志）。"
                "请换一个输出文件名。",
                f"refused: {what} {out} is the dataset itself; writing it would destroy the "
                "dataset (households, children, accounts, audit log). Choose another output file.",
            )
    if force is None:
        force = forced()
    if not force and out.exists() and is_childsafe_dataset(out):
        raise StoreError(
            "refused",
            f"拒绝写入：{out} 是一个童安地图数据集，写入会覆盖它。请换一个输出文件名，"
            "确需覆盖时加 --force。",
            f"refused: {out} is a ChildSafe dataset and would be overwritten. Choose another "
            "output file, or add --force if you really mean to replace it.",
        )
    return out


def wait_message(waited: float, timeout: float, holder: str) -> tuple[str, str]:
    """The progress line of a writer waiting for the lock (Chinese, English)."""
    who = f"（{holder}）" if holder else ""
    who_en = f" ({holder})" if holder else ""
    return (f"数据集正被另一个写入者使用{who}，已等待 {waited:.0f} 秒（最多 {timeout:.0f} 秒）",
            f"the dataset is busy with another writer{who_en}; waited {waited:.0f} s of "
            f"{timeout:.0f} s")


def now() -> float:
    """A monotonic clock (for waits)."""
    return time.monotonic()


def holders(path: str | os.PathLike) -> list[str]:
    """Processes that have ``path`` open (Linux ``/proc``), as ``pid NAME`` texts."""
    target = str(Path(path).resolve())
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    name = (entry / "comm").read_text().strip()
                    found.append(f"pid {entry.name} {name}")
                    break
            except OSError:
                continue
    return found


def fault(exc: BaseException, path: str | os.PathLike) -> StoreError | BaseException:
    """The user's message for a fault of the file system or SQLite at ``path``.

    Returns a :class:`StoreError` for disk full, read-only, locked and not-a-GeoPackage; other
    exceptions come back unchanged (bugs still crash loudly).
    """
    path = Path(path)
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if "disk is full" in text or "database or disk is full" in text or code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return StoreError("disk_full",
                          f"磁盘已满：无法写入 {path}。数据集没有改变。请腾出磁盘空间后重试。",
                          f"the disk is full: cannot write {path}. The dataset is unchanged; free "
                          "some disk space and try again.")
    if ("readonly" in text or "read-only" in text or "unable to open database file" in text
            or code in (errno.EROFS, errno.EACCES, errno.EPERM)):
        return StoreError("read_only",
                          f"无法写入 {path}：文件或所在文件夹是只读的（或没有写权限）。数据集没有改变。",
                          f"cannot write {path}: the file or its folder is read-only (or you lack "
                          "write permission). The dataset is unchanged.")
    if "database is locked" in text or "database is busy" in text:
        who = ", ".join(holders(path)) or "另一个程序 / another program"
        return StoreError("locked",
                          f"数据集 {path.name} 被其他程序锁定（{who}）。数据集没有改变；请关闭它后重试。",
                          f"the dataset {path.name} is locked by another program ({who}). The "
                          "dataset is unchanged; close it and try again.")
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return StoreError("not_gpkg",
                          f"{path} 不是有效的 GeoPackage 数据集（文件损坏或不是 .gpkg）。",
                          f"{path} is not a valid GeoPackage dataset (damaged, or not a .gpkg file).")
    return exc
