"""The audit log: who signed in, failed to, viewed personal data, exported, imported or edited.

Entries go to the dataset's append-only ``audit_log`` table, one SQLite transaction per event
(the file is never rewritten for an event). Admins read it in the app (``views/admin.py``) and
with ``childsafe audit``; nothing in the app edits or deletes entries.

Every change is one write of the dataset's store with its event in the same transaction
(:func:`audit_event` passed to :meth:`geo.store.writer.Store.write`); :func:`save_dataset`
replaces the layers an edited dataset holds in one such write, never touching ``users``, the
``audit_log`` or secret settings.

The log is tamper-evident: every event is linked to the one before by an HMAC-SHA256 hash chain
keyed by the dataset's key file (:mod:`geo.store.auditlog`, :mod:`geo.store.keys`), whoever
writes it. :func:`verify_audit` (``childsafe info``, the audit page) reports an event rewritten,
inserted, deleted or cut from the end with ``sqlite3``; a copy of the file without the key file
cannot be checked (and says so).
"""

from __future__ import annotations

import hmac
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from geo.store.auditlog import AUDIT_COLUMNS, append_event
from geo.store.auditlog import link as chain_link
from geo.store.dataset import Dataset
from geo.store.errors import PermissionDenied
from geo.store.gpkg import gpkg_time
from geo.store.sqlite import connect

logger = logging.getLogger(__name__)

#: Actions the platform records.
ACTIONS = (
    "login", "login_failed", "login_locked", "logout", "session_timeout",
    "view_personal", "export", "import", "edit",
    "user_add", "user_disable", "user_enable", "user_passwd", "audit_export",
    "snapshot", "report", "spot_check",
)

def now_utc() -> datetime:
    """The current time in UTC, without a time-zone (how the dataset stores timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_gpkg_time(when: datetime) -> str:
    """A GeoPackage DATETIME text (``YYYY-MM-DDTHH:MM:SS.SSSZ``, UTC)."""
    return gpkg_time(when)


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
    """Create the attribute table ``name`` (and register it in ``gpkg_contents``) if missing;
    add the ``columns`` an older table lacks (e.g. the audit chain's ``prev_hash``, ``hash``:
    that log's old events stay unlinked).

    Call inside a transaction. A table written earlier by GDAL is used as it is.
    """
    if table_exists(con, name):
        have = {row[1] for row in con.execute(f'PRAGMA table_info("{name}")')}
        for col, kind in columns.items():
            if col not in have:
                con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {kind}')
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


def audit_event(user, action: str, detail: str = ""):
    """The :class:`geo.store.writer.AuditEvent` of ``user`` doing ``action`` (checked)."""
    from geo.store.writer import AuditEvent

    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEvent(_user_name(user), action, str(detail))


def insert_event(con: sqlite3.Connection, user, action: str, detail: str = "") -> None:
    """Insert one audit entry on ``con``, inside the caller's transaction (its change and its
    event commit together, or neither does)."""
    event = audit_event(user, action, detail)
    ensure_table(con, "audit_log", AUDIT_COLUMNS)
    append_event(con, None, to_gpkg_time(now_utc()), event.user, event.action, event.detail)


def log_event(path: str | os.PathLike, user, action: str, detail: str = "") -> None:
    """Append one entry to the ``audit_log`` of the dataset at ``path`` (one write of its own).

    A change and its event belong in one transaction: writers pass :func:`audit_event` to
    :meth:`geo.store.writer.Store.write` instead; this is for events without a change (sign-in,
    a view of personal data, an export).

    Parameters
    ----------
    path
        The dataset GeoPackage (or store URL).
    user
        A :class:`geo.privacy.roles.User`, a user name, or ``None``.
    action
        One of :data:`ACTIONS`.
    detail
        What was done (layer, rows, file, role), never a password or personal record.
    """
    from geo.store.stores import open_store

    event = audit_event(user, action, detail)
    with open_store(path).write(audit=event):
        pass
    logger.debug("audit: %s %s %s", event.user, action, detail)


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
    from geo.store.keys import dataset_key, read_keys

    out = AuditCheck()
    con = connect(path)
    try:
        rows: list = []
        if table_exists(con, "audit_log"):
            have = {row[1] for row in con.execute('PRAGMA table_info("audit_log")')}
            cols = '"at", "user", "action", "detail"' + (
                ', "prev_hash", "hash"' if {"prev_hash", "hash"} <= have else ", NULL, NULL")
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
        if not hmac.compare_digest(chain_link(key, prev_hash or "", at, user, action, detail), link):
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
    """Store the layers ``dataset`` holds into the dataset at ``path`` for ``user``, and log it.

    One write of the store (one transaction, not a rewrite of the file): each layer the dataset
    holds replaces the stored one, the event is recorded with it. The accounts (``users``), the ``audit_log`` and secret settings are taken from the file on
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
    from geo.store.schema import ALL_LAYERS
    from geo.store.stores import open_store

    kept = ("users", "audit_log", "indicator_snapshots", "spot_checks", "patrol_checks")
    secret = ("pseudonym_salt",)  # a stored salt is never changed (ids made with it stay valid)
    with open_store(path).write(audit=audit_event(user, action, detail)) as w:
        for name in dataset:
            if name in kept or name == "dataset_settings" or name not in ALL_LAYERS:
                continue
            w.replace(name, dataset[name])
        stored = w.ids("dataset_settings", "key", secret)
        settings = {k: v for k, v in dataset.settings.items() if k not in stored}
        if action == "import":  # imported rows are not synthetic: no demo mode for it
            settings.pop("demo", None)
            w.delete("dataset_settings", "key", ["demo"])
        from geo.store.keys import has_key
        from geo.store.location import is_url

        if not is_url(path) and has_key(path, "pseudonym"):  # the key lives beside the file, never in it
            settings.pop("pseudonym_salt", None)
            w.delete("dataset_settings", "key", ["pseudonym_salt"])
        w.set_settings(settings)
    return Path(path)
