"""``childsafe copy``: GeoPackage ↔ PostGIS both ways, nothing lost (``info`` equal)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from privacy_data import PW, fast_passwords, two_villages  # noqa: F401

from geo.cli._main import cli
from geo.privacy.accounts import add_user
from geo.privacy.audit import read_audit
from geo.store.dataset import read_dataset, write_dataset
from geo.store.keys import read_keys
from geo.store.schema import ALL_LAYERS

pytestmark = pytest.mark.xdist_group("postgis")  # one worker, one throwaway cluster


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def info(target) -> dict:
    r = run("info", target, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    out.pop("dataset")
    # the hash chain is checked on both: against the key file beside a GeoPackage, and the key
    # a server keeps in its settings (the copy carries it); its text is compared too
    return out


def test_copy_there_and_back_loses_nothing(tmp_path, pg_url, fast_passwords):  # noqa: F811
    src = tmp_path / "county.gpkg"
    ds = two_villages()
    ds.settings["salt"] = "county-salt"
    write_dataset(ds, src)
    add_user(src, "li", PW, role="child_director", scope="340123101001")
    assert json.loads(run("info", src, "--json").output)["audit"]["ok"]
    r = run("copy", src, pg_url)
    assert r.exit_code == 0, r.output
    assert "read back: equal" in r.output and "pg-test-Secret" not in r.output
    assert info(pg_url) == info(src)
    back = tmp_path / "back.gpkg"
    r = run("copy", pg_url, back)
    assert r.exit_code == 0, r.output
    assert info(back) == info(pg_url)  # the server's copy logged itself there: one event more
    a, b = read_dataset(src), read_dataset(back)
    # the older file's salt (in its settings) is a secret: the backup keeps it in its key file
    assert {k: v for k, v in a.settings.items() if k != "pseudonym_salt"} == b.settings
    assert read_keys(back)["pseudonym"] == a.settings["pseudonym_salt"]
    assert json.loads(run("info", back, "--json").output)["audit"]["ok"]  # the chain came along
    for name in ALL_LAYERS:
        assert len(b[name]) == len(a[name]) + (name == "audit_log"), name
    assert b["users"]["password_hash"].tolist() == a["users"]["password_hash"].tolist()
    assert b["children"].equals(a["children"]) and b["households"].geom_equals(a["households"]).all()
    # the copy is recorded in the source's audit log, without the server's password
    events = read_audit(src)
    assert (events["action"] == "export").sum() == 1
    assert "pg-test-Secret" not in " ".join(events["detail"].astype(str))


def test_copy_refuses_to_overwrite(tmp_path, pg_url):
    src = tmp_path / "county.gpkg"
    write_dataset(two_villages(), src)
    assert run("copy", src, pg_url).exit_code == 0
    before = len(read_audit(src))
    r = run("copy", src, pg_url)
    assert r.exit_code == 2 and "--force" in r.output and "Traceback" not in r.output
    assert len(read_audit(src)) == before  # nothing happened, nothing logged
    r = run("copy", src, src)
    assert r.exit_code == 2 and "the target is the source" in r.output
    smaller = two_villages()
    smaller["households"] = smaller["households"].iloc[:2]
    write_dataset(smaller, src)
    assert run("copy", src, pg_url, "--force").exit_code == 0
    assert len(read_dataset(pg_url)["households"]) == 2


@pytest.mark.parametrize("scope", ["340123101001"])
def test_copy_is_for_a_whole_dataset_admin(tmp_path, pg_url, scope, fast_passwords):  # noqa: F811
    src = tmp_path / "county.gpkg"
    write_dataset(two_villages(), src)
    add_user(src, "li", PW, role="child_director", scope=scope)
    r = run("copy", src, pg_url, env={"CHILDSAFE_USER": "li", "CHILDSAFE_PASSWORD": PW})
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
