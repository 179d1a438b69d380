"""The audit log: who signed in, failed to, viewed personal data, exported, imported or edited.

Entries go to the dataset's append-only ``audit_log`` table, one SQLite transaction per event
(the file is never rewritten for an event). Admins read it in the app (``views/admin.py``) and
with ``childsafe audit``; nothing in the app edits or deletes entries.

The log is tamper-evident: each event carries ``hash`` = HMAC-SHA256 (the dataset's ``audit``
key, kept beside the file by :mod:`geo.privacy.keys`) of the previous event's hash and its
own fields, and the key file keeps the newest link. :func:`verify_audit` (``childsafe info``,
the audit page) reports an event rewritten, inserted, deleted or cut from the end with
``sqlite3``; a copy of the file without the key file cannot be checked (and says so).

Writers of the whole dataset file replace it (``write_dataset`` renames a new file over the old
one), which would drop events appended meanwhile: :func:`save_dataset` holds the dataset's lock
file, takes ``users``, ``audit_log`` and secret settings from the file on disk, then writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from geo.store.dataset import Dataset, read_dataset, write_dataset
from geo.store.errors import PermissionDenied
from geo.store.sqlite import connect, dataset_lock, transaction

logger = logging.getLogger(__name__)

#: Actions the platform records.
ACTIONS = (
    "login", "login_failed", "login_locked", "logout", "session_timeout",
    "view_personal", "export", "import", "edit",
    "user_add", "user_disable", "user_enable", "user_passwd", "audit_export",
    "snapshot", "report", "spot_check",
)

_AUDIT_COLUMNS = {"at": "DATETIME", "user": "TEXT", "action": "TEXT", "detail": "TEXT",
                  "prev_hash": "TEXT", "hash": "TEXT"}
_CHAIN_COLUMNS = ("prev_hash", "hash")


def now_utc() -> datetime:
    """The current time in UTC, without a time-zone (how the dataset stores timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_gpkg_time(when: datetime) -> str:
    """A GeoPackage DATETIME text (``YYYY-MM-DDTHH:MM:SS.SSSZ``, UTC)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def from_gpkg_time(text: object) -> datetime | None:
    """Parse a stored timestamp (GeoPackage DATETIME or ISO text) to a naive UTC datetime."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or str(text).strip() == "":
        return None
    value = pd.Timestamp(str(text))
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None)
    return value.to_pydatetime()


def table_exists(con: sqlite3.Connection, name: str) -> bool:
    """Whether the table ``name`` exists."""
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
    return row is not None


def ensure_table(con: sqlite3.Connection, name: str, columns: dict[str, str]) -> None:
    """Create the attribute table ``name`` (and register it in ``gpkg_contents``) if missing.

    Call inside a transaction. A table written earlier by GDAL is used as it is.
    """
    if table_exists(con, name):
        return
    cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {cols})')
    if table_exists(con, "gpkg_contents"):
        con.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, last_change)"
            " VALUES (?, 'attributes', ?, ?)",
            (name, name, to_gpkg_time(now_utc())),
        )


def _user_name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "username", None) or str(user)


def _canonical_time(text: object) -> str:
    when = from_gpkg_time(text)
    return to_gpkg_time(when) if when is not None else ""


def _link(key: bytes, prev: str, at: object, user: object, action: object, detail: object) -> str:
    """The hash of one event: HMAC-SHA256 over the previous hash and the event's fields."""
    fields = [prev or "", _canonical_time(at), *("" if v is None else str(v)
                                                 for v in (user, action, detail))]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _ensure_chain_columns(con: sqlite3.Connection) -> None:
    have = {row[1] for row in con.execute('PRAGMA table_info("audit_log")')}
    for col in _CHAIN_COLUMNS:
        if col not in have:
            con.execute(f'ALTER TABLE audit_log ADD COLUMN "{col}" TEXT')


def log_event(path: str | os.PathLike, user, action: str, detail: str = "") -> None:
    """Append one entry to the ``audit_log`` of the dataset at ``path``, chained to the last.

    Parameters
    ----------
    path
        The dataset GeoPackage.
    user
        A :class:`geo.privacy.roles.User`, a user name, or ``None``.
    action
        One of :data:`ACTIONS`.
    detail
        What was done (layer, rows, file, role), never a password or personal record.
    """
    from geo.privacy.keys import dataset_key, update_keys

    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    key = dataset_key(path, "audit")
    assert key is not None
    with transaction(path) as con:
        ensure_table(con, "audit_log", _AUDIT_COLUMNS)
        _ensure_chain_columns(con)
        last = con.execute("SELECT hash FROM audit_log WHERE hash IS NOT NULL AND hash != ''"
                           " ORDER BY fid DESC LIMIT 1").fetchone()
        prev = last[0] if last else ""
        at = to_gpkg_time(now_utc())
        link = _link(key, prev, at, _user_name(user), action, str(detail))
        con.execute(
            'INSERT INTO audit_log ("at", "user", "action", "detail", "prev_hash", "hash")'
            " VALUES (?, ?, ?, ?, ?, ?)",
            (at, _user_name(user), action, str(detail), prev, link),
        )
        count = con.execute("SELECT COUNT(*) FROM audit_log WHERE hash IS NOT NULL"
                            " AND hash != ''").fetchone()[0]
        update_keys(path, audit_head=link, audit_count=int(count))  # under the lock, pre-commit
    logger.debug("audit: %s %s %s", _user_name(user), action, detail)


@dataclass
class AuditCheck:
    """What :func:`verify_audit` found: ``ok`` when the chain is whole and checked."""

    events: int = 0
    chained: int = 0
    legacy: int = 0
    checked: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.checked and not self.problems

    def text(self, lang: str = "en") -> str:
        """One line (or one per problem) in ``lang``."""
        if self.ok:
            legacy = (f"（另有 {self.legacy} 条链前旧记录）" if lang == "zh" else
                      f" (and {self.legacy} older events from before the chain)") if self.legacy else ""
            return (f"审计日志完整：{self.chained} 条记录的哈希链校验通过{legacy}" if lang == "zh"
                    else f"audit log intact: the hash chain of {self.chained} events checks{legacy}")
        head = "审计日志被篡改或无法校验：" if lang == "zh" else "audit log tampered with or not checkable: "
        return head + "; ".join(zh if lang == "zh" else en for zh, en in self.problems)


def verify_audit(path: str | os.PathLike) -> AuditCheck:
    """Check the audit log's hash chain of the dataset at ``path`` against its key file.

    Reported: an event whose fields were changed (its hash does not match), an event inserted
    without a link, an event deleted or moved (the next one's ``prev_hash`` does not match), the
    newest events deleted (the chain ends before the last link the key file remembers), and a
    missing key file (nothing can be checked). Events before the chain existed (no hash, at the
    start of the log) are counted as ``legacy``.
    """
    from geo.privacy.keys import dataset_key, read_keys

    out = AuditCheck()
    con = connect(path)
    try:
        rows: list = []
        if table_exists(con, "audit_log"):
            have = {row[1] for row in con.execute('PRAGMA table_info("audit_log")')}
            cols = '"at", "user", "action", "detail"' + (
                ', "prev_hash", "hash"' if set(_CHAIN_COLUMNS) <= have else ", NULL, NULL")
            rows = con.execute(f"SELECT {cols} FROM audit_log ORDER BY fid").fetchall()
    finally:
        con.close()
    out.events = len(rows)
    key = dataset_key(path, "audit", create=False)
    keys = read_keys(path)
    if key is None:
        if rows:
            out.problems.append(("找不到密钥文件，无法校验哈希链",
                                 "the key file is missing, so the chain cannot be checked"))
        out.checked = not rows
        return out
    out.checked = True
    prev, started = "", False
    for n, (at, user, action, detail, prev_hash, link) in enumerate(rows, start=1):
        if not link:
            if started:
                out.problems.append((f"第 {n} 条记录没有链接（被插入）",
                                     f"event {n} has no link (inserted)"))
            else:
                out.legacy += 1
            continue
        started = True
        out.chained += 1
        if (prev_hash or "") != prev:
            out.problems.append((f"第 {n} 条记录之前有记录被删除或移动",
                                 f"an event before event {n} was deleted or moved"))
        if not hmac.compare_digest(_link(key, prev_hash or "", at, user, action, detail), link):
            out.problems.append((f"第 {n} 条记录被改写", f"event {n} was rewritten"))
        prev = link
    head, count = keys.get("audit_head"), keys.get("audit_count")
    if head and (prev != head or out.chained != int(count or 0)):
        missing = int(count or 0) - out.chained
        out.problems.append((
            f"最新的记录被删除（密钥文件记录 {count} 条，日志中有 {out.chained} 条）"
            if missing > 0 else "哈希链的末端与密钥文件不符",
            f"the newest events were deleted (the key file remembers {count}, the log holds "
            f"{out.chained})" if missing > 0 else "the chain's end does not match the key file"))
    return out


def read_audit(path: str | os.PathLike) -> pd.DataFrame:
    """The audit log of the dataset at ``path``, oldest first (``at`` as naive UTC)."""
    con = connect(path)
    try:
        if not table_exists(con, "audit_log"):
            rows: list = []
        else:
            rows = con.execute(
                'SELECT "at", "user", "action", "detail" FROM audit_log ORDER BY fid'
            ).fetchall()
    finally:
        con.close()
    frame = pd.DataFrame(rows, columns=["at", "user", "action", "detail"])
    frame["at"] = pd.Series([from_gpkg_time(v) for v in frame["at"]], dtype="datetime64[ms]")
    for col in ("user", "action", "detail"):
        frame[col] = frame[col].astype("string")
    return frame.sort_values("at", kind="stable").reset_index(drop=True)


def save_dataset(dataset: Dataset, path: str | os.PathLike, *, user, action: str = "edit",
                 detail: str = "") -> Path:
    """Write ``dataset`` over the file ``path`` on behalf of ``user`` and log it.

    The accounts (``users``), the ``audit_log`` and secret settings are taken from the file on
    disk, never from ``dataset`` (so a stale copy cannot undo a password change or drop events,
    and the app cannot edit the log). A non-admin role view is refused: saving it would delete
    what the role does not see.

    Raises
    ------
    PermissionDenied
        ``user`` lacks the ``import``/``edit`` capability, or ``dataset`` is a non-admin role view.
    """
    from geo.privacy.roles import require

    require(user, "import" if action == "import" else "edit")
    view_of = getattr(dataset, "role_view", None) or getattr(dataset, "analysis_for", None)
    if view_of is not None and (view_of.role != "admin" or view_of.scope):
        raise PermissionDenied(
            "this dataset is a role view (part of the data); saving it would delete the rest"
        )
    path = Path(path)
    with dataset_lock(path):
        out = dataset.copy()
        settings = dict(dataset.settings)
        if path.exists():
            kept = ("users", "audit_log", "indicator_snapshots", "spot_checks", "patrol_checks")
            disk = read_dataset(path, layers=[*kept, "dataset_settings"])
            for name in kept:
                if disk.holds(name):
                    out[name] = disk[name]
                elif out.holds(name):
                    del out[name]
            settings = {**disk.settings, **settings}
        if action == "import":
            settings.pop("demo", None)  # imported rows are not synthetic: no demo mode for it
        from geo.privacy.keys import has_key

        if has_key(path, "pseudonym"):  # the key lives beside the file, never in it
            settings.pop("pseudonym_salt", None)
        out.settings = settings
        write_dataset(out, path)
    log_event(path, user, action, detail)
    return path
