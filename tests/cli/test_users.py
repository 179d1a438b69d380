"""``childsafe user`` and ``childsafe audit``: passwords never echoed, admins only with --user."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from privacy_data import PW, VILLAGE_A, fast_passwords  # noqa: F401

from geo.cli._main import cli
from geo.privacy.accounts import authenticate, list_users
from geo.privacy.audit import read_audit
from geo.store.errors import PermissionDenied


def _run(*args, env=None, input=None):
    return CliRunner().invoke(cli, list(args), env=env or {}, input=input)


def test_add_from_env_and_from_file_and_prompt(two_villages_path, tmp_path):
    r = _run("user", "add", str(two_villages_path), "root", "--role", "admin", env={"CHILDSAFE_NEW_PASSWORD": PW})
    assert r.exit_code == 0, r.output
    assert PW not in r.output
    pw_file = tmp_path / "pw.txt"
    pw_file.write_text("from a file 123\n")
    r = _run("user", "add", str(two_villages_path), "dirA", "--role", "child_director", "--scope", VILLAGE_A,
             "--password-file", str(pw_file))
    assert r.exit_code == 0, r.output
    assert authenticate(two_villages_path, "dirA", "from a file 123").scope == VILLAGE_A
    r = _run("user", "add", str(two_villages_path), "lead", "--role", "leader", input="typed secret 1\ntyped secret 1\n")
    assert r.exit_code == 0, r.output
    assert "typed secret 1" not in r.output
    assert authenticate(two_villages_path, "lead", "typed secret 1").role == "leader"


def test_list_disable_enable_passwd(two_villages_path):
    _run("user", "add", str(two_villages_path), "u1", "--role", "planner", env={"CHILDSAFE_NEW_PASSWORD": PW})
    r = _run("user", "list", str(two_villages_path), "--json")
    rows = json.loads(r.output)
    assert rows == [{"username": "u1", "role": "planner", "scope": "", "disabled": False,
                     "locked_until": None}]
    assert "argon2" not in _run("user", "list", str(two_villages_path)).output
    assert _run("user", "disable", str(two_villages_path), "u1").exit_code == 0
    assert bool(list_users(two_villages_path)["disabled"].iloc[0])
    with pytest.raises(PermissionDenied):
        authenticate(two_villages_path, "u1", PW)
    assert _run("user", "enable", str(two_villages_path), "u1").exit_code == 0
    r = _run("user", "passwd", str(two_villages_path), "u1", env={"CHILDSAFE_NEW_PASSWORD": "brand new pass"})
    assert r.exit_code == 0 and "brand new pass" not in r.output
    assert authenticate(two_villages_path, "u1", "brand new pass").role == "planner"


def test_errors_are_one_message(two_villages_path):
    r = _run("user", "add", str(two_villages_path), "x", "--role", "admin", env={"CHILDSAFE_NEW_PASSWORD": "short"})
    assert r.exit_code == 2 and "at least 10" in r.output
    r = _run("user", "disable", str(two_villages_path), "ghost")
    assert r.exit_code == 2 and "no user" in r.output


def test_only_admins_manage_users_when_acting_as_someone(two_villages_path):
    env = {"CHILDSAFE_NEW_PASSWORD": PW}
    _run("user", "add", str(two_villages_path), "lead", "--role", "leader", env=env)
    _run("user", "add", str(two_villages_path), "root", "--role", "admin", env=env)
    as_lead = {**env, "CHILDSAFE_PASSWORD": PW}
    r = _run("--user", "lead", "user", "add", str(two_villages_path), "x", "--role", "admin", env=as_lead)
    assert r.exit_code == 2 and "may not manage users" in r.output
    r = _run("--user", "lead", "user", "passwd", str(two_villages_path), "lead", env={**as_lead, "CHILDSAFE_NEW_PASSWORD": "amber river crossing 42"})
    assert r.exit_code == 0, r.output  # own password
    r = _run("--user", "root", "user", "add", str(two_villages_path), "x", "--role", "planner",
             env={"CHILDSAFE_PASSWORD": PW, "CHILDSAFE_NEW_PASSWORD": PW})
    assert r.exit_code == 0, r.output
    r = _run("--user", "root", "audit", str(two_villages_path), env={"CHILDSAFE_PASSWORD": "wrong one!"})
    assert r.exit_code == 2 and "wrong user name or password" in r.output


def test_identity_password_from_a_hidden_prompt(two_villages_path):
    _run("user", "add", str(two_villages_path), "root", "--role", "admin", env={"CHILDSAFE_NEW_PASSWORD": PW})
    r = _run("--user", "root", "user", "list", str(two_villages_path), input=PW + "\n")
    assert r.exit_code == 0 and "root" in r.output and PW not in r.output


def test_audit_command_shows_and_exports(two_villages_path, tmp_path):
    _run("user", "add", str(two_villages_path), "root", "--role", "admin", env={"CHILDSAFE_NEW_PASSWORD": PW})
    _run("user", "add", str(two_villages_path), "lead", "--role", "leader", env={"CHILDSAFE_NEW_PASSWORD": PW})
    r = _run("audit", str(two_villages_path), "--json")
    assert [e["action"] for e in json.loads(r.output)] == ["user_add", "user_add"]
    out = tmp_path / "log.csv"
    assert _run("audit", str(two_villages_path), "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").count("添加用户") == 2  # the actions in words (zh default)
    en = tmp_path / "log_en.csv"
    assert _run("--lang", "en", "audit", str(two_villages_path), "--out", str(en)).exit_code == 0
    assert en.read_text(encoding="utf-8-sig").count("User added") == 2
    assert read_audit(two_villages_path)["action"].iloc[-1] == "audit_export"
    r = _run("--user", "lead", "audit", str(two_villages_path), env={"CHILDSAFE_PASSWORD": PW})
    assert r.exit_code == 2 and "may not view the audit log" in r.output
