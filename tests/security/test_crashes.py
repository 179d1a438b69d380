"""Crashes of issue 12: the Stations & coverage page for every role on the plain demo, in Chinese."""

from __future__ import annotations

import shutil

import pytest
from app_pages import sign_in
from streamlit.testing.v1 import AppTest

from geo.store import settings


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    shutil.copy(settings.demo_dataset, path)
    return path


def _page():
    from views import coverage

    coverage.render()


@pytest.mark.parametrize("role", ["leader", "planner", "safety_officer"])
def test_coverage_page_renders_for_each_role(monkeypatch, demo_copy, role):
    """Leader: ValueError '<5' before; planner and safety officer: KeyError 'left_behind'."""
    monkeypatch.setenv("CHILDSAFE_DATASET", str(demo_copy))
    at = AppTest.from_function(_page, default_timeout=120)
    at.session_state["dataset_path"] = str(demo_copy)
    at.session_state["lang"] = "zh"
    # a signed-in session of a real account (the sign-in form is tested in tests/app/test_login)
    sign_in(at, demo_copy, monkeypatch, role)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "站点覆盖"
    table = at.dataframe[0].value
    if role == "safety_officer":  # no counts per area for safety officers (the role matrix)
        assert (table["儿童"].astype(str).isin(["*", "nan", "None"])).all()  # headers in Chinese
    elif role == "leader":  # small class counts of villages are hidden, shown as "*"
        assert (table.astype(str) == "*").any().any()
        assert not (table.astype(str) == "<5").any().any()
    metrics = {m.label: m.value for m in at.metric}
    assert "村级阵地" in metrics
