"""The dataset store: round trip, types on disk, atomic save, clear errors."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.store.dataset import Dataset, empty_layer, read_dataset, write_dataset
from geo.store.errors import DatasetError
from geo.store.schema import LAYERS


def test_round_trip_keeps_values_and_types(tiny_dataset, tmp_path):
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    back = read_dataset(path)
    assert back.counts()["households"] == 3
    ch = back["children"]
    assert ch["child_id"].tolist() == ["c1", "c2", "c3"]
    assert ch["birth_year"].dtype == "Int64"
    assert ch["left_behind"].dtype == bool and ch["left_behind"].tolist() == [True, False, False]
    assert pd.api.types.is_datetime64_any_dtype(ch["last_contact"])
    assert ch["last_contact"].isna().tolist() == [False, True, False]
    assert back["households"].crs.to_epsg() == 4326
    hh = back["households"].geometry
    assert hh.x.iloc[0] == pytest.approx(tiny_dataset["households"].geometry.x.iloc[0], abs=1e-9)


def test_every_contract_layer_is_written_with_its_types(tiny_dataset, tmp_path):
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    stored = {row[0] for row in pyogrio.list_layers(path)}
    assert set(LAYERS) <= stored
    info = pyogrio.read_info(path, layer="children")
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert types["last_contact"] == "OFTDate"
    assert types["birth_year"] in ("OFTInteger", "OFTInteger64")
    kit = pyogrio.read_info(path, layer="safety_kits")
    subtypes = dict(zip(kit["fields"], kit["ogr_subtypes"], strict=True))
    assert subtypes["sign"] == "OFSTBoolean"
    assert kit["crs"] == "EPSG:4326"


def test_missing_layers_read_as_empty(tmp_path):
    hh = empty_layer("households")
    path = write_dataset(Dataset({"households": hh}), tmp_path / "d.gpkg", include_empty=False)
    ds = read_dataset(path)
    assert "stations" not in ds
    assert list(ds["stations"].columns[:-1]) == LAYERS["stations"].column_names
    assert len(ds["stations"]) == 0


def test_lenient_reader_accepts_text_dates_int_ids_and_01_bools(tmp_path):
    path = tmp_path / "wild.gpkg"
    kits = gpd.GeoDataFrame(
        {"kit_id": [1, 2], "water_id": ["w", None], "sign": [1, 0], "buoy": [0, 1],
         "rope": [1, 1], "pole": [0, 0], "inspected_on": ["2024-03-01", ""]},
        geometry=[Point(117, 31), Point(117.1, 31)], crs=4326,
    )
    pyogrio.write_dataframe(kits, path, layer="safety_kits")
    ds = read_dataset(path)
    k = ds["safety_kits"]
    assert k["kit_id"].tolist() == ["1", "2"]
    assert k["sign"].tolist() == [True, False]
    assert k["inspected_on"].iloc[0] == pd.Timestamp("2024-03-01")
    assert pd.isna(k["inspected_on"].iloc[1])


def test_not_a_geopackage_is_one_clear_error(tmp_path):
    bad = tmp_path / "x.gpkg"
    bad.write_text("household_id,lon,lat\n")
    with pytest.raises(DatasetError, match="not a GeoPackage"):
        read_dataset(bad)
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset(tmp_path / "none.gpkg")


def test_missing_column_and_wrong_type_are_named_together(tmp_path):
    path = tmp_path / "d.gpkg"
    st = gpd.GeoDataFrame({"station_id": ["s1"], "kind": ["school"], "name": ["A"]},
                          geometry=[Point(117, 31)], crs=4326)
    pyogrio.write_dataframe(st, path, layer="stations")
    ch = pd.DataFrame({c: ["x"] for c in LAYERS["children"].column_names})
    ch["birth_year"] = ["twenty"]
    ch["left_behind"] = ["maybe"]
    pyogrio.write_dataframe(ch, path, layer="children")
    with pytest.raises(DatasetError) as err:
        read_dataset(path)
    msg = str(err.value)
    assert "'stations' lacks the required column(s) level" in msg
    assert "'birth_year'" in msg and "not of type int" in msg
    assert "'left_behind'" in msg


def test_wrong_crs_and_no_crs_are_errors(tmp_path):
    path = tmp_path / "d.gpkg"
    hh = gpd.GeoDataFrame({"household_id": ["h"], "village_code": ["1" * 12], "caregiver": ["none"]},
                          geometry=[Point(500000, 3500000)], crs=32650)
    pyogrio.write_dataframe(hh, path, layer="households")
    with pytest.raises(DatasetError, match="EPSG:32650"):
        read_dataset(path)
    path2 = tmp_path / "e.gpkg"
    pyogrio.write_dataframe(hh.set_crs(None, allow_override=True), path2, layer="households")
    with pytest.raises(DatasetError, match="no coordinate reference system"):
        read_dataset(path2)


def test_save_is_atomic_when_interrupted(tiny_dataset, tmp_path, monkeypatch):
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    before = path.read_bytes()
    import geo.store.dataset as store

    calls = {"n": 0}
    real = store._write_frame

    def crash_midway(p, name, frame):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt("power cut")
        real(p, name, frame)

    monkeypatch.setattr(store, "_write_frame", crash_midway)
    changed = tiny_dataset.copy()
    changed["households"] = changed["households"].iloc[:1]
    with pytest.raises(KeyboardInterrupt):
        write_dataset(changed, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["d.gpkg"]
    assert len(read_dataset(path)["households"]) == 3


def test_the_temp_file_is_built_unsynced_and_synced_once_complete(tiny_dataset, tmp_path,
                                                                     monkeypatch):
    """GDAL and the SQLite steps after it write the temp file without a sync at each commit;
    the finished file is synced (then renamed), is an ordinary GeoPackage, and GDAL's settings
    are restored, also after a crash."""
    import geo.store.dataset as store
    import geo.store.files as files

    seen, synced, built = [], [], []
    real_write, real_sync, real_building = store._write_frame, files.fsync_path, files.building

    def spy_write(p, name, frame):
        seen.append({k: pyogrio.get_gdal_config_option(k) for k in files.UNSYNCED_GDAL})
        real_write(p, name, frame)

    def spy_sync(p):
        synced.append(str(p))
        real_sync(p)

    def spy_building(p):
        con = real_building(p)
        built.append((con.execute("PRAGMA synchronous").fetchone()[0],
                      con.execute("PRAGMA journal_mode").fetchone()[0]))
        return con

    monkeypatch.setattr(store, "_write_frame", spy_write)
    monkeypatch.setattr(files, "fsync_path", spy_sync)
    monkeypatch.setattr(files, "building", spy_building)
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    assert seen and all(s == {"OGR_SQLITE_SYNCHRONOUS": False, "OGR_SQLITE_JOURNAL": "MEMORY"}
                        for s in seen)
    assert len(built) == 2 and set(built) == {(0, "memory")}  # dates declared, keys indexed
    assert len(synced) == 2 and synced[0].endswith(".tmp.gpkg") and synced[1] == str(tmp_path)
    assert all(pyogrio.get_gdal_config_option(k) is None for k in files.UNSYNCED_GDAL)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    assert [p.name for p in tmp_path.iterdir()] == ["d.gpkg"]
    assert len(read_dataset(path)["households"]) == len(tiny_dataset["households"])

    def crash(p, name, frame):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(store, "_write_frame", crash)
    with pytest.raises(KeyboardInterrupt):
        write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    assert all(pyogrio.get_gdal_config_option(k) is None for k in files.UNSYNCED_GDAL)
    assert [p.name for p in tmp_path.iterdir()] == ["d.gpkg"]


def test_overlapping_blocks_leave_gdal_options_as_they_were():
    """Two blocks that overlap (two threads' writes): the option stays set until the last one
    closes, then has its value from before the first."""
    from contextlib import ExitStack

    from geo.store.files import gdal_options

    key = "OGR_SQLITE_SYNCHRONOUS"
    assert pyogrio.get_gdal_config_option(key) is None
    first, second = ExitStack(), ExitStack()
    first.enter_context(gdal_options({key: "OFF"}))
    second.enter_context(gdal_options({key: "OFF"}))
    first.close()  # the first closes while the second is still open
    assert pyogrio.get_gdal_config_option(key) is False
    second.close()
    assert pyogrio.get_gdal_config_option(key) is None


def test_settings_table_round_trips(tiny_dataset, tmp_path):
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg", settings={"preset": "jilin"})
    assert read_dataset(path).settings == {"preset": "jilin"}
    con = sqlite3.connect(path)
    assert con.execute("select value from dataset_settings where key='preset'").fetchone() == ("jilin",)
    con.close()


def test_arrow_read_gives_the_row_readers_frames(province_path, tmp_path):
    """Every layer read through GDAL's Arrow stream equals the row-by-row read after coercion
    (types, missing values, dates, geometries), also on a file another tool made (QGIS-style
    text dates, integers stored as text)."""
    from geo.store.dataset import coerce_layer, read_frame
    from geo.store.schema import ALL_LAYERS

    foreign = tmp_path / "foreign.gpkg"
    kids = read_dataset(province_path)["children"].head(50).copy()
    kids["birth_year"] = kids["birth_year"].astype("string")
    kids["last_contact"] = kids["last_contact"].dt.strftime("%Y/%m/%d")
    pyogrio.write_dataframe(kids.astype(object).where(kids.notna(), None), foreign, layer="children")
    for path in (province_path, foreign):
        present = {row[0] for row in pyogrio.list_layers(path)}
        for name in present & set(ALL_LAYERS):
            geom = bool(ALL_LAYERS[name].geometry)
            rows = pyogrio.read_dataframe(path, layer=name, read_geometry=geom)
            cols = read_frame(path, layer=name, read_geometry=geom)
            if geom:
                rows, cols = rows.set_crs(4326, allow_override=True), cols.set_crs(4326, allow_override=True)
            a, pa = coerce_layer(name, rows)
            b, pb = coerce_layer(name, cols)
            pd.testing.assert_frame_equal(a, b)
            assert pa == pb


def test_stored_values_a_date_field_cannot_hold_read_as_before(tiny_dataset, tmp_path):
    """GDAL's Arrow stream makes 1970-01-01 of a DATE field's '' or 'not a date' (and 1 March of
    30 February): the date fields are read by the row reader, so they stay empty; a day that
    does not exist is a clear error, not a traceback."""
    path = write_dataset(tiny_dataset, tmp_path / "d.gpkg")
    con = sqlite3.connect(path)
    for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                  "AND tbl_name = 'children'").fetchall():
        con.execute(f'DROP TRIGGER "{trigger}"')
    for child, value in (("c1", ""), ("c2", "not a date"), ("c3", 2024)):
        con.execute("UPDATE children SET last_contact = ? WHERE child_id = ?", (value, child))
    con.commit()
    assert read_dataset(path)["children"]["last_contact"].isna().all()
    con.execute("UPDATE children SET last_home_visit = '2024-02-30' WHERE child_id = 'c1'")
    con.commit()
    con.close()
    with pytest.raises(DatasetError, match="children"):
        read_dataset(path)


_ODD = ["", " ", "not a date", "2024-02-30", "2023-02-29", "2024-13-01", "2024-1-2", " 2024-01-02",
        "2024-01-02 ", "2024-01-02T00:00:00", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z",
        "2024-01-02T03:04:05+08:00", "2024-01-02 03:04:05", "20240102", "0999-01-01", "0000-01-01",
        "0000-12-31T00:00:00Z", "2024-01-02T03:04:05", "2024-01-02T03:04:05.250", 2024, 3.5]


def _stored_values():
    from hypothesis import strategies as st

    days = st.dates(min_value=__import__("datetime").date(1, 1, 1))
    times = st.datetimes(min_value=__import__("datetime").datetime(1, 1, 1))
    return st.lists(st.one_of(
        days.map(lambda d: d.isoformat()),
        times.map(lambda t: t.isoformat(timespec="seconds") + ["Z", f".{t.microsecond // 1000:03d}Z", "",
                                                                f".{t.microsecond // 1000:03d}"][t.microsecond % 4]),
        st.none(), st.sampled_from(_ODD), st.text(max_size=12)), min_size=1, max_size=6)


def _read_or_error(read, path, **kwargs):
    try:
        return read(path, **kwargs).reset_index(drop=True)
    except DatasetError as exc:
        return type(exc)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # GDAL's word on each odd value
@pytest.mark.parametrize("field", ["DATE", "DATETIME"])
def test_date_fields_read_through_arrow_equal_the_row_reader(field, tmp_path_factory):
    """Whatever a date field holds (a date, a time, text, a number, 30 February), the Arrow
    read of the layer (or of a query on it) gives what the row reader gives, or the same error."""
    from hypothesis import given
    from hypothesis import settings as hsettings

    from geo.store.dataset import _row_read, read_frame

    template = tmp_path_factory.mktemp("dates") / "t.gpkg"
    first = pd.Timestamp("2024-01-02")
    import pyarrow as pa

    pyogrio.write_dataframe(gpd.GeoDataFrame(
        {"d": pd.Series([first.date()] * 6, dtype=pd.ArrowDtype(pa.date32())) if field == "DATE"
         else [first] * 6}, geometry=[Point(0, 0)] * 6, crs=4326), template, layer="t",
        use_arrow=True, SPATIAL_INDEX="NO")
    assert pyogrio.read_info(template, layer="t")["ogr_types"][0] == ("OFTDate" if field == "DATE"
                                                                     else "OFTDateTime")
    blank = template.read_bytes()
    path = template.with_name("v.gpkg")

    @hsettings(max_examples=80, deadline=None)
    @given(_stored_values())
    def check(values):
        path.write_bytes(blank)
        con = sqlite3.connect(path)
        con.execute(f"DELETE FROM t WHERE fid > {len(values)}")
        for fid, value in enumerate(values, start=1):
            con.execute("UPDATE t SET d = ? WHERE fid = ?", (value, fid))
        con.commit()
        con.close()
        # the layer, and the rows a filter picks (a county split from a file is read so)
        for how in ({"layer": "t"}, {"layer": "t", "where": "fid IN (SELECT fid FROM t WHERE fid > 1)"}):
            arrow = _read_or_error(read_frame, path, **how)
            rows = _read_or_error(_row_read, path, **how)
            if isinstance(rows, type):
                assert arrow is rows, values
            else:
                pd.testing.assert_series_equal(arrow["d"], rows["d"], check_dtype=False, obj=f"{how} {values}")

    check()


def test_only_date_fields_holding_odd_values_are_read_again(tmp_path):
    """The SQLite check finds the odd field (and only in the rows read); a clean one is left to
    the Arrow stream."""
    from geo.store.dataset import _odd_dates

    path = tmp_path / "t.gpkg"
    days = pd.to_datetime(["2024-01-02", "2024-03-04", "2024-05-06"])
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": days, "b": days, "n": [1, 2, 3]},
                                             geometry=[Point(0, 0)] * 3, crs=4326), path, layer="t",
                            SPATIAL_INDEX="NO")
    assert _odd_dates(path, "t", ["a", "b", "n"], ["a", "b"]) == []
    con = sqlite3.connect(path)
    con.execute("UPDATE t SET b = 'not a date' WHERE fid = 3")
    con.commit()
    con.close()
    assert _odd_dates(path, "t", ["a", "b", "n"], ["a", "b"]) == ["b"]
    assert _odd_dates(path, "t", ["a", "b", "n"], ["a", "b"], where="fid < 3") == []
    assert _odd_dates(path, "no such layer", ["a"], ["a"]) == ["a"]  # cannot tell: read again


def test_result_layers_with_mixed_or_date_objects_are_written_as_text(tmp_path):
    import datetime

    from geo.store.dataset import write_layers

    path = write_layers(tmp_path / "r.gpkg", {
        "mixed": pd.DataFrame({"m": ["a", 1, 2.5, None]}, dtype=object),
        "days": pd.DataFrame({"day": [datetime.date(2024, 1, 2), None]})})
    assert pyogrio.read_dataframe(path, layer="mixed")["m"].tolist()[:3] == ["a", "1", "2.5"]
    assert pyogrio.read_info(path, layer="days")["dtypes"].tolist() == ["object"]  # text, as before
