"""AppTest: the Progress page for an admin (demo) and a signed-in leader, in Chinese and English."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_pages import map_args, run_page
from report_data import county

from geo.privacy.accounts import add_user
from geo.privacy.roles import User
from geo.store.dataset import write_dataset

C = "341101"


@pytest.fixture
def county_file(tmp_path) -> Path:
    path = tmp_path / "county.gpkg"
    write_dataset(county(C), path)
    return path


def _page():
    from views import progress

    progress.render()


def test_admin_sees_tiles_units_map_and_saves_a_snapshot(monkeypatch, county_file):
    at = run_page(_page, monkeypatch, county_file, language="zh")
    assert not at.exception, at.exception
    assert at.title[0].value == "规划进展"
    labels = [m.label for m in at.metric]
    assert [lab.split()[-1].rstrip("]") for lab in labels[:3]] == ["达标", "接近", "滞后"]
    assert not any(ord(ch) > 0x1F000 for lab in labels for ch in lab)  # no emoji (offline: no emoji font)
    assert any("儿童主任配备达标的村比例" in lab for lab in labels)
    args = map_args(at)
    assert args["returned_objects"] == []
    assert "http" not in " ".join(args.get("js_links", []))
    at.button(key="progress_snapshot").click().run()
    assert not at.exception, at.exception
    assert any("已保存" in s.value for s in at.success)


def test_leader_sees_small_counts_hidden(monkeypatch, county_file):
    add_user(county_file, "boss", "a-long-enough-password-1", role="leader")
    monkeypatch.setenv("CHILDSAFE_DATASET", str(county_file))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page, default_timeout=90)
    at.session_state["dataset_path"] = str(county_file)
    at.session_state["lang"] = "en"
    at.session_state["auth"] = {"path": str(county_file.resolve()), "user": User("boss", "leader"),
                                "seen": time.time()}
    at.run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    flags = next(v for k, v in values.items() if "Mandatory-report flags open" in k)
    assert flags == "*"  # one child with a flag: hidden from a leader
    assert not [b for b in at.button if b.key == "progress_snapshot"]  # no snapshot button for leaders
