"""Formula cells in any output: 0 (issue 12). Every table the CLI writes, from a hostile dataset.

Before: ``visits``, ``staffing``, ``patrol-schedule``, quarantine files and ``audit --out`` wrote
live formulas or raw ``=``/``+``/``-``/``@`` cells (LibreOffice computed ``=SUM(1,2)-041`` to
-38). Here every free-text field of the dataset, the audit log and an imported ledger hold
formula payloads, each command writes CSV and Excel, and no cell of any file would compute.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from privacy_data import VILLAGE_A, fast_passwords, two_villages  # noqa: F401
from security_audit import formula_cells

from geo.cli._main import cli
from geo.privacy.audit import log_event
from geo.store.dataset import write_dataset

PAYLOAD = "=SUM(1,2)-041"
PAYLOADS = [PAYLOAD, "+1+1", "-2+3", "@SUM(1)", '=HYPERLINK("http://203.0.113.5/x","y")']


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outputs")
    path = tmp / "county.gpkg"
    write_dataset(two_villages(payload=PAYLOAD), path)
    for p in PAYLOADS:  # what a user can put in the log: a file name, a detail
        log_event(path, "root", "import", p)
    return path


def _run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


COMMANDS = [
    ("visits", ["visits", "{ds}", "--out", "{out}"]),
    ("staffing", ["staffing", "{ds}", "--out", "{out}"]),
    ("audit", ["audit", "{ds}", "--out", "{out}"]),
    ("patrol-schedule", ["patrol-schedule", "{ds}", "--from", "2026-07-01", "--to", "2026-07-07",
                         "--out", "{out}"]),
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("name, argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_no_command_writes_a_formula(hostile, tmp_path, name, argv, suffix):
    out = tmp_path / f"{name}{suffix}"
    _run(*[a.format(ds=hostile, out=out) for a in argv])
    assert out.exists()
    assert formula_cells(out) == 0


def test_the_payload_reaches_the_files_as_text(hostile, tmp_path):
    """Not hidden by dropping it: the audit export holds the payload, as inert text."""
    import openpyxl

    out = tmp_path / "audit.xlsx"
    _run("audit", hostile, "--out", out)
    cells = [c for ws in openpyxl.load_workbook(out) for row in ws.iter_rows() for c in row]
    hits = [c for c in cells if c.value == PAYLOAD]
    assert hits and all(c.data_type == "s" and c.quotePrefix for c in hits)


def test_excel_export_and_quarantine_files(hostile, tmp_path):
    out = tmp_path / "export.xlsx"
    _run("export", hostile, "--role", "admin", "--out", out)
    assert formula_cells(out) == 0
    for suffix in (".csv", ".xlsx"):
        src = tmp_path / f"ledger{suffix}"
        rows = [["household_id", "village_code", "lon", "lat"]] + [
            [p, "not-a-code", "117.0", "31.6"] for p in PAYLOADS]
        if suffix == ".csv":
            import csv

            with open(src, "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(rows)
        else:
            import openpyxl

            book = openpyxl.Workbook()
            for r in rows:
                book.active.append(r)
            for row in book.active.iter_rows(min_row=2):
                for c in row:
                    c.data_type = "s"  # the ledger's own cells are text, not formulas
            book.save(src)
        into = tmp_path / f"q{suffix}.gpkg"
        r = CliRunner().invoke(cli, ["import", "households", str(src), "--into", str(into)])
        assert r.exit_code in (0, 1), r.output
        quarantine = src.with_name(f"{src.stem}.quarantine{suffix}")
        assert quarantine.exists(), r.output
        assert formula_cells(quarantine) == 0
