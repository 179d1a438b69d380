"""Patrol plans: routes for N teams through the riskiest water sites within a shift.

The model is a prize-collecting team orienteering problem: each team leaves its base, visits
sites (``settings.patrol_stop_minutes`` at each) and returns within the shift; the plan
maximises the total risk of the sites visited (a site's prize is its ``risk`` from
:func:`geo.water.pipeline.water_sites`). Travel times come from the road network (:mod:`geo.reach.network`):
one Dijkstra pass from the edge ends of the snapped bases and candidate sites gives a
point-to-point time matrix (the off-road legs from the road to the water are walked).

Solvers (:class:`PatrolPlan`):

- ``"ortools"``: OR-Tools routing (a well-kept solver): one disjunction per site whose penalty
  is its risk (a dropped site costs its risk), a time dimension capped at the shift, one vehicle
  per team with its own depot, guided local search within a time limit, started from the
  greedy plan;
- ``"greedy"``: best risk-per-added-minute insertion into any team's route, with 2-opt on each
  route, repeated until nothing fits (milliseconds; also the fallback when OR-Tools is missing).

Pinned sites must be visited: their penalty is far above any risk (OR-Tools) or they are
inserted first (greedy); one that cannot fit in any shift is reported in ``missed_pinned``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csgraph

from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import CRSError, MissingLayerError, ValidationError
from geo.store.projection import STORAGE_CRS

logger = logging.getLogger(__name__)

#: penalty scale of the most risky site in OR-Tools (integer objective); travel is in seconds,
#: so risk always dominates and travel time only breaks ties.
_PRIZE_SCALE = 1_000_000_000
_PINNED_PENALTY = 10**15


# --- tours: nearest neighbour, 2-opt --------------------------------------------------------------


def route_time(T: np.ndarray, route: Sequence[int], service: np.ndarray | None = None) -> float:
    """Travel time of the closed or open node sequence ``route`` (+ service at its inner nodes)."""
    r = np.asarray(route, dtype=np.int64)
    if len(r) < 2:
        return 0.0
    travel = float(T[r[:-1], r[1:]].sum())
    if service is not None and len(r) > 2:
        travel += float(service[r[1:-1]].sum())
    return travel


def two_opt(T: np.ndarray, route: list[int], *, max_rounds: int = 200) -> list[int]:
    """Improve ``route`` (first and last node fixed) by 2-opt moves, exact for asymmetric ``T``.

    Each round evaluates every segment reversal at once (prefix sums of the forward and
    backward arc costs) and applies the best one, until none shortens the route.
    """
    r = np.asarray(route, dtype=np.int64)
    n = len(r)
    if n < 5:
        return list(r)
    for _ in range(max_rounds):
        fwd = np.concatenate([[0.0], np.cumsum(T[r[:-1], r[1:]])])
        bwd = np.concatenate([[0.0], np.cumsum(T[r[1:], r[:-1]])])
        i = np.arange(1, n - 2)[:, None]  # reverse r[i..j]
        j = np.arange(2, n - 1)[None, :]
        valid = j > i
        ii, jj = np.broadcast_arrays(i, j)
        old = T[r[ii - 1], r[ii]] + T[r[jj], r[np.minimum(jj + 1, n - 1)]] + (fwd[jj] - fwd[ii])
        new = T[r[ii - 1], r[jj]] + T[r[ii], r[np.minimum(jj + 1, n - 1)]] + (bwd[jj] - bwd[ii])
        gain = np.where(valid, old - new, -np.inf)
        k = int(np.argmax(gain))
        if not np.isfinite(gain.flat[k]) or gain.flat[k] <= 1e-9:
            break
        a, b = int(ii.flat[k]), int(jj.flat[k])
        r[a : b + 1] = r[a : b + 1][::-1]
    return list(r)


def nearest_neighbour_tour(T: np.ndarray, nodes: Sequence[int], depot: int) -> list[int]:
    """A closed tour from ``depot`` through ``nodes``, always going to the nearest unvisited node."""
    left = [int(x) for x in nodes if int(x) != depot]
    tour = [depot]
    while left:
        cur = tour[-1]
        k = int(np.argmin(T[cur, left]))
        tour.append(left.pop(k))
    tour.append(depot)
    return tour


# --- the model ---------------------------------------------------------------------------------


class PatrolPlan:
    """A patrol plan over a time matrix (spopt-style: build, ``solve()``, read attributes).

    Parameters
    ----------
    time
        (n, n) travel times in seconds between nodes (``inf``: no way).
    prize
        (n,) risk collected by visiting each node (0 for bases).
    starts
        The base node of each team (teams may share one).
    shift
        Longest route per team, seconds (travel + service).
    service
        (n,) seconds spent at each node (0 at bases).
    pinned
        Nodes that must be visited.

    Attributes (after :meth:`solve`)
    --------------------------------
    routes
        Per team the node sequence base, sites..., base.
    arrival
        Per team the arrival time (seconds from the start) at each node of its route.
    duration
        Per team the route's total time, seconds.
    collected
        Total prize of the visited nodes.
    visited
        Sorted visited site nodes.
    missed_pinned
        Pinned nodes no route visits.
    status
        ``"optimal"`` is never claimed: ``"time_limit"`` (OR-Tools searched its whole limit),
        ``"feasible"`` or ``"heuristic"`` (greedy).
    method
        The solver used.
    """

    def __init__(self, time, prize, *, starts, shift, service=None, pinned=()):
        self.time = np.asarray(time, dtype=float)
        n = self.time.shape[0]
        if self.time.shape != (n, n):
            raise ValidationError("the time matrix must be square")
        self.prize = np.asarray(prize, dtype=float)
        self.starts = [int(s) for s in starts]
        if not self.starts:
            raise ValidationError("a patrol plan needs at least one team")
        self.shift = float(shift)
        if self.shift <= 0:
            raise ValidationError(f"the shift must be longer than 0, not {shift}")
        self.service = np.zeros(n) if service is None else np.broadcast_to(np.asarray(service, float), (n,)).copy()
        self.service[self.starts] = 0.0
        self.pinned = sorted({int(p) for p in pinned})
        depots = set(self.starts)
        self.sites = np.array([i for i in range(n) if i not in depots], dtype=np.int64)
        self.routes: list[list[int]] = []
        self.arrival: list[list[float]] = []
        self.duration: list[float] = []
        self.collected = 0.0
        self.visited: list[int] = []
        self.missed_pinned: list[int] = []
        self.status = "not solved"
        self.method = ""

    @classmethod
    def from_cost_matrix(cls, time, prize, *, starts, shift, service=None, pinned=()) -> PatrolPlan:
        """Build from plain arrays (see the class parameters)."""
        return cls(time, prize, starts=starts, shift=shift, service=service, pinned=pinned)

    # --- solving --------------------------------------------------------------------------------
    def solve(self, *, method: str = "auto", time_limit: float | None = None) -> PatrolPlan:
        """Solve: ``"auto"`` (OR-Tools if installed, else greedy), ``"ortools"`` or ``"greedy"``.

        ``time_limit`` is OR-Tools' search time, seconds (``settings.patrol_solver_time_limit_s``).
        """
        if method not in ("auto", "ortools", "greedy"):
            raise ValidationError(f"unknown patrol solver {method!r}: use auto, ortools or greedy")
        routes = self._greedy()
        self.method = "greedy"
        self.status = "heuristic"
        if method in ("auto", "ortools") and len(self.sites):
            try:
                import ortools  # noqa: F401
            except ImportError:
                if method == "ortools":
                    raise ValidationError("OR-Tools is not installed (pip install ortools)") from None
                logger.warning("patrols: OR-Tools not installed, using the greedy plan")
            else:
                limit = settings.patrol_solver_time_limit_s if time_limit is None else time_limit
                found = self._ortools(routes, float(limit))
                if found is not None and self._value(found) >= self._value(routes) - 1e-9:
                    routes = found
                    self.method = "ortools"
                    self.status = "time_limit"
        self._finish(routes)
        return self

    def _value(self, routes: list[list[int]]) -> float:
        nodes = [n for r in routes for n in r[1:-1]]
        pinned = len(set(nodes) & set(self.pinned))
        return pinned * 1e12 + (float(self.prize[nodes].sum()) if nodes else 0.0)

    def _finish(self, routes: list[list[int]]) -> None:
        self.routes = [list(map(int, r)) for r in routes]
        self.arrival, self.duration = [], []
        for r in self.routes:
            t, arr = 0.0, [0.0]
            for a, b in zip(r[:-1], r[1:], strict=True):
                t += self.service[a] + self.time[a, b]
                arr.append(t)
            self.arrival.append(arr)
            self.duration.append(t)
        self.visited = sorted(n for r in self.routes for n in r[1:-1])
        self.collected = float(self.prize[self.visited].sum()) if self.visited else 0.0
        self.missed_pinned = [p for p in self.pinned if p not in set(self.visited)]

    # greedy insertion + 2-opt ------------------------------------------------------------------
    def _greedy(self) -> list[list[int]]:
        T = np.where(np.isfinite(self.time), self.time, 1e12)
        svc = self.service
        routes = [[s, s] for s in self.starts]
        left = np.ones(len(T), dtype=bool)
        left[self.starts] = False
        pinned = np.zeros(len(T), dtype=bool)
        pinned[self.pinned] = True
        left &= (self.prize > 0) | pinned
        for _ in range(2):  # insert, tidy with 2-opt, insert again into the time saved
            while left.any():
                cand = np.flatnonzero(left)
                best = None
                for t, r in enumerate(routes):
                    ra = np.asarray(r)
                    a, b = ra[:-1], ra[1:]
                    used = route_time(T, r, svc)
                    delta = T[a][:, cand].T + T[cand][:, b] - T[a, b][None, :] + svc[cand][:, None]
                    delta = np.where(used + delta <= self.shift + 1e-6, delta, np.inf)
                    pos = np.argmin(delta, axis=1)
                    d = delta[np.arange(len(cand)), pos]
                    ok = np.isfinite(d)
                    if not ok.any():
                        continue
                    # pinned sites first (least added time), then best risk per second added
                    pin = pinned[cand] & ok
                    if pin.any():
                        k = int(np.argmin(np.where(pin, d, np.inf)))
                        val = (1, -float(d[k]))
                    else:
                        score = np.where(ok, self.prize[cand] / (d + 1.0), -np.inf)
                        k = int(np.argmax(score))
                        val = (0, float(score[k]))
                    if best is None or val > best[0]:
                        best = (val, t, int(pos[k]) + 1, int(cand[k]))
                if best is None:
                    break
                _, t, p, node = best
                routes[t].insert(p, node)
                left[node] = False
            routes = [two_opt(T, r) for r in routes]
            if not left.any():
                break
        return routes

    # OR-Tools ----------------------------------------------------------------------------------
    def _ortools(self, initial: list[list[int]], time_limit: float) -> list[list[int]] | None:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2

        n = len(self.time)
        teams = len(self.starts)
        big = int(self.shift * 10 + 1)
        T = np.where(np.isfinite(self.time), np.rint(self.time), big).astype(np.int64)
        svc = np.rint(self.service).astype(np.int64)
        transit = (T + svc[:, None]).tolist()
        cost = T.tolist()
        manager = pywrapcp.RoutingIndexManager(n, teams, self.starts, self.starts)
        routing = pywrapcp.RoutingModel(manager)
        cost_cb = routing.RegisterTransitMatrix(cost)
        time_cb = routing.RegisterTransitMatrix(transit)
        routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
        routing.AddDimension(time_cb, 0, int(self.shift), True, "time")
        top = float(self.prize[self.sites].max()) if len(self.sites) else 0.0
        pinned = set(self.pinned)
        for node in self.sites:
            node = int(node)
            if node in pinned:
                penalty = _PINNED_PENALTY
            else:
                penalty = int(round(self.prize[node] / top * _PRIZE_SCALE)) if top > 0 else 0
            routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes([r[1:-1] for r in initial], True)
        solution = (routing.SolveFromAssignmentWithParameters(start, params) if start is not None
                    else routing.SolveWithParameters(params))
        if solution is None:
            return None
        routes = []
        for v in range(teams):
            idx = routing.Start(v)
            r = []
            while not routing.IsEnd(idx):
                r.append(manager.IndexToNode(idx))
                idx = solution.Value(routing.NextVar(idx))
            r.append(manager.IndexToNode(idx))
            routes.append(r)
        T_f = np.where(np.isfinite(self.time), self.time, 1e12)
        for r in routes:
            if route_time(T_f, r, self.service) > self.shift + teams:  # rounding slack
                return None
        return routes


# --- from a dataset ------------------------------------------------------------------------------


class TimeMatrix:
    """Point-to-point travel times on the road network, with the paths to draw them.

    Built with one Dijkstra pass from the edge ends of the snapped points (the off-road legs are
    walked, see :meth:`geo.reach.network.Network.partial_weights`).
    """

    def __init__(self, network, points: np.ndarray, *, mode: str = "drive"):
        self.network = network
        self.mode = mode
        self.points = np.asarray(points, dtype=float)
        k = len(self.points)
        snap = network.snap_points(self.points)
        self.snap = snap
        if not snap.valid.all():
            raise ValidationError("the road network has no edges to reach the patrol sites")
        wu, wv = network.partial_weights(snap, mode=mode, weight="time")
        fwd, back = network.edge_directions(mode)
        e = snap.edge
        inf = np.inf
        leave = np.stack([np.where(back[e], wu, inf), np.where(fwd[e], wv, inf)], axis=1)  # via u, via v
        arrive = np.stack([np.where(fwd[e], wu, inf), np.where(back[e], wv, inf)], axis=1)
        ends = np.stack([snap.u, snap.v], axis=1)
        self.sources = np.unique(ends)
        dist, pred = csgraph.dijkstra(
            network.graph(mode, "time"), directed=True, indices=self.sources, return_predecessors=True
        )
        self._pred = pred
        self._row = {int(s): i for i, s in enumerate(self.sources)}
        rows = np.searchsorted(self.sources, ends)  # (k, 2)
        best = np.full((k, k), inf)
        choice = np.full((k, k), -1, dtype=np.int8)
        for ea in (0, 1):
            for eb in (0, 1):
                t = leave[:, ea][:, None] + dist[rows[:, ea]][:, ends[:, eb]] + arrive[:, eb][None, :]
                better = t < best
                best = np.where(better, t, best)
                choice = np.where(better, ea * 2 + eb, choice)
        i, j, w = network.same_edge_weights(snap, snap, mode=mode, weight="time")
        direct = w < best[i, j]
        best[i[direct], j[direct]] = w[direct]
        choice[i[direct], j[direct]] = 4
        np.fill_diagonal(best, 0.0)
        np.fill_diagonal(choice, 5)
        self.time = best
        self._choice = choice
        self._ends = ends

    def path(self, a: int, b: int) -> shapely.LineString | None:
        """The travelled line from point ``a`` to point ``b`` (``None`` if unreachable)."""
        c = int(self._choice[a, b])
        pa, pb = self.points[a], self.points[b]
        sa, sb = self.snap.xy[a], self.snap.xy[b]
        if c < 0:
            return None
        if c == 5:
            return shapely.LineString([pa, pa])
        if c == 4:
            coords = [pa, sa, sb, pb]
        else:
            na, nb = int(self._ends[a, c // 2]), int(self._ends[b, c % 2])
            pred = self._pred[self._row[na]]
            nodes = [nb]
            while nodes[-1] != na:
                nodes.append(int(pred[nodes[-1]]))
            coords = [pa, sa, *self.network.xy[nodes[::-1]], sb, pb]
        arr = np.asarray(coords, dtype=float)
        keep = np.ones(len(arr), dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(arr, axis=0)) > 1e-9, axis=1)
        arr = arr[keep]
        if len(arr) < 2:
            arr = np.vstack([arr, arr])
        return shapely.LineString(arr)


def _site_points(sites: gpd.GeoDataFrame) -> np.ndarray:
    from geo.water.pipeline import site_points

    pts = site_points(sites)
    return shapely.get_coordinates(pts)


def parse_bases(dataset: Dataset, bases: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Base points (the dataset's metric CRS) from station ids or ``"lon,lat"`` text (WGS-84).

    Raises
    ------
    ValidationError
        An unknown station id or a malformed point; every bad base is listed.
    """
    st_metric = dataset.metric()["stations"]
    ids = st_metric["station_id"].astype("string").to_numpy() if len(st_metric) else np.array([], dtype=object)
    pts, labels, bad = [], [], []
    for b in bases:
        text = str(b).strip()
        hit = np.flatnonzero(ids == text)
        if len(hit):
            g = st_metric.geometry.iloc[int(hit[0])]
            pts.append((g.x, g.y))
            labels.append(text)
            continue
        try:
            lon, lat = (float(x) for x in text.split(","))
        except ValueError:
            bad.append(text)
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            bad.append(text)
            continue
        p = dataset.to_metric(gpd.GeoSeries([shapely.Point(lon, lat)], crs=STORAGE_CRS)).iloc[0]
        pts.append((p.x, p.y))
        labels.append(f"{lon:.6f},{lat:.6f}")
    if bad:
        raise ValidationError(
            f"unknown base(s) {', '.join(bad)}: give a station_id of the dataset or a point as LON,LAT",
            [(b, "base", "unknown") for b in bad],
        )
    return np.asarray(pts, dtype=float).reshape(-1, 2), labels


def default_base(dataset: Dataset, sites: gpd.GeoDataFrame) -> list[str]:
    """The station nearest the risk-weighted centre of ``sites`` (township or county level first).

    ``sites`` are in the dataset's metric CRS.
    """
    st_metric = dataset.metric()["stations"]
    if not len(st_metric):
        raise MissingLayerError(["stations"], "a patrol plan without --base")
    pts = _site_points(sites)
    w = sites["risk"].to_numpy(float)
    w = w if w.sum() > 0 else np.ones(len(w))
    centre = (pts * w[:, None]).sum(axis=0) / w.sum()
    pref = st_metric[st_metric["level"].isin(["township", "county"])]
    pool = pref if len(pref) else st_metric
    d = np.hypot(pool.geometry.x - centre[0], pool.geometry.y - centre[1])
    return [str(pool["station_id"].iloc[int(np.argmin(d.to_numpy()))])]


def plan_patrols(
    dataset: Dataset,
    *,
    teams: int = 1,
    shift_hours: float = 4.0,
    bases: Sequence[str] | None = None,
    pinned: Sequence[str] = (),
    sites: gpd.GeoDataFrame | None = None,
    candidates: int | None = None,
    stop_minutes: float | None = None,
    mode: str | None = None,
    method: str = "auto",
    time_limit: float | None = None,
    network=None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, PatrolPlan]:
    """Plan patrol routes for ``teams`` teams through the riskiest water sites.

    Parameters
    ----------
    dataset
        A dataset with ``roads`` and ``water_bodies`` (and households/children for risk).
    teams
        Number of teams (one route each).
    shift_hours
        Longest route (travel + stops), hours.
    bases
        Station ids or ``"lon,lat"`` points, one per team (fewer are reused in turn; none: the
        station nearest the risk-weighted centre of the candidates, see :func:`default_base`).
    pinned
        Site ids that must be visited.
    sites
        Precomputed :func:`geo.water.pipeline.water_sites` (metric CRS); computed when ``None``.
    candidates
        The riskiest this many sites with risk > 0 are candidates (``settings.patrol_candidates``).
    stop_minutes
        Minutes at each site (``settings.patrol_stop_minutes``).
    mode
        ``"drive"`` or ``"walk"`` (``settings.patrol_mode``).
    method, time_limit
        As :meth:`PatrolPlan.solve`.
    network
        A prebuilt :class:`geo.reach.network.Network` in the sites' CRS.

    Returns
    -------
    routes : geopandas.GeoDataFrame
        ``team, base, length_m, duration_min, stops, risk, geometry`` (line along the roads).
    stops : geopandas.GeoDataFrame
        ``team, order, site_id, arrive_min, depart_min, risk, kit_status, geometry`` (site point).
    plan : PatrolPlan
        The solved model.
    """
    from geo.reach.roads import network_for_dataset

    problems = []
    if teams < 1:
        problems.append(f"--teams must be at least 1, not {teams}")
    if not shift_hours or shift_hours <= 0:
        problems.append(f"the shift must be longer than 0 hours, not {shift_hours}")
    if problems:
        raise ValidationError("; ".join(problems))
    if "roads" not in dataset:
        raise MissingLayerError(["roads"], "patrol planning")
    if sites is None:
        from geo.water.pipeline import water_sites

        sites = water_sites(dataset)
    if network is None:
        network = network_for_dataset(dataset)
    crs = sites.crs
    if crs is None or network.crs is None or not crs.equals(network.crs):
        raise CRSError("the sites and the road network are in different CRSs: give sites in the "
                       "dataset's metric CRS (water_sites returns them so)")
    m = int(settings.patrol_candidates if candidates is None else candidates)
    stop_s = 60.0 * float(settings.patrol_stop_minutes if stop_minutes is None else stop_minutes)
    mode = mode or settings.patrol_mode
    pinned = [str(p) for p in pinned]
    ids = sites["site_id"].astype("string").to_numpy()
    unknown = [p for p in pinned if p not in set(ids)]
    if unknown:
        raise ValidationError(f"unknown pinned site(s): {', '.join(unknown)}")
    order = np.argsort(-sites["risk"].to_numpy(float), kind="stable")
    top = [i for i in order[:m] if sites["risk"].iloc[i] > 0]
    chosen = list(dict.fromkeys(top + [int(np.flatnonzero(ids == p)[0]) for p in pinned]))
    cand = sites.iloc[chosen]
    base_ids = list(bases) if bases else default_base(dataset, cand if len(cand) else sites)
    base_pts, base_labels = parse_bases(dataset, base_ids)
    # one depot node per distinct base
    uniq_labels = list(dict.fromkeys(base_labels))
    depot_pts = np.array([base_pts[base_labels.index(b)] for b in uniq_labels])
    team_base = [uniq_labels.index(base_labels[t % len(base_labels)]) for t in range(teams)]
    pts = np.vstack([depot_pts, _site_points(cand)]) if len(cand) else depot_pts
    tm = TimeMatrix(network, pts, mode=mode)
    nd = len(depot_pts)
    prize = np.concatenate([np.zeros(nd), cand["risk"].to_numpy(float)])
    service = np.concatenate([np.zeros(nd), np.full(len(cand), stop_s)])
    pin_nodes = [nd + chosen.index(int(np.flatnonzero(ids == p)[0])) for p in pinned]
    # sites no base can reach and return from are left out (reported)
    reach = np.isfinite(tm.time[:nd, nd:]).any(axis=0) & np.isfinite(tm.time[nd:, :nd]).any(axis=1)
    prize[nd:][~reach] = 0.0
    if (~reach).any():
        logger.warning("patrols: %d candidate sites cannot be reached from the bases", int((~reach).sum()))
    plan = PatrolPlan.from_cost_matrix(tm.time, prize, starts=team_base, shift=shift_hours * 3600.0,
                                       service=service, pinned=pin_nodes).solve(method=method, time_limit=time_limit)
    routes, stops = _frames(plan, tm, cand, nd, uniq_labels, team_base, crs)
    if settings.log_summaries:
        share = plan.collected / prize.sum() if prize.sum() > 0 else 0.0
        logger.info("patrols (%s): %d teams visit %d of %d candidate sites, %.1f%% of their risk",
                    plan.method, teams, len(plan.visited), len(cand), 100 * share)
    return routes, stops, plan


def _frames(plan: PatrolPlan, tm: TimeMatrix, cand: gpd.GeoDataFrame, nd: int, labels: list[str],
            team_base: list[int], crs) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    route_rows, stop_rows = [], []
    kit = cand["kit_status"].astype("string").to_numpy() if "kit_status" in cand else np.full(len(cand), None)
    for t, r in enumerate(plan.routes):
        legs = [tm.path(a, b) for a, b in zip(r[:-1], r[1:], strict=True)]
        coords = [np.asarray(leg.coords) for leg in legs if leg is not None]
        line = shapely.LineString(np.vstack(coords)) if coords else None
        sites_r = r[1:-1]
        route_rows.append({
            "team": t + 1, "base": labels[team_base[t]],
            "length_m": float(sum(leg.length for leg in legs if leg is not None)),
            "duration_min": plan.duration[t] / 60.0, "stops": len(sites_r),
            "risk": float(plan.prize[sites_r].sum()) if sites_r else 0.0, "geometry": line,
        })
        for k, node in enumerate(sites_r):
            i = node - nd
            arrive = plan.arrival[t][k + 1]
            stop_rows.append({
                "team": t + 1, "order": k + 1, "site_id": str(cand["site_id"].iloc[i]),
                "arrive_min": arrive / 60.0, "depart_min": (arrive + plan.service[node]) / 60.0,
                "risk": float(plan.prize[node]), "kit_status": kit[i],
                "geometry": shapely.Point(tm.points[node]),
            })
    routes = gpd.GeoDataFrame(route_rows, geometry="geometry", crs=crs) if route_rows else gpd.GeoDataFrame(
        columns=["team", "base", "length_m", "duration_min", "stops", "risk", "geometry"], geometry="geometry", crs=crs)
    stop_cols = ["team", "order", "site_id", "arrive_min", "depart_min", "risk", "kit_status", "geometry"]
    stops = gpd.GeoDataFrame(stop_rows, columns=stop_cols, geometry="geometry", crs=crs)
    for col in ("team", "order"):
        stops[col] = stops[col].astype("int64")
    return routes, stops


def routes_to_gpx(routes: gpd.GeoDataFrame, stops: gpd.GeoDataFrame, *, team: int | None = None) -> str:
    """Return a GPX document: each team's route as a track, its stops as numbered waypoints."""
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "ChildSafe Map"
    r4326 = routes.to_crs(STORAGE_CRS)
    s4326 = stops.to_crs(STORAGE_CRS)
    for _, row in r4326.iterrows():
        if team is not None and int(row["team"]) != team:
            continue
        trk = gpxpy.gpx.GPXTrack(name=f"Team {int(row['team'])}")
        seg = gpxpy.gpx.GPXTrackSegment()
        if row.geometry is not None:
            seg.points = [gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in row.geometry.coords]
        trk.segments.append(seg)
        gpx.tracks.append(trk)
        for _, s in s4326[s4326["team"] == row["team"]].sort_values("order").iterrows():
            gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(
                s.geometry.y, s.geometry.x, name=f"{int(s['team'])}-{int(s['order'])} {s['site_id']}",
                description=f"arrive +{s['arrive_min']:.0f} min"))
    return gpx.to_xml()

