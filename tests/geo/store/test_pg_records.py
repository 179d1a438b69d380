"""Accounts, sign-in, the audit chain, visits, inspections, snapshots and spot checks on a PostGIS
dataset: the same code as on a GeoPackage, through the store's write interface, against a real
server (tests/pg.py starts a throwaway cluster)."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner
from privacy_data import PW, fast_passwords, two_villages  # noqa: F401
from report_data import ON, county

from geo.cli._main import cli
from geo.field.inspections import store_inspection
from geo.field.visits import store_visit
from geo.privacy.accounts import (
    SignInFailed,
    access_mode,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    has_account,
    list_users,
    set_password,
)
from geo.privacy.audit import now_utc, read_audit, verify_audit
from geo.report.facts import unit_facts
from geo.report.snapshots import nearest_snapshot, read_snapshots, take_snapshot
from geo.report.spotcheck import draw_spot_check, read_spot_checks, record_spot_check
from geo.store import settings
from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import DatasetError
from geo.store.pgurl import parse_url

pytestmark = pytest.mark.xdist_group("postgis")  # one worker, one throwaway cluster

VILLAGE_A = "340123101001"


@pytest.fixture
def county_url(pg_url, fast_passwords):  # noqa: F811
    write_dataset(two_villages(), pg_url)
    return pg_url


def _sql(url: str, query: str, args=()) -> list:
    """Run ``query`` on the dataset's schema as the server's owner (what an intruder with the
    owner's password could do)."""
    target = parse_url(url)
    with psycopg.connect(target.conninfo, autocommit=True) as con:
        con.execute(f"SET search_path TO {target.schema}, public")
        cur = con.execute(query, args)
        return cur.fetchall() if cur.description else []


def test_accounts_sign_in_and_lock_out_on_a_server(county_url):
    assert access_mode(county_url) == "needs_admin"  # no account yet: fail closed
    add_user(county_url, "admin1", PW, role="admin", actor="setup")
    add_user(county_url, "li", PW, role="child_director", scope=VILLAGE_A, actor="admin1")
    assert access_mode(county_url) == "accounts" and has_account(county_url, "li")
    with pytest.raises(Exception, match="exists already"):
        add_user(county_url, "li", PW, role="child_director", scope=VILLAGE_A)
    with pytest.raises(Exception, match="matches no admin unit"):
        add_user(county_url, "far", PW, role="child_director", scope="349999101001")
    user = authenticate(county_url, "li", PW)
    assert (user.role, user.scope) == ("child_director", VILLAGE_A)
    # wrong passwords lock the account; even the right one is refused meanwhile
    for _ in range(int(settings.max_failed_logins)):
        with pytest.raises(SignInFailed):
            authenticate(county_url, "li", "wrong password here")
    with pytest.raises(SignInFailed):
        authenticate(county_url, "li", PW)
    row = list_users(county_url).set_index("username").loc["li"]
    assert row["locked_until"] > now_utc() + timedelta(minutes=float(settings.lockout_minutes) - 1)
    later = now_utc() + timedelta(minutes=float(settings.lockout_minutes) + 1)
    assert authenticate(county_url, "li", PW, now=later).username == "li"  # the lock ends
    disable_user(county_url, "li", actor="admin1")
    assert not has_account(county_url, "li")
    with pytest.raises(SignInFailed):
        authenticate(county_url, "li", PW)
    enable_user(county_url, "li", actor="admin1")
    set_password(county_url, "li", "another long pass phrase", actor="admin1")
    assert authenticate(county_url, "li", "another long pass phrase").username == "li"
    with pytest.raises(SignInFailed):
        authenticate(county_url, "nobody", PW)
    users = list_users(county_url)
    assert users["username"].tolist() == ["admin1", "li"] and "password_hash" not in users
    actions = read_audit(county_url)["action"].tolist()
    assert actions.count("user_add") == 2 and actions.count("login_locked") >= 1
    assert actions.count("login") == 3 and actions.count("login_failed") >= 2
    assert "nobody" not in " ".join(read_audit(county_url)["user"].astype(str))
    check = verify_audit(county_url)
    assert check.ok and check.chained == len(actions), check.text()


def test_no_account_change_creates_a_server_dataset(pg_url, fast_passwords):  # noqa: F811
    with pytest.raises(DatasetError, match="holds no dataset"):
        add_user(pg_url, "admin1", PW, role="admin")


def test_the_server_audit_chain_sees_rewrites_and_deletions(county_url):
    add_user(county_url, "admin1", PW, role="admin")
    for _ in range(3):
        authenticate(county_url, "admin1", PW)
    assert verify_audit(county_url).ok
    # the chain's key is in the server's settings, never in what a read hands out
    assert not {"audit_key", "audit_head", "audit_count"} & set(read_dataset(county_url).settings)
    _sql(county_url, "UPDATE audit_log SET detail = 'nothing to see' WHERE action = 'user_add'")
    check = verify_audit(county_url)
    assert not check.ok and any("rewritten" in en for _, en in check.problems)
    _sql(county_url, "DELETE FROM audit_log WHERE action = 'user_add'")
    _sql(county_url, "UPDATE audit_log SET prev_hash = '' WHERE fid = (SELECT min(fid) FROM audit_log)")
    _sql(county_url, "DELETE FROM audit_log WHERE fid = (SELECT max(fid) FROM audit_log)")
    check = verify_audit(county_url)
    assert not check.ok and any("newest events were deleted" in en for _, en in check.problems)


def test_visits_and_inspections_on_a_server(county_url):
    add_user(county_url, "li", PW, role="child_director", scope=VILLAGE_A)
    add_user(county_url, "wang", PW, role="safety_officer", scope=VILLAGE_A)
    li, wang = authenticate(county_url, "li", PW), authenticate(county_url, "wang", PW)
    ds = read_dataset(county_url)
    child = str(ds["children"]["child_id"].iloc[0])
    store_visit(county_url, child, "home_visit", "2026-11-20", recorded_by="li", user=li)
    kit = str(ds["safety_kits"]["kit_id"].iloc[0])
    store_inspection(county_url, user=wang, kit_id=kit, on="2026-11-21", sign=True, buoy=True,
                     rope=False, pole=True, recorded_by="wang")
    with pytest.raises(Exception, match="no child with id"):
        store_visit(county_url, "no-such-child", "contact", "2026-11-20", user=li)
    back = read_dataset(county_url)
    assert len(back["visits"]) == len(ds["visits"]) + 1
    assert len(back["inspections"]) == len(ds["inspections"]) + 1
    kid = back["children"].set_index("child_id").loc[child]
    assert kid["last_contact"] == kid["last_home_visit"] == pd.Timestamp("2026-11-20")
    log = read_audit(county_url)
    assert log["detail"].tolist()[-2:] == ["visits +1 (home_visit)", "inspections +1"]
    assert verify_audit(county_url).ok


def test_snapshots_and_spot_checks_on_a_server(pg_url, tmp_path):
    write_dataset(county("341101"), pg_url)
    facts = unit_facts(read_dataset(pg_url), on=ON, preset="national")
    rows = take_snapshot(pg_url, facts, user="bureau")
    snaps = read_snapshots(pg_url)
    assert len(snaps) == rows > 0 and set(snaps["taken_by"]) == {"bureau"}
    assert nearest_snapshot(pg_url, ON, preset="national") is not None
    assert len(read_snapshots(pg_url, kind="leaf", codes=[str(snaps["code"].iloc[0])])) >= 1
    check = draw_spot_check(read_dataset(pg_url), year=2026, min_villages=2, per_village=3)
    record_spot_check(pg_url, check, user="bureau")
    draws = read_spot_checks(pg_url)
    assert draws["seed"].tolist() == [check.seed] and draws["digest"].tolist() == [check.digest]
    r = run("snapshot", pg_url, "--json")  # the CLI on the URL: a second snapshot, then the report
    assert r.exit_code == 0 and json.loads(r.output)["rows"] == rows, r.output
    assert "pg-test-Secret" not in r.output  # the URL is shown without its password
    out = tmp_path / "r.json"
    r = run("report", pg_url, "--year", "2026", "--role", "leader", "--out", out, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8"))["report"]["snapshot"]
    actions = read_audit(pg_url)["action"].tolist()
    assert actions.count("snapshot") == 2 and actions.count("spot_check") == 1 and "report" in actions
    assert verify_audit(pg_url).ok


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_user_audit_and_snapshot_commands_on_a_url(county_url, tmp_path):
    env = {"CHILDSAFE_NEW_PASSWORD": PW}
    r = run("user", "add", county_url, "admin1", "--role", "admin", env=env)
    assert r.exit_code == 0, r.output
    signed = {"CHILDSAFE_USER": "admin1", "CHILDSAFE_PASSWORD": PW, **env}
    r = run("user", "add", county_url, "li", "--role", "child_director", "--scope", VILLAGE_A, env=signed)
    assert r.exit_code == 0, r.output
    r = run("user", "list", county_url, "--json", env=signed)
    assert r.exit_code == 0, r.output
    assert [u["username"] for u in json.loads(r.output)] == ["admin1", "li"]
    r = run("user", "disable", county_url, "li", env=signed)
    assert r.exit_code == 0 and not has_account(county_url, "li")
    r = run("--user", "admin1", "user", "list", county_url, env={"CHILDSAFE_PASSWORD": "wrong password x"})
    assert r.exit_code != 0 and "Traceback" not in r.output and "Sign-in failed" in r.output
    r = run("audit", county_url, "--json", env=signed)
    assert r.exit_code == 0, r.output
    assert {"user_add", "user_disable", "login", "login_failed"} <= {e["action"] for e in json.loads(r.output)}
    r = run("info", county_url, "--json")
    assert r.exit_code == 0 and json.loads(r.output)["audit"]["ok"], r.output
    assert "pg-test-Secret" not in r.output and "pg-test-Secret" not in run("info", county_url).output
    visits = tmp_path / "v.csv"
    child = str(read_dataset(county_url)["children"]["child_id"].iloc[0])
    visits.write_text(f"visit_id,child_id,visited_on,kind,recorded_by\nVX1,{child},2026-11-20,contact,li\n",
                      encoding="utf-8")
    r = run("import", "visits", visits, "--into", county_url, env=signed)
    assert r.exit_code == 0, r.output
    assert "VX1" in set(read_dataset(county_url)["visits"]["visit_id"])


def test_geomasked_exports_of_a_server_use_its_own_kept_key(county_url, tmp_path):
    """A server dataset keeps its mask key itself (no key file beside a URL): two exports move
    every household the same way, the key is not among the dataset's settings, and a copy to a
    GeoPackage and back carries it."""
    import pyogrio

    from geo.privacy.export import dataset_geomask_seed
    from geo.store.copying import copy_dataset
    from geo.store.keys import read_keys

    outs = []
    for i in (1, 2):
        out = tmp_path / f"export{i}.gpkg"
        res = CliRunner().invoke(cli, ["export", county_url, "--role", "planner", "--out", str(out),
                                       "--geomask", "150"])
        assert res.exit_code == 0, res.output
        outs.append(pyogrio.read_dataframe(out, layer="households"))
    assert len(outs[0]) and outs[0].geometry.equals(outs[1].geometry)
    moved = outs[0].set_index("household_id").geometry
    home = read_dataset(county_url)["households"].set_index("household_id").geometry
    assert (moved.to_crs(32650).distance(home.loc[moved.index].to_crs(32650)) > 1).all()
    assert not any("geomask" in k for k in read_dataset(county_url).settings)
    seed = dataset_geomask_seed(county_url)
    copy_dataset(county_url, tmp_path / "back.gpkg")
    assert read_keys(tmp_path / "back.gpkg").get("geomask") and dataset_geomask_seed(tmp_path / "back.gpkg") == seed
    assert "pg-test-Secret" not in json.dumps(read_dataset(tmp_path / "back.gpkg").settings)
