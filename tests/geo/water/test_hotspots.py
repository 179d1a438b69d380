"""Gi* hot spots: z-scores against esda, FDR bins by hand, hexagon aggregation."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import stats

from geo.store import settings
from geo.store.errors import ValidationError
from geo.water.hotspots import band_pairs, fdr_bins, gi_star, hotspots, risk_to_hexagons

CRS = "EPSG:32650"


def _sites(xy, risk):
    return gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(len(xy))], "risk": risk,
         "kit_status": ["none"] * len(xy), "children_100m": np.arange(len(xy))},
        geometry=shapely.points(xy), crs=CRS,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_z_equals_esda(seed):
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 8000, (300, 2)) + 500_000
    y = rng.gamma(1.5, 2.0, 300) + np.where(xy[:, 0] < 502_000, 3.0, 0.0)
    band = 1000.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(xy, threshold=band, binary=True, silence_warnings=True)
        ref = esda.G_Local(y, w, star=True, transform="B", permutations=0)
    got = hotspots(_sites(xy, y), band=band)
    finite = np.isfinite(ref.Zs)
    assert finite.sum() > 250
    assert np.allclose(got["gi_z"].to_numpy()[finite], ref.Zs[finite], atol=1e-6, rtol=0)
    # esda's p_norm is one-sided; ours is the two-sided value the GIS tools report
    assert np.allclose(got["gi_p"].to_numpy()[finite], 2 * ref.p_norm[finite], atol=1e-9)
    g, _ = gi_star(y, band_pairs(xy, band))
    assert np.allclose(g, ref.Gs, atol=1e-12)


def test_fdr_bins_by_hand():
    # 10 p-values; BH critical at alpha: largest k with p_(k) <= k alpha / 10
    p = np.array([0.001, 0.004, 0.008, 0.012, 0.03, 0.04, 0.2, 0.5, 0.7, 0.9])
    z = np.array([3, -3, 3, 3, -2, 2, 1, 1, -1, 1], dtype=float)
    # alpha .01: k=1 (0.001<=0.001), k=2 (0.004>0.002) -> crit 0.001 -> only p=0.001
    # alpha .05: thresholds k*0.005: 0.001, 0.004<=0.01, 0.008<=0.015, 0.012<=0.02, 0.03>0.025, 0.04>0.03 -> k=4
    # alpha .10: thresholds k*0.01: 0.03<=0.05, 0.04<=0.06, 0.2>0.07 -> k=6, crit 0.04
    assert fdr_bins(z, p).tolist() == [3, -2, 2, 2, -1, 1, 0, 0, 0, 0]
    # without the correction the plain thresholds apply
    assert fdr_bins(z, p, fdr=False).tolist() == [3, -3, 3, 2, -2, 2, 0, 0, 0, 0]
    assert fdr_bins(np.array([]), np.array([])).tolist() == []


def test_hot_cluster_is_found_and_setting_used(monkeypatch):
    rng = np.random.default_rng(3)
    grid = np.array([(x, y) for x in range(0, 20_000, 400) for y in range(0, 8_000, 400)], float)
    risk = rng.uniform(0, 1, len(grid))
    hot = (grid[:, 0] < 2000) & (grid[:, 1] < 2000)
    risk[hot] += 10
    res = hotspots(_sites(grid, risk), band=1000)
    assert (res.loc[hot, "gi_bin"] == 3).mean() > 0.8
    assert (res.loc[~hot & (grid[:, 0] > 5000), "gi_bin"] > 0).sum() == 0
    assert (res["gi_neighbours"] >= 1).all()
    monkeypatch.setattr(settings, "hotspot_band_m", 1.0)  # everyone alone: z = 0 where var==0? no: card 1
    alone = hotspots(_sites(grid, risk))
    assert (alone["gi_neighbours"] == 1).all()


def test_constant_values_give_zero_z():
    res = hotspots(_sites(np.array([(0, 0), (10, 0), (5000, 0)], float), [2.0, 2.0, 2.0]))
    assert res["gi_z"].tolist() == [0, 0, 0] and res["gi_p"].tolist() == [1, 1, 1]
    assert res["gi_bin"].tolist() == [0, 0, 0]


def test_p_is_two_sided_normal():
    _, z = gi_star(np.array([1.0, 5, 2, 8, 3]), band_pairs(np.array([(0, 0), (1, 0), (2, 0), (50, 0), (51, 0)], float), 5))
    res = hotspots(_sites(np.array([(0, 0), (1, 0), (2, 0), (50, 0), (51, 0)], float), [1.0, 5, 2, 8, 3]), band=5)
    assert np.allclose(res["gi_p"], 2 * stats.norm.sf(np.abs(z)))


def test_band_must_be_positive():
    with pytest.raises(ValidationError, match="band"):
        hotspots(_sites(np.array([(0, 0)], float), [1.0]), band=0)


def test_risk_to_hexagons():
    xy = np.array([(500_000, 3_500_000), (500_010, 3_500_010), (520_000, 3_500_000)], float)
    sites = _sites(xy, [1.0, 2.0, 4.0])
    sites.loc[1, "kit_status"] = "complete"
    hexes = risk_to_hexagons(sites, resolution=8)
    assert len(hexes) == 2 and hexes.crs == sites.crs
    assert sorted(hexes["risk"]) == [3.0, 4.0]
    two = hexes[hexes["sites"] == 2].iloc[0]
    assert two["sites_without_kit"] == 1 and two["max_risk"] == 2.0 and two["children_100m"] == 1
    assert hexes.contains(sites.geometry.iloc[[0, 0]].reset_index(drop=True)).any()
    assert len(risk_to_hexagons(sites.iloc[:0])) == 0
    with pytest.raises(ValidationError, match="resolution"):
        risk_to_hexagons(sites, resolution=16)
