"""No command destroys a dataset: an output that is the dataset, or another ChildSafe dataset, is refused."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.cli._main import cli
from geo.store.dataset import read_dataset, write_dataset


@pytest.fixture
def tiny_file(tiny_dataset, tmp_path) -> Path:
    path = write_dataset(tiny_dataset, tmp_path / "tiny.gpkg")
    os.chmod(path, 0o600)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(args: list[str], *protected: Path) -> str:
    before = [_digest(p) for p in protected]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)  # a message, no crash
    assert [_digest(p) for p in protected] == before
    return res.output


@pytest.mark.parametrize("command", [
    ["water", "{ds}", "--out", "{ds}"],
    ["water", "{ds}", "--out", "{ds}", "--force"],  # its own dataset: even with --force
    ["export", "{ds}", "--out", "{ds}"],
    ["demo", "--scale", "0.01", "--out", "{ds}"],
    ["coverage", "{ds}", "--out", "{ds}"],
])
def test_an_output_that_is_the_dataset_is_refused(tiny_file, command):
    args = [a.replace("{ds}", str(tiny_file)) for a in command]
    out = _refused(args, tiny_file)
    assert "拒绝写入" in out and "refused" in out
    assert len(read_dataset(tiny_file)["households"]) > 0


def test_the_dataset_by_another_path_is_refused(tiny_file, tmp_path):
    link = tmp_path / "same.gpkg"
    link.symlink_to(tiny_file)
    out = _refused(["water", str(tiny_file), "--out", str(link), "--force"], tiny_file)
    assert "数据集本身" in out and "dataset itself" in out


def test_another_dataset_needs_force(tiny_file, tiny_dataset, tmp_path):
    other = write_dataset(tiny_dataset, tmp_path / "other.gpkg")
    out = _refused(["water", str(tiny_file), "--out", str(other)], tiny_file, other)
    assert "--force" in out
    res = CliRunner().invoke(cli, ["water", str(tiny_file), "--out", str(other), "--force"])
    assert res.exit_code == 0, res.output  # asked for: the other file becomes a result file


def test_import_quarantine_over_the_dataset_is_refused(tiny_file, tmp_path):
    src = tmp_path / "k.csv"
    src.write_text("child_id,household_id\nc-new,no-such-household\n", encoding="utf-8")
    out = _refused(["import", "children", str(src), "--into", str(tiny_file),
                    "--quarantine", str(tiny_file)], tiny_file)
    assert "--quarantine" in out


def test_table_and_report_writers_refuse_a_dataset(tiny_file, tmp_path):
    import pandas as pd

    from geo.privacy.tables import write_table
    from geo.store.errors import StoreError

    before = _digest(tiny_file)
    with pytest.raises(StoreError):
        write_table(tiny_file, pd.DataFrame({"a": [1]}), fmt=".csv")
    assert _digest(tiny_file) == before
    ok = write_table(tmp_path / "t.csv", pd.DataFrame({"a": [1]}))
    assert ok.exists() and (os.stat(ok).st_mode & 0o777) == 0o600
