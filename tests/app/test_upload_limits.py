"""Uploads are checked (size, type, content) before any page reads them, with a bilingual refusal."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
from app_pages import sign_in
from streamlit.testing.v1 import AppTest

from geo.store import settings
from geo.store.dataset import Dataset, read_dataset, write_dataset

VILLAGE = "340123101001"
GOOD_CSV = f"户编号,村代码,照料类型,经度,纬度\nh1,{VILLAGE},祖父母,117.27,31.86\n".encode()


@pytest.fixture
def county_file(tmp_path) -> Path:
    hh = gpd.GeoDataFrame({"household_id": ["h0"], "village_code": [VILLAGE], "caregiver": ["parents"]},
                          geometry=gpd.points_from_xy([117.25], [31.85]), crs="EPSG:4326")
    return write_dataset(Dataset({"households": hh}), tmp_path / "county.gpkg")


def _import_page():
    from views import data_import

    data_import.render()


def _import_app(monkeypatch, path: Path, language: str) -> AppTest:
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(_import_page, default_timeout=60)
    at.session_state["dataset_path"] = str(path)
    at.session_state["lang"] = language
    at.session_state["import_kind"] = "households"
    sign_in(at, path, monkeypatch)
    return at.run()


def _refused(at: AppTest) -> str:
    assert not at.exception, at.exception
    assert not at.metric, "the refused file was read"
    assert len(at.error) == 1
    return re.sub(r"\\(.)", r"\1", at.error[0].value)  # as read: the Markdown escapes removed


def test_oversized_upload_refused_before_reading(monkeypatch, county_file):
    monkeypatch.setattr(settings, "max_upload_mb", 0.001)  # ~1 kB
    at = _import_app(monkeypatch, county_file, "en")
    big = GOOD_CSV + b"h2,340123101001,parents,117.27,31.86\n" * 100
    at.file_uploader(key="import_upload").set_value(("户.csv", big, "text/csv")).run()
    text = _refused(at)
    assert text.startswith("Upload refused; the file was not read")
    assert "户.csv is 0.0 MB; the limit is 0.001 MB" in text
    assert len(read_dataset(county_file)["households"]) == 1


def test_wrong_type_and_disguised_content_refused_in_chinese(monkeypatch, county_file):
    at = _import_app(monkeypatch, county_file, "zh")
    at.file_uploader(key="import_upload").set_value([
        ("run.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("ledger.xlsx", b"not a zip", "application/octet-stream"),
    ]).run()
    text = _refused(at)
    assert text.startswith("上传被拒绝，文件未被读取")
    assert "不接受 .exe 类型的文件 run.exe" in text
    assert "文件 ledger.xlsx 的内容不是 .xlsx 文件" in text


def test_good_upload_is_read(monkeypatch, county_file):
    at = _import_app(monkeypatch, county_file, "en")
    at.file_uploader(key="import_upload").set_value(("户.csv", GOOD_CSV, "text/csv")).run()
    assert not at.exception, at.exception
    assert not at.error
    assert {m.label: m.value for m in at.metric}["Rows read"] == "1"


def test_staged_files_are_checked_too(monkeypatch, county_file):
    monkeypatch.setenv("CHILDSAFE_DATASET", str(county_file))
    at = AppTest.from_function(_import_page, default_timeout=60)
    at.session_state["dataset_path"] = str(county_file)
    at.session_state["lang"] = "en"
    sign_in(at, county_file, monkeypatch)
    at.session_state["import_files"] = [("a.csv", b"\x00\x01binary")]
    at.run()
    assert "the content of a.csv is binary, not a .csv text file" in _refused(at)


# --- the GPX track check on the Patrols page (the helper the page calls) -----------------------

@pytest.mark.parametrize("name, data, zh, en", [
    ("track.kml", b"<kml/>", "不接受 .kml 类型的文件 track.kml；可接受：.gpx",
     "files of type .kml (track.kml) are not accepted; accepted: .gpx"),
    ("track.gpx", b"\x00\x00binary", "文件 track.gpx 是二进制内容，不是 .gpx 文本文件",
     "the content of track.gpx is binary, not a .gpx text file"),
])
def test_gpx_refusal_text(name, data, zh, en):
    from views._common import upload_refusal

    assert upload_refusal([(name, data)], [".gpx"], "zh") == f"上传被拒绝，文件未被读取：\n- {zh}"
    assert upload_refusal([(name, data)], [".gpx"], "en") == f"Upload refused; the file was not read:\n- {en}"


def test_gpx_size_limit(monkeypatch):
    from views._common import upload_refusal

    monkeypatch.setattr(settings, "max_upload_mb", 1)
    track = b"<gpx>" + b" " * (1024 * 1024) + b"</gpx>"
    assert "track.gpx is 1.0 MB; the limit is 1 MB" in upload_refusal([("track.gpx", track)], [".gpx"], "en")
    assert upload_refusal([("track.gpx", b"<gpx></gpx>")], [".gpx"], "en") is None


def test_shapefile_sidecars_accepted_by_the_import_kinds():
    from views._common import upload_refusal
    from views.data_import import UPLOAD_KINDS

    shp = b"\x00\x00\x27\x0a" + b"\x00" * 96
    files = [("v.shp", shp), ("v.shx", shp), ("v.dbf", b"\x03\x00\x00"), ("v.prj", b'GEOGCS["WGS 84"]'),
             ("v.cpg", b"UTF-8")]
    assert upload_refusal(files, UPLOAD_KINDS, "en") is None
    assert "not a .shp file" in upload_refusal([("v.shp", b"PK\x03\x04")], UPLOAD_KINDS, "en")


def _track_section():
    import geopandas as gpd
    from shapely.geometry import Point

    from views.patrols import _check_section

    stops = gpd.GeoDataFrame({"team": [1, 1], "order": [1, 2], "site_id": ["a", "b"]},
                             geometry=[Point(117.0, 31.6), Point(117.02, 31.6)], crs="EPSG:4326")
    _check_section({"stops": stops})


def test_patrol_track_upload_refused_on_the_page():
    at = AppTest.from_function(_track_section, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    at.file_uploader(key="patrols_check_file").set_value(("track.gpx", b"\x00\x01zz", "application/gpx+xml")).run()
    text = _refused(at)
    assert "the content of track.gpx is binary, not a .gpx text file" in text
