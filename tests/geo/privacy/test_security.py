"""Hardening helpers: dataset paths stay in the data folder; uploads are size- and type-checked."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from geo.privacy.security import check_upload, safe_dataset_path
from geo.store import settings
from geo.store.errors import PermissionDenied, ValidationError


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "data"
    d.mkdir()
    (d / "county.gpkg").write_bytes(b"SQLite format 3\x00")
    monkeypatch.setattr(settings, "data_dir", d)
    return d


def test_names_inside_the_data_folder(data_dir):
    assert safe_dataset_path("county.gpkg") == (data_dir / "county.gpkg").resolve()
    assert safe_dataset_path(str(data_dir / "county.gpkg")) == (data_dir / "county.gpkg").resolve()
    assert safe_dataset_path("sub/new.gpkg") == (data_dir / "sub" / "new.gpkg").resolve()


@pytest.mark.parametrize("name", ["../secret.gpkg", "../../etc/passwd.gpkg", "/etc/x.gpkg",
                                  "sub/../../x.gpkg"])
def test_traversal_refused(data_dir, name):
    with pytest.raises(PermissionDenied, match="outside the data folder"):
        safe_dataset_path(name)


@pytest.mark.parametrize("name", ["county.csv", "../../etc/passwd", "", "a\x00.gpkg"])
def test_non_gpkg_refused(data_dir, name):
    with pytest.raises(PermissionDenied):
        safe_dataset_path(name)


def test_symlink_out_of_the_folder_refused(data_dir, tmp_path):
    outside = tmp_path / "outside.gpkg"
    outside.write_bytes(b"SQLite format 3\x00")
    os.symlink(outside, data_dir / "link.gpkg")
    with pytest.raises(PermissionDenied, match="outside"):
        safe_dataset_path("link.gpkg")
    assert safe_dataset_path(str(outside), allow=[outside]) == outside.resolve()


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


def test_uploads_accepted():
    assert check_upload("ledger.csv", "户号,村\n1,2\n".encode()) == ".csv"
    assert check_upload("ledger.XLSX", _xlsx()) == ".xlsx"
    assert check_upload("d.gpkg", b"SQLite format 3\x00" + b"\x00" * 100) == ".gpkg"


def test_oversized_upload_refused(monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    with pytest.raises(ValidationError, match="limit is 1 MB"):
        check_upload("big.csv", b"a" * (1024 * 1024 + 1))


@pytest.mark.parametrize("name, data, message", [
    ("script.exe", b"MZ...", "not accepted"),
    ("page.html", b"<script>", "not accepted"),
    ("ledger.xlsx", b"not a zip", "not a .xlsx"),
    ("ledger.xlsx", b"PK\x03\x04garbage", "damaged"),
    ("d.gpkg", b"PK\x03\x04", "not a .gpkg"),
    ("ledger.csv", b"\x00\x01\x02binary", "binary"),
    ("noext", b"abc", "not accepted"),
])
def test_wrong_type_refused(name, data, message):
    with pytest.raises(ValidationError, match=message):
        check_upload(name, data)


def test_kinds_limit_the_types():
    with pytest.raises(ValidationError, match="not accepted"):
        check_upload("a.gpkg", b"SQLite format 3\x00", kinds=["csv", ".xlsx"])
