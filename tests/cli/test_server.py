"""``childsafe db-login``: a database login that the server limits to one village."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner
from privacy_data import VILLAGE_A, two_villages

from geo.cli._main import cli
from geo.store.dataset import read_dataset, write_dataset
from geo.store.pgurl import parse_url

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


def test_eight_concurrent_cli_imports_into_the_server_all_land(pg_url, tmp_path):
    """8 `childsafe import` processes of distinct 5,000-row files into one PostGIS dataset."""
    import subprocess
    import sys
    from pathlib import Path

    write_dataset(two_villages(), pg_url)
    cli_bin = str(Path(sys.executable).with_name("childsafe"))
    files = []
    for w in range(8):
        path = tmp_path / f"h{w}.csv"
        lines = ["household_id,village_code,caregiver,lon,lat"]
        lines += [f"w{w}-{i},{VILLAGE_A},parents,{117 + i * 1e-5:.6f},{31.6 + w * 1e-3:.6f}" for i in range(5000)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    procs = [subprocess.Popen([cli_bin, "-q", "import", "households", str(f), "--into", pg_url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [e[-800:] for _, e in outs]
    ds = read_dataset(pg_url)
    assert len(ds["households"]) == 40_000 + 8
    assert ds["households"]["household_id"].is_unique
    events = ds["audit_log"]
    assert (events["action"] == "import").sum() == 8
    assert not any("pg-test-Secret" in str(d) for d in events["detail"])
