"""This browser session: its language, the dataset it has open and who is signed in.

The one place that answers "who is using the app on which dataset": the pages, the shared
helpers (``views._common``) and the sign-in gate (``views.login``) all ask it.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from geo.privacy.accounts import has_users
from geo.privacy.roles import DEMO_USER, User
from geo.store import settings
from geo.store.errors import ChildSafeError

AUTH_KEY = "auth"  # {"path": str, "user": User, "seen": float}


def lang() -> str:
    """The current UI language, ``"zh"`` or ``"en"``."""
    return st.session_state.get("lang", settings.language)


def tr(zh: str, en: str) -> str:
    """Pick the text for the current language."""
    return zh if lang() == "zh" else en


#: environment variable naming the dataset the app opens first (set by whoever starts it).
DATASET_ENV = "CHILDSAFE_DATASET"


def default_dataset_path() -> Path:
    """The dataset opened first: ``$CHILDSAFE_DATASET`` if set, else the demo county."""
    env = os.environ.get(DATASET_ENV)
    return Path(env) if env else Path(settings.demo_dataset)


def dataset_files() -> list[Path]:
    """The datasets the sidebar offers: ``*.gpkg`` in ``settings.data_dir`` and the default one."""
    files = sorted(Path(settings.data_dir).glob("*.gpkg"))
    first = default_dataset_path()
    if first.exists() and first.resolve() not in {f.resolve() for f in files}:
        files.insert(0, first)
    return files


def dataset_path() -> Path:
    """The dataset file chosen in the sidebar (the demo county by default).

    Confined to ``settings.data_dir`` (or the file the server was started with) by
    :func:`geo.privacy.security.safe_dataset_path`: a name from the UI cannot escape the data folder.
    """
    from geo.privacy.security import safe_dataset_path

    chosen = st.session_state.get("dataset_path", str(default_dataset_path()))
    return safe_dataset_path(chosen, allow=[default_dataset_path()])


def dataset_has_accounts(path: Path) -> bool:
    """Whether the dataset at ``path`` holds accounts (a missing or unreadable file holds none)."""
    try:
        return path.exists() and has_users(path)
    except ChildSafeError:
        return False


def current_user() -> User | None:
    """The user of this session for the current dataset (``None``: nobody signed in).

    A dataset without accounts gives the demo administrator.
    """
    path = dataset_path()
    if not dataset_has_accounts(path):
        return DEMO_USER
    auth = st.session_state.get(AUTH_KEY)
    if not auth or auth.get("path") != str(path.resolve()):
        return None
    return auth["user"]
