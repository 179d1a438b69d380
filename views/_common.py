"""What every page shares: language, the current dataset, the current user, errors, the map.

Streamlit lives here and in the page modules only; analyses come from ``geo`` and map layers
from ``layers``. Cached functions read only their arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from geo import settings
from geo.dataset import Dataset, read_dataset
from geo.errors import ChildSafeError
from geo.projection import project_dataset


def lang() -> str:
    """The current UI language, ``"zh"`` or ``"en"``."""
    return st.session_state.get("lang", settings.language)


def tr(zh: str, en: str) -> str:
    """Pick the text for the current language."""
    return zh if lang() == "zh" else en


def dataset_path() -> Path:
    """The dataset file chosen in the sidebar (the demo county by default)."""
    return Path(st.session_state.get("dataset_path", str(settings.demo_dataset)))


@st.cache_data(show_spinner=False, max_entries=4)
def _read(path: str, mtime: float) -> Dataset:
    return read_dataset(path)


@st.cache_data(show_spinner=False, max_entries=4)
def _read_metric(path: str, mtime: float) -> Dataset:
    return project_dataset(read_dataset(path))


def _mtime(path: Path) -> float:
    return os.stat(path).st_mtime if path.exists() else 0.0


def raw_dataset() -> Dataset:
    """The whole dataset in EPSG:4326 (before role filtering: use :func:`current_dataset`)."""
    path = dataset_path()
    return _read(str(path), _mtime(path))


def current_dataset(*, metric: bool = False) -> Dataset:
    """The dataset as the current user may see it (EPSG:4326, or the metric CRS)."""
    path = dataset_path()
    return (_read_metric if metric else _read)(str(path), _mtime(path))


def show_error(exc: ChildSafeError) -> None:
    """Show a domain error to the user (bugs are not caught and crash loudly)."""
    st.error(str(exc))
