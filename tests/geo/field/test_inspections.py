"""Inspections: append-only records that change kit status and risk at once (through water_sites)."""

from __future__ import annotations

import pytest

from geo.field.inspections import inspection_history, record_inspection, store_inspection
from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import PermissionDenied, ValidationError
from geo.water.pipeline import water_sites


def _pond(ds):
    sites = water_sites(ds)
    return sites[sites["water_id"] == "w1"].iloc[0]


def test_inspection_completes_kit_and_lowers_risk(tiny_dataset):
    before = _pond(tiny_dataset)
    assert before["kit_status"] == "partial"           # k1 lacks its pole
    ds = record_inspection(tiny_dataset, on="2024-06-01", kit_id="k1", sign=True, buoy=True, rope=True, pole=True,
                           recorded_by="officer")
    after = _pond(ds)
    assert after["kit_status"] == "complete"
    assert after["risk"] < before["risk"]
    assert len(tiny_dataset["inspections"]) == 0 and len(ds["inspections"]) == 1
    # a later inspection finds the buoy gone: partial again; the history keeps both
    ds2 = record_inspection(ds, on="2024-06-20", kit_id="k1", sign=True, buoy=False, rope=True, pole=True)
    assert _pond(ds2)["kit_status"] == "partial"
    hist = inspection_history(ds2, kit_id="k1")
    assert len(hist) == 2 and not bool(hist["buoy"].iloc[0]) and bool(hist["buoy"].iloc[1])


def test_barrier_inspection_changes_risk(tiny_dataset):
    before = _pond(tiny_dataset)
    ds = record_inspection(tiny_dataset, on="2024-06-01", water_id="w1", barrier=True)
    assert bool(_pond(ds)["barrier"]) and _pond(ds)["risk"] < before["risk"]


def test_errors_gathered(tiny_dataset):
    with pytest.raises(ValidationError) as err:
        record_inspection(tiny_dataset, on="2999-01-01", kit_id="nope", sign=True)
    msg = str(err.value)
    assert "nope" in msg and "buoy" in msg and "future" in msg
    with pytest.raises(ValidationError, match="name a kit"):
        record_inspection(tiny_dataset, on="2024-01-01")
    with pytest.raises(ValidationError, match="barrier"):
        record_inspection(tiny_dataset, on="2024-01-01", water_id="w1")


def test_store_inspection_in_file(tiny_dataset, tmp_path):
    from geo.privacy.roles import User

    path = tmp_path / "ds.gpkg"
    write_dataset(tiny_dataset, path)
    officer = User("o1", "safety_officer", "")
    store_inspection(path, user=officer, on="2024-06-01", kit_id="k1", sign=True, buoy=True, rope=True, pole=True)
    ds = read_dataset(path)
    assert len(ds["inspections"]) == 1 and ds["inspections"]["kit_id"].iloc[0] == "k1"
    assert _pond(ds)["kit_status"] == "complete"
    with pytest.raises(PermissionDenied):
        store_inspection(path, user=User("l1", "leader", ""), on="2024-06-01", water_id="w1", barrier=True)
