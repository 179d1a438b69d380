"""Access that fails closed, sign-in under attack, scopes (issue 12, docs/security.md).

Each test replays one finding of the adversarial review: an anonymous visitor made demo admin
of a real file, weak passwords, a lock-out that tells the account exists, disabled accounts
answering faster, a password typed as the user name landing in the audit log, full-width
scopes, a scope that matches no unit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_pages import sign_in
from argon2 import PasswordHasher
from privacy_data import PW, TOWNSHIP, VILLAGE_A, fast_passwords, two_villages  # noqa: F401
from streamlit.testing.v1 import AppTest

import geo.privacy.accounts as accounts
from geo.privacy.accounts import (
    SignInFailed,
    access_mode,
    add_user,
    authenticate,
    disable_user,
    password_problems,
)
from geo.privacy.audit import read_audit, save_dataset
from geo.privacy.roles import DEMO_USER, can, normalise_scope
from geo.store import settings
from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import PermissionDenied, ValidationError

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def demo_file(data_dir, monkeypatch):
    """A synthetic demo (marked as ``geo.demo.make`` marks it) standing in for the shipped one."""
    path = data_dir / "demo_county.gpkg"
    ds = two_villages()
    ds.settings["demo"] = "synthetic: no real person or place"
    write_dataset(ds, path)
    monkeypatch.setattr(settings, "demo_dataset", path)
    return path


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "warning", "error", "caption", "info", "code",
                                  "title") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


# --- (1) access fails closed ------------------------------------------------------------


def test_only_the_shipped_synthetic_demo_opens_without_accounts(data_dir, demo_file):
    assert access_mode(demo_file) == "demo"
    backup = data_dir / "backup.gpkg"  # an admin export or a backup saved in the data folder
    write_dataset(two_villages(), backup)
    assert access_mode(backup) == "needs_admin"
    copy = data_dir / "copy_of_demo.gpkg"  # even a copy of the demo is not the shipped demo
    shutil.copy(demo_file, copy)
    assert access_mode(copy) == "needs_admin"
    not_a_file = data_dir / "broken.gpkg"
    not_a_file.write_text("not sqlite")
    assert access_mode(not_a_file) == "needs_admin"


def test_a_dataset_without_accounts_shows_nothing_and_asks_for_an_admin(data_dir, demo_file,
                                                                         monkeypatch):
    real = data_dir / "county_backup.gpkg"
    write_dataset(two_villages(), real)  # 9 households, 9 children, no account
    monkeypatch.setenv("CHILDSAFE_DATASET", str(real))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "childsafe user add county_backup.gpkg NAME --role admin" in text
    assert "DEMO MODE" not in text
    assert not at.dataframe and not at.metric  # nothing of the data
    assert not at.text_input  # and no sign-in form to probe
    assert read_audit(real).empty  # nothing was written to the file


def test_the_dataset_list_before_sign_in_reveals_no_other_file(data_dir, demo_file,
                                                               monkeypatch):
    served = data_dir / "county.gpkg"
    write_dataset(two_villages(), served)
    add_user(served, "root", PW, role="admin")
    for secret in ("admin_export_2026.gpkg", "backup-before-merge.gpkg"):
        write_dataset(two_villages(), data_dir / secret)
    other = data_dir / "township.gpkg"  # root has an account there too
    write_dataset(two_villages(), other)
    add_user(other, "root", PW, role="admin")
    monkeypatch.setenv("CHILDSAFE_DATASET", str(served))
    at = AppTest.from_file(APP, default_timeout=60).run()
    names = {Path(o).name for o in at.sidebar.selectbox(key="dataset_path").options}
    assert names == {"county.gpkg", "demo_county.gpkg"}
    assert str(data_dir) not in _texts(at) + str(at.sidebar.selectbox(key="dataset_path").help)
    # once signed in: also the datasets where this name has an account, still no other file
    at.text_input(key="login_user").input("root")
    at.text_input(key="login_password").input(PW)
    at.button[0].click()
    at = at.run()
    names = {Path(o).name for o in at.sidebar.selectbox(key="dataset_path").options}
    assert names == {"county.gpkg", "demo_county.gpkg", "township.gpkg"}


def test_the_demo_is_read_only(demo_file):
    for capability in ("import", "edit", "record_visit", "record_inspection", "manage_users"):
        assert not can(DEMO_USER, capability)
    assert can(DEMO_USER, "view_personal") and can(DEMO_USER, "analyse")
    ds = read_dataset(demo_file)
    with pytest.raises(PermissionDenied, match="read-only"):
        save_dataset(ds, demo_file, user=DEMO_USER, action="import")


def _import_page():
    from views import data_import

    data_import.render()


def test_the_demo_import_button_is_off(demo_file, monkeypatch):
    """Before: the anonymous demo admin imported 5 households into a file without accounts."""
    monkeypatch.setenv("CHILDSAFE_DATASET", str(demo_file))
    at = AppTest.from_function(_import_page, default_timeout=60)
    at.session_state["dataset_path"] = str(demo_file)
    at.session_state["lang"] = "en"
    at.session_state["import_kind"] = "households"
    at.session_state["import_files"] = [(
        "hh.csv", f"household_id,village_code,lon,lat\nn1,{VILLAGE_A},117.0,31.6\n".encode())]
    at = at.run()
    assert not at.exception, at.exception
    assert at.button(key="import_go").disabled  # a browser cannot press it


def test_an_import_into_the_demo_ends_demo_mode(demo_file):
    from geo.privacy.roles import LOCAL_OPERATOR

    ds = read_dataset(demo_file)
    save_dataset(ds, demo_file, user=LOCAL_OPERATOR, action="import", detail="real rows")
    assert access_mode(demo_file) == "needs_admin"


# --- (2) sign-in ----------------------------------------------------------------------------


@pytest.mark.parametrize("password, words", [
    ("short1!", "at least 10"),
    ("password123", "common password"),
    ("qwertyuiop", "common password"),
    ("1234567890", "common password"),
    ("woaini1314520", "too easy"),
    ("aaaaaaaaaaaa", "too easy"),
    ("zhangsan123456", "too easy"),
    ("zhangwei-secure-2024", "user name"),
])
def test_weak_passwords_are_refused(two_villages_path, password, words):
    with pytest.raises(ValidationError, match=words) as info:
        add_user(two_villages_path, "zhangwei", password, role="admin")
    assert "密码不可用" in str(info.value)  # Chinese first
    assert password_problems(PW, "zhangwei") == []


def test_every_refusal_says_the_same_and_costs_one_verification(two_villages_path, monkeypatch):
    """Unknown, wrong, disabled and locked all answer alike, after one argon2 verification.

    Before: a disabled or locked account answered in 5 ms, others in 250 ms (no verification).
    """
    calls = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 - argon2's name
            calls.append(1)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher(time_cost=1, memory_cost=64,
                                                            parallelism=1))
    monkeypatch.setattr(settings, "max_failed_logins", 2)
    add_user(two_villages_path, "alive", PW, role="admin")
    add_user(two_villages_path, "gone", PW, role="admin")
    add_user(two_villages_path, "lockme", PW, role="admin")
    disable_user(two_villages_path, "gone")
    for _ in range(2):
        with pytest.raises(SignInFailed):
            authenticate(two_villages_path, "lockme", "wrong wrong wrong")
    messages = []
    for name, password in [("nobody", PW), ("alive", "wrong wrong wrong"), ("gone", PW),
                           ("lockme", PW)]:
        calls.clear()
        with pytest.raises(SignInFailed) as info:
            authenticate(two_villages_path, name, password)
        assert len(calls) == 1, name
        messages.append(str(info.value))
    assert len(set(messages)) == 1  # a lock-out does not tell that the account exists
    assert "locked" in messages[0] and "锁定" in messages[0]


def test_a_password_typed_as_the_user_name_is_not_logged(two_villages_path):
    add_user(two_villages_path, "root", PW, role="admin")
    with pytest.raises(SignInFailed):
        authenticate(two_villages_path, "MySecret-Passw0rd!", "")
    log = read_audit(two_villages_path)
    assert "MySecret" not in "\n".join(log.astype(str).stack())
    assert list(log["action"])[-1] == "login_failed"


def test_sign_in_errors_are_in_chinese_in_the_chinese_ui(data_dir, monkeypatch):
    path = data_dir / "county.gpkg"
    write_dataset(two_villages(), path)
    add_user(path, "root", PW, role="admin")
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_user").input("root")
    at.text_input(key="login_password").input("not the password")
    at.button[0].click()
    at = at.run()
    assert at.error[0].value.startswith("登录失败")
    assert "wrong" not in at.error[0].value


# --- (3) scopes ----------------------------------------------------------------------------


def test_full_width_scopes_are_normalised(two_villages_path):
    assert normalise_scope("３４０１２３ １０１") == TOWNSHIP
    user = add_user(two_villages_path, "lead", PW, role="leader", scope="３４０１２３１０１")
    assert user.scope == TOWNSHIP
    assert accounts.get_user(two_villages_path, "lead").scope == TOWNSHIP


@pytest.mark.parametrize("scope", ["341199", "340123109", "340123101009"])
def test_a_scope_matching_no_unit_is_refused(two_villages_path, scope):
    role = "child_director" if len(scope) == 12 else "leader"
    with pytest.raises(ValidationError, match="matches no admin unit"):
        add_user(two_villages_path, "x-user", PW, role=role, scope=scope)
    assert "x-user" not in set(accounts.list_users(two_villages_path)["username"])
    add_user(two_villages_path, "dir-a", PW, role="child_director", scope=VILLAGE_A)  # real one


def test_cli_user_add_refuses_a_scope_matching_no_unit(two_villages_path):
    from click.testing import CliRunner

    from geo.cli._main import cli

    r = CliRunner().invoke(cli, ["user", "add", str(two_villages_path), "lead", "--role",
                                  "leader", "--scope", "341199"],
                           env={"CHILDSAFE_NEW_PASSWORD": PW, "CHILDSAFE_USER": ""})
    assert r.exit_code != 0 and "matches no admin unit" in r.output
    assert "Traceback" not in r.output


def test_page_tests_never_touch_the_shipped_demo(monkeypatch):
    at = AppTest.from_function(lambda: None)
    with pytest.raises(AssertionError, match="never add accounts"):
        sign_in(at, settings.demo_dataset, monkeypatch)
