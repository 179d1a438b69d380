"""The PostGIS store against a real server (tests/pg.py starts a throwaway cluster)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
from privacy_data import two_villages

from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import DatasetError
from geo.store.pgurl import parse_url
from geo.store.postgis import PostgisStore, redact
from geo.store.schema import LAYERS

pytestmark = pytest.mark.xdist_group("postgis")  # one worker, one throwaway cluster


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if isinstance(a, gpd.GeoDataFrame):
        assert a.crs.equals(b.crs)
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-9).all()
        a, b = pd.DataFrame(a.drop(columns=a.geometry.name)), pd.DataFrame(b.drop(columns=b.geometry.name))
    pd.testing.assert_frame_equal(a, b)


def test_url_parts_and_no_password_shown():
    t = parse_url("postgresql://bureau:s3cret@db.local:5433/childsafe?schema=county_340123&sslmode=require")
    assert t.schema == "county_340123"
    assert "schema" not in t.conninfo and "sslmode=require" in t.conninfo and "s3cret" in t.conninfo
    assert "s3cret" not in t.location and t.location.startswith("postgresql://bureau@db.local:5433/")
    assert "s3cret" not in redact("postgresql://db/x?password=s3cret")
    assert parse_url("postgresql:///childsafe").schema == "childsafe"
    with pytest.raises(DatasetError, match="schema"):
        parse_url("postgresql://db/x?schema=Robert'); DROP TABLE children")


def test_round_trip_reads_as_the_geopackage_does(pg_url, tmp_path):
    ds = two_villages()
    ds.settings["salt"] = "s"
    write_dataset(ds, pg_url)
    write_dataset(ds, tmp_path / "c.gpkg")
    back, from_file = read_dataset(pg_url), read_dataset(tmp_path / "c.gpkg")
    assert back.path == pg_url
    assert back.settings == from_file.settings and back.settings["salt"] == "s"
    assert back.counts() == ds.counts()
    for name in LAYERS:
        _same(from_file[name], back[name])


def test_round_trip_through_geopackage_types(pg_url, tmp_path, tiny_dataset):
    path = tmp_path / "c.gpkg"
    write_dataset(tiny_dataset, path)
    from_file = read_dataset(path)
    write_dataset(from_file, pg_url)
    back = read_dataset(pg_url)
    for name in LAYERS:
        _same(from_file[name], back[name])


def test_tables_are_4326_with_gist_indexes(pg_url, pg_server, tiny_dataset):
    write_dataset(tiny_dataset, pg_url)
    schema = parse_url(pg_url).schema
    with psycopg.connect(pg_server.url()) as con:
        srids = dict(con.execute(
            "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = %s", (schema,)).fetchall())
        gist = {r[0] for r in con.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE '%%USING gist%%'",
            (schema,)).fetchall()}
    spatial = {n for n, spec in LAYERS.items() if spec.geometry}
    assert set(srids) == spatial and set(srids.values()) == {4326}
    assert gist == spatial


def test_missing_schema_and_bad_server_say_so(pg_server):
    with pytest.raises(DatasetError, match="holds no ChildSafe dataset"):
        read_dataset(pg_server.url("county_nothing_here"))
    wrong = f"postgresql://postgres:wrong-pw@127.0.0.1:{pg_server.port}/childsafe?schema=x"
    with pytest.raises(DatasetError, match="cannot connect") as err:
        read_dataset(wrong)
    assert "wrong-pw" not in str(err.value)


def test_a_failed_write_changes_nothing(pg_url, tiny_dataset):
    write_dataset(tiny_dataset, pg_url)
    store = PostgisStore(pg_url)
    bad = tiny_dataset["households"].copy()
    with pytest.raises(RuntimeError), store.write() as w:
        w.append("households", bad)
        raise RuntimeError("stop half-way")
    assert len(read_dataset(pg_url)["households"]) == 3


_IMPORTER = """
import sys
import geopandas as gpd
from shapely.geometry import Point
from types import SimpleNamespace
from geo.store.postgis import PostgisStore

url, worker, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = gpd.GeoDataFrame(
    {"household_id": [f"w{worker}-{i}" for i in range(n)], "village_code": ["340123101001"] * n,
     "caregiver": ["parents"] * n},
    geometry=[Point(117 + i * 1e-5, 31.6 + worker * 1e-3) for i in range(n)], crs="EPSG:4326")
event = SimpleNamespace(user=f"worker{worker}", action="import", detail=f"{n} households")
with PostgisStore(url).write(audit=event) as w:
    added, updated = w.upsert("households", rows)
print(added)
"""


def test_eight_concurrent_importers_all_land(pg_url):
    import subprocess
    import sys

    write_dataset(two_villages(), pg_url)
    procs = [subprocess.Popen([sys.executable, "-c", _IMPORTER, pg_url, str(w), "5000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [e for _, e in outs]
    assert [int(o) for o, _ in outs] == [5000] * 8
    ds = read_dataset(pg_url)
    assert len(ds["households"]) == 40_000 + 8
    assert ds["households"]["household_id"].is_unique
    events = ds["audit_log"]
    assert (events["action"] == "import").sum() == 8
    assert sorted(events["user"]) == sorted(f"worker{w}" for w in range(8))


def test_results_never_go_over_the_server_dataset(pg_url):
    from geo.store.dataset import write_layers

    write_dataset(two_villages(), pg_url)
    result = gpd.GeoDataFrame({"x": [1]}, geometry=gpd.points_from_xy([117], [31.6]), crs="EPSG:4326")
    with pytest.raises(DatasetError, match="GeoPackage"):
        write_layers(pg_url, {"water_sites": result})
    assert len(read_dataset(pg_url)["households"]) == 8
