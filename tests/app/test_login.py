"""The sign-in gate in the app: login, wrong password, lock-out, timeout, demo mode, roles."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from privacy_data import B_MARKERS, TOWNSHIP, VILLAGE_A, fast_passwords, two_villages  # noqa: F401
from streamlit.testing.v1 import AppTest

from geo.privacy.accounts import add_user
from geo.privacy.audit import read_audit
from geo.store import settings
from geo.store.dataset import write_dataset

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def county(data_dir, monkeypatch):
    path = data_dir / "county.gpkg"
    write_dataset(two_villages(), path)
    add_user(path, "root", PASSWORD, role="admin")
    add_user(path, "dirA", PASSWORD, role="child_director", scope=VILLAGE_A)
    add_user(path, "lead", PASSWORD, role="leader", scope=TOWNSHIP)
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    return path


def _run(at: AppTest) -> AppTest:
    at.run(timeout=60)
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    at.button[0].click()  # the form's submit button
    return _run(at)


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.warning] + \
        [e.value for e in at.error] + [e.value for e in at.caption] + [e.value for e in at.info]
    return "\n".join(str(p) for p in parts)


def test_shipped_demo_without_accounts_opens_as_demo_admin(data_dir, monkeypatch):
    path = data_dir / "demo.gpkg"
    demo = two_villages()
    demo.settings["demo"] = "synthetic: no real person or place"
    write_dataset(demo, path)
    monkeypatch.setattr(settings, "demo_dataset", path)  # this file is "the shipped demo"
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = _run(AppTest.from_file(APP, default_timeout=60))
    assert any("DEMO MODE" in w.value for w in at.warning)
    assert not at.text_input  # no sign-in form
    assert read_audit(path).empty  # demo use does not write to the file


def test_dataset_with_accounts_asks_to_sign_in(county):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    assert at.text_input(key="login_user") is not None
    assert not any("DEMO MODE" in w.value for w in at.warning)
    # nothing of the data is shown before signing in
    assert not at.get("arrow_data_frame") and not at.metric


def test_wrong_password_is_refused_and_logged(county):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    at = _sign_in(at, "root", "wrong password")
    assert at.error and "用户名或密码错误" in at.error[0].value  # the Chinese UI answers in Chinese
    assert "auth" not in at.session_state
    log = read_audit(county)
    assert list(log["action"])[-1] == "login_failed"


def test_sign_in_then_sign_out(county):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    at = _sign_in(at, "root", PASSWORD)
    assert at.session_state["auth"]["user"].role == "admin"
    assert "root" in _texts(at)
    at.button(key="logout_button").click()
    at = _run(at)
    assert "auth" not in at.session_state
    assert list(read_audit(county)["action"])[-2:] == ["login", "logout"] or \
        "logout" in list(read_audit(county)["action"])


def test_lock_out_after_repeated_failures(county, monkeypatch):
    monkeypatch.setattr(settings, "max_failed_logins", 3)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    for _ in range(3):
        at = _sign_in(at, "dirA", "bad password")
    refusal = at.error[0].value
    at = _sign_in(at, "dirA", PASSWORD)  # even the right password, while locked
    # the same words as any failure: a lock-out does not tell that the account exists
    assert at.error[0].value == refusal and "auth" not in at.session_state
    assert "login_locked" in set(read_audit(county)["action"])


def test_session_times_out(county):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    at = _sign_in(at, "root", PASSWORD)
    at.session_state["auth"]["seen"] = time.time() - settings.session_timeout_min * 60 - 1
    at = _run(at)
    assert "auth" not in at.session_state
    assert at.text_input(key="login_user") is not None
    assert any("timed out" in i.value or "超时" in i.value for i in at.info)
    assert "session_timeout" in set(read_audit(county)["action"])


def test_child_director_sees_only_their_village_and_no_admin_page(county):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    at = _sign_in(at, "dirA", PASSWORD)
    assert at.session_state["auth"]["user"].scope == VILLAGE_A
    text = _texts(at) + "\n".join(str(df.value) for df in at.dataframe)
    for marker in B_MARKERS:
        assert marker not in text
    # the current dataset the pages get is the role view
    at2 = AppTest.from_function(_probe_dataset, default_timeout=60)
    at2.session_state["auth"] = at.session_state["auth"]
    at2 = _run(at2)
    assert at2.session_state["probe"] == {"households": 6, "children": 7, "audit_log": 0}
    assert "view_personal" in set(read_audit(county)["action"])


def _probe_dataset():
    import streamlit as st

    from views import _common

    ds = _common.current_dataset()
    st.session_state["probe"] = {n: len(ds[n]) for n in ("households", "children", "audit_log")}


def _known_pages(at: AppTest) -> str:
    with pytest.raises(ValueError, match="Known pages") as info:
        at.switch_page("views/admin.py")  # pages are callables: the error lists the registry
    return str(info.value)


def _admin_page():
    from views import admin

    admin.render()


def test_admin_page_only_for_admins(county):
    from views import PAGES

    assert any(m == "views.admin" and roles == ("admin",) for m, *_, roles in PAGES)
    at = _sign_in(_run(AppTest.from_file(APP, default_timeout=60)), "lead", PASSWORD)
    assert "'admin'" not in _known_pages(at)
    at = _sign_in(_run(AppTest.from_file(APP, default_timeout=60)), "root", PASSWORD)
    assert "'admin'" in _known_pages(at)
    page = AppTest.from_function(_admin_page, default_timeout=60)
    page.session_state["auth"] = at.session_state["auth"]
    page = _run(page)
    users = page.dataframe[0].value
    assert set(users["username"]) == {"root", "dirA", "lead"}
    assert "password_hash" not in users.columns
    log = page.dataframe[1].value
    assert "login" in set(log["action"])
    # the page refuses a non-admin even if opened directly
    lead = _sign_in(_run(AppTest.from_file(APP, default_timeout=60)), "lead", PASSWORD)
    page = AppTest.from_function(_admin_page, default_timeout=60)
    page.session_state["auth"] = lead.session_state["auth"]
    page = _run(page)
    assert page.error and not page.dataframe


def test_dataset_path_outside_the_data_folder_is_refused(county, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere") / "secret.gpkg"
    write_dataset(two_villages(), other)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset_path"] = str(other)
    at.run(timeout=60)
    assert at.error and "outside the data folder" in at.error[0].value
    assert str(tmp_path_factory.getbasetemp()) not in at.error[0].value  # no server path shown
