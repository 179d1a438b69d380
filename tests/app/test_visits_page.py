"""The Villages & visits page (AppTest): figures, overdue list, recording a visit."""

from __future__ import annotations

import pandas as pd
import pytest
from app_pages import sign_in
from streamlit.testing.v1 import AppTest

from geo.store.dataset import read_dataset, write_dataset


def _page():
    from views import visits

    visits.render()


@pytest.fixture
def app(tiny_dataset, tmp_path, monkeypatch):
    path = tmp_path / "ds.gpkg"
    write_dataset(tiny_dataset, path)
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["lang"] = "en"
    sign_in(at, path, monkeypatch)
    return at, path


def test_page_shows_overdue_and_staffing(app):
    at, _ = app
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children in scope"] == "2"
    assert metrics["Overdue"] == "2"
    assert metrics["Directors short"] == "1"


def test_record_visit_from_form(app):
    at, path = app
    at.run()
    at.selectbox(key="visits_record_child").set_value("c1")
    form_button = [b for b in at.button if b.label == "Record"][0]
    form_button.click().run()
    assert not at.exception, at.exception
    ds = read_dataset(path)
    assert len(ds["visits"]) == 1 and ds["visits"]["child_id"].iloc[0] == "c1"
    c1 = ds["children"].set_index("child_id").loc["c1"]
    assert c1["last_home_visit"] == pd.Timestamp.today().normalize()
