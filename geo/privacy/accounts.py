"""Local accounts kept in the dataset file: add, list, disable, enable, change password, sign in.

Accounts live in the dataset's internal ``users`` table (never shown or exported). Passwords are
stored only as argon2id hashes (argon2-cffi ``PasswordHasher``, its default parameters, RFC 9106).
Each change is one SQLite transaction on that table alone, under the dataset's lock file, so no
other layer is touched. After ``settings.max_failed_logins`` wrong passwords in a row an account
is locked for ``settings.lockout_minutes``; every sign-in, failure and lock is in the audit log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.privacy.audit import (
    connect,
    ensure_table,
    from_gpkg_time,
    insert_event,
    now_utc,
    table_exists,
    to_gpkg_time,
)
from geo.privacy.roles import User, check_role, check_scope
from geo.store import settings
from geo.store.errors import PermissionDenied, ValidationError
from geo.store.sqlite import transaction

logger = logging.getLogger(__name__)

#: shortest password accepted (NIST SP 800-63B §5.1.1.2: at least 8 characters).
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_USER_COLUMNS = {
    "username": "TEXT NOT NULL UNIQUE",
    "role": "TEXT NOT NULL",
    "scope": "TEXT",
    "password_hash": "TEXT NOT NULL",
    "disabled": "BOOLEAN",
    "failed_count": "INTEGER",
    "locked_until": "DATETIME",
    "created_at": "DATETIME",
}
_hasher = PasswordHasher()
# a real hash to verify against when the user does not exist (same time either way)
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_username(username: str) -> None:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise ValidationError(
            f"user name {username!r} must be 1-64 letters, digits or . _ - @ (no spaces)"
        )


@contextlib.contextmanager
def _transaction(path: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    """One transaction on the dataset (rows as :class:`sqlite3.Row`) with ``users`` present."""
    with transaction(path, row_factory=sqlite3.Row) as con:
        ensure_table(con, "users", _USER_COLUMNS)
        yield con


def _row(con: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()


def _update(path: str | os.PathLike, username: str, event: tuple, **values) -> None:
    """Set columns of one user and log ``event`` (actor, action, detail) in one transaction;
    raise if the user does not exist."""
    with _transaction(path) as con:
        if _row(con, username) is None:
            raise ValidationError(f"no user named {username!r}")
        sets = ", ".join(f'"{k}" = ?' for k in values)
        con.execute(f"UPDATE users SET {sets} WHERE username = ?", (*values.values(), username))
        insert_event(con, *event)


def add_user(path: str | os.PathLike, username: str, password: str, *, role: str,
             scope: str = "", actor=None) -> User:
    """Create an account in the dataset at ``path``.

    Parameters
    ----------
    path
        The dataset GeoPackage (must exist).
    username
        1-64 letters, digits or ``. _ - @``; unique in the dataset.
    password
        At least :data:`MIN_PASSWORD_LENGTH` characters; only its argon2 hash is stored.
    role, scope
        One of :data:`geo.privacy.roles.ROLES` and an admin-code prefix ("" for everything).
    actor
        Who creates it (for the audit log).

    Raises
    ------
    ValidationError
        Bad name, short password, or the name is taken.
    PermissionDenied
        Unknown role or malformed scope.
    """
    _check_username(username)
    check_role(role)
    check_scope(scope)
    _check_password(password)
    if role == "child_director" and len(scope) != 12:
        raise ValidationError("a child director's scope is their village's 12-digit code")
    hashed = _hasher.hash(password)
    with _transaction(path) as con:
        if _row(con, username) is not None:
            raise ValidationError(f"a user named {username!r} exists already")
        con.execute(
            "INSERT INTO users (username, role, scope, password_hash, disabled, failed_count,"
            " locked_until, created_at) VALUES (?, ?, ?, ?, 0, 0, NULL, ?)",
            (username, role, scope, hashed, to_gpkg_time(now_utc())),
        )
        insert_event(con, actor, "user_add", f"{username} role={role} scope={scope or '*'}")
    logger.info("added user %s (%s, %s)", username, role, scope or "*")
    return User(username, role, scope)


def has_users(path: str | os.PathLike) -> bool:
    """Whether the dataset at ``path`` has any account (then the app asks to sign in)."""
    con = connect(path)
    try:
        if not table_exists(con, "users"):
            return False
        return con.execute("SELECT COUNT(*) FROM users").fetchone()[0] > 0
    finally:
        con.close()


def list_users(path: str | os.PathLike) -> pd.DataFrame:
    """The accounts of the dataset, without password hashes (one row per user, by name)."""
    columns = ["username", "role", "scope", "disabled", "failed_count", "locked_until",
               "created_at"]
    con = connect(path)
    try:
        rows = []
        if table_exists(con, "users"):
            rows = con.execute(
                f"SELECT {', '.join(columns)} FROM users ORDER BY username"
            ).fetchall()
    finally:
        con.close()
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("username", "role", "scope"):
        frame[col] = frame[col].astype("string").fillna("")
    frame["disabled"] = frame["disabled"].fillna(0).astype(int).astype(bool)
    frame["failed_count"] = pd.to_numeric(frame["failed_count"]).fillna(0).astype("Int64")
    for col in ("locked_until", "created_at"):
        frame[col] = pd.Series([from_gpkg_time(v) for v in frame[col]], dtype="datetime64[ms]")
    return frame


def get_user(path: str | os.PathLike, username: str) -> User:
    """The account ``username`` as a :class:`User` (raises if unknown)."""
    users = list_users(path)
    row = users[users["username"] == username]
    if not len(row):
        raise ValidationError(f"no user named {username!r}")
    return User(username, str(row["role"].iloc[0]), str(row["scope"].iloc[0]))


def disable_user(path: str | os.PathLike, username: str, *, actor=None) -> None:
    """Disable an account: it can no longer sign in (its history stays)."""
    _update(path, username, (actor, "user_disable", username), disabled=1)


def enable_user(path: str | os.PathLike, username: str, *, actor=None) -> None:
    """Enable an account again and lift any lock-out."""
    _update(path, username, (actor, "user_enable", username), disabled=0, failed_count=0,
            locked_until=None)


def set_password(path: str | os.PathLike, username: str, password: str, *, actor=None) -> None:
    """Replace an account's password (and lift any lock-out)."""
    _check_password(password)
    _update(path, username, (actor, "user_passwd", username),
            password_hash=_hasher.hash(password), failed_count=0, locked_until=None)


def authenticate(path: str | os.PathLike, username: str, password: str, *,
                 now: datetime | None = None, via: str = "app") -> User:
    """Check a user's password and return the :class:`User`, or raise.

    A wrong password counts towards the lock-out: after ``settings.max_failed_logins`` in a
    row the account is locked for ``settings.lockout_minutes`` (even the right password is
    refused meanwhile). Success resets the count. Every attempt is logged.

    Raises
    ------
    PermissionDenied
        Unknown user, wrong password, disabled or locked account (one message for the first
        two, so names cannot be probed).
    """
    now = now or now_utc()
    path = Path(path)
    with _transaction(path) as con:
        row = _row(con, username)
        if row is None:
            _verify(_DUMMY_HASH, password)
            outcome, detail = "login_failed", f"unknown user {username!r} ({via})"
        elif bool(row["disabled"]):
            outcome, detail = "login_failed", f"disabled account ({via})"
        elif (locked := from_gpkg_time(row["locked_until"])) is not None and locked > now:
            outcome, detail = "login_locked", f"locked until {locked:%Y-%m-%d %H:%M} UTC ({via})"
        elif _verify(row["password_hash"], password):
            if _hasher.check_needs_rehash(row["password_hash"]):
                con.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                            (_hasher.hash(password), username))
            con.execute("UPDATE users SET failed_count = 0, locked_until = NULL"
                        " WHERE username = ?", (username,))
            outcome, detail = "login", via
        else:
            failed = int(row["failed_count"] or 0) + 1
            locked_until = None
            if failed >= int(settings.max_failed_logins):
                locked_until = to_gpkg_time(now + timedelta(minutes=float(settings.lockout_minutes)))
                failed = 0
            con.execute("UPDATE users SET failed_count = ?, locked_until = ? WHERE username = ?",
                        (failed, locked_until, username))
            outcome = "login_locked" if locked_until else "login_failed"
            detail = f"wrong password ({via})" + (
                f"; locked for {settings.lockout_minutes:g} min" if locked_until else ""
            )
        insert_event(con, username, outcome, detail)
    if outcome != "login":
        if outcome == "login_locked":
            raise PermissionDenied(
                f"账户 {username!r} 连续 {settings.max_failed_logins} 次登录失败，已锁定；"
                f"请 {settings.lockout_minutes:g} 分钟后再试，或请管理员解锁 / "
                f"the account {username!r} is locked after {settings.max_failed_logins} failed "
                f"sign-ins; try again in {settings.lockout_minutes:g} minutes or ask an admin"
            )
        raise PermissionDenied("用户名或密码错误，或账户已停用 / "
                               "wrong user name or password, or the account is disabled")
    assert row is not None  # outcome "login" is only reached with the user's row
    return User(username, str(row["role"]), str(row["scope"] or ""))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
