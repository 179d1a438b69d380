"""A PostGIS database with one schema per county is a partitioned dataset (``?schema=*``):
its county tasks equal those of the same counties as a folder of GeoPackages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from distributed_data import same_results

from geo.distributed.partitions import is_partitioned, partitions, read_partition
from geo.distributed.runner import REPORT, run_counties
from geo.store.copying import copy_dataset
from geo.store.dataset import write_dataset

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]

CLI = str(Path(sys.executable).parent / "childsafe")


@pytest.fixture
def counties(province_path, pg_server, tmp_path):
    """The three counties of ``province_path`` as a folder and as schemas of a fresh database."""
    name = f"nation_{uuid.uuid4().hex[:8]}"
    admin = pg_server.url().replace(f"/{pg_server.database}", "/postgres")
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    db = pg_server.url().replace(f"/{pg_server.database}", f"/{name}")
    with psycopg.connect(db, autocommit=True) as con:
        con.execute("CREATE EXTENSION postgis")
    folder = tmp_path / "folder"
    folder.mkdir()
    for part in partitions(province_path):
        path = folder / f"{part.code}.gpkg"
        write_dataset(read_partition(part), path)
        copy_dataset(path, f"{db}?schema=c{part.code}")
    return folder, f"{db}?schema=*"


def test_every_county_schema_is_a_partition_and_runs_like_the_folder(counties, tmp_path):
    folder, every = counties
    assert is_partitioned(every) and not is_partitioned(every.replace("schema=*", "schema=c1"))
    parts = partitions(every)
    assert [p.code for p in parts] == [p.code for p in partitions(folder)]
    assert all(p.kind == "file" and p.source.endswith(f"schema=c{p.code}") for p in parts)
    a = run_counties("coverage", folder, tmp_path / "a", workers=0)
    b = run_counties("coverage", every, tmp_path / "b", workers=0)
    assert a.by_status() == b.by_status() == {"done": 3, "unchanged": 0, "failed": 0}
    assert [c.rows for c in a.counties] == [c.rows for c in b.counties]
    same_results(tmp_path / "a", tmp_path / "b")
    report = (tmp_path / "b" / REPORT).read_text(encoding="utf-8")
    assert "pg-test-Secret" not in report  # the run report shows the URL without its password
    assert json.loads(report)["source"].endswith("schema=%2A") or "schema=*" in json.loads(report)["source"]


def test_info_lists_the_county_schemas_and_commands_run_on_them(counties, tmp_path):
    _, every = counties
    out = subprocess.run([CLI, "info", every, "--json"], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert [r["schema"] for r in got["partitions"]] == [f"c{r['code']}" for r in got["partitions"]]
    assert len(got["partitions"]) == 3 and "pg-test-Secret" not in out.stdout
    run = subprocess.run([CLI, "-q", "water", every, "--out", str(tmp_path / "w"), "--workers", "0",
                          "--no-hexagons", "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    done = json.loads(run.stdout)
    assert (done["counties"], done["done"], done["failed"]) == (3, 3, 0)
    assert "pg-test-Secret" not in run.stdout + run.stderr
    signed = subprocess.run([CLI, "--user", "planner1", "water", every, "--out", str(tmp_path / "u"),
                             "--workers", "0"], capture_output=True, text=True,
                            env={**os.environ, "CHILDSAFE_PASSWORD": "x"})
    assert signed.returncode == 2 and "?schema=*" in signed.stderr, signed.stderr[-2000:]
    assert "Traceback" not in signed.stderr and not (tmp_path / "u").exists()
