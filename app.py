"""ChildSafe Map (童安地图): the Streamlit app. Thin: navigation and the sidebar; pages in views/."""

from __future__ import annotations

import importlib

import streamlit as st

from views import PAGES, _common, login, session

st.set_page_config(page_title="ChildSafe Map 童安地图", page_icon=_common.app_icon(), layout="wide")

with st.sidebar:
    st.session_state.setdefault("lang", "zh")
    st.radio("语言 / Language", ["zh", "en"], key="lang", horizontal=True, on_change=_common.relabel_widgets,
             format_func=lambda v: "中文" if v == "zh" else "English")
    _common.sidebar()
_common.widget_words()  # Streamlit's upload widget in Chinese

user = login.gate()  # sign-in form until signed in; the demo banner for a dataset without accounts
pages = [
    st.Page(importlib.import_module(module).render, title=session.tr(zh, en), icon=icon,
            url_path=module.split(".")[-1])
    for module, zh, en, icon, roles in PAGES
    if roles is None or user.role in roles
]
st.navigation(pages).run()
