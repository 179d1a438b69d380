from __future__ import annotations

import pyproj
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geo.store.dataset import Dataset
from geo.store.errors import CRSError
from geo.store.projection import is_metric, metric_crs_for, utm_code


def test_metric_crs_is_the_utm_zone_of_the_area():
    assert metric_crs_for((116.9, 31.5, 117.2, 31.8)).to_epsg() == 32650
    assert metric_crs_for((103.0, 30.0, 104.0, 31.0)).to_epsg() == 32648


def test_metric_gives_metric_layers_without_touching_input(tiny_dataset):
    out = tiny_dataset.metric()
    assert is_metric(out.crs)
    assert tiny_dataset.crs.to_epsg() == 4326
    assert tiny_dataset.metric_crs.to_epsg() == 32650
    d = out["households"].distance(out["water_bodies"].geometry.iloc[0])
    assert d.round(3).tolist() == pytest.approx([50.0, 150.0, 600.0], abs=0.01)


def test_bad_bounds_and_non_metric_targets_raise(tiny_dataset):
    with pytest.raises(CRSError):
        metric_crs_for((500000, 3500000, 500100, 3500100))
    with pytest.raises(CRSError, match="not a metric"):
        Dataset(dict(tiny_dataset), metric_crs="EPSG:4326")


def _database_zone(lon: float, lat: float) -> int | None:
    """The zone as the EPSG database's areas of use give it (the slow, reference way)."""
    infos = pyproj.database.query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=pyproj.aoi.AreaOfInterest(lon, lat, lon, lat))
    return int(infos[0].code) if infos else None


@settings(max_examples=60, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-90, 90))
@example(lon=1e-114, lat=0.0)
@example(lon=-1e-114, lat=-1e-300)
@example(lon=113.99999999999999, lat=22.5)
def test_utm_rule_agrees_with_the_epsg_database(lon, lat):
    assert utm_code(lon, lat) == _database_zone(lon, lat) or utm_code(lon, lat) is None


@pytest.mark.parametrize("lon", range(-180, 181, 12))
@pytest.mark.parametrize("lat", [-80.0, -0.5, 0.0, 84.0])
def test_utm_rule_on_zone_edges_and_the_equator(lon, lat):
    # on an edge the database gives the western zone, on the equator the northern one
    assert utm_code(lon, lat) == _database_zone(lon, lat)
