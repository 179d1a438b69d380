"""No personal data stored, anywhere: planted probes through the real import (issue 12).

Before: 13 of 29 planted probes were stored (names in free text, full-width, dotted and
landline phones, a phone used as an id, ID numbers with a wrong check digit, 15-digit or
spaced). Each probe below is planted in a ledger, the ledgers are imported with
``import_file`` into one dataset, and then every table of the file is searched for it, as
typed and as bare digits. The figure the issue asks for: probes stored 0 of >= 29.
"""

from __future__ import annotations

import re
import sqlite3
import stat
from datetime import date

import pytest

from geo.ingest.imports import import_file
from geo.ingest.names import remove_names
from geo.ingest.pseudonym import is_id_card, is_phone
from geo.store.errors import ValidationError

TODAY = date(2025, 6, 1)
VILLAGE = "341199101001"

#: (where, probe, the text that must not be stored): names, phones and ID numbers.
NAMES = [
    ("visits.note", "张三丰", "张三丰"),
    ("visits.note", "监护人李建国不在家", "李建国"),
    ("visits.note", "家长：王秀英，外出务工", "王秀英"),
    ("visits.note", "户主赵小明说孩子在学校", "赵小明"),
    ("visits.note", "奶奶王桂兰照顾，情况良好", "王桂兰"),
    ("water.name", "司马懿", "司马懿"),
    ("water.responsible_unit", "欧阳修", "欧阳修"),
    ("water.responsible_unit", "河长周建华负责", "周建华"),
    ("inspections.note", "联系人:孙丽娜。", "孙丽娜"),
    ("inspections.note", "塘长钱学森说护栏坏了", "钱学森"),
]
PHONES = [
    ("visits.note", "电话13812345678", "13812345678"),
    ("visits.note", "手机１３９１２３４５６７０", "13912345670"),  # full-width digits
    ("visits.note", "138.1234.5679", "13812345679"),  # dotted
    ("visits.note", "联系 138 1234 5670", "13812345670"),  # spaced
    ("visits.note", "+86-139-1234-5671", "13912345671"),
    ("inspections.note", "座机0551-62345678", "055162345678"),  # landline
    ("inspections.note", "(0551)6234 5679", "055162345679"),
    ("inspections.note", "010-12345678", "01012345678"),
    ("visits.recorded_by", "13700001111", "13700001111"),
    ("water.responsible_unit", "13611112222", "13611112222"),
]
IDS = [
    ("children.child_id", "341199201501011230", "341199201501011230"),  # wrong check digit
    ("children.child_id", "341199150101123", "341199150101123"),  # 15 digits
    ("children.child_id", "3411 9920 1502 0212 3X", "34119920150202123X"),  # spaced
    ("children.child_id", "341199-20150303-1231", "341199201503031231"),  # dashed
    ("children.child_id", "３４１１９９２０１５０４０４１２３２", "341199201504041232"),  # full-width
    ("visits.note", "身份证341199201505051233", "341199201505051233"),
    ("visits.note", "证件 341199 20150606 1234", "341199201506061234"),
    ("visits.note", "旧证341199150707123", "341199150707123"),  # 15 digits in text
    ("inspections.note", "３４１１９９２０１５０８０８１２３５", "341199201508081235"),
]
PROBES = NAMES + PHONES + IDS


def _csv(path, header, rows):
    lines = [",".join(header)] + [",".join(f'"{v}"' for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ledgers(tmp_path):
    """The probes planted in households, children, visits, waters and inspections ledgers."""
    where = {}
    for place, probe, _ in PROBES:
        where.setdefault(place, []).append(probe)
    hh = _csv(tmp_path / "hh.csv", ["household_id", "village_code", "lon", "lat", "caregiver"],
              [["h1", VILLAGE, "117.0", "32.5", "parents"]])
    kids = _csv(tmp_path / "kids.csv", ["child_id", "household_id", "birth_year", "sex"],
                [[cid, "h1", "2015", "F"] for cid in where["children.child_id"]])
    notes = where["visits.note"]
    recorders = where["visits.recorded_by"]
    visits = _csv(tmp_path / "visits.csv",
                  ["visit_id", "child_id", "visited_on", "kind", "recorded_by", "note"],
                  [[f"v{i}", "c-other", "2025-05-01", "home_visit",
                    recorders[i] if i < len(recorders) else "dir1", note]
                   for i, note in enumerate(notes)])
    kids2 = _csv(tmp_path / "kids2.csv", ["child_id", "household_id", "birth_year", "sex"],
                 [["c-other", "h1", "2016", "M"]])
    names = where["water.name"]
    units = where["water.responsible_unit"]
    n = max(len(names), len(units))
    waters = _csv(tmp_path / "waters.csv", ["water_id", "kind", "name", "responsible_unit", "wkt"],
                  [[f"w{i}", "pond", names[i] if i < len(names) else "青龙塘",
                    units[i] if i < len(units) else "村委会",
                    f"POLYGON((117.0{i} 32.5,117.0{i}1 32.5,117.0{i}1 32.501,117.0{i} 32.501,117.0{i} 32.5))"]
                   for i in range(n)])
    inspections = _csv(tmp_path / "insp.csv", ["inspection_id", "water_id", "inspected_on", "note"],
                       [[f"i{i}", "w0", "2025-05-02", note]
                        for i, note in enumerate(where["inspections.note"])])
    return [("households", hh), ("children", kids), ("children", kids2), ("visits", visits),
            ("water_bodies", waters), ("inspections", inspections)]


def _stored_text(path) -> str:
    """Every value of every table of the dataset file, as text."""
    con = sqlite3.connect(path)
    parts = []
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        for row in con.execute(f'SELECT * FROM "{name}"'):
            parts += [str(v) for v in row if not isinstance(v, bytes)]
    con.close()
    return "\n".join(parts)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probes")
    into = tmp / "county.gpkg"
    results = [import_file(kind, src, into=into, today=TODAY) for kind, src in _ledgers(tmp)]
    return into, results


def test_at_least_29_probes(imported):
    assert len(PROBES) >= 29


@pytest.mark.parametrize("place, probe, secret", PROBES, ids=[p[1] for p in PROBES])
def test_no_probe_is_stored(imported, place, probe, secret):
    into, results = imported
    text = _stored_text(into)
    blob = into.read_bytes()
    assert secret not in text and secret.encode() not in blob
    if secret.isdigit() or secret[:-1].isdigit():
        assert secret not in _digits(text)  # not even with its separators removed


def test_the_rows_themselves_were_kept(imported):
    """Removing personal data loses no row: every ledger row is stored (text cleaned)."""
    into, results = imported
    assert all(r.quarantined == 0 for r in results), [r.problems for r in results]
    con = sqlite3.connect(into)
    counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
              for t in ("children", "visits", "water_bodies", "inspections")}
    con.close()
    planted = {t: sum(1 for place, _, _ in PROBES if place == f"{t}.note")
               for t in ("visits", "inspections")}
    assert counts == {"children": 6, "visits": planted["visits"], "water_bodies": 3,
                      "inspections": planted["inspections"]}


def test_the_report_counts_what_was_removed(imported):
    _, results = imported
    notices = "\n".join(en for r in results for en, _ in r.notices)
    assert "person name(s) removed from note" in notices
    assert "person name(s) removed from name" in notices
    assert "phone number(s) removed from note" in notices
    assert "replaced by pseudonyms" in notices


def test_a_phone_used_as_an_id_is_refused(tmp_path):
    src = _csv(tmp_path / "hh.csv", ["household_id", "village_code", "lon", "lat"],
               [["13812345678", VILLAGE, "117.0", "32.5"], ["139 1234 5678", VILLAGE, "117.0", "32.5"],
                ["h3", VILLAGE, "117.0", "32.5"]])
    into = tmp_path / "d.gpkg"
    with pytest.raises(ValidationError, match="phone numbers in most rows") as info:
        import_file("households", src, into=into, today=TODAY)
    assert "电话号码" in str(info.value)
    assert not into.exists()  # nothing was written


def test_the_pseudonym_key_is_not_in_the_file_and_an_old_salt_moves_out(tmp_path):
    from geo.ingest.pseudonym import pseudonym
    from geo.store.dataset import Dataset, read_dataset, write_dataset
    from geo.store.keys import key_path, read_keys

    into = tmp_path / "old.gpkg"
    write_dataset(Dataset(settings={"pseudonym_salt": "old-salt-in-the-file"}), into)
    hh = _csv(tmp_path / "hh.csv", ["household_id", "village_code", "lon", "lat"],
              [["h1", VILLAGE, "117.0", "32.5"]])
    import_file("households", hh, into=into, today=TODAY)
    src = _csv(tmp_path / "kids.csv", ["身份证号", "household_id", "birth_year"],
               [["341199201501011237", "h1", "2015"]])
    res = import_file("children", src, into=into, today=TODAY)
    assert res.imported == 1, res.problems
    assert b"old-salt-in-the-file" not in into.read_bytes()
    assert "pseudonym_salt" not in read_dataset(into).settings
    assert read_keys(into)["pseudonym"] == "old-salt-in-the-file"  # the ids it made stay
    kid = read_dataset(into)["children"]["child_id"].iloc[0]
    assert kid == pseudonym("341199201501011237", "old-salt-in-the-file", prefix="C")
    assert stat.S_IMODE(key_path(into).stat().st_mode) == 0o600


def test_quarantine_files_are_0600_and_say_they_hold_raw_rows(tmp_path):
    src = _csv(tmp_path / "hh.csv", ["household_id", "village_code", "lon", "lat"],
               [["h1", "not-a-code", "117.0", "32.5"]])
    res = import_file("households", src, into=tmp_path / "d.gpkg", today=TODAY)
    assert res.quarantined == 1
    assert stat.S_IMODE(res.quarantine_path.stat().st_mode) == 0o600
    words = res.summary("en") + " " + " ".join(en for en, _ in res.notices)
    assert "raw rows" in words


@pytest.mark.parametrize("text", ["青龙河", "王家塘", "黄河", "李庄水库", "白马湖", "村委会",
                                  "学生安全教育已完成", "孩子全部在家", "已上门，孩子在家，奶奶说学习好"])
def test_places_and_plain_notes_are_left_alone(text):
    assert remove_names(text) == (text, 0)


@pytest.mark.parametrize("value, phone, idc", [
    ("13812345678", True, False), ("１３８１２３４５６７８", True, False), ("0551-62345678", True, False),
    ("341199201501011230", False, True), ("341199150101123", False, True),
    (VILLAGE, False, False), ("H000123", False, False), ("2025-05-01", False, False),
])
def test_patterns(value, phone, idc):
    assert is_phone(value) is phone and is_id_card(value) is idc
