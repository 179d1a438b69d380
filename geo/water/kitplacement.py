"""Kit placement: where K new "four ones" kits (and B barriers) lower drowning risk the most.

The problem is a maximal covering location problem solved by the project's one engine,
:class:`geo.reach.allocation.MaximalCovering` (exact MILP on county-size problems, greedy with its
gap to the LP bound above that):

- candidates: the sites without a complete kit (those that would complete a site with risk to
  remove); a new kit stands on the site (the middle of a shoreline piece, a point on a whole
  pond's shore);
- demand: the sites without a complete kit, each weighted by the risk removed when its kit
  becomes complete: ``exposure x (hazard now - hazard with all four items)`` (sites with
  nothing to remove are left out: fewer than K kits are proposed when fewer can help);
- coverage: a new kit at candidate ``j`` completes site ``i`` when both lie on the same water
  body and ``i`` is within ``settings.kit_service_distance_m`` of the kit (the rule of
  :mod:`geo.water.kits`).

Barriers (optional, ``barriers=B``) are chosen after the kits, by the same engine with each
barrier covering only its own site, weighted by the risk a barrier removes given the new kits
(``risk x (1 - settings.water_barrier_factor)``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo.reach.allocation import MaximalCovering
from geo.store import settings
from geo.store.errors import ValidationError
from geo.store.schema import KIT_ITEMS
from geo.water.kits import item_hazard

logger = logging.getLogger(__name__)


@dataclass
class KitPlan:
    """The chosen kits (and barriers) and how good the choice is.

    Attributes
    ----------
    proposed
        GeoDataFrame: ``site_id``, ``water_id``, ``measure`` ("kit" or "barrier"), ``order``
        (1 = first to build), ``risk_reduced``, ``sites_completed``; geometry a point.
    objective
        Risk removed by the kits (sum of ``risk_reduced`` of the kit rows).
    bound
        Proven upper bound on the risk any K kits could remove.
    gap
        Relative gap between ``objective`` and ``bound`` (0 when proven optimal).
    status
        Solver status of the kit problem ("optimal", "feasible", "time_limit", "heuristic").
    risk_before, risk_after
        Total site risk before and after the proposed kits and barriers.
    """

    proposed: gpd.GeoDataFrame
    objective: float
    bound: float
    gap: float
    status: str
    risk_before: float
    risk_after: float

    def summary(self) -> dict:
        """One-line JSON-able summary."""
        kits = self.proposed[self.proposed["measure"] == "kit"]
        return {
            "kits": len(kits),
            "barriers": int((self.proposed["measure"] == "barrier").sum()),
            "risk_before": round(self.risk_before, 4),
            "risk_after": round(self.risk_after, 4),
            "risk_reduced": round(self.risk_before - self.risk_after, 4),
            "objective": round(self.objective, 4),
            "bound": round(self.bound, 4),
            "gap": round(self.gap, 6),
            "status": self.status,
        }


def _complete_hazard(sites: pd.DataFrame) -> np.ndarray:
    """Hazard of each site if its kit were complete (barrier and kind factors kept)."""
    text = ";" + sites["missing_items"].astype("string").fillna("") + ";"
    missing = np.column_stack([text.str.contains(f";{item};", regex=False).to_numpy(bool) for item in KIT_ITEMS])
    base = item_hazard(missing)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = np.where(base > 0, sites["hazard"].to_numpy(float) / base, 1.0)  # barrier x kind factor
    return other


def _kit_points(sites: gpd.GeoDataFrame) -> np.ndarray:
    geoms = sites.geometry.to_numpy()
    gtype = shapely.get_type_id(geoms)
    lines = np.isin(gtype, (1, 5))
    out = np.empty(len(geoms), dtype=object)
    if lines.any():
        out[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    if (~lines).any():  # a whole pond: a point on its shore
        out[~lines] = shapely.line_interpolate_point(shapely.boundary(geoms[~lines]), 0.0)
    return out


def _solve(cov, weights, p: int, method: str, time_limit: float | None) -> tuple[MaximalCovering, str, float]:
    """Solve the MCLP; return the model, its status and gap.

    Kit coverage is nearly one-to-one (a kit completes its own site and rarely a neighbour),
    so the engine's greedy usually meets its Lagrangian bound, which proves it optimal and
    saves the branch and bound.
    """
    model = MaximalCovering.from_coverage(cov, weights, p=p).solve(method=method, time_limit=time_limit)
    return model, str(model.status), float(model.gap)


def place_kits(
    sites: gpd.GeoDataFrame,
    k: int,
    *,
    barriers: int = 0,
    distance: float | None = None,
    method: str = "auto",
    time_limit: float | None = None,
) -> KitPlan:
    """Choose the sites for ``k`` new complete kits (and ``barriers`` barriers).

    Parameters
    ----------
    sites
        :func:`geo.water.pipeline.water_sites` output in a metric CRS (needs ``site_id``, ``water_id``,
        ``kit_status``, ``missing_items``, ``barrier``, ``hazard``, ``exposure``, ``risk``).
    k
        Number of new kits.
    barriers
        Number of new barriers (0: none).
    distance
        Service distance of a kit, metres (default ``settings.kit_service_distance_m``).
    method, time_limit
        Passed to :meth:`geo.reach.allocation.MaximalCovering.solve`.

    Returns
    -------
    KitPlan
    """
    if k < 0 or barriers < 0:
        raise ValidationError("the numbers of new kits and barriers must not be negative")
    distance = float(settings.kit_service_distance_m if distance is None else distance)
    sites = sites.reset_index(drop=True)
    risk = sites["risk"].to_numpy(float)
    exposure = sites["exposure"].to_numpy(float)
    hz_complete = _complete_hazard(sites)
    gain_if_complete = np.maximum(risk - exposure * hz_complete, 0.0)
    open_ = np.flatnonzero(sites["kit_status"].astype("string").to_numpy(dtype=object) != "complete")
    pts = _kit_points(sites)
    water = sites["water_id"].astype("string").to_numpy(dtype=object)
    # demand: open sites with risk to remove; candidates: open sites; coverage: same water body
    # and within the service distance of the new kit
    dem = open_[gain_if_complete[open_] > 0]
    tree = shapely.STRtree(pts[open_])
    d_i, c_j = tree.query(sites.geometry.to_numpy()[dem], predicate="dwithin", distance=distance)
    same = water[dem][d_i] == water[open_][c_j]
    cov = sp.csr_matrix(
        (np.ones(int(same.sum()), bool), (d_i[same], c_j[same])), shape=(len(dem), len(open_))
    )
    # a candidate that completes no site with risk to remove can never help: leave it out
    useful = np.flatnonzero(np.asarray(cov.sum(axis=0)).ravel() > 0)
    cand = open_[useful]
    cov = cov[:, useful].tocsc()
    model, status, gap = _solve(cov, gain_if_complete[dem], k, method, time_limit)
    picked = np.asarray(model.selected, dtype=np.int64)
    chosen = cand[picked]
    covered = np.zeros(len(sites), bool)
    covered[dem[np.asarray(model.covered, dtype=bool)]] = True
    risk_after = np.where(covered, exposure * hz_complete, risk)
    served = np.asarray(cov[:, picked].sum(axis=0)).ravel() if len(chosen) else np.zeros(0)
    rows = [
        pd.DataFrame({
            "site_id": sites["site_id"].to_numpy()[chosen], "water_id": water[chosen], "measure": "kit",
            "order": np.arange(1, len(chosen) + 1), "risk_reduced": np.asarray(model.gain, float),
            "sites_completed": served.astype(np.int64),
        })
    ]
    geoms = [pts[chosen]]
    if barriers:
        factor = float(settings.water_barrier_factor)
        no_barrier = np.flatnonzero(~sites["barrier"].to_numpy(bool))
        w = risk_after[no_barrier] * (1.0 - factor)
        bmodel, _, _ = _solve(sp.identity(len(no_barrier), dtype=bool, format="csc"), w, barriers, method, time_limit)
        bsel = no_barrier[np.asarray(bmodel.selected, dtype=np.int64)]
        risk_after[bsel] *= factor
        rows.append(pd.DataFrame({
            "site_id": sites["site_id"].to_numpy()[bsel], "water_id": water[bsel], "measure": "barrier",
            "order": np.arange(1, len(bsel) + 1), "risk_reduced": np.asarray(bmodel.gain, float),
            "sites_completed": np.zeros(len(bsel), np.int64),
        }))
        geoms.append(pts[bsel])
    frame = pd.concat(rows, ignore_index=True)
    for col in ("site_id", "water_id", "measure"):
        frame[col] = frame[col].astype("string")
    proposed = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(np.concatenate(geoms), crs=sites.crs), crs=sites.crs)
    plan = KitPlan(
        proposed=proposed, objective=float(model.objective), bound=float(model.bound), gap=gap,
        status=status, risk_before=float(risk.sum()), risk_after=float(risk_after.sum()),
    )
    logger.info(
        "kit placement: %d kits, %d barriers, risk %.2f -> %.2f (%s, gap %.2f%%)",
        len(chosen), int(barriers and len(rows) > 1 and len(rows[1])), plan.risk_before, plan.risk_after,
        plan.status, 100 * plan.gap,
    )
    return plan
