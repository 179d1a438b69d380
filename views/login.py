"""The sign-in gate: who is using the app, session timeout, and the demo mode banner.

``app.py`` calls :func:`gate` before the navigation: a dataset with accounts shows the sign-in
form until someone signs in; the shipped synthetic demo county without accounts opens read-only
as the demo administrator under a "演示模式 / DEMO MODE" banner; any other dataset without
accounts shows nothing but how to create its first administrator (fail closed).
"""

from __future__ import annotations

import contextlib
import shlex
import time
from pathlib import Path

import streamlit as st

from geo.privacy.accounts import SignInFailed, authenticate, sign_in_failed_text
from geo.privacy.audit import log_event
from geo.privacy.roles import DEMO_USER, ROLE_LABELS, User
from geo.store import settings
from geo.store.errors import ChildSafeError
from geo.store.stores import check_dataset
from views._common import md_text, show_error
from views.session import AUTH_KEY, dataset_access, dataset_id, dataset_name, dataset_path, lang, tr


def sign_out(reason: str = "logout") -> None:
    """End the session (``reason``: ``logout`` or ``session_timeout``) and log it."""
    auth = st.session_state.pop(AUTH_KEY, None)
    if auth:
        with contextlib.suppress(ChildSafeError):
            log_event(auth["path"], auth["user"], reason, "app")


def _timed_out(auth: dict) -> bool:
    return time.time() - auth["seen"] > float(settings.session_timeout_min) * 60


def gate() -> User:
    """Return the signed-in user, or draw the sign-in form and stop the script run."""
    try:
        path = dataset_path()
    except ChildSafeError as exc:  # a dataset name outside the data folder
        show_error(exc)
        st.stop()
        raise
    try:  # an unreadable file or an unreachable server: say so (one error), show nothing else
        check_dataset(path)
    except ChildSafeError as exc:
        show_error(exc)
        st.stop()
        raise
    mode = dataset_access(path)
    if mode == "demo":
        demo_banner(path)
        return DEMO_USER
    if mode == "needs_admin":
        needs_admin(path)
        st.stop()
        raise AssertionError("unreachable")  # st.stop() raises
    auth = st.session_state.get(AUTH_KEY)
    if auth and auth.get("path") == dataset_id(path):
        if _timed_out(auth):
            sign_out("session_timeout")
            st.session_state["auth_notice"] = tr("会话超时，请重新登录。",
                                                 "Your session timed out; please sign in again.")
        else:
            auth["seen"] = time.time()
            _account_box(auth["user"])
            return auth["user"]
    elif auth:  # signed in to another dataset: sign in again for this one
        st.session_state.pop(AUTH_KEY, None)
    render_login(path)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def render_login(path: Path | str) -> None:
    """Draw the sign-in form for the dataset at ``path``."""
    st.title(tr("童安地图 · 登录", "ChildSafe Map · Sign in"))
    st.caption(tr("数据集：", "Dataset: ") + md_text(dataset_name(path)))
    notice = st.session_state.pop("auth_notice", None)
    if notice:
        st.info(notice)
    with st.form("login_form"):
        username = st.text_input(tr("用户名", "User name"), key="login_user")
        password = st.text_input(tr("密码", "Password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("登录", "Sign in"))
    if submitted:
        try:
            user = authenticate(path, username.strip(), password, via="app")
        except SignInFailed:
            st.error(sign_in_failed_text(lang()))
            return
        st.session_state[AUTH_KEY] = {"path": dataset_id(path), "user": user,
                                      "seen": time.time()}
        st.rerun()


def in_language(message: str) -> str:
    """The part of a bilingual engine message (``中文 / English``) in the UI language."""
    zh, sep, en = message.partition(" / ")
    if not sep:
        return message
    return zh if lang() == "zh" else en


def _account_box(user: User) -> None:
    label = ROLE_LABELS[user.role][0 if lang() == "zh" else 1]
    with st.sidebar:
        st.caption(tr(f"已登录：{user.username}（{label}，范围 {user.scope or '全部'}）",
                      f"Signed in: {user.username} ({label}, scope {user.scope or 'all'})"))
        if st.button(tr("退出登录", "Sign out"), key="logout_button"):
            sign_out("logout")
            st.rerun()


def needs_admin(path: Path | str) -> None:
    """The page of a dataset without accounts that is not the shipped demo: how to create an admin."""
    st.title(tr("童安地图", "ChildSafe Map"))
    st.warning(tr(
        "此数据集还没有管理员账户，因此不会显示任何内容。请在服务器上创建第一个管理员：",
        "This dataset has no administrator account yet, so nothing of it is shown. Create the "
        "first administrator on the server:",
    ), icon=":material/lock:")
    st.code(f"childsafe user add {shlex.quote(dataset_name(path))} NAME --role admin", language="bash")  # code: no markup


def demo_banner(path: Path | str) -> None:
    """The demo-mode banner: every page of the shipped synthetic demo county shows it."""
    st.warning(
        "演示模式 / DEMO MODE — "
        + tr(
            "这是虚构的示范县（没有真实的人和地点），只读。"
            "真实数据请另建数据集并先用 `childsafe user add` 建立管理员账户。",
            "this is the synthetic demo county (no real person or place), read-only. For real "
            "data, use another dataset and first create an admin with `childsafe user add`.",
        ),
        icon=":material/science:",
    )
