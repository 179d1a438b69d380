"""Local accounts: argon2 hashes, lock-out, disable/enable, atomic writes that keep every layer."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from privacy_data import PW, VILLAGE_A, fast_passwords  # noqa: F401

from geo.privacy.accounts import (
    add_user,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    has_users,
    list_users,
    set_password,
)
from geo.privacy.audit import now_utc, read_audit
from geo.store import settings
from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import DatasetError, PermissionDenied, ValidationError


def test_add_and_list_users_keep_other_layers(two_villages_path):
    before = read_dataset(two_villages_path).counts()
    assert not has_users(two_villages_path)
    user = add_user(two_villages_path, "dirA", PW, role="child_director", scope=VILLAGE_A)
    assert (user.role, user.scope) == ("child_director", VILLAGE_A)
    assert has_users(two_villages_path)
    users = list_users(two_villages_path)
    assert list(users["username"]) == ["dirA"] and "password_hash" not in users
    after = read_dataset(two_villages_path).counts()
    assert after == {**before, "audit_log": 1}  # the one "user_add" event


def test_password_stored_as_argon2_hash_only(two_villages_path):
    add_user(two_villages_path, "root", PW, role="admin")
    con = sqlite3.connect(two_villages_path)
    (hashed,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    assert hashed.startswith("$argon2id$") and PW not in hashed
    assert PW.encode() not in two_villages_path.read_bytes()


def test_users_survive_a_whole_dataset_rewrite(two_villages_path):
    add_user(two_villages_path, "root", PW, role="admin")
    write_dataset(read_dataset(two_villages_path), two_villages_path)
    assert authenticate(two_villages_path, "root", PW).username == "root"


@pytest.mark.parametrize("kwargs, message", [
    ({"username": "bad name", "password": PW, "role": "admin"}, "user name"),
    ({"username": "ok", "password": "short", "role": "admin"}, "at least 10"),
    ({"username": "ok", "password": PW, "role": "child_director", "scope": "340123"}, "12-digit"),
])
def test_bad_accounts_refused(two_villages_path, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        add_user(two_villages_path, **kwargs)


def test_bad_role_or_scope_and_duplicates(two_villages_path):
    with pytest.raises(PermissionDenied, match="unknown role"):
        add_user(two_villages_path, "x", PW, role="boss")
    with pytest.raises(PermissionDenied, match="prefix"):
        add_user(two_villages_path, "x", PW, role="leader", scope="12345")
    add_user(two_villages_path, "x", PW, role="leader")
    with pytest.raises(ValidationError, match="exists"):
        add_user(two_villages_path, "x", PW, role="leader")
    with pytest.raises(DatasetError):
        add_user(two_villages_path.with_name("missing.gpkg"), "y", PW, role="leader")


def test_authenticate_right_and_wrong(two_villages_path):
    add_user(two_villages_path, "root", PW, role="admin")
    assert authenticate(two_villages_path, "root", PW).role == "admin"
    with pytest.raises(PermissionDenied, match="wrong user name or password"):
        authenticate(two_villages_path, "root", "not it at all")
    with pytest.raises(PermissionDenied, match="wrong user name or password"):
        authenticate(two_villages_path, "nobody", PW)
    actions = list(read_audit(two_villages_path)["action"])
    assert actions[-3:] == ["login", "login_failed", "login_failed"]


def test_lock_out_and_its_expiry(two_villages_path, monkeypatch):
    monkeypatch.setattr(settings, "max_failed_logins", 3)
    monkeypatch.setattr(settings, "lockout_minutes", 10)
    add_user(two_villages_path, "u", PW, role="planner")
    t0 = now_utc()
    for i in range(2):
        with pytest.raises(PermissionDenied, match="wrong"):
            authenticate(two_villages_path, "u", "bad password", now=t0)
        assert int(list_users(two_villages_path)["failed_count"].iloc[0]) == i + 1
    with pytest.raises(PermissionDenied, match="locked"):
        authenticate(two_villages_path, "u", "bad password", now=t0)
    with pytest.raises(PermissionDenied, match="locked"):
        authenticate(two_villages_path, "u", PW, now=t0 + timedelta(minutes=9))  # right password, still locked
    assert authenticate(two_villages_path, "u", PW, now=t0 + timedelta(minutes=11)).username == "u"
    row = list_users(two_villages_path).iloc[0]
    assert int(row["failed_count"]) == 0
    assert "login_locked" in set(read_audit(two_villages_path)["action"])


def test_success_resets_the_failure_count(two_villages_path, monkeypatch):
    monkeypatch.setattr(settings, "max_failed_logins", 3)
    add_user(two_villages_path, "u", PW, role="planner")
    for _ in range(2):
        with pytest.raises(PermissionDenied):
            authenticate(two_villages_path, "u", "bad password")
    authenticate(two_villages_path, "u", PW)
    for _ in range(2):
        with pytest.raises(PermissionDenied, match="wrong"):
            authenticate(two_villages_path, "u", "bad password")


def test_disable_enable_and_passwd(two_villages_path, monkeypatch):
    add_user(two_villages_path, "u", PW, role="leader", scope="340123")
    disable_user(two_villages_path, "u")
    with pytest.raises(PermissionDenied):
        authenticate(two_villages_path, "u", PW)
    enable_user(two_villages_path, "u")
    assert authenticate(two_villages_path, "u", PW).scope == "340123"
    set_password(two_villages_path, "u", "a new long password")
    with pytest.raises(PermissionDenied):
        authenticate(two_villages_path, "u", PW)
    assert authenticate(two_villages_path, "u", "a new long password").role == "leader"
    assert get_user(two_villages_path, "u").role == "leader"
    with pytest.raises(ValidationError, match="no user"):
        disable_user(two_villages_path, "ghost")
    actions = set(read_audit(two_villages_path)["action"])
    assert {"user_add", "user_disable", "user_enable", "user_passwd"} <= actions
