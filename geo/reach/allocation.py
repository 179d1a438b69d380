"""Location-allocation: the one engine behind kit placement and station siting.

Two covering models on a sparse coverage matrix ``A`` (``A[i, j]`` true when candidate ``j``
would serve demand ``i``, e.g. a site within 100 m of a new kit, or children within 2 km of a
new station), with demand weights ``w`` (risk reduced, children):

- :class:`MaximalCovering` (MCLP, Church & ReVelle 1974): choose ``p`` candidates that cover
  the most weight; optionally with capacities (each chosen candidate serves at most its
  capacity of weight).
- :class:`SetCovering` (partial LSCP, Toregas et al. 1971): the fewest candidates that bring
  the covered share of weight to a target (1.0 is the classical "cover everyone").

Both keep already-built facilities as ``fixed`` (their demand is covered before choosing).
``solve()`` is exact on county-size problems: a sparse mixed-integer model solved by HiGHS
through :func:`scipy.optimize.milp`, with its optimality status and proven bound reported. On
problems larger than ``settings.siting_exact_max_nonzeros`` it runs a lazy greedy (CELF) and
reports the gap to the bound from the linear relaxation (HiGHS LP). The sparse model avoids the
dense formulation that makes spopt spend most of its time building the model (see
``notes/performance.md``); tests check the optima against spopt's on small instances.

The classes follow spopt's shape: constructors from plain arrays (``from_coverage``), an
adapter from GeoDataFrames (``from_geodataframe``), ``solve()`` returning ``self`` and plainly
named result attributes.
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from geo.store import settings
from geo.store.errors import SettingsError

logger = logging.getLogger(__name__)

_METHODS = ("auto", "exact", "greedy")


def coverage_matrix(demand_xy: np.ndarray, candidate_xy: np.ndarray, radius: float) -> sp.csr_matrix:
    """Return the boolean coverage matrix of straight-line distance ``<= radius``.

    Parameters
    ----------
    demand_xy, candidate_xy
        Arrays of shape (n, 2) of coordinates in one metric CRS (metres).
    radius
        Service distance in metres.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape (n_demand, n_candidates), true where the candidate serves the demand point.
    """
    from scipy.spatial import cKDTree

    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    if len(demand_xy) == 0 or len(candidate_xy) == 0:
        return sp.csr_matrix((len(demand_xy), len(candidate_xy)), dtype=bool)
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(candidate_xy), max_distance=radius, output_type="ndarray"
    )  # (i, j, distance) records, zero distances included
    out = sp.csr_matrix(
        (np.ones(len(pairs), dtype=bool), (pairs["i"], pairs["j"])),
        shape=(len(demand_xy), len(candidate_xy)),
        dtype=bool,
    )
    out.sum_duplicates()
    return out


@dataclass
class _Problem:
    coverage: sp.csc_matrix  # (n_demand, n_candidates) bool
    weights: np.ndarray
    fixed_covered: np.ndarray  # demand already covered by fixed facilities
    capacity: np.ndarray | None = None


@dataclass
class _Result:
    selected: list[int] = field(default_factory=list)
    objective: float = 0.0
    baseline: float = 0.0
    bound: float = 0.0
    gap: float = 0.0
    status: str = "not solved"
    covered: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    gain: list[float] = field(default_factory=list)
    seconds: float = 0.0
    method: str = ""


class _CoveringModel:
    """What both models share: the data, the order of picks and the result attributes."""

    def __init__(
        self,
        coverage,
        weights,
        *,
        fixed=None,
        capacity=None,
    ):
        cov = sp.csc_matrix(coverage, dtype=bool)
        w = np.asarray(weights, dtype=float).ravel()
        if cov.shape[0] != len(w):
            raise SettingsError(
                f"coverage has {cov.shape[0]} demand rows but {len(w)} weights were given"
            )
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise SettingsError("demand weights must be finite and not negative")
        fixed_cov = np.zeros(cov.shape[0], dtype=bool)
        if fixed is not None:
            fixed = np.asarray(fixed)
            if fixed.dtype == bool:
                if len(fixed) != cov.shape[0]:
                    raise SettingsError("fixed as a mask must have one value per demand row")
                fixed_cov = fixed.copy()
            else:
                raise SettingsError(
                    "fixed must be a boolean mask of the demand already covered by existing "
                    "facilities"
                )
        cap = None
        if capacity is not None:
            cap = np.asarray(capacity, dtype=float).ravel()
            if len(cap) != cov.shape[1]:
                raise SettingsError("capacity needs one value per candidate")
        self.problem = _Problem(cov, w, fixed_cov, cap)
        self._result = _Result(covered=fixed_cov.copy())

    # result attributes, spopt-like names
    @property
    def selected(self) -> list[int]:
        """Chosen candidate indices, in pick order (largest marginal gain first)."""
        return self._result.selected

    @property
    def objective(self) -> float:
        """Covered weight, including what the fixed facilities already cover."""
        return self._result.objective

    @property
    def baseline(self) -> float:
        """Weight covered by the fixed facilities alone."""
        return self._result.baseline

    @property
    def bound(self) -> float:
        """Proven bound on the objective (upper for MCLP; lower on facility count for LSCP)."""
        return self._result.bound

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the bound (0 = proven optimal)."""
        return self._result.gap

    @property
    def status(self) -> str:
        """``optimal``, ``time_limit``, ``heuristic``, ``infeasible`` or ``not solved``."""
        return self._result.status

    @property
    def covered(self) -> np.ndarray:
        """Boolean array over demand: covered after the choice (fixed included)."""
        return self._result.covered

    @property
    def gain(self) -> list[float]:
        """Weight newly covered by each selected candidate, in pick order."""
        return self._result.gain

    @property
    def seconds(self) -> float:
        """Wall time of the last ``solve()``."""
        return self._result.seconds

    @property
    def method(self) -> str:
        """``exact`` or ``greedy``: what the last ``solve()`` ran."""
        return self._result.method

    @property
    def total_weight(self) -> float:
        return float(self.problem.weights.sum())

    # helpers
    def _reduced(self) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
        """Demand rows still to cover (not fixed-covered, weight > 0, coverable)."""
        p = self.problem
        coverable = np.asarray(p.coverage.getnnz(axis=1) > 0).ravel()
        rows = np.flatnonzero(~p.fixed_covered & (p.weights > 0) & coverable)
        return p.coverage[rows, :].tocsc(), p.weights[rows], rows

    def _order_and_cover(self, chosen: np.ndarray, assign: np.ndarray | None = None) -> None:
        """Order ``chosen`` by marginal gain and fill covered/gain/objective."""
        p = self.problem
        covered = p.fixed_covered.copy()
        cap = p.capacity
        order: list[int] = []
        gains: list[float] = []
        remaining = [int(j) for j in chosen]
        cov = p.coverage.tocsc()
        while remaining:
            best, best_gain = None, -1.0
            for j in remaining:
                rows = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
                g = float(p.weights[rows][~covered[rows]].sum())
                if cap is not None:
                    g = min(g, float(cap[j]))
                if g > best_gain:
                    best, best_gain = j, g
            assert best is not None
            remaining.remove(best)
            rows = cov.indices[cov.indptr[best] : cov.indptr[best + 1]]
            if cap is None:
                covered[rows] = True
            else:
                covered[_fill_capacity(rows, p.weights, covered, float(cap[best]))] = True
            order.append(best)
            gains.append(best_gain)
        r = self._result
        r.selected, r.gain = order, gains
        if assign is not None:  # capacitated exact: covered from the assignment
            covered = p.fixed_covered | assign
        r.covered = covered
        r.baseline = float(p.weights[p.fixed_covered].sum())
        r.objective = r.baseline + (
            float(sum(gains)) if cap is not None else float(p.weights[covered & ~p.fixed_covered].sum())
        )


def _fill_capacity(rows: np.ndarray, w: np.ndarray, covered: np.ndarray, cap: float) -> np.ndarray:
    """Rows a capacitated facility serves: uncovered demand, heaviest first, up to ``cap``."""
    free = rows[~covered[rows]]
    free = free[np.argsort(-w[free], kind="stable")]
    take = np.cumsum(w[free]) <= cap + 1e-9
    return free[take]


class MaximalCovering(_CoveringModel):
    """Choose ``p`` candidates covering the most demand weight (MCLP).

    Parameters
    ----------
    coverage
        (n_demand, n_candidates) sparse boolean matrix.
    weights
        Demand weights (children, risk reduced), not negative.
    p
        Number of new facilities to choose.
    fixed
        Boolean mask over demand already covered by existing facilities.
    capacity
        Optional weight each candidate can serve at most.
    """

    def __init__(self, coverage, weights, *, p: int, fixed=None, capacity=None):
        super().__init__(coverage, weights, fixed=fixed, capacity=capacity)
        if int(p) < 0:
            raise SettingsError("the number of new sites must not be negative")
        self.p = int(p)

    @classmethod
    def from_coverage(cls, coverage, weights, *, p: int, fixed=None, capacity=None) -> MaximalCovering:
        """Build the model from a coverage matrix and demand weights."""
        return cls(coverage, weights, p=p, fixed=fixed, capacity=capacity)

    @classmethod
    def from_geodataframe(
        cls, demand, candidates, *, radius: float, p: int, weight: str | None = None,
        fixed=None, capacity: str | None = None,
    ) -> MaximalCovering:
        """Build the model from point GeoDataFrames in one metric CRS (straight-line coverage)."""
        from geo.store.projection import check_same_crs

        check_same_crs(demand, candidates)
        cov = coverage_matrix(_xy(demand), _xy(candidates), radius)
        w = demand[weight].to_numpy(float) if weight else np.ones(len(demand))
        cap = candidates[capacity].to_numpy(float) if capacity else None
        return cls(cov, w, p=p, fixed=fixed, capacity=cap)

    def solve(self, *, method: str = "auto", time_limit: float | None = None) -> MaximalCovering:
        """Solve the model; see the module docstring for the methods. Returns ``self``."""
        t0 = time.perf_counter()
        method = _check_method(method)
        cov, w, rows = self._reduced()
        n_cand = cov.shape[1]
        p = min(self.p, n_cand)
        if method == "auto":
            method = "exact" if cov.nnz <= settings.siting_exact_max_nonzeros else "greedy"
        limit = settings.siting_time_limit_s if time_limit is None else time_limit
        if p == 0 or len(rows) == 0:
            self._order_and_cover(np.array([], dtype=int))
            self._result.bound = self._result.objective
            self._result.status = "optimal"
        else:
            # The greedy and its Lagrangian bound cost little; when they meet, the greedy is
            # proven optimal and the branch and bound is not needed (common when coverage is
            # nearly one-to-one, as for kits).
            self._solve_greedy(cov, w, p)
            if self._result.gap <= _PROOF_TOL:
                self._result.status = "optimal"
            elif method == "exact":
                self._solve_exact(cov, w, rows, p, limit)
        self._result.seconds = time.perf_counter() - t0
        self._result.method = method
        logger.info(
            "maximal covering: %d of %d candidates, covered %.1f of %.1f (%s, gap %.2f%%, %.2f s)",
            len(self.selected), n_cand, self.objective, self.total_weight, self.status,
            100 * self.gap, self.seconds,
        )
        return self

    def _model(self, cov: sp.csc_matrix, w: np.ndarray, p: int):
        n_d, n_c = cov.shape
        cap = self.problem.capacity
        if cap is None:
            # variables [x_j (n_c), y_i (n_d)];  y_i - sum_j a_ij x_j <= 0 ; sum x <= p
            a = sp.hstack([-cov.astype(float), sp.identity(n_d, format="csc")], format="csr")
            card = sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, n_d))])
            mat = sp.vstack([a, card], format="csr")
            lb = np.full(n_d + 1, -np.inf)
            ub = np.concatenate([np.zeros(n_d), [p]])
            c = np.concatenate([np.zeros(n_c), -w])
            integrality = np.concatenate([np.ones(n_c), np.zeros(n_d)])
            return c, mat, lb, ub, integrality, n_c
        # capacitated: variables [x_j, z_k] for each nonzero k=(i,j) of the coverage
        coo = cov.tocoo()
        k = coo.nnz
        zi, zj = coo.row, coo.col
        # sum_j z_ij <= 1 per demand
        dem = sp.csr_matrix((np.ones(k), (zi, np.arange(k))), shape=(n_d, k))
        # sum_i w_i z_ij - cap_j x_j <= 0 per candidate
        capm = sp.csr_matrix((w[zi], (zj, np.arange(k))), shape=(n_c, k))
        # z_ij - x_j <= 0 (tightening)
        link = sp.csr_matrix((np.ones(k), (np.arange(k), np.arange(k))), shape=(k, k))
        linkx = sp.csr_matrix((-np.ones(k), (np.arange(k), zj)), shape=(k, n_c))
        mat = sp.vstack(
            [
                sp.hstack([sp.csr_matrix((n_d, n_c)), dem]),
                sp.hstack([-sp.diags(cap[: n_c]), capm]),
                sp.hstack([linkx, link]),
                sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, k))]),
            ],
            format="csr",
        )
        lb = np.full(mat.shape[0], -np.inf)
        ub = np.concatenate([np.ones(n_d), np.zeros(n_c), np.zeros(k), [p]])
        c = np.concatenate([np.zeros(n_c), -w[zi]])
        integrality = np.concatenate([np.ones(n_c), np.zeros(k)])
        return c, mat, lb, ub, integrality, n_c

    def _solve_exact(self, cov, w, rows, p, limit):
        c, mat, lb, ub, integrality, n_c = self._model(cov, w, p)
        res = milp(
            c,
            constraints=LinearConstraint(mat, lb, ub),
            integrality=integrality,
            bounds=Bounds(0, 1),
            options={"time_limit": limit, "mip_rel_gap": 1e-6, "disp": False},
        )
        if res.x is None:
            logger.warning("exact solve found no solution (%s); using the greedy", res.message)
            self._solve_greedy(cov, w, p)
            return
        chosen = np.flatnonzero(res.x[:n_c] > 0.5)
        assign = None
        if self.problem.capacity is not None:
            coo = cov.tocoo()
            z = res.x[n_c:]
            served = np.bincount(coo.row, weights=z, minlength=cov.shape[0])
            assign = np.zeros(len(self.problem.weights), bool)
            assign[rows[served > 0.5]] = True
        self._order_and_cover(chosen, assign)
        if self.problem.capacity is not None:
            self._result.objective = self._result.baseline + float(-res.fun)
        dual = getattr(res, "mip_dual_bound", None)
        bound_new = -dual if dual is not None and np.isfinite(dual) else -res.fun
        bound = self._result.baseline + max(bound_new, -res.fun)
        self._result.bound = bound
        self._result.gap = _rel_gap(self._result.objective, bound)
        self._result.status = "optimal" if res.status == 0 else "time_limit"

    def _solve_greedy(self, cov, w, p):
        cap = self.problem.capacity
        covered = np.zeros(cov.shape[0], bool)
        gains = np.asarray(cov.T @ w).ravel()
        if cap is not None:
            gains = np.minimum(gains, cap)
        heap = [(-g, j) for j, g in enumerate(gains) if g > 0]
        heapq.heapify(heap)
        chosen: list[int] = []
        while heap and len(chosen) < p:
            neg, j = heapq.heappop(heap)
            col = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
            g = float(w[col][~covered[col]].sum())
            if cap is not None:
                g = min(g, float(cap[j]))
            if heap and g < -heap[0][0] - 1e-12:
                heapq.heappush(heap, (-g, j))  # stale bound: re-queue (CELF)
                continue
            if g <= 0:
                break
            chosen.append(j)
            if cap is None:
                covered[col] = True
            else:
                covered[_fill_capacity(col, w, covered, float(cap[j]))] = True
        self._order_and_cover(np.array(chosen, dtype=int))
        new_weight = self._result.objective - self._result.baseline
        if cap is None:
            bound_new = lagrangian_bound(cov, w, p, lower=new_weight)
        else:
            bound_new = self._lp_bound(cov, w, p)
        bound = self._result.baseline + bound_new
        self._result.bound = max(bound, self._result.objective)
        self._result.gap = _rel_gap(self._result.objective, self._result.bound)
        self._result.status = "heuristic"

    def _lp_bound(self, cov, w, p) -> float:
        c, mat, lb, ub, _integrality, _n_c = self._model(cov, w, p)
        res = linprog(c, A_ub=mat, b_ub=ub, bounds=(0, 1), method="highs")
        return float(-res.fun) if res.status == 0 else float(w.sum())


class SetCovering(_CoveringModel):
    """Choose the fewest candidates that bring covered weight to ``target_share`` (LSCP).

    Parameters
    ----------
    coverage, weights, fixed
        As for :class:`MaximalCovering`.
    target_share
        Share of the total demand weight to cover, in (0, 1]; 1.0 covers every coverable
        demand (demand no candidate can reach makes a target above the reachable share
        infeasible, reported as status ``infeasible`` with the reachable share).
    """

    def __init__(self, coverage, weights, *, target_share: float, fixed=None):
        super().__init__(coverage, weights, fixed=fixed)
        if not 0 < float(target_share) <= 1:
            raise SettingsError("the target share must be above 0 and at most 1 (e.g. 0.95)")
        self.target_share = float(target_share)

    @classmethod
    def from_coverage(cls, coverage, weights, *, target_share: float, fixed=None) -> SetCovering:
        """Build the model from a coverage matrix and demand weights."""
        return cls(coverage, weights, target_share=target_share, fixed=fixed)

    @classmethod
    def from_geodataframe(
        cls, demand, candidates, *, radius: float, target_share: float,
        weight: str | None = None, fixed=None,
    ) -> SetCovering:
        """Build the model from point GeoDataFrames in one metric CRS (straight-line coverage)."""
        from geo.store.projection import check_same_crs

        check_same_crs(demand, candidates)
        cov = coverage_matrix(_xy(demand), _xy(candidates), radius)
        w = demand[weight].to_numpy(float) if weight else np.ones(len(demand))
        return cls(cov, w, target_share=target_share, fixed=fixed)

    @property
    def reachable_share(self) -> float:
        """The largest share any choice of candidates can reach (fixed included)."""
        p = self.problem
        coverable = np.asarray(p.coverage.getnnz(axis=1) > 0).ravel() | p.fixed_covered
        return float(p.weights[coverable].sum() / p.weights.sum()) if p.weights.sum() else 1.0

    def _needed(self) -> float:
        p = self.problem
        base = float(p.weights[p.fixed_covered].sum())
        return self.target_share * float(p.weights.sum()) - base

    def solve(self, *, method: str = "auto", time_limit: float | None = None) -> SetCovering:
        """Solve the model; see the module docstring for the methods. Returns ``self``."""
        t0 = time.perf_counter()
        method = _check_method(method)
        cov, w, _rows = self._reduced()
        need = self._needed() - 1e-9 * max(1.0, self.total_weight)
        if method == "auto":
            method = "exact" if cov.nnz <= settings.siting_exact_max_nonzeros else "greedy"
        limit = settings.siting_time_limit_s if time_limit is None else time_limit
        if self.reachable_share + 1e-12 < self.target_share:
            self._order_and_cover(np.array([], dtype=int))
            self._result.status = "infeasible"
        elif need <= 0:
            self._order_and_cover(np.array([], dtype=int))
            self._result.status = "optimal"
        elif method == "exact":
            self._solve_exact(cov, w, need, limit)
        else:
            self._solve_greedy(cov, w, need)
        self._result.seconds = time.perf_counter() - t0
        self._result.method = method
        logger.info(
            "set covering: %d new sites for %.1f%% target (%s, %.2f s)",
            len(self.selected), 100 * self.target_share, self.status, self.seconds,
        )
        return self

    def _model(self, cov, w, need):
        n_d, n_c = cov.shape
        a = sp.hstack([-cov.astype(float), sp.identity(n_d, format="csc")], format="csr")
        tot = sp.hstack([sp.csr_matrix((1, n_c)), sp.csr_matrix(w.reshape(1, -1))], format="csr")
        mat = sp.vstack([a, tot], format="csr")
        lb = np.concatenate([np.full(n_d, -np.inf), [need]])
        ub = np.concatenate([np.zeros(n_d), [np.inf]])
        c = np.concatenate([np.ones(n_c), np.zeros(n_d)])
        integrality = np.concatenate([np.ones(n_c), np.zeros(n_d)])
        return c, mat, lb, ub, integrality, n_c

    def _solve_exact(self, cov, w, need, limit):
        c, mat, lb, ub, integrality, n_c = self._model(cov, w, need)
        res = milp(
            c,
            constraints=LinearConstraint(mat, lb, ub),
            integrality=integrality,
            bounds=Bounds(0, 1),
            options={"time_limit": limit, "disp": False},
        )
        if res.x is None:
            logger.warning("exact solve found no solution (%s); using the greedy", res.message)
            self._solve_greedy(cov, w, need)
            return
        self._order_and_cover(np.flatnonzero(res.x[:n_c] > 0.5))
        dual = getattr(res, "mip_dual_bound", None)
        self._result.bound = float(np.ceil(dual - 1e-6)) if dual is not None and np.isfinite(dual) else float(res.fun)
        n = len(self.selected)
        self._result.gap = (n - self._result.bound) / n if n else 0.0
        self._result.status = "optimal" if res.status == 0 else "time_limit"

    def _solve_greedy(self, cov, w, need):
        covered = np.zeros(cov.shape[0], bool)
        gains = np.asarray(cov.T @ w).ravel()
        heap = [(-g, j) for j, g in enumerate(gains) if g > 0]
        heapq.heapify(heap)
        chosen: list[int] = []
        got = 0.0
        while heap and got < need:
            _neg, j = heapq.heappop(heap)
            col = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
            g = float(w[col][~covered[col]].sum())
            if heap and g < -heap[0][0] - 1e-12:
                heapq.heappush(heap, (-g, j))
                continue
            if g <= 0:
                break
            chosen.append(j)
            covered[col] = True
            got += g
        self._order_and_cover(np.array(chosen, dtype=int))
        c, mat, lb, ub, _i, _n = self._model(cov, w, need)
        # linprog takes A_ub x <= b_ub: the >= row is negated
        a_ub = sp.vstack([mat[:-1], -mat[-1:]], format="csr")
        b_ub = np.concatenate([ub[:-1], [-lb[-1]]])
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
        self._result.bound = float(np.ceil(res.fun - 1e-6)) if res.status == 0 else 0.0
        n = len(self.selected)
        self._result.gap = (n - self._result.bound) / n if n else 0.0
        self._result.status = "heuristic"


def lagrangian_bound(
    coverage: sp.spmatrix, weights: np.ndarray, p: int, *, lower: float = 0.0,
    iterations: int = 300,
) -> float:
    """Return an upper bound on the weight any ``p`` candidates can cover (uncapacitated MCLP).

    Relaxing the coverage constraints ``y_i <= sum_j a_ij x_j`` with multipliers
    ``0 <= lambda_i <= w_i`` gives, for every ``lambda``, the valid bound
    ``L(lambda) = sum_i (w_i - lambda_i) + (sum of the p largest sum_i a_ij lambda_i)``;
    its minimum over ``lambda`` equals the linear-relaxation bound (the candidate polytope is
    integral). The minimum is sought by subgradient steps with Polyak's step length towards
    ``lower`` (a known objective, e.g. the greedy's), each step one sparse product, so the bound
    costs far less than solving the LP (Galvão & ReVelle 1996, a Lagrangean heuristic for the
    maximal covering location problem).

    Parameters
    ----------
    coverage
        (n_demand, n_candidates) boolean coverage matrix.
    weights
        Demand weights.
    p
        Number of candidates chosen.
    lower
        Objective of a known solution: the iterations stop once the bound meets it.
    iterations
        Most subgradient steps.
    """
    w = np.asarray(weights, dtype=float)
    cov = sp.csr_matrix(coverage, dtype=float)
    n_c = cov.shape[1]
    p = min(int(p), n_c)
    if p <= 0 or len(w) == 0:
        return 0.0
    cov_t = cov.T.tocsr()
    lam = w.copy()  # start: the sum of the p heaviest candidates' reach
    best = np.inf
    scale, stall = 2.0, 0
    tol = _PROOF_TOL * max(1.0, abs(lower))
    for _ in range(iterations):
        reach = cov_t @ lam
        top = np.argpartition(-reach, p - 1)[:p] if p < n_c else np.arange(n_c)
        value = float(np.maximum(w - lam, 0.0).sum() + reach[top].sum())
        if not np.isfinite(best) or value < best - 1e-12 * max(1.0, best):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 15:
                scale, stall = scale / 2, 0
        if best - lower <= tol or scale < 1e-4:
            break
        x = np.zeros(n_c)
        x[top] = 1.0
        grad = cov @ x - (w > lam)
        norm = float(grad @ grad)
        if norm == 0:
            break
        step = scale * max(value - lower, tol) / norm
        lam = np.clip(lam - step * grad, 0.0, w)
    return float(best)


_PROOF_TOL = 1e-7  # relative gap below which a solution counts as proven optimal


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise SettingsError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
    return method


def _rel_gap(objective: float, bound: float) -> float:
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - objective) / bound)


def _xy(frame) -> np.ndarray:
    geom = frame.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])
