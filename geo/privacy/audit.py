"""The audit log: who signed in, failed to, viewed personal data, exported, imported or edited.

Entries go to the dataset's append-only ``audit_log`` table, in the transaction of the write they
record (the file is never rewritten for an event). Admins read it in the app (``views/admin.py``) and
with ``childsafe audit``; nothing in the app edits or deletes entries.

Every change is one write of the dataset's store with its event in the same transaction
(:func:`audit_event` passed to :meth:`geo.store.writer.Store.write`); :func:`save_dataset`
replaces the layers an edited dataset holds in one such write, never touching ``users``, the
``audit_log`` or secret settings.

The log is tamper-evident: every event is linked to the one before by an HMAC-SHA256 hash chain
keyed by the dataset's key file (:mod:`geo.store.auditlog`, :mod:`geo.store.keys`), whoever
writes it; a PostGIS dataset keeps the key in its server-side settings, which no area login may
read. Reads go through the store (:meth:`geo.store.writer.Store.table`), so a GeoPackage and a
PostGIS dataset are read by the same code. :func:`verify_audit` (``childsafe info``, the audit page) reports an event rewritten,
inserted, deleted or cut from the end with ``sqlite3``; a copy of the file without the key file
cannot be checked (and says so).
"""

from __future__ import annotations

import hmac
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from geo.store.auditlog import link as chain_link
from geo.store.dataset import Dataset
from geo.store.errors import PermissionDenied
from geo.store.gpkg import gpkg_time
from geo.store.location import is_url

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
    if text is None or (not isinstance(text, str) and pd.isna(text)) or str(text).strip() == "":
        return None
    value = pd.Timestamp(str(text))
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None)
    return value.to_pydatetime()


def _store(path: str | os.PathLike):
    from geo.store.stores import open_store

    return open_store(path)


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


def _chain_keys(dataset: str | os.PathLike) -> tuple[bytes | None, str | None, int]:
    """The audit chain's key, last link and count of ``dataset`` (``(None, None, 0)`` when no
    event was linked yet): from its key file, or a PostGIS dataset's ``dataset_settings``."""
    from geo.store.auditlog import CHAIN_SETTINGS, KEY_SETTING
    from geo.store.keys import dataset_key, read_keys

    if is_url(dataset):
        rows = _store(dataset).table("dataset_settings", ["key", "value"], where={"key": CHAIN_SETTINGS})
        kept = dict(zip(rows["key"].astype(str), rows["value"].fillna("").astype(str), strict=True))
        key = bytes.fromhex(kept[KEY_SETTING]) if kept.get(KEY_SETTING) else None
        count = kept.get("audit_count", "")
        return key, kept.get("audit_head") or None, int(count) if count.isdigit() else 0
    kept = read_keys(dataset)
    return (dataset_key(dataset, "audit", create=False), kept.get("audit_head") or None,
            int(kept.get("audit_count") or 0))


def verify_audit(path: str | os.PathLike) -> AuditCheck:
    """Check the audit log's hash chain of the dataset at ``path`` against its key file.

    Reported: an event whose fields were changed (its hash does not match), an event inserted
    without a link, an event deleted or moved (the next one's ``prev_hash`` does not match), the
    newest events deleted (the chain ends before the last link the key file remembers), and a
    missing key file (nothing can be checked). Events before the chain existed (no hash, at the
    start of the log) are counted as ``legacy``.
    """
    out = AuditCheck()
    log = _store(path).table("audit_log", ["at", "user", "action", "detail", "prev_hash", "hash"])
    rows = list(log.astype(object).where(log.notna(), None).itertuples(index=False, name=None))
    out.events = len(rows)
    key, head, count = _chain_keys(path)
    if key is None:
        if rows and is_url(path):
            out.problems.append(("服务器设置中没有审计链密钥，无法校验哈希链",
                                 "the chain's key is missing from the server's settings, so the "
                                 "chain cannot be checked"))
        elif rows:
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
    if head and (prev != head or out.chained != count):
        missing = count - out.chained
        where_zh, where_en = ("服务器设置", "the server's settings") if is_url(path) else ("密钥文件", "the key file")
        out.problems.append((
            f"最新的记录被删除（{where_zh}记录 {count} 条，日志中有 {out.chained} 条）"
            if missing > 0 else f"哈希链的末端与{where_zh}不符",
            f"the newest events were deleted ({where_en} remembers {count}, the log holds "
            f"{out.chained})" if missing > 0 else f"the chain's end does not match {where_en}"))
    return out


def read_audit(path: str | os.PathLike) -> pd.DataFrame:
    """The audit log of the dataset at ``path``, oldest first (``at`` as naive UTC)."""
    frame = _store(path).table("audit_log", ["at", "user", "action", "detail"])
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
