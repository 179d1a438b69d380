"""Uploads under attack: Markdown injection in messages, server paths, zip bombs (issue 12)."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from app_pages import sign_in
from privacy_data import VILLAGE_A, fast_passwords, two_villages  # noqa: F401
from streamlit.testing.v1 import AppTest

from geo.ingest.readers import read_table
from geo.privacy.security import archive_problems, check_archive, upload_problems
from geo.store import settings
from geo.store.dataset import write_dataset
from geo.store.errors import ValidationError

BEACON = "![b](http://203.0.113.5/beacon.png)"


def _import_page():
    from views import data_import

    data_import.render()


@pytest.fixture
def county(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    path = tmp_path / "county.gpkg"
    write_dataset(two_villages(), path)
    return path


def _plain(text: str) -> str:
    """What a reader sees of escaped Markdown (the backslashes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def _all_text(at: AppTest) -> list[str]:
    return [str(e.value) for kind in ("markdown", "warning", "error", "caption", "info",
                                      "success", "exception") for e in getattr(at, kind)]


@pytest.mark.parametrize("how", ["unreadable", "refused"])
@pytest.mark.parametrize("payload", ["![b](beacon.png)", "<img src=x onerror=alert(1)>",
                                     "[click](javascript:alert(1))", ":red[$x^2$]"])
def test_user_text_in_messages_is_escaped_for_markdown(county, monkeypatch, payload, how):
    """Before: a CSV header ![b](http://...) rendered as an image in an error alert, and the
    alert showed the server's temp path. Here the user's text reaches an alert through the
    file name: a file that cannot be read (the reader's error names the staged file) and an
    upload refused by type."""
    monkeypatch.setenv("CHILDSAFE_DATASET", str(county))
    at = AppTest.from_function(_import_page, default_timeout=60)
    at.session_state["dataset_path"] = str(county)
    at.session_state["lang"] = "en"
    at.session_state["import_kind"] = "households"
    name, data = ((f"{payload}.csv", b"a,b\n\x80\x80,\x81\n") if how == "unreadable"
                  else (f"{payload}.exe", b"MZ"))
    at.session_state["import_files"] = [(name, data)]
    sign_in(at, county, monkeypatch)
    at = at.run()
    assert not at.exception, at.exception
    shown = [str(e.value) for e in at.error]
    about = [t for t in shown if payload in _plain(t)]
    assert about, ("the alert names the file, escaped", shown)
    for text in shown:
        assert payload not in text  # never as live Markdown
        assert "/tmp" not in _plain(text)  # no server path
    for text in about:
        live = re.findall(r"(?<!\\)[<\[\]()!$:]", text)  # markup characters not escaped
        assert not live, (live, text)


def test_messages_show_no_server_path(county, monkeypatch, tmp_path):
    from views._common import md_text, no_paths

    staged = tmp_path / "upload-7f3a" / "ledger.csv"
    assert no_paths(f"{staged}: the file cannot be read") == "ledger.csv: the file cannot be read"
    assert str(tmp_path) not in md_text(f"cannot read {staged}")
    assert no_paths("see http://example.org/a/b") == "see http://example.org/a/b"


def _xlsx(cells: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["household_id", "village_code"])
    for i in range((cells - 2) // 2):
        sheet.append([f"h{i}", VILLAGE_A])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bomb(unpacked_mb: float, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A valid zip whose one member is ``unpacked_mb`` of zeros (deflate: ~1,000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z, z.open(name, "w") as fh:
        block = b"\0" * (1 << 20)
        for _ in range(int(unpacked_mb)):
            fh.write(block)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path, monkeypatch):
    """Before: a 1.5 MB XLSX took the server from 619 MB to 3.6 GB."""
    monkeypatch.setattr(settings, "max_uncompressed_mb", 20.0)
    data = _bomb(25)
    assert len(data) < 100_000  # tiny on the wire
    codes = [c for c, _ in upload_problems("ledger.xlsx", data)]
    assert codes == ["unpacks_too_large"]
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(data)
    with pytest.raises(ValidationError, match="zip bomb") as info:
        read_table(path)
    assert "压缩炸弹" in str(info.value)  # Chinese first


def test_a_workbook_with_too_many_cells_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "max_workbook_cells", 1_000)
    path = tmp_path / "big.xlsx"
    path.write_bytes(_xlsx(1_200))
    assert [c for c, _ in archive_problems(path, ".xlsx")] == ["too_many_cells"]
    with pytest.raises(ValidationError, match="over the limit of 1,000"):
        read_table(path)
    path.write_bytes(_xlsx(800))  # under the limit: read as usual
    frame, fmt = read_table(path)
    assert fmt == "xlsx" and len(frame) == 399


def test_archive_members_and_damage(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "max_archive_members", 3)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in range(5):
            z.writestr(f"f{i}.txt", "x")
    assert [c for c, _ in archive_problems(io.BytesIO(out.getvalue()))] == ["too_many_members"]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert [c for c, _ in archive_problems(bad, ".xlsx")] == ["damaged"]
    check_archive(bad)  # a damaged file is left to the parser, whose message says more
    with pytest.raises(ValidationError, match="not an Excel"):
        read_table(bad)
