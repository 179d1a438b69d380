"""Shared fixtures: small hand-made datasets whose answers can be computed by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from geo.store.dataset import Dataset, write_dataset


@pytest.fixture
def tiny_dataset() -> Dataset:
    """A village with a 100 m square pond, three households at 50, 150 and 600 m from it."""
    # EPSG:32650 (UTM 50N) metres around 500000, 3500000 -> lon ~117, lat ~31.6
    crs = "EPSG:32650"
    x0, y0 = 500_000.0, 3_500_000.0
    pond = Polygon([(x0, y0), (x0 + 100, y0), (x0 + 100, y0 + 100), (x0, y0 + 100)])
    village = Polygon([(x0 - 2000, y0 - 2000), (x0 + 2000, y0 - 2000), (x0 + 2000, y0 + 2000), (x0 - 2000, y0 + 2000)])
    admin = gpd.GeoDataFrame(
        {"code": ["340123101001"], "name": ["Test village"], "level": ["village"], "parent_code": ["340123101"]},
        geometry=[village], crs=crs,
    )
    households = gpd.GeoDataFrame(
        {"household_id": ["h1", "h2", "h3"], "village_code": ["340123101001"] * 3,
         "caregiver": ["grandparents", "parents", "parents"]},
        geometry=[Point(x0 + 150, y0 + 50), Point(x0 + 250, y0 + 50), Point(x0 + 700, y0 + 50)],
        crs=crs,
    )
    water = gpd.GeoDataFrame(
        {"water_id": ["w1", "w2"], "kind": ["pond", "canal"], "name": ["Pond", None],
         "responsible_unit": [None, None], "barrier": [False, True]},
        geometry=[pond, LineString([(x0 - 1000, y0 - 500), (x0 + 1000, y0 - 500)])], crs=crs,
    )
    kits = gpd.GeoDataFrame(
        {"kit_id": ["k1"], "water_id": ["w1"], "sign": [True], "buoy": [True], "rope": [True],
         "pole": [False], "inspected_on": pd.to_datetime(["2024-05-01"])},
        geometry=[Point(x0 + 50, y0 - 10)], crs=crs,
    )
    children = pd.DataFrame(
        {"child_id": ["c1", "c2", "c3"], "household_id": ["h1", "h2", "h3"],
         "birth_year": [2021, 2015, 2010], "sex": ["M", "F", "M"], "left_behind": [True, False, False],
         "difficulty": ["family", None, "self;guardianship"], "guardianship": ["average", "good", "good"],
         "disability": [False, False, True], "serious_illness": [False] * 3, "psych_concern": [False] * 3,
         "lives_alone": [False] * 3, "single_parent": [False] * 3,
         "last_contact": pd.to_datetime(["2024-04-01", None, "2024-05-20"]),
         "last_home_visit": pd.to_datetime(["2024-01-01", None, None])}
    )
    return Dataset(
        {"admin_units": admin, "households": households, "water_bodies": water,
         "safety_kits": kits, "children": children}
    ).to_crs("EPSG:4326")


@pytest.fixture
def two_villages_path(tmp_path) -> Path:
    """``privacy_data.two_villages()`` written to ``tmp_path / "county.gpkg"``."""
    from privacy_data import two_villages

    path = tmp_path / "county.gpkg"
    write_dataset(two_villages(), path)
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """The app's data folder pointed at ``tmp_path``, with no ``CHILDSAFE_USER`` signed in."""
    from geo.store import settings

    monkeypatch.setattr(settings, "data_dir", tmp_path)
    monkeypatch.delenv("CHILDSAFE_USER", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def province_path(tmp_path_factory) -> Path:
    """A small three-county province (the demo generator, 0.05 standard county each)."""
    from geo.demo.make import make_demo, write_demo

    path = tmp_path_factory.mktemp("province") / "province.gpkg"
    write_demo(make_demo(seed=5, scale=0.15, counties=3), path)
    return path
# the throwaway PostgreSQL + PostGIS cluster of the PostGIS store's tests (tests/pg.py)
from pg import pg_server, pg_url  # noqa: E402, F401
