"""Station siting: network coverage matrix, optima against spopt (MCLP, LSCP with CBC)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.reach.access import household_access
from geo.reach.roads import build_network
from geo.reach.siting import network_coverage_matrix, read_candidates, site_stations, siting_demand
from geo.store.dataset import Dataset
from geo.store.errors import MissingLayerError, SettingsError, ValidationError

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0


def gdf(data, geoms):
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def grid_dataset(seed, n=8, step=400.0, n_hh=60, n_st=1, oneway_share=0.0):
    rng = np.random.default_rng(seed)
    pts = np.array([[X0 + i * step + rng.uniform(-60, 60), Y0 + j * step + rng.uniform(-60, 60)]
                    for i in range(n) for j in range(n)]).reshape(n, n, 2)
    lines = []
    for i in range(n):
        for j in range(n):
            if i + 1 < n and rng.random() > 0.15:
                lines.append(LineString([pts[i, j], pts[i + 1, j]]))
            if j + 1 < n and rng.random() > 0.15:
                lines.append(LineString([pts[i, j], pts[i, j + 1]]))
    span = step * (n - 1)
    roads = gdf({"road_id": [str(i) for i in range(len(lines))], "road_class": ["rural"] * len(lines),
                 "oneway": list(rng.random(len(lines)) < oneway_share)}, lines)
    hxy = rng.uniform(0, span, (n_hh, 2))
    hh = gdf({"household_id": [f"h{i}" for i in range(n_hh)],
              "village_code": [f"340123101{(i % 3) + 1:03d}" for i in range(n_hh)]},
             [Point(X0 + x, Y0 + y) for x, y in hxy])
    kids = rng.integers(1, 4, n_hh)
    children = pd.DataFrame({"child_id": [f"c{i}" for i in range(kids.sum())],
                             "household_id": np.repeat(hh["household_id"].to_numpy(), kids)})
    sxy = rng.uniform(0, span, (n_st, 2))
    stations = gdf({"station_id": [f"s{i}" for i in range(n_st)], "kind": ["childrens_home"] * n_st,
                    "level": ["village"] * n_st}, [Point(X0 + x, Y0 + y) for x, y in sxy])
    return Dataset({"roads": roads, "households": hh, "children": children, "stations": stations})


@pytest.mark.parametrize(("seed", "mode"), [(0, "walk"), (1, "drive"), (2, "drive")])
def test_network_coverage_matrix_equals_full_searches(seed, mode):
    ds = grid_dataset(seed, oneway_share=0.3)
    net = build_network(ds["roads"])
    rng = np.random.default_rng(seed)
    cands = gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in rng.uniform(0, 2800, (25, 2))], crs=CRS)
    radius = 900.0
    cov = network_coverage_matrix(net, ds["households"].geometry, cands, radius=radius, mode=mode,
                                  batch=7).toarray()
    std = {"village": (radius, mode)}
    for j, p in enumerate(cands):
        one = gdf({"station_id": ["x"], "kind": ["childrens_home"], "level": ["village"]}, [p])
        full = household_access(ds["households"], one, level="village", network=net, standards=std)
        np.testing.assert_array_equal(cov[:, j], full["covered"].to_numpy(), err_msg=f"candidate {j}")


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_best_k_equals_spopt_mclp(seed):
    import pulp
    from spopt.locate import MCLP

    ds = grid_dataset(seed)
    res = site_stations(ds, level="village", new=3, radius=700.0, metric="network")
    assert res.status == "optimal"
    # the same matrix, given to spopt as a cost matrix (0 = covered, 1 = not)
    net = build_network(ds["roads"])
    from geo.reach.access import child_access
    from geo.reach.siting import default_candidates

    acc = child_access(ds, levels=["village"], network=net, standards={"village": (700.0, "walk")})
    demand, covered, _ = siting_demand(ds, acc, level="village")
    cand = default_candidates(ds, net, demand, radius=700.0)
    assert len(cand) == res.n_candidates
    cov = network_coverage_matrix(net, demand.geometry, cand.geometry, radius=700.0).toarray()
    cost = np.where(cov, 0.0, 1.0)
    w = demand["weight"].to_numpy()
    peer = MCLP.from_cost_matrix(cost, w, service_radius=0.5, p_facilities=3).solve(
        pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j, f in enumerate(peer.fac_vars) if f.value() > 0.5]
    peer_new = float(w[cov[:, chosen].any(axis=1)].sum())
    assert res.covered_before == covered
    assert res.covered_after - res.covered_before == pytest.approx(peer_new)
    assert res.proposed["children_newly_covered"].sum() == pytest.approx(peer_new)
    assert list(res.proposed["order"]) == [1, 2, 3]
    assert res.proposed["children_newly_covered"].is_monotonic_decreasing


@pytest.mark.parametrize("seed", [6, 7])
def test_fewest_stations_equals_spopt_lscp(seed):
    import pulp
    from spopt.locate import LSCP

    ds = grid_dataset(seed)
    net = build_network(ds["roads"])
    from geo.reach.access import child_access
    from geo.reach.siting import default_candidates

    acc = child_access(ds, levels=["village"], network=net, standards={"village": (700.0, "walk")})
    demand, covered, _ = siting_demand(ds, acc, level="village")
    cand = default_candidates(ds, net, demand, radius=700.0)
    cov = network_coverage_matrix(net, demand.geometry, cand.geometry, radius=700.0).toarray()
    coverable = cov.any(axis=1)
    w = demand["weight"].to_numpy()
    total = float(len(ds["children"]))
    target = (covered + w[coverable].sum()) / total  # the most any choice reaches
    res = site_stations(ds, level="village", target=target, radius=700.0, network=net)
    peer = LSCP.from_cost_matrix(np.where(cov[coverable], 0.0, 1.0), service_radius=0.5).solve(
        pulp.PULP_CBC_CMD(msg=False))
    assert len(res.proposed) == sum(f.value() > 0.5 for f in peer.fac_vars)
    assert res.status == "optimal"
    assert res.covered_after >= target * total - 1e-6


def test_infeasible_target_and_errors(tmp_path):
    ds = grid_dataset(8)
    res = site_stations(ds, level="village", target=1.0, radius=50.0, metric="euclidean")
    assert res.status == "infeasible" and len(res.proposed) == 0
    with pytest.raises(SettingsError):
        site_stations(ds, level="village")
    with pytest.raises(SettingsError):
        site_stations(ds, level="village", new=2, target=0.5)
    with pytest.raises(SettingsError):
        site_stations(ds, level="village", target=1.5)
    with pytest.raises(SettingsError):
        site_stations(ds, level="village", new=0)
    with pytest.raises(SettingsError):
        site_stations(ds, level="moon", new=1)
    with pytest.raises(SettingsError):
        site_stations(ds, level="village", target=0.5, capacity=10)
    with pytest.raises(MissingLayerError):
        site_stations(Dataset({"roads": ds["roads"]}), level="village", new=1)
    bad = tmp_path / "bad.geojson"
    gdf({"a": [1]}, [LineString([(X0, Y0), (X0 + 1, Y0)])]).to_crs(4326).to_file(bad)
    with pytest.raises(ValidationError):
        read_candidates(bad)
    with pytest.raises(ValidationError):
        read_candidates(tmp_path / "missing.gpkg")


def test_user_candidates_and_capacity(tmp_path):
    ds = grid_dataset(9, n_hh=40)
    path = tmp_path / "cands.geojson"
    pts = [Point(X0 + 700, Y0 + 700), Point(X0 + 2100, Y0 + 2100), Point(X0 + 2100, Y0 + 700)]
    gdf({"candidate_id": ["A", "B", "C"], "capacity": [5, None, 3]}, pts).to_crs(4326).to_file(path)
    cand = read_candidates(path)
    res = site_stations(ds, level="village", new=2, candidates=cand, radius=1200.0, metric="euclidean")
    assert set(res.proposed["candidate_id"]) <= {"A", "B", "C"}
    assert set(res.proposed["source"]) == {"user"}
    capped = site_stations(ds, level="village", new=2, candidates=cand, radius=1200.0,
                           metric="euclidean", capacity=4)
    caps = {"A": 5, "B": 4, "C": 3}
    for cid, gain in zip(capped.proposed["candidate_id"], capped.proposed["children_newly_covered"],
                         strict=True):
        assert gain <= caps[cid] + 1e-9
    assert capped.covered_after <= res.covered_after


@hsettings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), k=st.integers(1, 3))
def test_more_stations_never_cover_fewer(seed, k):
    ds = grid_dataset(seed, n=5, n_hh=30)
    net = build_network(ds["roads"])
    a = site_stations(ds, level="village", new=k, radius=600.0, network=net)
    b = site_stations(ds, level="village", new=k + 1, radius=600.0, network=net)
    assert a.covered_after >= a.covered_before
    assert b.covered_after >= a.covered_after - 1e-9
