"""A province-wide budget: the allocation is the best of every possible one, and each county's
curve point is the exact siting of that many sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.distributed.budget import allocate, brute_force, read_curve, shared_budget
from geo.distributed.partitions import partitions, read_partition
from geo.distributed.tasks import COVERAGE_LAYERS
from geo.reach.siting import site_stations, siting_curve
from geo.store.errors import SettingsError

curve = st.lists(st.integers(0, 9), min_size=0, max_size=6).map(
    lambda gains: [0.0, *np.cumsum(gains).astype(float)])  # any non-decreasing curve, not concave


@settings(max_examples=150, deadline=None)
@given(st.lists(curve, min_size=1, max_size=4), st.integers(0, 6))
def test_allocation_is_the_best_of_all(curves, budget):
    named = {f"34812{i}": c for i, c in enumerate(curves)}
    share = allocate(named, budget)
    assert sum(share.values()) <= budget
    assert all(0 <= share[c] < len(named[c]) for c in named)
    assert sum(named[c][k] for c, k in share.items()) == pytest.approx(brute_force(named, budget))


def test_a_non_concave_curve_is_allocated_exactly():
    # greedy by marginal gain gives the first county 1 site (value 5); the best is 2 sites on the
    # second county (0 then 10)
    assert allocate({"a": [0, 5, 6], "b": [0, 0, 10]}, 2) == {"a": 0, "b": 2}
    with pytest.raises(SettingsError):
        allocate({"a": [0, 1]}, -1)


def test_the_curve_is_the_exact_siting_of_each_k(province_path):
    part = partitions(province_path)[1]
    ds = read_partition(part, layers=COVERAGE_LAYERS)
    got = siting_curve(ds, level="village", k_max=3, metric="euclidean")
    assert list(got["k"]) == [0, 1, 2, 3]
    assert (got["status"] == "optimal").all()
    for k in (1, 2, 3):
        res = site_stations(ds, level="village", new=k, metric="euclidean", method="exact")
        assert got.loc[k, "covered"] == pytest.approx(res.covered_after, abs=1e-9)
    assert got.loc[0, "covered"] == pytest.approx(res.covered_before)
    assert got["covered"].is_monotonic_increasing


def test_shared_budget_sites_each_county_its_share(province_path, tmp_path):
    res = shared_budget("stations", province_path, tmp_path / "b", 4,
                        {"level": "village", "metric": "euclidean"}, workers=0)
    table = res.allocation
    assert int(table["new"].sum()) == 4 and res.exact
    curves = {c.code: read_curve(c.out, "station_curve")["value"].tolist() for c in res.curves.counties}
    assert float(table["value_after"].sum()) == pytest.approx(brute_force(curves, 4))
    for r in table.itertuples():
        got = pyogrio.read_dataframe(tmp_path / "b" / f"{r.county_code}.gpkg", layer="proposed_stations")
        assert len(got) == r.new
        assert float(got["children_newly_covered"].sum()) == pytest.approx(r.value_after - r.value_before)
    assert (tmp_path / "b" / "allocation.csv").exists()
    text = (tmp_path / "b" / "allocation.csv").read_text(encoding="utf-8-sig")
    assert "县代码,名称,新建点位数" in text and pd.notna(table["exact"]).all()  # in words (settings.language)
