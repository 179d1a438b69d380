"""The content hash that keys a county's result: equal content, equal hash; any change of a
value, a missing value, the row order, a column's type or a geometry, another hash."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.distributed.runner import frame_hash


def _frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "child_id": pd.array(["c1", "c2", None], dtype="string"),
        "birth_year": pd.array([2015, pd.NA, 2019], dtype="Int64"),
        "left_behind": [True, False, True],
        "last_contact": pd.to_datetime(["2026-01-05", None, "2026-03-01"]).astype("datetime64[ms]"),
        "score": [0.5, np.nan, 1.25],
    }, geometry=[Point(100.0, 30.0), Point(100.1, 30.1), None], crs="EPSG:4326")


CHANGES = {
    "a text": lambda f: f.assign(child_id=pd.array(["c1", "c3", None], dtype="string")),
    "a missing text given": lambda f: f.assign(child_id=pd.array(["c1", "c2", "c4"], dtype="string")),
    "a missing number given": lambda f: f.assign(birth_year=pd.array([2015, 2016, 2019], dtype="Int64")),
    "a flag": lambda f: f.assign(left_behind=[True, True, True]),
    "a date": lambda f: f.assign(last_contact=f["last_contact"].fillna(pd.Timestamp("2026-02-01"))),
    "a number by 1e-12": lambda f: f.assign(score=[0.5, np.nan, 1.25 + 1e-12]),
    "a point": lambda f: f.set_geometry([Point(100.0, 30.0), Point(100.1, 30.2), None]),
    "the row order": lambda f: f.iloc[[1, 0, 2]],
    "a column's type": lambda f: f.assign(birth_year=f["birth_year"].astype("float64")),
    "a column's name": lambda f: f.rename(columns={"score": "risk"}),
}


def test_equal_content_hashes_alike():
    assert frame_hash(_frame()) == frame_hash(_frame().copy())
    # a missing value hashes alike however it is written in its type
    f = _frame().assign(score=[0.5, None, 1.25])
    assert frame_hash(f) == frame_hash(_frame())


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_each_change_hashes_otherwise(change):
    assert frame_hash(CHANGES[change](_frame())) != frame_hash(_frame())
