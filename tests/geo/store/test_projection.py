from __future__ import annotations

import pytest

from geo.store.dataset import Dataset
from geo.store.errors import CRSError
from geo.store.projection import is_metric, metric_crs_for


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
