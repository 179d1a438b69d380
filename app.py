"""ChildSafe Map (童安地图): the Streamlit app. Thin: navigation and the sidebar; pages in views/."""

from __future__ import annotations

import importlib

import streamlit as st

from views import PAGES, _common

st.set_page_config(page_title="ChildSafe Map 童安地图", page_icon=_common.app_icon(), layout="wide")

with st.sidebar:
    st.session_state.setdefault("lang", "zh")
    st.radio("语言 / Language", ["zh", "en"], key="lang", horizontal=True,
             format_func=lambda v: "中文" if v == "zh" else "English")
    _common.sidebar()

pages = [
    st.Page(importlib.import_module(module).render, title=_common.tr(zh, en), icon=icon,
            url_path=module.split(".")[-1])
    for module, zh, en, icon, _roles in PAGES
]
st.navigation(pages).run()
