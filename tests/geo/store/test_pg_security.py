"""Row-level security of the PostGIS store: a leaked child director's login sees one village."""

from __future__ import annotations

import psycopg
import pytest
from privacy_data import B_MARKERS, VILLAGE_A, two_villages

from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import DatasetError
from geo.store.pg_security import grant_area_login, revoke_area_login
from geo.store.pgurl import parse_url
from geo.store.postgis import PostgisStore

pytestmark = pytest.mark.xdist_group("postgis")  # one worker, one throwaway cluster

LOGIN_PW = "field-laptop-pw-1"


def _as(pg_server, schema: str, login: str) -> str:
    return f"postgresql://{login}:{LOGIN_PW}@{pg_server.host}:{pg_server.port}/{pg_server.database}?schema={schema}"


@pytest.fixture
def county(pg_url, pg_server):
    ds = two_villages()
    ds.settings["salt"] = "county-salt"
    write_dataset(ds, pg_url)
    store = PostgisStore(pg_url)
    login = f"li_{parse_url(pg_url).schema[-6:]}"
    grant_area_login(store, login, VILLAGE_A, LOGIN_PW, actor="admin")
    return store, login, _as(pg_server, store.schema, login)


def test_an_area_login_sees_its_village_only(county):
    store, login, url = county
    with psycopg.connect(parse_url(url).conninfo, options=f"-c search_path={store.schema}") as con:
        households = {r[0] for r in con.execute("SELECT household_id FROM households")}
        children = {r[0] for r in con.execute("SELECT child_id FROM children")}
        visits = [r[0] for r in con.execute("SELECT visit_id FROM visits")]
        villages = {r[0] for r in con.execute("SELECT village_code FROM child_directors")}
        scopes = con.execute("SELECT login, scope FROM area_logins").fetchall()
    assert households == {f"hA{i}" for i in range(1, 7)}
    assert children == {f"cA{i}" for i in range(1, 8)}
    assert visits and not any(m in v for v in visits for m in B_MARKERS)
    assert villages <= {VILLAGE_A}
    assert scopes == [(login, VILLAGE_A)]
    full = read_dataset(store.url)
    assert len(full["households"]) == 8 and len(full["children"]) == 9  # the owner sees all


@pytest.mark.parametrize("table", ["users", "audit_log", "dataset_settings"])
def test_an_area_login_cannot_read_secrets(county, table):
    store, _login, url = county
    with psycopg.connect(parse_url(url).conninfo, options=f"-c search_path={store.schema}") as con, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute(f"SELECT * FROM {table}")


def test_an_area_login_cannot_add_rows_outside_its_area(county):
    store, _login, url = county
    conninfo = parse_url(url).conninfo
    with psycopg.connect(conninfo, options=f"-c search_path={store.schema}") as con:
        con.execute("INSERT INTO visits (visit_id, child_id, visited_on, kind) VALUES ('v-ok', 'cA1', '2024-06-01', 'contact')")
    with psycopg.connect(conninfo, options=f"-c search_path={store.schema}") as con, \
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        con.execute("INSERT INTO visits (visit_id, child_id, visited_on, kind) VALUES ('v-no', 'chB1', '2024-06-01', 'contact')")
    ids = set(read_dataset(store.url)["visits"]["visit_id"])
    assert "v-ok" in ids and "v-no" not in ids


def test_the_app_reader_on_an_area_login_reads_one_village(county):
    _store, _login, url = county
    ds = read_dataset(url)  # the whole reader, as `childsafe info URL` with the leaked login
    assert set(ds["households"]["household_id"]) == {f"hA{i}" for i in range(1, 7)}
    assert len(ds["users"]) == 0 and "salt" not in ds.settings and len(ds["audit_log"]) == 0


def test_revoked_login_reads_nothing_and_events_are_logged(county):
    store, login, url = county
    assert revoke_area_login(store, login, actor="admin")
    with pytest.raises(DatasetError):
        read_dataset(url)
    events = read_dataset(store.url)["audit_log"]
    assert list(events["action"]) == ["user_add", "user_disable"]
    assert LOGIN_PW not in " ".join(events["detail"])


def test_bad_login_or_scope_is_refused(pg_url):
    write_dataset(two_villages(), pg_url)
    store = PostgisStore(pg_url)
    with pytest.raises(DatasetError, match="not valid"):
        grant_area_login(store, "Robert; DROP", VILLAGE_A, LOGIN_PW)
    with pytest.raises(DatasetError, match="admin-code prefix"):
        grant_area_login(store, "li", "34012", LOGIN_PW)
