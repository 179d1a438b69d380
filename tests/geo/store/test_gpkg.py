"""The GeoPackage store: writes are transactions that keep the GeoPackage consistent."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.store.dataset import Dataset, read_dataset, write_dataset
from geo.store.errors import DatasetError, StoreError
from geo.store.files import NEW_FILE_MODE, check_output, stale_temps
from geo.store.gpkg import blob_envelope, geometry_blobs
from geo.store.sqlite import dataset_lock
from geo.store.stores import open_store
from geo.store.stores import upsert as upsert_once
from geo.store.writer import AuditEvent


def _households(ids, x0=116.8, village="v1"):
    return gpd.GeoDataFrame(
        {"household_id": list(ids), "village_code": village, "caregiver": "parents"},
        geometry=[shapely.Point(x0 + i * 0.001, 32.4) for i in range(len(ids))], crs=4326)


def _water(n):
    geoms = [shapely.box(116.8 + i * 0.01, 32.3, 116.805 + i * 0.01, 32.305) for i in range(n)]
    geoms[0] = shapely.MultiPolygon([geoms[0], shapely.box(116.7, 32.2, 116.71, 32.21)])
    return gpd.GeoDataFrame({"water_id": [f"w{i}" for i in range(n)], "kind": "pond"},
                            geometry=geoms, crs=4326)


@pytest.fixture
def ds_path(tmp_path):
    path = tmp_path / "ds.gpkg"
    write_dataset(Dataset({"households": _households(["h0", "h1"])}), path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rtree(path: Path, table: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(f'SELECT id, minx, maxx, miny, maxy FROM "rtree_{table}_geom" '
                           "ORDER BY id").fetchall()
    finally:
        con.close()


def _check_spatial_index(path: Path, table: str) -> None:
    """The rtree holds exactly the stored rows, each box around its geometry; the extent in
    gpkg_contents holds every row."""
    con = sqlite3.connect(path)
    try:
        fids = {r[0]: r[1] for r in con.execute(f'SELECT fid, geom FROM "{table}"')}
        ext = con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name=?",
                          (table,)).fetchone()
        counted = con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name=?",
                              (table,)).fetchone()
    finally:
        con.close()
    tree = _rtree(path, table)
    assert sorted(r[0] for r in tree) == sorted(f for f, g in fids.items() if g is not None)
    for fid, minx, maxx, miny, maxy in tree:
        e = blob_envelope(fids[fid])
        assert e is not None
        assert minx <= e[0] + 1e-6 and maxx >= e[1] - 1e-6 and miny <= e[2] + 1e-6 and maxy >= e[3] - 1e-6
        assert ext[0] <= e[0] and ext[1] <= e[2] and ext[2] >= e[1] and ext[3] >= e[3]
    if counted is not None and counted[0] is not None:
        assert counted[0] == len(fids)


def validate_gpkg(path: Path) -> None:
    """GDAL's validate_gpkg.py (package gdal-utils), when installed."""
    try:
        from osgeo_utils.samples import validate_gpkg as v  # noqa: F401
    except ImportError:
        pytest.skip("GDAL's validate_gpkg.py (pip install --no-deps gdal-utils) is not installed")
    run = subprocess.run([sys.executable, "-m", "osgeo_utils.samples.validate_gpkg", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_geometry_blobs_round_trip_through_gdal_envelopes():
    geoms = [shapely.Point(1, 2), None, shapely.box(0, 0, 2, 3), shapely.Point()]
    blobs = geometry_blobs(geoms)
    assert blobs[1] is None
    assert blob_envelope(blobs[0]) == (1, 1, 2, 2)
    assert blob_envelope(blobs[2]) == (0, 2, 0, 3)
    assert blob_envelope(blobs[3]) is None  # empty


def test_upsert_append_replace_delete_keep_the_geopackage_consistent(ds_path):
    store = open_store(ds_path)
    with store.write(audit=AuditEvent("admin", "import", "households")) as w:
        added, updated = w.upsert("households", _households(["h1", "h2", "h3"], x0=117.0,
                                                             village="v2"))
        assert (added, updated) == (2, 1)
    with store.write(audit=AuditEvent("admin", "import", "water")) as w:
        assert w.replace("water_bodies", _water(5)) == 5
        assert w.replace("water_bodies", _water(3)) == 3  # a second replace in one write
    with store.write(audit=AuditEvent("admin", "edit", "delete h0")) as w:
        assert w.delete("households", "household_id", ["h0"]) == 1
        assert w.ids("households", "household_id", ["h0", "h1", "h9"]) == {"h1"}
    ds = read_dataset(ds_path)
    hh = ds["households"].set_index("household_id")
    assert sorted(hh.index) == ["h1", "h2", "h3"]
    assert set(hh["village_code"]) == {"v2"}  # h1 was updated, not duplicated
    assert len(ds["water_bodies"]) == 3
    assert ds["water_bodies"].geom_type.tolist()[0] == "MultiPolygon"
    assert pyogrio.read_info(ds_path, layer="households")["features"] == 3  # GDAL agrees
    for table in ("households", "water_bodies"):
        _check_spatial_index(ds_path, table)
    log = ds["audit_log"]
    assert log["detail"].tolist() == ["households", "water", "delete h0"]  # one event per write
    validate_gpkg(ds_path)


def test_a_failed_write_changes_nothing_and_logs_nothing(ds_path):
    before = _digest(ds_path)
    with pytest.raises(RuntimeError), open_store(ds_path).write(
            audit=AuditEvent("admin", "import", "x")) as w:
        w.upsert("households", _households(["h5", "h6"]))
        raise RuntimeError("the import stops half way")
    assert _digest(ds_path) == before
    assert not [p for p in ds_path.parent.iterdir() if p.name.endswith("-journal")]


def test_bad_rows_are_refused_before_anything_is_written(ds_path):
    rows = _households(["h7"]).assign(household_id=None)
    upsert_once(ds_path, "households", rows)  # rows without a key are not stored
    assert len(read_dataset(ds_path)["households"]) == 2
    with pytest.raises(DatasetError):
        upsert_once(ds_path, "households", _households(["h8"]).set_crs(None, allow_override=True))


def test_a_new_dataset_is_0600_and_writes_keep_the_mode(tmp_path):
    path = tmp_path / "new.gpkg"
    upsert_once(path, "households", _households(["a"]))
    assert os.stat(path).st_mode & 0o777 == NEW_FILE_MODE
    os.chmod(path, 0o640)
    upsert_once(path, "households", _households(["b"]))
    write_dataset(read_dataset(path), path)  # a whole rewrite keeps it too
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_stale_temps_of_dead_writers_go_at_the_next_open(ds_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = ds_path.with_name(f".{ds_path.name}.{dead}.abc123.tmp.gpkg")
    stale.write_bytes(b"SQLite format 3\x00 children")
    live = ds_path.with_name(f".{ds_path.name}.{os.getpid()}.def456.tmp.gpkg")
    live.write_bytes(b"in use")
    assert stale_temps(ds_path) == [stale]
    read_dataset(ds_path)
    assert not stale.exists() and live.exists()


def test_a_locked_dataset_waits_then_names_the_holder(ds_path):
    before = _digest(ds_path)
    with dataset_lock(ds_path), pytest.raises(StoreError) as err:
        upsert_once_timeout(ds_path)
    assert err.value.kind == "locked"
    assert f"pid {os.getpid()}" in str(err.value) and "被占用" in str(err.value)
    assert _digest(ds_path) == before


def upsert_once_timeout(path):
    with open_store(path).write(timeout=0.3) as w:
        w.upsert("households", _households(["late"]))


def test_not_a_geopackage_is_a_message(tmp_path):
    path = tmp_path / "notes.gpkg"
    path.write_text("这不是数据集")
    with pytest.raises(DatasetError, match="not a GeoPackage"):
        upsert_once(path, "households", _households(["a"]))
    assert path.read_text() == "这不是数据集"


def test_outputs_that_are_a_dataset_are_refused(ds_path, tmp_path):
    with pytest.raises(StoreError, match="数据集本身") as err:
        check_output(ds_path, datasets=[ds_path], force=True)
    assert "dataset itself" in str(err.value)
    link = tmp_path / "link.gpkg"
    link.symlink_to(ds_path)
    with pytest.raises(StoreError):
        check_output(link, datasets=[ds_path])
    other = tmp_path / "other.gpkg"
    write_dataset(Dataset(), other)
    with pytest.raises(StoreError, match="--force"):
        check_output(other, datasets=[ds_path])
    assert check_output(other, datasets=[ds_path], force=True) == other
    assert check_output(tmp_path / "fresh.gpkg", datasets=[ds_path]) == tmp_path / "fresh.gpkg"
    results = tmp_path / "results.gpkg"
    pyogrio.write_dataframe(_water(1), results, layer="water_risk")
    assert check_output(results, datasets=[ds_path]) == results  # a results file may be replaced


# --- real faults of the file system (a small tmpfs; needs root to mount) -----------------------


@pytest.fixture
def tiny_fs(tmp_path):
    where = tmp_path / "mnt"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)],
                          capture_output=True)
    if done.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root): " + done.stderr.decode()[:80])
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path, leave: int) -> None:
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "filler", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


def test_disk_full_is_a_message_and_the_dataset_is_unchanged(tiny_fs, ds_path):
    path = tiny_fs / "ds.gpkg"
    path.write_bytes(ds_path.read_bytes())
    before = _digest(path)
    _fill(tiny_fs, 16 * 1024)
    many = _households([f"x{i}" for i in range(20000)])
    with pytest.raises(StoreError) as err:
        upsert_once(path, "households", many, audit=AuditEvent("admin", "import", "big"))
    assert err.value.kind == "disk_full" and "磁盘已满" in str(err.value)
    (tiny_fs / "filler").unlink()
    assert _digest(path) == before
    assert len(read_dataset(path)["audit_log"]) == 0


def test_read_only_folder_is_a_message_and_the_dataset_is_unchanged(tiny_fs, ds_path):
    path = tiny_fs / "ds.gpkg"
    path.write_bytes(ds_path.read_bytes())
    before = _digest(path)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with pytest.raises(StoreError) as err:
        upsert_once(path, "households", _households(["ro"]))
    assert err.value.kind == "read_only" and "只读" in str(err.value)
    assert _digest(path) == before
    assert len(read_dataset(path)["households"]) == 2  # still readable
    with pytest.raises(StoreError) as err:
        write_dataset(read_dataset(path), path)
    assert err.value.kind == "read_only"
    with pytest.raises(StoreError):  # a new dataset in a read-only folder
        upsert_once(tiny_fs / "new.gpkg", "households", _households(["n"]))


def test_the_whole_api_is_in_one_protocol(ds_path):
    from geo.store.writer import Writer

    with open_store(ds_path).write() as w:
        assert isinstance(w, Writer)
        assert w.count("households") == 2 and w.count("visits") == 0
        assert w.extent(["households"]) is not None
        frame = w.read("households", ["household_id", "village_code"])
        assert sorted(frame["household_id"]) == ["h0", "h1"]
        assert isinstance(w.read("households"), pd.DataFrame)


def test_a_waiting_writer_says_so_then_goes_on(ds_path, caplog):
    import threading

    from geo.store import progress

    lines = []
    progress.set_reporter(lambda label, done, total: lines.append(label))
    release = threading.Event()

    def hold():
        with dataset_lock(ds_path):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        threading.Timer(1.5, release.set).start()
        with caplog.at_level("WARNING"):
            upsert_once(ds_path, "households", _households(["after-wait"]))
    finally:
        progress.set_reporter(None)
        holder.join()
    assert any("正被另一个写入者使用" in x and "busy with another writer" in x for x in lines)
    assert "busy with another writer" in caplog.text
    assert "after-wait" in set(read_dataset(ds_path)["households"]["household_id"])
