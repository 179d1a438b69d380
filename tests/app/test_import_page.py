"""AppTest: the import page previews a file, lists its problems, imports it, offers the bad rows."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
from app_pages import sign_in
from streamlit.testing.v1 import AppTest

from geo.store.dataset import Dataset, read_dataset, write_dataset

VILLAGE = "340123101001"
CSV = ("户编号,村代码,照料类型,经度,纬度,户主姓名,<b>x</b>\n"
       f"h1,{VILLAGE},祖父母,117.27,31.86,张三丰,1\n"
       f"h2,{VILLAGE},父母,117.28,31.87,李四光,2\n"
       "h3,123,父母,117.28,31.87,王五常,3\n").encode("gbk")


@pytest.fixture
def county_file(tmp_path) -> Path:
    hh = gpd.GeoDataFrame({"household_id": ["h0"], "village_code": [VILLAGE], "caregiver": ["parents"]},
                          geometry=gpd.points_from_xy([117.25], [31.85]), crs="EPSG:4326")
    path = tmp_path / "county.gpkg"
    write_dataset(Dataset({"households": hh}), path)
    return path


def _page():
    from views import data_import

    data_import.render()


def _run(monkeypatch, path: Path, language: str = "en", auth=None) -> AppTest:
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(_page, default_timeout=90)
    at.session_state["dataset_path"] = str(path)
    at.session_state["lang"] = language
    at.session_state["import_kind"] = "households"
    at.session_state["import_files"] = [("户.csv", CSV)]
    if auth is not None:
        at.session_state["auth"] = auth
    else:
        sign_in(at, path, monkeypatch)
    return at.run()


def test_preview_problems_import_and_download(monkeypatch, county_file):
    at = _run(monkeypatch, county_file)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Rows read": "3", "Good rows": "2", "Quarantined": "1"}
    frames = [d.value for d in at.dataframe]
    problems = next(f for f in frames if "reason" in f.columns and "row" in f.columns)
    errors = problems[problems["severity"] == "error"]
    assert errors["row"].tolist() == [4] and errors["column"].tolist() == ["village_code"]
    assert set(problems.loc[problems["severity"] == "warning", "row"]) == {3, 4}  # same spot
    preview = next(f for f in frames if "household_id" in f.columns)
    assert "户主姓名" not in preview.columns and set(preview["household_id"]) == {"h1", "h2"}
    # text from the file is shown as data, never as markup
    assert not any("<b>" in m.value for m in at.markdown)
    assert any(b.label == "Download quarantined rows" for b in at.get("download_button"))
    at.button(key="import_go").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "read 3, imported 2, quarantined 1"
    ds = read_dataset(county_file)
    assert sorted(ds["households"]["household_id"]) == ["h0", "h1", "h2"]
    assert "张三丰".encode() not in county_file.read_bytes()


def test_chinese_and_a_role_that_may_only_check(monkeypatch, county_file):
    from geo.privacy.accounts import add_user, get_user

    add_user(county_file, "root", "a-long-password-1", role="admin")
    add_user(county_file, "plan", "a-long-password-2", role="planner")
    user = get_user(county_file, "plan")
    auth = {"path": str(county_file.resolve()), "user": user, "seen": time.time()}
    at = _run(monkeypatch, county_file, language="zh", auth=auth)
    assert not at.exception, at.exception
    assert at.title[0].value == "数据导入"
    assert {m.label: m.value for m in at.metric}["隔离"] == "1"
    assert at.button(key="import_go").disabled
    assert len(read_dataset(county_file)["households"]) == 1


def test_uploaded_files_do_not_stay_on_disk(monkeypatch, county_file, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    at = _run(monkeypatch, county_file)
    assert not at.exception
    assert list((tmp_path / "tmp").iterdir()) == []


LOOK_ALIKE = ("户编号,村代码,照护人员类别,经度,纬度\n"
              f"h1,{VILLAGE},祖父母,117.27,31.86\n"
              f"h2,{VILLAGE},父母,117.28,31.87\n").encode()


def test_look_alike_columns_get_a_mapping_step(monkeypatch, county_file):
    """A header that only looks like caregiver is asked about: the likely column is preselected,
    importing waits until the mapping is applied, and then the column is imported."""
    monkeypatch.setenv("CHILDSAFE_DATASET", str(county_file))
    at = AppTest.from_function(_page, default_timeout=90)
    at.session_state["dataset_path"] = str(county_file)
    at.session_state["lang"] = "en"
    at.session_state["import_kind"] = "households"
    at.session_state["import_files"] = [("hh.csv", LOOK_ALIKE)]
    sign_in(at, county_file, monkeypatch)  # not the demo: an admin imports
    at.run()
    assert not at.exception, at.exception
    assert at.button(key="import_go").disabled
    assert any("Confirm the column mapping" in w.value for w in at.warning)
    at.button(key="import_map_apply").click().run()  # the preselected likely column, applied
    assert not at.exception, at.exception
    assert at.session_state["import_mapping"] == {"照护人员类别": "caregiver"}
    assert not at.button(key="import_go").disabled
    at.button(key="import_go").click().run()
    assert not at.exception, at.exception
    hh = read_dataset(county_file)["households"].set_index("household_id")
    assert hh.loc["h1", "caregiver"] == "grandparents" and hh.loc["h2", "caregiver"] == "parents"


def test_a_required_column_under_an_unknown_header_is_asked_for(monkeypatch, county_file):
    data = ("户主编码号,村代码,经度,纬度\n" f"h7,{VILLAGE},117.27,31.86\n").encode()
    monkeypatch.setenv("CHILDSAFE_DATASET", str(county_file))
    at = AppTest.from_function(_page, default_timeout=90)
    at.session_state["dataset_path"] = str(county_file)
    at.session_state["lang"] = "en"
    at.session_state["import_kind"] = "households"
    at.session_state["import_files"] = [("hh.csv", data)]
    sign_in(at, county_file, monkeypatch)  # not the demo: an admin imports
    at.run()
    assert not at.exception, at.exception
    assert any("household_id" in e.value for e in at.error)
    at.button(key="import_map_apply").click().run()
    assert not at.exception, at.exception
    assert at.session_state["import_mapping"] == {"户主编码号": "household_id"}
    at.button(key="import_go").click().run()
    assert "h7" in set(read_dataset(county_file)["households"]["household_id"])
def test_an_earlier_upload_is_never_imported_in_place_of_the_new_one(monkeypatch, county_file):
    """The uploader keeps an earlier file after navigating away and back: the page asks, newest first."""
    at = _run(monkeypatch, county_file)
    at.session_state["import_files"] = [("old.csv", CSV), ("new.csv", CSV)]
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="import_main").value == "new.csv"  # the last upload, not the first
    assert any("2 importable files" in w.value for w in at.warning)
