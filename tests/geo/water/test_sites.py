"""Water sites: cutting lines and shorelines into pieces, small ponds whole, stable ids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Polygon

from geo.store import settings
from geo.store.errors import CRSError, ValidationError
from geo.water.sites import cut_lines, sites_from_water

CRS = "EPSG:32650"


def _water(geoms, kinds=None, ids=None):
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"water_id": ids or [f"w{i}" for i in range(n)], "kind": kinds or ["canal"] * n,
         "barrier": [False] * n},
        geometry=geoms, crs=CRS,
    )


def test_tiny_dataset_sites(tiny_dataset):
    sites = sites_from_water(tiny_dataset.metric()["water_bodies"])
    assert list(sites["site_id"]) == ["w1-000", "w2-000", "w2-001", "w2-002", "w2-003"]
    pond = sites.iloc[0]
    assert pond["whole"] and pond["kind"] == "pond" and pond.geometry.geom_type == "Polygon"
    assert pond["length_m"] == pytest.approx(400.0, abs=0.01)  # perimeter of the 100 m square
    canal = sites.iloc[1:]
    assert np.allclose(canal["length_m"], 500.0, atol=0.01)  # 2,000 m canal in 4 equal pieces
    assert canal["barrier"].all() and not pond["barrier"]


def test_cut_lines_hand_case():
    # 1000 m east then 1200 m north = 2200 m -> 5 pieces of 440 m
    pieces, src = cut_lines(np.array([LineString([(0, 0), (1000, 0), (1000, 1200)])]), 500)
    assert len(pieces) == 5 and list(src) == [0] * 5
    assert np.allclose(shapely.length(pieces), 440.0)
    assert pieces[2].coords[:] == [(880, 0), (1000, 0), (1000, 320)]
    assert pieces[0].coords[0] == (0, 0) and pieces[-1].coords[-1] == (1000, 1200)


def test_big_polygon_shoreline_and_hole():
    lake = Polygon([(0, 0), (1000, 0), (1000, 1000), (0, 1000)], [[(100, 100), (200, 100), (200, 200), (100, 200)]])
    pond = Polygon([(5000, 0), (5200, 0), (5200, 200), (5000, 200)])  # perimeter 800 <= 1000
    cistern = Polygon([(8000, 0), (8400, 0), (8400, 400), (8000, 400)])  # 1600 m but a cistern
    sites = sites_from_water(_water([lake, pond, cistern], kinds=["lake", "pond", "cistern"]))
    lake_sites = sites[sites["water_id"] == "w0"]
    assert len(lake_sites) == 8 + 1  # 4,000 m outer ring in 8 pieces + the 400 m hole
    assert lake_sites["length_m"].sum() == pytest.approx(4400.0)
    assert not lake_sites["whole"].any()
    assert sites.loc[sites["water_id"] == "w1", "whole"].tolist() == [True]
    assert sites.loc[sites["water_id"] == "w2", "whole"].tolist() == [True]


def test_small_perimeter_factor_setting(monkeypatch):
    pond = Polygon([(0, 0), (300, 0), (300, 300), (0, 300)])  # perimeter 1,200 m
    assert len(sites_from_water(_water([pond], kinds=["pond"]))) == 3
    monkeypatch.setattr(settings, "site_small_perimeter_factor", 3.0)
    assert len(sites_from_water(_water([pond], kinds=["pond"]))) == 1


def test_multiline_ids_continue_across_parts():
    ml = MultiLineString([[(0, 0), (600, 0)], [(0, 100), (300, 100)]])
    sites = sites_from_water(_water([ml]))
    assert list(sites["site_id"]) == ["w0-000", "w0-001", "w0-002"]


def test_ids_stable_and_unique_ids_required():
    line = LineString([(0, 0), (1700, 0)])
    a = sites_from_water(_water([line]))
    b = sites_from_water(_water([line]))
    assert list(a["site_id"]) == list(b["site_id"]) and a.geometry.geom_equals(b.geometry).all()
    with pytest.raises(ValidationError, match="not unique"):
        sites_from_water(_water([line, line], ids=["x", "x"]))


def test_errors():
    with pytest.raises(CRSError, match="metric"):
        sites_from_water(_water([LineString([(0, 0), (1, 1)])]).to_crs("EPSG:4326"))
    with pytest.raises(ValidationError, match="positive"):
        sites_from_water(_water([LineString([(0, 0), (1, 1)])]), max_length=0)


@hsettings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)), min_size=2, max_size=12),
    st.floats(50, 2000),
)
def test_pieces_cover_the_line(points, max_length):
    line = LineString(points)
    pieces, _ = cut_lines(np.array([line]), max_length)
    total = line.length
    lengths = shapely.length(pieces)
    assert lengths.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert (lengths <= max_length + 1e-6).all()
    assert len(pieces) == max(1, int(np.ceil(total / max_length - 1e-9)))
    assert np.allclose(lengths, total / len(pieces), atol=1e-6)
    # consecutive pieces join
    for a, b in zip(pieces[:-1], pieces[1:], strict=True):
        assert np.allclose(a.coords[-1], b.coords[0])
