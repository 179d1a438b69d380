"""``childsafe db-login``: a database login that the server limits to one village."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner
from privacy_data import VILLAGE_A, two_villages

from geo.cli._main import cli
from geo.store.dataset import read_dataset, write_dataset
from geo.store.postgis import parse_url

pytestmark = pytest.mark.xdist_group("postgis")  # one worker, one throwaway cluster


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_db_login_grant_and_revoke(pg_url, pg_server, tmp_path):
    write_dataset(two_villages(), pg_url)
    schema = parse_url(pg_url).schema
    login = f"dir_{schema[-8:]}"
    r = run("db-login", pg_url, login, "--scope", VILLAGE_A, env={"CHILDSAFE_NEW_PASSWORD": "laptop-pw"})
    assert r.exit_code == 0, r.output
    assert pg_server.password not in r.output and "laptop-pw" not in r.output
    mine = f"postgresql://{login}:laptop-pw@{pg_server.host}:{pg_server.port}/{pg_server.database}?schema={schema}"
    r = run("info", mine, "--json")
    assert r.exit_code == 0, r.output
    assert '"households": 6' in r.output and '"children": 7' in r.output
    r = run("db-login", pg_url, login, "--revoke")
    assert r.exit_code == 0 and "revoked" in r.output
    with psycopg.connect(parse_url(mine).conninfo, options=f"-c search_path={schema}") as con, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute(f"SELECT count(*) FROM {schema}.households")
    assert [a for a in read_dataset(pg_url)["audit_log"]["action"]] == ["user_add", "user_disable"]


def test_db_login_needs_a_server_dataset(tmp_path):
    path = tmp_path / "c.gpkg"
    write_dataset(two_villages(), path)
    r = run("db-login", path, "li", "--scope", VILLAGE_A, env={"CHILDSAFE_NEW_PASSWORD": "x"})
    assert r.exit_code == 2 and "postgresql://" in r.output and "Traceback" not in r.output
