"""Child-director staffing: the >30 rule (000 §16), hand-made villages."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.field.staffing import COLUMNS, directors_needed, village_staffing
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import SettingsError


def _dataset(n_by_village: dict[str, int], directors: dict[str, int], extra_out_of_scope: int = 0) -> Dataset:
    hh, ch = [], []
    for code, n in n_by_village.items():
        for i in range(n + extra_out_of_scope):
            hid = f"{code}-h{i}"
            hh.append({"household_id": hid, "village_code": code, "caregiver": "grandparents"})
            scope = i < n
            ch.append({"child_id": f"{code}-c{i}", "household_id": hid, "left_behind": scope and i % 2 == 0,
                       "difficulty": "family" if scope and i % 2 == 1 else None})
    codes = list(n_by_village)
    admin = gpd.GeoDataFrame(
        {"code": codes, "name": [f"V{c[-3:]}" for c in codes], "level": ["village"] * len(codes),
         "parent_code": ["340123101"] * len(codes)},
        geometry=[box(i, 0, i + 0.01, 0.01) for i in range(len(codes))], crs="EPSG:4326",
    )
    households = gpd.GeoDataFrame(pd.DataFrame(hh), geometry=gpd.points_from_xy([0.001] * len(hh), [0.001] * len(hh)),
                                  crs="EPSG:4326")
    children = pd.DataFrame(ch)
    cd = pd.DataFrame({"village_code": list(directors), "directors": list(directors.values())})
    return Dataset({"admin_units": admin, "households": households, "children": children, "child_directors": cd})


def test_directors_needed_rule():
    assert directors_needed([0, 1, 30, 31, 60, 61, 90, 91]).tolist() == [1, 1, 1, 2, 2, 3, 3, 4]
    assert directors_needed([31], per_director=40).tolist() == [1]


def test_directors_needed_reads_settings(monkeypatch):
    monkeypatch.setattr(settings, "children_per_director", 10)
    assert directors_needed([11]).tolist() == [2]
    monkeypatch.setattr(settings, "children_per_director", 0)
    with pytest.raises(SettingsError):
        directors_needed([11])


def test_village_staffing_31_and_30():
    ds = _dataset({"340123101001": 31, "340123101002": 30, "340123101003": 0},
                  {"340123101001": 1, "340123101002": 1}, extra_out_of_scope=5)
    out = village_staffing(ds).set_index("village_code")
    assert list(village_staffing(ds).columns[: len(COLUMNS)]) == COLUMNS
    assert out.loc["340123101001", "children_in_scope"] == 31   # out-of-scope children not counted
    assert out.loc["340123101001", "directors_needed"] == 2
    assert out.loc["340123101001", "shortfall"] == 1
    assert out.loc["340123101002", "directors_needed"] == 1
    assert out.loc["340123101002", "shortfall"] == 0
    # a village with no children in scope and no director still needs one
    assert out.loc["340123101003", "directors_needed"] == 1
    assert out.loc["340123101003", "shortfall"] == 1
    assert out.loc["340123101001", "name"] == "V001"
    # largest shortfall first; geometry kept for the map
    assert village_staffing(ds).iloc[0]["shortfall"] == 1
    assert isinstance(village_staffing(ds), gpd.GeoDataFrame)


def test_staffing_without_admin_units_is_a_table():
    ds = _dataset({"340123101001": 3}, {})
    ds._layers.pop("admin_units")
    out = village_staffing(ds)
    assert not isinstance(out, gpd.GeoDataFrame)
    assert out["directors"].tolist() == [0] and out["shortfall"].tolist() == [1]
    assert np.isnan(pd.to_numeric(out["name"], errors="coerce")).all()
