"""The audit log: appended in place, every action of the matrix recorded, safe whole-file saves."""

from __future__ import annotations

import os

import pytest
from privacy_data import PW, VILLAGE_A, fast_passwords  # noqa: F401

from geo.privacy.accounts import add_user, authenticate
from geo.privacy.audit import ACTIONS, log_event, read_audit, save_dataset
from geo.privacy.export import export_dataset
from geo.privacy.roles import LOCAL_OPERATOR, User, dataset_for
from geo.store.dataset import read_dataset
from geo.store.errors import PermissionDenied


def test_log_event_appends_in_place(two_villages_path):
    inode = os.stat(two_villages_path).st_ino
    log_event(two_villages_path, "alice", "export", "x.gpkg")
    log_event(two_villages_path, User("bob", "admin"), "edit", "kits")
    assert os.stat(two_villages_path).st_ino == inode  # the file was not replaced
    log = read_audit(two_villages_path)
    assert list(log["user"]) == ["alice", "bob"] and list(log["action"]) == ["export", "edit"]
    assert log["at"].notna().all() and log["at"].is_monotonic_increasing
    # GDAL reads the table as the contract's audit_log layer
    assert list(read_dataset(two_villages_path)["audit_log"]["action"]) == ["export", "edit"]


def test_unknown_action_refused(two_villages_path):
    with pytest.raises(ValueError, match="unknown audit action"):
        log_event(two_villages_path, "a", "delete_everything")


def test_every_action_of_the_matrix_is_logged(two_villages_path, tmp_path):
    root = add_user(two_villages_path, "root", PW, role="admin")
    add_user(two_villages_path, "dirA", PW, role="child_director", scope=VILLAGE_A)
    authenticate(two_villages_path, "root", PW)
    with pytest.raises(PermissionDenied):
        authenticate(two_villages_path, "dirA", "wrong password")
    ds = read_dataset(two_villages_path)
    export_dataset(ds, tmp_path / "out.gpkg", actor=root, role="leader")
    save_dataset(ds, two_villages_path, user=root, action="import", detail="households.csv")
    save_dataset(read_dataset(two_villages_path), two_villages_path, user=root, action="edit", detail="kits")
    log_event(two_villages_path, root, "view_personal", "children 7")
    actions = set(read_audit(two_villages_path)["action"])
    assert {"user_add", "login", "login_failed", "export", "import", "edit",
            "view_personal"} <= actions
    assert actions <= set(ACTIONS)


def test_save_dataset_keeps_accounts_and_events_from_disk(two_villages_path):
    root = add_user(two_villages_path, "root", PW, role="admin")
    stale = read_dataset(two_villages_path)  # read before the next account and events
    add_user(two_villages_path, "late", PW, role="planner")
    log_event(two_villages_path, "someone", "export", "meanwhile")
    stale["audit_log"] = stale["audit_log"].iloc[0:0]  # an attempt to clear the log
    save_dataset(stale, two_villages_path, user=root)
    assert authenticate(two_villages_path, "late", PW).role == "planner"
    actions = list(read_audit(two_villages_path)["action"])
    assert "export" in actions and actions[-1] == "login"
    assert read_dataset(two_villages_path).settings["pseudonym_salt"]


def test_save_dataset_refuses_partial_views_and_non_editors(two_villages_path):
    ds = read_dataset(two_villages_path)
    with pytest.raises(PermissionDenied, match="role view"):
        save_dataset(dataset_for(User("d", "admin", VILLAGE_A), ds), two_villages_path, user=LOCAL_OPERATOR)
    with pytest.raises(PermissionDenied):
        save_dataset(ds, two_villages_path, user=User("l", "leader"))
