"""Helpers for AppTest page tests: run one page function on a dataset file, read its map."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest


def run_page(page: Callable[[], None], monkeypatch, path: Path, language: str = "en") -> AppTest:
    """Run ``page`` (a self-contained function that renders one page) on the dataset ``path``."""
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(page, default_timeout=90)
    at.session_state["dataset_path"] = str(path)
    at.session_state["lang"] = language
    return at.run()


def map_args(at: AppTest) -> dict:
    """The arguments of the page's one ``st_folium`` map (asserts there is exactly one)."""
    comps = [e for e in at.main if getattr(getattr(e, "proto", None), "component_name", "")
             == "streamlit_folium.st_folium"]
    assert len(comps) == 1
    return json.loads(comps[0].proto.json_args)
