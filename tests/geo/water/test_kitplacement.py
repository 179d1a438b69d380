"""Kit placement: hand-checked choices, brute force on small instances, barriers."""

from __future__ import annotations

import datetime as dt
import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo.store.dataset import Dataset
from geo.store.errors import ValidationError
from geo.water.kitplacement import _kit_points, place_kits
from geo.water.pipeline import water_sites

AS_OF = dt.date(2024, 6, 1)


def test_tiny_dataset_by_hand(tiny_dataset):
    sites = water_sites(tiny_dataset, as_of=AS_OF)
    by_id = sites.set_index("site_id")
    # completing a kit removes exposure x (hazard - hazard complete)
    gain = {
        "w1-000": by_id.loc["w1-000", "exposure"] * 0.25,  # pond: only the pole missing
        **{s: by_id.loc[s, "exposure"] * (1.0 - 0.5) for s in ["w2-000", "w2-001", "w2-002", "w2-003"]},
    }
    plan = place_kits(sites, 2)
    best2 = sorted(gain, key=gain.get, reverse=True)[:2]
    assert plan.proposed["site_id"].tolist() == best2
    assert plan.proposed["order"].tolist() == [1, 2]
    assert plan.proposed["risk_reduced"].tolist() == pytest.approx([gain[s] for s in best2])
    assert plan.objective == pytest.approx(sum(gain[s] for s in best2))
    assert plan.status == "optimal" and plan.gap == pytest.approx(0.0)
    assert plan.risk_after == pytest.approx(plan.risk_before - plan.objective)
    assert (plan.proposed["measure"] == "kit").all()


def test_barriers_after_kits(tiny_dataset):
    sites = water_sites(tiny_dataset, as_of=AS_OF)
    plan = place_kits(sites, 0, barriers=1)
    pond = sites.set_index("site_id").loc["w1-000"]
    assert plan.proposed["site_id"].tolist() == ["w1-000"]  # the canal already has a barrier
    assert plan.proposed["measure"].tolist() == ["barrier"]
    assert plan.proposed["risk_reduced"].iloc[0] == pytest.approx(pond["risk"] * 0.5)


def _random_sites(seed):
    rng = np.random.default_rng(seed)
    crs = "EPSG:32650"
    lines = []
    for _ in range(4):
        x, y = rng.uniform(0, 3000, 2)
        lines.append(LineString([(x, y), (x + rng.uniform(50, 600), y + rng.uniform(-50, 50)), (x + rng.uniform(600, 900), y)]))
    water = gpd.GeoDataFrame({"water_id": [f"w{i}" for i in range(4)], "kind": ["ditch"] * 4, "barrier": [False] * 4},
                             geometry=lines, crs=crs)
    hh_xy = rng.uniform(-500, 3500, (60, 2))
    hh = gpd.GeoDataFrame({"household_id": [f"h{i}" for i in range(60)], "village_code": ["1"] * 60,
                           "caregiver": ["parents"] * 60}, geometry=[Point(p) for p in hh_xy], crs=crs)
    ch = pd.DataFrame({"child_id": [f"c{i}" for i in range(60)], "household_id": hh["household_id"],
                       "birth_year": rng.integers(2008, 2023, 60)})
    ds = Dataset({"water_bodies": water, "households": hh, "children": ch})
    return water_sites(ds, as_of=AS_OF, max_length=150.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_matches_brute_force(seed):
    sites = _random_sites(seed)
    k = 3
    plan = place_kits(sites, k, method="exact")
    # brute force: kits completing sites of the same water within 100 m of the kit point
    pts = _kit_points(sites)
    gain = sites["exposure"].to_numpy() * 1.0  # no kit: hazard 2 -> 1
    n = len(sites)
    water = sites["water_id"].to_numpy()
    cov = np.array([[water[i] == water[j] and sites.geometry.iloc[i].distance(pts[j]) <= 100 for j in range(n)]
                    for i in range(n)])
    best = max(gain[cov[:, list(c)].any(axis=1)].sum() for c in itertools.combinations(range(n), k))
    assert plan.objective == pytest.approx(best, rel=1e-9)
    greedy = place_kits(sites, k, method="greedy")
    assert greedy.objective <= best + 1e-9 and greedy.bound >= best - 1e-6


def test_bad_numbers(tiny_dataset):
    sites = water_sites(tiny_dataset, as_of=AS_OF)
    with pytest.raises(ValidationError, match="negative"):
        place_kits(sites, -1)
