"""Secrets beside the file, not in it: the audit hash chain and the geomask key (issue 12).

The audit log is tamper-evident: deleting or rewriting an event with sqlite3 is reported by
``childsafe info`` and the audit page. The geomask has one persistent secret key per dataset:
before, each export drew a new random seed and 12 exports averaged brought households back to
a 35 m median error.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import numpy as np
import pyogrio
import pytest
from click.testing import CliRunner
from privacy_data import PW, fast_passwords, two_villages  # noqa: F401

from geo.cli._main import cli
from geo.privacy.accounts import add_user
from geo.privacy.audit import log_event, read_audit, save_dataset, verify_audit
from geo.privacy.export import export_dataset
from geo.privacy.roles import LOCAL_OPERATOR
from geo.store.dataset import read_dataset, write_dataset
from geo.store.keys import key_path, read_keys


@pytest.fixture
def logged(two_villages_path):
    """A dataset with ten chained audit events."""
    for i in range(10):
        log_event(two_villages_path, "root", "export", f"file {i}.xlsx")
    return two_villages_path


def _sql(path, statement, *args):
    con = sqlite3.connect(path)
    con.execute(statement, args)
    con.commit()
    con.close()


def test_an_untouched_log_checks(logged):
    check = verify_audit(logged)
    assert check.ok and check.chained == 10 and check.events == 10
    assert "intact" in check.text("en") and "完整" in check.text("zh")


def test_the_key_file_is_beside_the_dataset_mode_0600_and_not_in_it(logged):
    keys = key_path(logged)
    assert keys.parent == logged.parent and keys.name == f".{logged.name}.keys"
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o600
    secret = read_keys(logged)["audit"]
    assert secret.encode() not in logged.read_bytes()


@pytest.mark.parametrize("attack, words", [
    ("UPDATE audit_log SET detail = 'nothing' WHERE fid = 4", "event 4 was rewritten"),
    ("UPDATE audit_log SET user = 'someone' WHERE fid = 2", "event 2 was rewritten"),
    ("DELETE FROM audit_log WHERE fid = 5", "before event 5 was deleted"),
    ("DELETE FROM audit_log WHERE fid = 1", "before event 1 was deleted"),
    ("DELETE FROM audit_log WHERE fid >= 9", "newest events were deleted"),
    ("INSERT INTO audit_log (at, user, action, detail) VALUES "
     "('2026-01-01T00:00:00.000Z', 'x', 'login', 'app')", "event 11 has no link"),
    ("UPDATE audit_log SET hash = NULL, prev_hash = NULL", "newest events were deleted"),
])
def test_sqlite3_tampering_is_reported(logged, attack, words):
    _sql(logged, attack)
    check = verify_audit(logged)
    assert not check.ok
    assert words in check.text("en"), check.text("en")
    assert "篡改" in check.text("zh")


def test_a_forged_chain_without_the_key_is_reported(logged):
    """Recomputing the links with a guessed key (the file alone does not hold it) fails."""
    import hashlib
    import hmac

    con = sqlite3.connect(logged)
    rows = con.execute('SELECT fid, "at", "user", action, detail FROM audit_log ORDER BY fid').fetchall()
    prev = ""
    for fid, at, user, action, detail in rows:
        payload = json.dumps([prev, at, user, action, detail if fid != 3 else "forged"],
                             ensure_ascii=False, separators=(",", ":")).encode()
        link = hmac.new(b"guess", payload, hashlib.sha256).hexdigest()
        con.execute("UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ? WHERE fid = ?",
                    (detail if fid != 3 else "forged", prev, link, fid))
        prev = link
    con.commit()
    con.close()
    assert "rewritten" in verify_audit(logged).text("en")


def test_a_copy_without_its_key_file_cannot_be_checked_and_says_so(logged, tmp_path):
    copy = tmp_path / "elsewhere.gpkg"
    copy.write_bytes(logged.read_bytes())
    check = verify_audit(copy)
    assert not check.ok and "key file is missing" in check.text("en")


def test_the_chain_survives_a_whole_file_save(logged):
    """Imports and edits rewrite the whole file (save_dataset): the chain must still check."""
    save_dataset(read_dataset(logged), logged, user=LOCAL_OPERATOR, action="edit", detail="x")
    check = verify_audit(logged)
    assert check.ok, check.text("en")
    assert check.chained == 11 and list(read_audit(logged)["action"])[-1] == "edit"


def test_events_from_before_the_chain_are_legacy(two_villages_path):
    con = sqlite3.connect(two_villages_path)  # the file's audit_log as written before chaining
    for col in ("hash", "prev_hash"):
        con.execute(f'ALTER TABLE audit_log DROP COLUMN "{col}"')
    assert {r[1] for r in con.execute('PRAGMA table_info("audit_log")')} == {
        "fid", "at", "user", "action", "detail"}
    con.execute("INSERT INTO audit_log (at, user, action, detail) VALUES "
                "('2025-01-01T00:00:00.000Z', 'old', 'login', 'app')")
    con.commit()
    con.close()
    log_event(two_villages_path, "root", "login", "app")
    check = verify_audit(two_villages_path)
    assert check.ok and check.legacy == 1 and check.chained == 1


def test_childsafe_info_reports_the_audit_chain(logged):
    r = CliRunner().invoke(cli, ["info", str(logged)])
    assert r.exit_code == 0, r.output
    assert "audit log intact" in r.output
    _sql(logged, "UPDATE audit_log SET detail = 'nothing' WHERE fid = 4")
    r = CliRunner().invoke(cli, ["info", str(logged), "--json"])
    out = json.loads(r.output)
    assert out["audit"]["ok"] is False and "event 4 was rewritten" in out["audit"]["text"]


def test_the_audit_page_shows_the_chain(logged, monkeypatch):
    from app_pages import run_page

    def page():
        from views import admin

        admin.render()

    at = run_page(page, monkeypatch, logged)
    assert not at.exception, at.exception
    assert any("intact" in s.value for s in at.success)
    _sql(logged, "DELETE FROM audit_log WHERE fid = 3")
    at = run_page(page, monkeypatch, logged)
    assert any("deleted" in e.value for e in at.error)


# --- geomask -------------------------------------------------------------------------------


def _points(path):
    frame = pyogrio.read_dataframe(path, layer="households").set_index("household_id")
    return frame.geometry.to_crs("EPSG:32650")


def test_averaging_twelve_exports_does_not_bring_households_back(two_villages_path, tmp_path):
    truth = read_dataset(two_villages_path)["households"].set_index("household_id")
    truth = truth.geometry.to_crs("EPSG:32650")
    xs, ys = [], []
    for i in range(12):
        out = tmp_path / f"export{i}.gpkg"
        export_dataset(read_dataset(two_villages_path), out, actor=LOCAL_OPERATOR,
                       role="planner", scope="", geomask_m=200, source=two_villages_path)
        pts = _points(out).loc[truth.index]
        xs.append(pts.x.to_numpy())
        ys.append(pts.y.to_numpy())
    mean_x, mean_y = np.mean(xs, axis=0), np.mean(ys, axis=0)
    error = np.hypot(mean_x - truth.x.to_numpy(), mean_y - truth.y.to_numpy())
    assert np.median(error) >= 0.2 * 200 - 1  # never closer than the donut's inner radius
    assert np.ptp(xs, axis=0).max() < 0.01  # every export moves a household the same way


def test_the_mask_key_is_not_in_the_export(two_villages_path, tmp_path):
    out = tmp_path / "plan.gpkg"
    export_dataset(read_dataset(two_villages_path), out, actor=LOCAL_OPERATOR, role="planner",
                   scope="", geomask_m=200, source=two_villages_path)
    key = read_keys(two_villages_path)["geomask"]
    assert key.encode() not in out.read_bytes() and key.encode() not in two_villages_path.read_bytes()


def test_a_user_geomask_seed_is_refused(two_villages_path, tmp_path):
    out = tmp_path / "x.gpkg"
    r = CliRunner().invoke(cli, ["export", str(two_villages_path), "--role", "planner",
                                 "--out", str(out), "--geomask", "200", "--geomask-seed", "7"])
    assert r.exit_code == 2 and "--geomask-seed is not accepted" in r.output
    assert not out.exists()


def test_accounts_and_chain_in_a_new_dataset(tmp_path):
    path = tmp_path / "new.gpkg"
    write_dataset(two_villages(), path)
    add_user(path, "root", PW, role="admin")
    assert verify_audit(path).ok


def test_keys_can_live_in_a_server_secret_folder(two_villages_path, tmp_path, monkeypatch):
    secret_dir = tmp_path / "secrets"
    monkeypatch.setenv("CHILDSAFE_KEY_DIR", str(secret_dir))
    log_event(two_villages_path, "root", "login", "app")
    assert key_path(two_villages_path) == secret_dir / f"{two_villages_path.name}.keys"
    assert key_path(two_villages_path).exists()
    assert not (two_villages_path.parent / f".{two_villages_path.name}.keys").exists()
    assert verify_audit(two_villages_path).ok


def test_a_server_dataset_has_no_key_file_and_keeps_its_salt_in_the_server():
    """A postgresql:// URL is not a file: no key file is made for it (once one was made under a
    folder named ``postgresql:`` in the working directory, holding the server's salt)."""
    from geo.ingest.pseudonym import SALT_KEY, SaltSource

    url = "postgresql://u@127.0.0.1:5432/db?schema=c341101"
    with pytest.raises(ValueError, match="no key file"):
        key_path(url)
    settings = {SALT_KEY: "the-server-salt"}
    assert SaltSource(settings, url).salt() == "the-server-salt"
