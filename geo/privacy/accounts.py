"""Local accounts kept in the dataset file: add, list, disable, enable, change password, sign in.

Accounts live in the dataset's internal ``users`` table (never shown or exported). Passwords are
stored only as argon2id hashes (argon2-cffi ``PasswordHasher``, its default parameters, RFC 9106).
Each change is one SQLite transaction on that table alone, under the dataset's lock file, so no
other layer is touched. After ``settings.max_failed_logins`` wrong passwords in a row an account
is locked for ``settings.lockout_minutes``; every sign-in, failure and lock is in the audit log.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
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
from geo.privacy.roles import User, check_role, check_scope, normalise_scope
from geo.store import settings
from geo.store.errors import ChildSafeError, PermissionDenied, ValidationError
from geo.store.sqlite import transaction

logger = logging.getLogger(__name__)

#: shortest password accepted (NIST SP 800-63B-4 asks at least 8; we ask more, as the data
#: is children's homes).
MIN_PASSWORD_LENGTH = 10
#: least zxcvbn score (0-4) a password needs: 3 is "safely unguessable: moderate protection
#: from offline slow-hash scenario" (about 10^8 guesses, Wheeler 2016, USENIX Security).
MIN_PASSWORD_SCORE = 3
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
#: Words of Chinese passwords that zxcvbn's English lists miss (pinyin of common surnames,
#: phrases and "lucky" numbers at the top of the 2011 CSDN/Tianya leaks; Wang et al. 2014,
#: "A study of Chinese passwords"): scored as dictionary words, so ``woaini1314`` is weak.
_CHINESE_PASSWORD_WORDS = (
    "woaini", "5201314", "1314520", "1314", "520", "aini", "nihao", "zhongguo", "beijing",
    "shanghai", "baobao", "laopo", "laogong", "mima", "zhangsan", "lisi", "wangwu", "zhang",
    "wang", "li", "liu", "chen", "yang", "huang", "zhao", "zhou", "wu", "xu", "sun", "ma",
    "zhu", "hu", "guo", "he", "lin", "luo", "gao", "qq", "admin", "root", "666666", "888888",
    "a123456", "abc123", "123456",
)
_hasher = PasswordHasher()
_dummy: dict[tuple, str] = {}

#: The one answer to every failed sign-in (unknown name, wrong password, disabled or locked
#: account): which of them it was would tell a prober that the account exists.
SIGN_IN_FAILED = (
    "登录失败：用户名或密码错误，或账户已停用或锁定（连续 {n} 次失败后锁定 {m} 分钟；"
    "如需帮助请联系管理员）。",
    "Sign-in failed: wrong user name or password, or the account is disabled or locked "
    "({n} failures in a row lock it for {m} minutes; ask an administrator for help).",
)


def sign_in_failed_text(lang: str = "en") -> str:
    """:data:`SIGN_IN_FAILED` in ``lang`` ("zh" or "en") with the lock-out settings filled in."""
    zh, en = SIGN_IN_FAILED
    return (zh if lang == "zh" else en).format(n=settings.max_failed_logins,
                                                 m=f"{float(settings.lockout_minutes):g}")


class SignInFailed(PermissionDenied):
    """A sign-in was refused; the message is the same whatever the reason (see ``SIGN_IN_FAILED``)."""

    def __init__(self) -> None:
        super().__init__(sign_in_failed_text("zh") + " / " + sign_in_failed_text("en"))


def _dummy_hash() -> str:
    """A hash made with the current hasher's parameters (verifying it costs what a real one costs)."""
    key = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism, _hasher.hash_len)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy[key]


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's frequency lists (leaked-password corpora)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: object, username: str = "") -> list[tuple[str, str]]:
    """Why ``password`` may not be used, as ``(Chinese, English)`` sentences (empty: it may).

    Rules: at least :data:`MIN_PASSWORD_LENGTH` characters; not one of the common passwords of
    zxcvbn's lists (case-insensitive); not containing the user name; and a zxcvbn strength score
    of at least :data:`MIN_PASSWORD_SCORE` (dictionary words with digits, keyboard runs,
    repeats and dates score low), the user name and common Chinese password words
    (:data:`_CHINESE_PASSWORD_WORDS`) counted as known words.
    """
    if not isinstance(password, str):
        return [("密码必须是文字。", "a password must be text")]
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append((f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。",
                         f"a password needs at least {MIN_PASSWORD_LENGTH} characters"))
    if password.lower() in _common_passwords():
        problems.append(("这是常见密码，很容易被猜中。", "this is a common password, easily guessed"))
    name = (username or "").strip().lower()
    if name and len(name) >= 3 and name in password.lower():
        problems.append(("密码不能包含用户名。", "a password may not contain the user name"))
    if not problems and password:
        from zxcvbn import zxcvbn

        words = [*([name] if name else []), *_CHINESE_PASSWORD_WORDS]
        if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_PASSWORD_SCORE:
            problems.append(("密码太容易猜中（常见词、键盘序列、重复或日期）；请用更长的词组。",
                             "the password is too easy to guess (common words, keyboard runs, "
                             "repeats or dates); use a longer phrase"))
    return problems


def _check_password(password: str, username: str = "") -> None:
    problems = password_problems(password, username)
    if problems:
        raise ValidationError(
            "密码不可用：" + "；".join(zh for zh, _ in problems) + " / password refused: "
            + "; ".join(en for _, en in problems),
            [("password", "weak", en) for _, en in problems],
        )


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
    scope = check_scope(normalise_scope(scope))
    _check_password(password, username)
    if role == "child_director" and len(scope) != 12:
        raise ValidationError("儿童主任的范围必须是其所在村的 12 位代码。/ a child director's scope "
                              "is their village's 12-digit code")
    hashed = _hasher.hash(password)
    with _transaction(path) as con:
        if _row(con, username) is not None:
            raise ValidationError(f"用户名 {username!r} 已存在。/ a user named {username!r} "
                                  "exists already")
        _check_scope_has_units(con, scope)
        con.execute(
            "INSERT INTO users (username, role, scope, password_hash, disabled, failed_count,"
            " locked_until, created_at) VALUES (?, ?, ?, ?, 0, 0, NULL, ?)",
            (username, role, scope, hashed, to_gpkg_time(now_utc())),
        )
        insert_event(con, actor, "user_add", f"{username} role={role} scope={scope or '*'}")
    logger.info("added user %s (%s, %s)", username, role, scope or "*")
    return User(username, role, scope)


def _check_scope_has_units(con: sqlite3.Connection, scope: str) -> None:
    """Refuse a scope that names no admin unit of the dataset (it would clip nothing away).

    A scope is an admin-code prefix; one that matches no unit code (a typo, another county)
    would give its user no households but every water, kit, station and road, since those are
    clipped by the scope's polygons and there are none.
    """
    if not scope:
        return
    codes: list[str] = []
    if table_exists(con, "admin_units"):
        codes = [str(r[0]) for r in con.execute("SELECT code FROM admin_units") if r[0] is not None]
    if not any(code.startswith(scope) for code in codes):
        raise ValidationError(
            f"范围 {scope} 不对应本数据集中的任何行政区划；请先导入行政区划或检查代码。/ the scope "
            f"{scope} matches no admin unit of this dataset; import the admin units first or check "
            "the code",
            [("scope", "no_unit", scope)],
        )


#: How the app opens a dataset (see :func:`access_mode`).
ACCESS_MODES = ("accounts", "demo", "needs_admin")


def is_shipped_demo(path: str | os.PathLike) -> bool:
    """Whether ``path`` is the shipped synthetic demo county (``settings.demo_dataset``).

    Both must hold: it is that very file, and the file still says it is synthetic (the ``demo``
    setting written by ``geo.demo.make``; an import into it removes the mark). A copy, an export
    or a backup elsewhere is not the demo.
    """
    path = Path(path)
    try:
        if not path.exists() or path.resolve() != Path(settings.demo_dataset).resolve():
            return False
        con = connect(path)
        try:
            if not table_exists(con, "dataset_settings"):
                return False
            row = con.execute("SELECT value FROM dataset_settings WHERE key = 'demo'").fetchone()
        finally:
            con.close()
    except (OSError, sqlite3.Error):
        return False
    return row is not None and str(row[0]).startswith("synthetic")


def access_mode(path: str | os.PathLike) -> str:
    """How the app may open the dataset at ``path``: one of :data:`ACCESS_MODES`.

    ``accounts``: it holds accounts, sign in. ``demo``: it is the shipped synthetic demo without
    accounts, open read-only as the demo administrator. ``needs_admin``: anything else (a real
    dataset, an export, a backup, an unreadable file): nothing is shown until an administrator
    is created with ``childsafe user add`` (fail closed).
    """
    try:
        if has_users(path):
            return "accounts"
    except (OSError, sqlite3.Error, ChildSafeError):
        return "needs_admin"
    return "demo" if is_shipped_demo(path) else "needs_admin"


def has_account(path: str | os.PathLike, username: str) -> bool:
    """Whether the dataset at ``path`` holds an enabled account named ``username``."""
    try:
        con = connect(path)
        try:
            if not table_exists(con, "users"):
                return False
            row = con.execute("SELECT disabled FROM users WHERE username = ?",
                              (username,)).fetchone()
        finally:
            con.close()
    except (OSError, sqlite3.Error, ChildSafeError):
        return False
    return row is not None and not bool(row[0])


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
    _check_password(password, username)
    _update(path, username, (actor, "user_passwd", username),
            password_hash=_hasher.hash(password), failed_count=0, locked_until=None)


def authenticate(path: str | os.PathLike, username: str, password: str, *,
                 now: datetime | None = None, via: str = "app") -> User:
    """Check a user's password and return the :class:`User`, or raise :class:`SignInFailed`.

    A wrong password counts towards the lock-out: after ``settings.max_failed_logins`` in a
    row the account is locked for ``settings.lockout_minutes`` (even the right password is
    refused meanwhile). Success resets the count. Every attempt is logged.

    Every refusal (unknown name, wrong password, disabled, locked) raises the same
    :class:`SignInFailed` after one argon2 verification (against the account's hash, or a dummy
    one), so neither the answer nor its time tells whether an account exists. A name that is
    no account is not written to the audit log (people type their password there by mistake).

    Raises
    ------
    SignInFailed
        The sign-in was refused (a :class:`PermissionDenied`).
    """
    now = now or now_utc()
    path = Path(path)
    with _transaction(path) as con:
        row = _row(con, username) if isinstance(username, str) else None
        matches = _verify(row["password_hash"] if row is not None else _dummy_hash(),
                          password if isinstance(password, str) else "")
        if row is None:
            outcome, detail = "login_failed", f"unknown user name ({via})"
        elif bool(row["disabled"]):
            outcome, detail = "login_failed", f"disabled account ({via})"
        elif (locked := from_gpkg_time(row["locked_until"])) is not None and locked > now:
            outcome, detail = "login_locked", f"locked until {locked:%Y-%m-%d %H:%M} UTC ({via})"
        elif matches:
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
        insert_event(con, username if row is not None else "", outcome, detail)
    if outcome != "login":
        raise SignInFailed()
    assert row is not None  # outcome "login" is only reached with the user's row
    return User(username, str(row["role"]), str(row["scope"] or ""))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
