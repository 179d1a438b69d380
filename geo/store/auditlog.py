"""The audit log's hash chain: every event written, by any writer, is linked to the one before.

Each event carries ``hash`` = HMAC-SHA256 (the dataset's ``audit`` key, kept beside the file by
:mod:`geo.store.keys`) over the previous event's hash and its own fields, and ``prev_hash``;
the key file keeps the newest link and the count, so that deleting the newest events is seen
too. :func:`append_event` is the one insert of an event: the store's writer
(:meth:`geo.store.gpkg.GeoPackageWriter.audit`) calls it with the dataset's lock held. A PostGIS
dataset has the same chain (:func:`append_server_event`), its key and head in the schema's
``dataset_settings`` (:data:`CHAIN_SETTINGS`); :func:`geo.privacy.audit.verify_audit` checks the
chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from datetime import UTC, datetime

#: where a PostGIS dataset keeps the chain's key (hex) and head in its ``dataset_settings``
#: (a GeoPackage keeps them in its key file, :mod:`geo.store.keys`, as ``audit``,
#: ``audit_head``, ``audit_count``); never handed out with the dataset's settings.
KEY_SETTING = "audit_key"
CHAIN_SETTINGS = (KEY_SETTING, "audit_head", "audit_count")

#: the columns of ``audit_log`` (``fid`` is the GeoPackage row id).
AUDIT_COLUMNS = {"at": "DATETIME", "user": "TEXT", "action": "TEXT", "detail": "TEXT",
                 "prev_hash": "TEXT", "hash": "TEXT"}


def canonical_time(text: object) -> str:
    """The event time as linked: ``YYYY-MM-DDTHH:MM:SS.fffZ`` in UTC ("" when unreadable)."""
    if text is None or text == "":
        return ""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def link(key: bytes, prev: str, at: object, user: object, action: object, detail: object) -> str:
    """The hash of one event: HMAC-SHA256 over the previous hash and the event's fields."""
    fields = [prev or "", canonical_time(at), *("" if v is None else str(v)
                                                for v in (user, action, detail))]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def database_path(con: sqlite3.Connection) -> str:
    """The file of the main database of ``con``."""
    return str(next(row[2] for row in con.execute("PRAGMA database_list") if row[1] == "main"))


def append_event(con: sqlite3.Connection, path: str | os.PathLike | None, at: str, user: str,
                 action: str, detail: str) -> str:
    """Insert one event into ``audit_log`` on ``con``, linked to the last; return its hash.

    Call inside the caller's write transaction, with the dataset's lock held (the link read and
    the insert must not interleave with another writer's) and ``audit_log`` made with the chain
    columns (the GeoPackage writer's ``_ensure``).
    ``path``: the dataset file (default: the database of ``con``); its key file gets the new
    head and count.
    """
    from geo.store.keys import dataset_key, read_keys, update_keys

    path = path or database_path(con)
    kept = read_keys(path)
    key = bytes.fromhex(kept["audit"]) if kept.get("audit") else dataset_key(path, "audit")
    assert key is not None
    last = con.execute("SELECT hash FROM audit_log WHERE hash IS NOT NULL AND hash != ''"
                       " ORDER BY fid DESC LIMIT 1").fetchone()
    prev = last[0] if last else ""
    value = link(key, prev, at, user, action, detail)
    con.execute('INSERT INTO audit_log ("at", "user", "action", "detail", "prev_hash", "hash")'
                " VALUES (?, ?, ?, ?, ?, ?)", (at, user, action, str(detail), prev, value))
    if not prev:
        count = 1
    elif kept.get("audit_head") == prev and isinstance(kept.get("audit_count"), int):
        count = kept["audit_count"] + 1  # the key file counted every link up to ``prev``
    else:  # no head kept yet (an older key file): count the links
        count = con.execute("SELECT COUNT(*) FROM audit_log WHERE hash IS NOT NULL AND hash != ''"
                            ).fetchone()[0]
    update_keys(path, audit_head=value, audit_count=int(count))  # under the lock, pre-commit
    return value



def append_server_event(con, user: str, action: str, detail: str) -> str:
    """Insert one event into a PostGIS dataset's ``audit_log`` on ``con`` (psycopg, inside the
    write's transaction, the county's advisory lock held), linked to the last; return its hash.

    The chain is the GeoPackage's: HMAC-SHA256 over the previous link and the event's fields.
    Its key and head (last link, count) are the schema's ``dataset_settings`` rows
    :data:`CHAIN_SETTINGS`, which no area login may read (:mod:`geo.store.pg_security`); the key
    is made on the first event.
    """
    import secrets

    now = datetime.now(UTC).replace(tzinfo=None)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # linked as stored: milliseconds
    kept = dict(con.execute("SELECT key, value FROM dataset_settings WHERE key = ANY(%s)",
                            (list(CHAIN_SETTINGS),)).fetchall())
    key = kept.get(KEY_SETTING) or secrets.token_hex(32)
    row = con.execute("SELECT hash FROM audit_log WHERE hash IS NOT NULL AND hash <> ''"
                      " ORDER BY fid DESC LIMIT 1").fetchone()
    prev = row[0] if row else ""
    value = link(bytes.fromhex(key), prev, at, user, action, detail)
    con.execute('INSERT INTO audit_log ("at", "user", "action", "detail", "prev_hash", "hash")'
                " VALUES (%s, %s, %s, %s, %s, %s)", (at, user, action, detail, prev, value))
    if not prev:
        count = 1
    elif kept.get("audit_head") == prev and str(kept.get("audit_count", "")).isdigit():
        count = int(kept["audit_count"]) + 1  # the head counted every link up to ``prev``
    else:  # no head kept yet (a log from before the chain, or a copy): count the links
        count = int(con.execute("SELECT count(*) FROM audit_log WHERE hash IS NOT NULL"
                                " AND hash <> ''").fetchone()[0])
    head = {KEY_SETTING: key, "audit_head": value, "audit_count": str(count)}
    con.execute("DELETE FROM dataset_settings WHERE key = ANY(%s)", (list(head),))
    with con.cursor() as cur:
        cur.executemany("INSERT INTO dataset_settings (key, value) VALUES (%s, %s)", list(head.items()))
    return value


def public_settings(pairs) -> dict[str, str]:
    """A PostGIS dataset's settings from its ``(key, value)`` rows, without its secrets
    (:data:`CHAIN_SETTINGS`, :data:`geo.store.keys.SERVER_KEYS`: never handed out with a dataset)."""
    from geo.store.keys import SERVER_KEYS

    hidden = {*CHAIN_SETTINGS, *SERVER_KEYS.values()}
    return {str(k): "" if v is None else str(v) for k, v in pairs if str(k) not in hidden}
