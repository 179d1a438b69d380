"""Local accounts kept in the dataset: add, list, disable, enable, change password, sign in.

Accounts live in the dataset's internal ``users`` table (never shown or exported), in a
GeoPackage or a PostGIS dataset alike. Passwords are stored only as argon2id hashes (argon2-cffi
``PasswordHasher``, its default parameters, RFC 9106). Each change and each sign-in is one write
of the dataset's store (:meth:`geo.store.writer.Store.write`: one transaction under the write
lock, the account read inside it, the audit event in the same transaction), touching no other
layer. After ``settings.max_failed_logins`` wrong passwords in a row an account
is locked for ``settings.lockout_minutes``; every sign-in, failure and lock is in the audit log.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import secrets
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.privacy.audit import audit_event, from_gpkg_time, now_utc
from geo.privacy.roles import User, check_role, check_scope, normalise_scope
from geo.store import settings
from geo.store.errors import ChildSafeError, DatasetError, PermissionDenied, ValidationError
from geo.store.location import is_url
from geo.store.sqlite import check_geopackage
from geo.store.writer import Writer

logger = logging.getLogger(__name__)

#: shortest password accepted (NIST SP 800-63B-4 asks at least 8; we ask more, as the data
#: is children's homes).
MIN_PASSWORD_LENGTH = 10
#: least zxcvbn score (0-4) a password needs: 3 is "safely unguessable: moderate protection
#: from offline slow-hash scenario" (about 10^8 guesses, Wheeler 2016, USENIX Security).
MIN_PASSWORD_SCORE = 3
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_USER_COLUMNS = ["username", "role", "scope", "password_hash", "disabled", "failed_count",
                 "locked_until", "created_at"]
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


def _store(path: str | os.PathLike, *, existing: bool = False):
    """The dataset's store; ``existing``: refuse a dataset that does not exist yet (an account
    change never creates one)."""
    from geo.store.stores import open_store

    store = open_store(path)
    if existing:
        if not is_url(path):
            check_geopackage(path)
        elif not store.exists():
            raise DatasetError(store.location, [
                "该服务器模式中还没有数据集（先用 childsafe copy 或 import 写入）/ the schema holds no "
                "dataset yet (write one with childsafe copy or childsafe import)"])
    return store


def _account(w: Writer, username: str) -> dict | None:
    """The stored row of ``username`` read inside the write ``w`` (``None``: no such account)."""
    if not isinstance(username, str):
        return None
    rows = _frame(w.read("users", _USER_COLUMNS))
    rows = rows[rows["username"] == username]
    return None if not len(rows) else rows.iloc[-1].to_dict()


def _frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Stored account rows in one form whatever the store (flags bool, times naive UTC)."""
    frame = rows.copy()
    for col in ("username", "role", "scope", "password_hash"):
        if col in frame.columns:
            frame[col] = frame[col].astype("string").fillna("")
    frame["disabled"] = pd.Series([False if pd.isna(v) else bool(v) for v in frame["disabled"]],
                                  index=frame.index, dtype=bool)
    frame["failed_count"] = pd.to_numeric(frame["failed_count"]).fillna(0).astype("Int64")
    for col in ("locked_until", "created_at"):
        frame[col] = pd.Series([from_gpkg_time(v) for v in frame[col]], index=frame.index,
                               dtype="datetime64[ms]")
    return frame


def _update(path: str | os.PathLike, username: str, event: tuple, **values) -> None:
    """Set columns of one user and log ``event`` (actor, action, detail) in one write;
    raise if the user does not exist."""
    with _store(path, existing=True).write(audit=audit_event(*event)) as w:
        if _account(w, username) is None:
            raise ValidationError(f"no user named {username!r}")
        w.update("users", "username", username, values)


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
    event = audit_event(actor, "user_add", f"{username} role={role} scope={scope or '*'}")
    with _store(path, existing=True).write(audit=event) as w:
        if _account(w, username) is not None:
            raise ValidationError(f"用户名 {username!r} 已存在。/ a user named {username!r} "
                                  "exists already")
        _check_scope_has_units(w, scope)
        w.append("users", pd.DataFrame({
            "username": [username], "role": [role], "scope": [scope], "password_hash": [hashed],
            "disabled": [False], "failed_count": [0], "locked_until": [pd.NaT],
            "created_at": [pd.Timestamp(now_utc())],
        }))
    logger.info("added user %s (%s, %s)", username, role, scope or "*")
    return User(username, role, scope)


def _check_scope_has_units(w: Writer, scope: str) -> None:
    """Refuse a scope that names no admin unit of the dataset (it would clip nothing away).

    A scope is an admin-code prefix; one that matches no unit code (a typo, another county)
    would give its user no households but every water, kit, station and road, since those are
    clipped by the scope's polygons and there are none.
    """
    if not scope:
        return
    codes = w.read("admin_units", ["code"])["code"].dropna().astype(str)
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
    if is_url(path):
        return False
    path = Path(path)
    try:
        if not path.exists() or path.resolve() != Path(settings.demo_dataset).resolve():
            return False
        rows = _store(path).table("dataset_settings", ["key", "value"], where={"key": ["demo"]})
    except (OSError, sqlite3.Error, ChildSafeError):
        return False
    return bool(len(rows)) and str(rows["value"].iloc[-1]).startswith("synthetic")


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
        rows = _store(path).table("users", ["username", "disabled"], where={"username": [username]})
    except (OSError, sqlite3.Error, ChildSafeError):
        return False
    return bool(len(rows)) and not bool(_frame_flags(rows["disabled"]).iloc[-1])


def _frame_flags(values: pd.Series) -> pd.Series:
    return pd.Series([False if pd.isna(v) else bool(v) for v in values], dtype=bool)


def has_users(path: str | os.PathLike) -> bool:
    """Whether the dataset at ``path`` has any account (then the app asks to sign in)."""
    return bool(len(_store(path).table("users", ["username"])))


def list_users(path: str | os.PathLike) -> pd.DataFrame:
    """The accounts of the dataset, without password hashes (one row per user, by name)."""
    columns = ["username", "role", "scope", "disabled", "failed_count", "locked_until",
               "created_at"]
    frame = _frame(_store(path).table("users", columns))
    return frame.sort_values("username", kind="stable").reset_index(drop=True)


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
    with _store(path, existing=True).write() as w:
        row = _account(w, username)
        matches = _verify(row["password_hash"] if row is not None else _dummy_hash(),
                          password if isinstance(password, str) else "")
        if row is None:
            outcome, detail = "login_failed", f"unknown user name ({via})"
        elif row["disabled"]:
            outcome, detail = "login_failed", f"disabled account ({via})"
        elif not pd.isna(locked := row["locked_until"]) and locked > now:
            outcome, detail = "login_locked", f"locked until {locked:%Y-%m-%d %H:%M} UTC ({via})"
        elif matches:
            changes: dict[str, object] = {"failed_count": 0, "locked_until": None}
            if _hasher.check_needs_rehash(row["password_hash"]):
                changes["password_hash"] = _hasher.hash(password)
            w.update("users", "username", username, changes)
            outcome, detail = "login", via
        else:
            failed = int(row["failed_count"]) + 1
            locked_until = None
            if failed >= int(settings.max_failed_logins):
                locked_until = pd.Timestamp(now + timedelta(minutes=float(settings.lockout_minutes)))
                failed = 0
            w.update("users", "username", username, {"failed_count": failed, "locked_until": locked_until})
            outcome = "login_locked" if locked_until is not None else "login_failed"
            detail = f"wrong password ({via})" + (
                f"; locked for {settings.lockout_minutes:g} min" if locked_until is not None else ""
            )
        w.set_audit(audit_event(username if row is not None else "", outcome, detail))
    if outcome != "login":
        raise SignInFailed()
    assert row is not None  # outcome "login" is only reached with the user's row
    return User(username, str(row["role"]), str(row["scope"] or ""))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
