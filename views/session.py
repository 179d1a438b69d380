"""This browser session: its language, the dataset it has open and who is signed in.

The one place that answers "who is using the app on which dataset": the pages, the shared
helpers (``views._common``) and the sign-in gate (``views.login``) all ask it.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from geo.privacy.accounts import access_mode, has_account
from geo.privacy.roles import DEMO_USER, User
from geo.store import settings
from geo.store.location import is_url, shown

AUTH_KEY = "auth"  # {"path": str, "user": User, "seen": float}


def lang() -> str:
    """The current UI language, ``"zh"`` or ``"en"``."""
    return st.session_state.get("lang", settings.language)


def tr(zh: str, en: str) -> str:
    """Pick the text for the current language."""
    return zh if lang() == "zh" else en


#: environment variable naming the dataset the app opens first (set by whoever starts it).
DATASET_ENV = "CHILDSAFE_DATASET"


def default_dataset_path() -> Path | str:
    """The dataset opened first: ``$CHILDSAFE_DATASET`` if set (a GeoPackage path or a county
    server's ``postgresql://`` URL), else the demo county."""
    env = os.environ.get(DATASET_ENV)
    if env and is_url(env):
        return env
    return Path(env) if env else Path(settings.demo_dataset)


def dataset_id(path: Path | str) -> str:
    """What identifies the dataset ``path`` in this session: the resolved file, or the URL."""
    return str(path) if is_url(path) else str(Path(path).resolve())


def dataset_name(path: Path | str) -> str:
    """The dataset's name as shown: the file's name, or the URL without a password."""
    return shown(str(path)) if is_url(path) else Path(path).name


def dataset_files() -> list[Path | str]:
    """The datasets the sidebar offers; before sign-in nothing that reveals other files.

    Always the dataset the server was started with (a file or a server URL) and the shipped
    demo; once signed in, also the ``*.gpkg`` in ``settings.data_dir`` where the signed-in name
    has an enabled account (the user signs in again there). A visitor never learns which other
    files exist.
    """
    first = default_dataset_path()
    files: list[Path | str] = [first] if is_url(first) or Path(first).exists() else []
    demo = Path(settings.demo_dataset)
    if demo.exists() and dataset_id(demo) != dataset_id(first):
        files.append(demo)
    auth = st.session_state.get(AUTH_KEY)
    if auth:
        seen = {dataset_id(f) for f in files}
        name = auth["user"].username
        files += [f for f in sorted(Path(settings.data_dir).glob("*.gpkg"))
                  if dataset_id(f) not in seen and has_account(f, name)]
    return files


def dataset_path() -> Path | str:
    """The dataset chosen in the sidebar (the demo county by default).

    Confined to ``settings.data_dir`` (or the dataset the server was started with) by
    :func:`geo.privacy.security.safe_dataset_path`: a name from the UI cannot escape the data
    folder. A server URL is only ever the one the app was started with (``CHILDSAFE_DATASET``).
    """
    from geo.privacy.security import safe_dataset_path
    from geo.store.errors import PermissionDenied

    first = default_dataset_path()
    chosen = st.session_state.get("dataset_path", str(first))
    if is_url(chosen):
        if chosen != str(first):
            raise PermissionDenied("只能打开应用启动时指定的服务器数据集 / only the server dataset the "
                                   "app was started with can be opened")
        return chosen
    return safe_dataset_path(chosen, allow=[] if is_url(first) else [first])


def dataset_access(path: Path | str) -> str:
    """How the app opens ``path``: ``accounts``, ``demo`` or ``needs_admin`` (fail closed).

    See :func:`geo.privacy.accounts.access_mode`: demo mode only for the shipped synthetic demo.
    """
    return access_mode(path)


def current_user() -> User | None:
    """The user of this session for the current dataset (``None``: nobody signed in).

    The shipped synthetic demo without accounts gives the read-only demo administrator; any
    other dataset without accounts gives nobody (an administrator must be created first).
    """
    path = dataset_path()
    mode = dataset_access(path)
    if mode == "demo":
        return DEMO_USER
    if mode != "accounts":
        return None
    auth = st.session_state.get(AUTH_KEY)
    if not auth or auth.get("path") != dataset_id(path):
        return None
    return auth["user"]
