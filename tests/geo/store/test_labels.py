"""The one table of words: every contract layer, column and value labelled; frames labelled."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.store import labels, schema
from geo.store.labels import (
    column_label,
    english_schema_words,
    label,
    label_frame,
    value_label,
    weekday_label,
    with_place_names,
)


def test_every_contract_layer_column_and_value_has_both_words():
    for name, layer in schema.LAYERS.items():
        assert name in labels.LAYER_LABELS, name
        for col in layer.columns:
            assert col.name in labels.COLUMN_LABELS, (name, col.name)
            for choice in col.choices or ():
                assert choice in labels.VALUE_LABELS or choice in labels.COLUMN_VALUE_LABELS.get(col.name, {}), \
                    (name, col.name, choice)
    for table in (labels.LAYER_LABELS, labels.COLUMN_LABELS, labels.VALUE_LABELS, labels.MAP_LABELS):
        for key, (zh, en) in table.items():
            assert zh and en, key
            assert not english_schema_words(zh), (key, zh)  # the Chinese word is Chinese


def test_values_from_the_issue():
    assert value_label("canal", "zh") == "渠道"
    assert value_label("none", "zh") == "缺失"
    assert value_label("sign;buoy;rope;pole", "zh", "missing_items") == "警示牌、救生圈、救生绳、救生杆"
    assert value_label("sign;buoy", "en", "missing_items") == "Warning sign, Life buoy"
    assert value_label("school_day", "zh", "day_kind") == "上学日"
    assert value_label("summer_holiday;flood_season;weekend", "zh", "reasons") == "暑假、汛期、周末"
    assert value_label("none", "zh", "caregiver") == "无人照料"  # a column's own reading wins
    assert value_label("village", "zh", "station_level") == "村级阵地"
    assert value_label("village", "zh", "level") == "村"
    assert value_label(True, "zh") == "是" and value_label(False, "en") == "No"
    assert value_label(None) == "" and value_label(float("nan")) == ""
    assert value_label("外星人", "zh") == "外星人"  # unknown values pass unchanged


def test_weekdays_by_name():
    assert weekday_label(2, "zh") == "星期三"  # 0 = Monday: Wednesday is 2
    assert weekday_label(dt.date(2026, 11, 1), "zh") == "星期日"
    assert weekday_label(6, "en") == "Sunday"


def test_label_falls_back_to_the_key():
    assert label("stations", "zh") == "阵地与机构"
    assert label("legend", "en") == "Legend"
    assert label("no_such_key", "zh") == "no_such_key"
    assert column_label("no_such_column") == "no_such_column"


def _sites() -> pd.DataFrame:
    return pd.DataFrame({
        "site_id": pd.array(["W1-000", "W2-000"], dtype="string"),
        "kind": pd.array(["canal", "pond"], dtype="string"),
        "kit_status": ["none", "complete"],
        "missing_items": ["sign;buoy;rope;pole", ""],
        "barrier": [True, False],
        "children_100m": pd.array([3, 0], dtype="Int64"),
        "risk": [1.25, 0.5],
        "village_code": ["341199101201", None],
        "inspected_on": pd.to_datetime(["2026-05-01", None]),
    })


def test_label_frame_chinese_headers_values_and_place_names():
    admin = pd.DataFrame({"code": ["341199101", "341199101201"], "name": ["临塘乡", "沈铺村"]})
    out = label_frame(_sites(), "zh", admin_units=admin, township=True)
    assert list(out.columns) == ["点位编号", "类型", "“四个一”", "缺少", "防护栏", "100 米内儿童", "风险",
                                 "村代码", "乡镇", "村（社区）", "检查日期"]
    assert out["类型"].tolist() == ["渠道", "坑塘"]
    assert out["“四个一”"].tolist() == ["缺失", "齐全"]
    assert out["缺少"].tolist() == ["警示牌、救生圈、救生绳、救生杆", ""]
    assert out["防护栏"].tolist() == ["是", "否"]
    assert out["村（社区）"].tolist() == ["沈铺村", ""]
    assert out["乡镇"].tolist() == ["临塘乡", ""]
    assert out["点位编号"].tolist() == ["W1-000", "W2-000"]  # ids are never labelled
    # numbers stay numbers and dates stay dates (Excel writes them as such)
    assert pd.api.types.is_integer_dtype(out["100 米内儿童"]) and out["风险"].dtype == float
    assert pd.api.types.is_datetime64_any_dtype(out["检查日期"])
    assert not english_schema_words(" ".join(map(str, out.columns)) + out.astype(str).to_string())


def test_label_frame_english_and_selected_columns():
    out = label_frame(_sites(), "en", columns=["kind", "kit_status", "risk"])
    assert list(out.columns) == ["Kind", "Four ones", "Risk"]
    assert out["Kind"].tolist() == ["Canal", "Pond"]


def test_label_frame_weekday_and_duplicate_headers():
    frame = pd.DataFrame({"weekday": [0, 6], "county": ["a", "b"], "county_name": ["x", "y"]})
    out = label_frame(frame, "zh")
    assert out["星期"].tolist() == ["星期一", "星期日"]
    assert len(set(out.columns)) == 3  # "县" twice becomes "县" and "县 (2)"


def test_label_frame_keeps_geometry():
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"kind": ["pond"]}, geometry=[Point(0, 0)], crs="EPSG:4326")
    out = label_frame(frame, "zh")
    assert isinstance(out, gpd.GeoDataFrame) and out.geometry.name == "geometry"
    assert out["类型"].tolist() == ["坑塘"]


def test_with_place_names_code_column():
    frame = pd.DataFrame({"code": ["341199101", "999"], "children": [3, 4]})
    out = with_place_names(frame, {"341199101": "临塘乡"})
    assert list(out.columns) == ["code", "name", "children"]
    assert out["name"].tolist() == ["临塘乡", ""]


def test_english_schema_words_finds_identifiers_as_words():
    assert english_schema_words("状态 school_day，类型 canal / n6671") == ["school_day", "canal"]
    assert english_schema_words("下载 Excel · GPX · W000021-041") == []
    assert english_schema_words("kind", allow=["kind"]) == []
