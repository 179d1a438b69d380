"""Admin page: accounts of the dataset and its audit log (view and export, never edit)."""

from __future__ import annotations

import streamlit as st

from geo.privacy.accounts import add_user, disable_user, enable_user, list_users, set_password
from geo.privacy.audit import log_event, read_audit, verify_audit
from geo.privacy.roles import ROLE_LABELS, ROLES, require
from geo.privacy.tables import table_bytes, watermark_text
from geo.store.errors import ChildSafeError
from views import _common, session
from views.session import tr


def render() -> None:
    """Draw the user management and audit log tabs (admins only)."""
    user = session.current_user()
    if user is not None and user.demo:
        st.header(tr("用户与审计日志", "Users and audit log"))
        st.info(tr("演示模式：示范县是只读的，没有账户和审计日志。真实数据请另建数据集，"
                   "并先用 `childsafe user add` 创建第一个管理员。",
                   "Demo mode: the demo county is read-only, with no accounts and no audit log. "
                   "For real data use another dataset and first create an admin with "
                   "`childsafe user add`."))
        return
    try:
        require(user, "manage_users")
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    path = session.dataset_path()
    st.header(tr("用户与审计日志", "Users and audit log"))
    users_tab, log_tab = st.tabs([tr("用户", "Users"), tr("审计日志", "Audit log")])
    with users_tab:
        _users(path, user)
    with log_tab:
        _audit(path, user)


def _role_name(role: str) -> str:
    return ROLE_LABELS[role][0 if session.lang() == "zh" else 1]


def _users(path, actor) -> None:
    try:
        users = list_users(path)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    st.dataframe(users, hide_index=True, use_container_width=True)  # no password hashes
    with st.form("user_add_form", clear_on_submit=True):
        st.subheader(tr("新建用户", "Add a user"))
        name = st.text_input(tr("用户名", "User name"))
        role = st.selectbox(tr("角色", "Role"), ROLES, format_func=_role_name)
        scope = st.text_input(tr("范围（行政区划代码前缀，空=全部）",
                                 "Scope (admin-code prefix, empty = all)"))
        pw = st.text_input(tr("初始密码", "Initial password"), type="password")
        if st.form_submit_button(tr("创建", "Create")):
            _act(lambda: add_user(path, name.strip(), pw, role=role, scope=scope.strip(),
                                  actor=actor), tr("已创建", "Created"))
    names = list(users["username"])
    if not names:
        return
    st.subheader(tr("管理用户", "Manage a user"))
    target = st.selectbox(tr("用户", "User"), names, key="admin_target")
    cols = st.columns(2)
    if cols[0].button(tr("停用", "Disable"), key="admin_disable"):
        _act(lambda: disable_user(path, target, actor=actor), tr("已停用", "Disabled"))
    if cols[1].button(tr("启用并解锁", "Enable and unlock"), key="admin_enable"):
        _act(lambda: enable_user(path, target, actor=actor), tr("已启用", "Enabled"))
    with st.form("user_passwd_form", clear_on_submit=True):
        new_pw = st.text_input(tr("新密码", "New password"), type="password")
        if st.form_submit_button(tr("重设密码", "Set password")):
            _act(lambda: set_password(path, target, new_pw, actor=actor),
                 tr("密码已更改", "Password changed"))


def _act(action, done: str) -> None:
    try:
        action()
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    st.success(done)


def _audit(path, actor) -> None:
    try:
        log = read_audit(path)
        check = verify_audit(path)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    if check.ok:
        st.success(check.text(session.lang()), icon=":material/verified:")
    else:  # someone changed the log outside the app (sqlite3), or its key file is gone
        st.error(check.text(session.lang()), icon=":material/gpp_bad:")
    st.caption(tr(f"共 {len(log)} 条记录（只可追加，不可在应用中修改）",
                  f"{len(log)} entries (append-only; not editable in the app)"))
    st.dataframe(log.iloc[::-1], hide_index=True, use_container_width=True)
    data = table_bytes(log, ".csv", lang=session.lang(),
                       watermark=watermark_text(actor, lang=session.lang()))
    if st.download_button(tr("导出 CSV", "Export CSV"), data, file_name="audit_log.csv",
                          mime="text/csv", key="audit_download"):
        log_event(path, actor, "audit_export", f"{len(log)} entries (app)")
