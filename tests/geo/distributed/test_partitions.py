"""Partitions: each person, record and point is in exactly one county; a folder reads the same."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.distributed.partitions import outside_counties, partitions, read_partition
from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import DatasetError


def test_one_geopackage_is_split_by_county(province_path):
    whole = read_dataset(province_path)
    parts = partitions(province_path)
    county_rows = whole["admin_units"].query("level == 'county'")
    assert [p.code for p in parts] == sorted(county_rows["code"])
    assert {p.kind for p in parts} == {"split"}
    read = [read_partition(p) for p in parts]
    # people and their records follow their villages: each exactly once over the counties
    for name, key in [("households", "household_id"), ("children", "child_id"),
                      ("visits", "visit_id"), ("stations", "station_id"), ("safety_kits", "kit_id"),
                      ("admin_units", "code"), ("child_directors", "village_code"),
                      ("inspections", "inspection_id")]:
        ids = pd.concat([ds[name][key] for ds in read])
        assert not ids.duplicated().any(), name
        assert set(ids) == set(whole[name][key]), name
    for part, ds in zip(parts, read, strict=True):
        assert ds["households"]["village_code"].str.startswith(part.code).all()
        assert set(ds["children"]["household_id"]) <= set(ds["households"]["household_id"])
        # water is cut at the border (in lon/lat, as stored): inside the county
        county = ds["admin_units"].query("level == 'county'").geometry.iloc[0]
        water = ds["water_bodies"]
        assert water.geometry.within(county.buffer(1e-9)).all()
        assert set(water["water_id"]) <= set(whole["water_bodies"]["water_id"])
    assert outside_counties(whole) == {}


def test_a_folder_of_county_files_reads_as_the_split(province_path, tmp_path):
    split = partitions(province_path)
    for p in split:
        write_dataset(read_partition(p), tmp_path / f"county-{p.code}.gpkg")
    folder = partitions(tmp_path)
    assert [(p.code, p.name, p.kind) for p in folder] == [(p.code, p.name, "file") for p in split]
    for a, b in zip(split, folder, strict=True):
        da, db = read_partition(a), read_partition(b)
        for name in ("households", "children", "stations", "water_bodies"):
            pd.testing.assert_frame_equal(da[name].reset_index(drop=True), db[name].reset_index(drop=True),
                                          check_dtype=False)


def test_halo_adds_the_neighbours_stations_near_the_border(province_path):
    parts = partitions(province_path)
    plain = read_partition(parts[1], layers=["stations", "admin_units"])
    wide = read_partition(parts[1], layers=["stations", "admin_units"], halo_m=6000, others=parts)
    own = wide["stations"][~wide["stations"]["halo"]]
    assert set(own["station_id"]) == set(plain["stations"]["station_id"])
    near = wide["stations"][wide["stations"]["halo"]]
    assert len(near) > 0 and (near["county_code"] != parts[1].code).all()
    # every halo station is within 6 km of the county and belongs to its own county
    county = wide["admin_units"].query("level == 'county'").to_crs(wide.metric_crs).geometry.iloc[0]
    assert (near.to_crs(wide.metric_crs).distance(county) <= 6000 + 1e-6).all()
    whole = read_dataset(province_path, layers=["stations"])["stations"]
    assert set(near["station_id"]) <= set(whole["station_id"])


def test_a_folder_file_with_two_counties_is_refused(province_path, tmp_path):
    (tmp_path / "two.gpkg").write_bytes(province_path.read_bytes())
    with pytest.raises(DatasetError, match="one county"):
        partitions(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no county GeoPackage"):
        partitions(tmp_path / "empty")
    with pytest.raises(DatasetError, match="does not exist"):
        partitions(tmp_path / "nothing-here")


_TEXT_IDS = [("k'1", None), ("k2", "w9"), ("k3", "w1"), (None, "w1"), (None, "w'2"), (None, "w3"),
             (None, None), ("k'1", "w'2")]
_NUMBER_IDS = [(12, None), (13, 7), (14, 5), (None, 5), (None, 6), (None, None), (12.0, 6)]


@pytest.mark.parametrize("column, rows, kits, waters", [
    ("TEXT", _TEXT_IDS, {"k'1", "k2"}, {"w1"}), ("TEXT", _TEXT_IDS, set(), {"w1", "w'2"}),
    ("TEXT", _TEXT_IDS, set(), set()),
    ("INTEGER", _NUMBER_IDS, {"12", "13"}, {"5"}), ("REAL", _NUMBER_IDS, {"12"}, {"5", "6"}),
    ("", _NUMBER_IDS, {"12", "14"}, {"6"}),
])
def test_a_county_reads_only_the_inspections_of_its_kits_and_waters(column, rows, kits, waters):
    """The filter a split county's inspections are read with (in SQLite) selects what the rule
    keeps: a kit's inspection when the kit is the county's, else its water's; quotes in ids
    are text, ids stored as numbers match the county's ids as text (12 and 12.0 are '12'), and
    a county without kits or waters reads none of theirs."""
    import sqlite3

    from geo.distributed.partitions import _inspected

    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE TABLE inspections (fid INTEGER PRIMARY KEY, kit_id {column}, water_id {column})")
    con.executemany("INSERT INTO inspections (kit_id, water_id) VALUES (?, ?)", rows)
    got = [r[0] for r in con.execute(f"SELECT fid FROM inspections WHERE {_inspected(kits, waters)}")]

    def text(v):
        return None if v is None else str(int(v)) if isinstance(v, float) else str(v)

    rule = [i + 1 for i, (kit, water) in enumerate(rows)
            if (text(kit) in kits if kit is not None else text(water) in waters)]
    assert got == rule and (rule or not kits | waters)


def test_a_split_county_keeps_the_inspections_of_its_kits_stored_as_numbers(province_path, tmp_path):
    """A province whose kit and water ids are stored as integers (made by other software): each
    county still reads the inspections of its own kits and waters, each one once over the
    counties."""
    import shutil
    import sqlite3

    import pyogrio

    path = tmp_path / "numbers.gpkg"
    shutil.copy(province_path, path)
    frames = {t: pyogrio.read_dataframe(path, layer=t) for t in ("safety_kits", "water_bodies", "inspections")}
    numbers = {c: {v: i + 1 for i, v in enumerate(frames[t][c])}
               for t, c in (("safety_kits", "kit_id"), ("water_bodies", "water_id"))}
    for t, frame in frames.items():
        for c in ("kit_id", "water_id"):
            if c in frame.columns:
                frame[c] = frame[c].map(numbers[c]).astype("Int64")
        pyogrio.write_dataframe(frame, path, layer=t, layer_options={"OVERWRITE": "YES"})
    con = sqlite3.connect(path)
    total = con.execute("SELECT count(*) FROM inspections").fetchone()[0]
    assert con.execute("SELECT count(*) FROM inspections WHERE typeof(kit_id) = 'integer'").fetchone()[0] > 0
    con.close()
    got = pd.concat([read_partition(p, layers=["safety_kits", "water_bodies", "inspections"])["inspections"]
                     for p in partitions(path)])
    assert len(got) == total and not got["inspection_id"].duplicated().any()
