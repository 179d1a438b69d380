"""The location-allocation engine: hand cases, spopt cross-checks, properties, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.reach.allocation import MaximalCovering, SetCovering, coverage_matrix, lagrangian_bound
from geo.store.errors import SettingsError

# 5 demand points, 3 candidates:  cand0 covers d0,d1 ; cand1 covers d1,d2,d3 ; cand2 covers d3,d4
COV = sp.csr_matrix(
    np.array(
        [[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1]],
        dtype=bool,
    )
)
W = np.array([5.0, 1.0, 1.0, 1.0, 4.0])


@pytest.mark.parametrize("method", ["exact", "greedy"])
def test_mclp_hand_case(method):
    m = MaximalCovering.from_coverage(COV, W, p=2).solve(method=method)
    assert sorted(m.selected) == [0, 2]
    assert m.objective == pytest.approx(11.0)
    assert m.selected[0] == 0 and m.gain == pytest.approx([6.0, 5.0])
    assert m.covered.tolist() == [True, True, False, True, True]
    if method == "exact":
        assert m.status == "optimal" and m.gap == pytest.approx(0, abs=1e-9)
    else:  # the greedy is optimal here, and its Lagrangian bound proves it
        assert m.bound >= m.objective - 1e-9
        assert m.status == ("optimal" if m.gap <= 1e-7 else "heuristic")


def test_mclp_fixed_facilities_count_as_covered():
    fixed = np.array([True, True, False, False, False])
    m = MaximalCovering.from_coverage(COV, W, p=1, fixed=fixed).solve()
    assert m.baseline == pytest.approx(6.0)
    assert m.selected == [2] and m.objective == pytest.approx(11.0)


def test_mclp_capacity_limits_what_one_site_serves():
    m = MaximalCovering.from_coverage(COV, W, p=1, capacity=[3.0, 3.0, 3.0]).solve(method="exact")
    assert m.objective == pytest.approx(3.0)


@pytest.mark.parametrize("method", ["exact", "greedy"])
def test_set_covering_hand_case(method):
    s = SetCovering.from_coverage(COV, W, target_share=1.0).solve(method=method)
    assert sorted(s.selected) == [0, 1, 2]
    s = SetCovering.from_coverage(COV, W, target_share=0.8).solve(method=method)
    assert len(s.selected) == 2 and s.objective / s.total_weight >= 0.8


def test_set_covering_reports_infeasible_target():
    cov = sp.csr_matrix(np.array([[1], [0]], dtype=bool))
    s = SetCovering.from_coverage(cov, [1.0, 1.0], target_share=0.9).solve()
    assert s.status == "infeasible" and s.reachable_share == pytest.approx(0.5)


def test_errors_are_clear():
    with pytest.raises(SettingsError, match="weights"):
        MaximalCovering.from_coverage(COV, W[:3], p=1)
    with pytest.raises(SettingsError, match="negative"):
        MaximalCovering.from_coverage(COV, -W, p=1)
    with pytest.raises(SettingsError, match="target share"):
        SetCovering.from_coverage(COV, W, target_share=1.5)
    with pytest.raises(SettingsError, match="method"):
        MaximalCovering.from_coverage(COV, W, p=1).solve(method="magic")
    with pytest.raises(SettingsError, match="negative"):
        MaximalCovering.from_coverage(COV, W, p=-1)


def test_coverage_matrix_is_exact_including_zero_distance():
    d = np.array([[0.0, 0.0], [100.0, 0.0], [250.0, 0.0]])
    c = np.array([[0.0, 0.0], [200.0, 0.0]])
    m = coverage_matrix(d, c, 100.0).toarray()
    assert m.tolist() == [[True, False], [True, True], [False, True]]


def _random_instance(rng, n_d=40, n_c=15, radius=250.0):
    d = rng.uniform(0, 1000, (n_d, 2))
    c = rng.uniform(0, 1000, (n_c, 2))
    w = rng.integers(1, 20, n_d).astype(float)
    return d, c, w, coverage_matrix(d, c, radius)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_optimum_equals_spopt(seed):
    import pulp
    from spopt.locate import MCLP

    rng = np.random.default_rng(seed)
    d, c, w, cov = _random_instance(rng)
    ours = MaximalCovering.from_coverage(cov, w, p=4).solve(method="exact")
    cost = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
    peer = MCLP.from_cost_matrix(cost, w, service_radius=250.0, p_facilities=4)
    peer = peer.solve(pulp.PULP_CBC_CMD(msg=False))
    peer_obj = float(w[np.asarray(cov[:, np.flatnonzero([f.value() > 0.5 for f in peer.fac_vars])].sum(axis=1)).ravel() > 0].sum())
    assert ours.objective == pytest.approx(peer_obj)
    assert ours.status == "optimal"


@pytest.mark.parametrize("seed", [3, 4])
def test_set_covering_optimum_equals_spopt_lscp(seed):
    import pulp
    from spopt.locate import LSCP

    rng = np.random.default_rng(seed)
    d, c, w, cov = _random_instance(rng, n_d=30, n_c=25, radius=350.0)
    keep = np.asarray(cov.getnnz(axis=1) > 0).ravel()  # LSCP needs every demand coverable
    d, w, cov = d[keep], w[keep], cov[keep]
    ours = SetCovering.from_coverage(cov, w, target_share=1.0).solve(method="exact")
    cost = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
    peer = LSCP.from_cost_matrix(cost, service_radius=350.0).solve(pulp.PULP_CBC_CMD(msg=False))
    n_peer = sum(f.value() > 0.5 for f in peer.fac_vars)
    assert len(ours.selected) == n_peer
    assert ours.covered.all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5))
def test_greedy_within_bound_and_exact_at_least_greedy(seed, p):
    rng = np.random.default_rng(seed)
    _d, _c, w, cov = _random_instance(rng, n_d=30, n_c=12)
    g = MaximalCovering.from_coverage(cov, w, p=p).solve(method="greedy")
    e = MaximalCovering.from_coverage(cov, w, p=p).solve(method="exact")
    assert e.objective >= g.objective - 1e-9
    assert g.bound >= e.objective - 1e-6
    assert g.objective >= (1 - 1 / np.e) * e.objective - 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_adding_a_fixed_facility_never_lowers_coverage(seed):
    rng = np.random.default_rng(seed)
    _d, _c, w, cov = _random_instance(rng, n_d=30, n_c=12)
    fixed = np.zeros(len(w), bool)
    before = MaximalCovering.from_coverage(cov, w, p=2, fixed=fixed).solve().objective
    fixed[np.asarray(cov[:, 0].todense()).ravel()] = True
    after = MaximalCovering.from_coverage(cov, w, p=2, fixed=fixed).solve().objective
    assert after >= before - 1e-9


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6))
def test_lagrangian_bound_is_valid_and_near_the_lp_bound(seed, p):
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    _d, _c, w, cov = _random_instance(rng, n_d=40, n_c=15)
    exact = MaximalCovering.from_coverage(cov, w, p=p).solve(method="exact").objective
    bound = lagrangian_bound(cov, w, p, iterations=2000)
    n_d, n_c = cov.shape
    a = sp.hstack([-sp.csr_matrix(cov, dtype=float), sp.identity(n_d)])
    card = sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, n_d))])
    lp = linprog(np.concatenate([np.zeros(n_c), -w]), A_ub=sp.vstack([a, card]),
                 b_ub=np.concatenate([np.zeros(n_d), [p]]), bounds=(0, 1), method="highs")
    assert bound >= -lp.fun - 1e-6 >= exact - 1e-6  # never below the LP bound: always valid
    assert bound <= -lp.fun * 1.03 + 1e-6  # and close to it


def test_greedy_proven_optimal_skips_branch_and_bound():
    # one-to-one coverage (each candidate serves its own demand): greedy = optimum = bound
    cov = sp.identity(50, dtype=bool, format="csr")
    w = np.arange(1, 51, dtype=float)
    m = MaximalCovering.from_coverage(cov, w, p=5).solve(method="exact")
    assert m.status == "optimal" and m.gap == 0
    assert m.objective == pytest.approx(sum(range(46, 51)))
