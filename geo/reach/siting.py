"""Station siting: where new stations of a level would reach the most uncovered children.

Two questions, one engine (:mod:`geo.reach.allocation`):

- **best K** new stations (maximal covering, MCLP): cover the most children, weighted by
  children, with existing stations fixed (their children count as covered already);
- **fewest** new stations to bring the covered share of children to a target (set covering,
  LSCP); optionally with a capacity per new station.

Demand is the children at their households (households merged into
``settings.siting_demand_cell_m`` cells when there are more than
``settings.siting_max_demand_points``); only demand not yet covered enters the coverage matrix,
the covered children are one fixed row. Candidates are, by default, village centres and road
nodes within reach of uncovered children, thinned to one per cell of
``settings.siting_candidate_spacing`` x radius; or points from a user file. Coverage uses
network distances (one limited multi-source search per batch of nearby candidates, on the
sub-network within the radius, which is exact because a road path never is shorter than the
straight line) or straight-line distances.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo.reach.access import _check_metric, child_access, service_standards
from geo.reach.allocation import MaximalCovering, SetCovering, coverage_matrix
from geo.reach.network import Network, Snap, _min_csr
from geo.reach.places import place_of
from geo.reach.roads import network_for_dataset
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import MissingLayerError, SettingsError, ValidationError
from geo.store.progress import report

logger = logging.getLogger(__name__)

PROPOSED_COLUMNS = ["order", "candidate_id", "source", "level", "children_newly_covered"]


@dataclass
class SitingResult:
    """What a siting run found.

    Attributes
    ----------
    proposed
        New stations in pick order: ``order``, ``candidate_id``, ``source`` (``village_centre``,
        ``road_node`` or ``user``), ``level``, ``children_newly_covered`` (the coverage gain of
        each site) and where it is (``geo.reach.places.PLACE_COLUMNS``: village, township,
        nearest road, lon/lat); points, metric CRS.
    children
        Children counted (those with a household record).
    covered_before, covered_after
        Children covered by the existing stations, and with the proposed ones too.
    objective, bound, gap, status
        From the solver: covered children (MCLP) or number of stations (LSCP), the proven
        bound, the relative gap and ``optimal`` / ``time_limit`` / ``heuristic`` /
        ``infeasible``.
    """

    proposed: gpd.GeoDataFrame
    level: str
    radius_m: float
    metric: str
    children: int
    covered_before: float
    covered_after: float
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    n_candidates: int
    n_demand: int
    seconds: dict = field(default_factory=dict)

    @property
    def share_before(self) -> float:
        """Covered share before, 0-1."""
        return self.covered_before / self.children if self.children else 1.0

    @property
    def share_after(self) -> float:
        """Covered share after, 0-1."""
        return self.covered_after / self.children if self.children else 1.0

    def summary(self) -> dict:
        """The headline figures as a plain dict (for ``--json`` and the app)."""
        return {
            "level": self.level, "radius_m": self.radius_m, "metric": self.metric,
            "children": self.children, "covered_before": self.covered_before,
            "covered_after": self.covered_after, "share_before": self.share_before,
            "share_after": self.share_after, "new_stations": len(self.proposed),
            "objective": self.objective, "bound": self.bound, "gap": self.gap,
            "status": self.status, "method": self.method, "candidates": self.n_candidates,
            "demand_points": self.n_demand, "seconds": self.seconds,
        }


# --- demand and candidates --------------------------------------------------------------------


def siting_demand(
    dataset: Dataset, access: pd.DataFrame, *, level: str, cell_m: float | None = None,
    max_points: int | None = None,
) -> tuple[gpd.GeoDataFrame, float, float]:
    """Return the uncovered demand points, the covered children and the unlocatable children.

    Demand points are households with uncovered children (weight = those children), merged
    into square cells of ``cell_m`` when there are more than ``max_points`` of them; a merged
    cell sits at its household nearest the cell's weighted centre.
    """
    cell = float(settings.siting_demand_cell_m if cell_m is None else cell_m)
    cap = int(settings.siting_max_demand_points if max_points is None else max_points)
    hh = dataset["households"]
    acc = access[access["level"] == level]
    covered = float(acc["covered"].sum())
    hxy = pd.DataFrame({"household_id": hh["household_id"].astype("string").to_numpy(),
                        "x": hh.geometry.x.to_numpy(), "y": hh.geometry.y.to_numpy()}
                       ).drop_duplicates("household_id")
    un = acc[~acc["covered"]].groupby("household_id").size().rename("weight").reset_index()
    un = un.merge(hxy, on="household_id", how="left")
    located = np.isfinite(un["x"].to_numpy(float)) & np.isfinite(un["y"].to_numpy(float))
    lost = float(un.loc[~located, "weight"].sum())
    un = un[located].reset_index(drop=True)
    if len(un) > cap:
        gx = np.floor(un["x"] / cell).astype(np.int64)
        gy = np.floor(un["y"] / cell).astype(np.int64)
        un = un.assign(gx=gx, gy=gy)
        w = un["weight"].to_numpy(float)
        grp = un.groupby(["gx", "gy"], sort=False)
        cx = grp["x"].transform(lambda s: np.average(s, weights=w[s.index]))
        cy = grp["y"].transform(lambda s: np.average(s, weights=w[s.index]))
        un["d"] = np.hypot(un["x"] - cx, un["y"] - cy)
        rep = un.sort_values("d", kind="stable").drop_duplicates(["gx", "gy"]).set_index(["gx", "gy"])
        tot = grp["weight"].sum()
        un = rep.assign(weight=tot.reindex(rep.index).to_numpy()).reset_index(drop=True)
    demand = gpd.GeoDataFrame(
        {"household_id": un["household_id"].to_numpy(), "weight": un["weight"].to_numpy(float)},
        geometry=shapely.points(un[["x", "y"]].to_numpy(float)), crs=hh.crs,
    )
    return demand, covered, lost


def default_candidates(
    dataset: Dataset, network: Network | None, demand: gpd.GeoDataFrame, *, radius: float,
    spacing: float | None = None,
) -> gpd.GeoDataFrame:
    """Return candidate sites: village centres and thinned road nodes within reach of demand.

    Village centres are the representative points of ``admin_units`` villages (or the mean of
    their households); road nodes within ``radius`` of an uncovered demand point are thinned to
    the node nearest the centre of each ``spacing`` x ``radius`` square. Only candidates within
    ``radius`` (straight line) of some demand are kept: the others cannot cover anyone.
    """
    frac = float(settings.siting_candidate_spacing if spacing is None else spacing)
    crs = dataset["households"].crs
    parts = []
    admin = dataset["admin_units"]
    villages = admin[admin["level"] == "village"] if len(admin) else admin
    if len(villages):
        pts = villages.geometry.representative_point()
        parts.append(pd.DataFrame({"candidate_id": "v" + villages["code"].astype(str).to_numpy(),
                                   "source": "village_centre", "x": pts.x.to_numpy(), "y": pts.y.to_numpy()}))
    elif "households" in dataset:
        hh = dataset["households"]
        g = pd.DataFrame({"v": hh["village_code"].astype(str).to_numpy(), "x": hh.geometry.x.to_numpy(),
                          "y": hh.geometry.y.to_numpy()}).groupby("v")[["x", "y"]].mean().reset_index()
        parts.append(pd.DataFrame({"candidate_id": "v" + g["v"], "source": "village_centre",
                                   "x": g["x"], "y": g["y"]}))
    dxy = np.column_stack([demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()]) if len(demand) else np.empty((0, 2))
    if network is not None and network.n_nodes and len(dxy):
        near = cKDTree(dxy).query(network.xy, distance_upper_bound=radius)[0]
        nodes = np.flatnonzero(np.isfinite(near))
        step = max(frac * radius, 1.0)
        nxy = network.xy[nodes]
        g = np.floor(nxy / step)
        d = np.hypot(*(nxy - (g + 0.5) * step).T)
        tab = pd.DataFrame({"node": nodes, "gx": g[:, 0], "gy": g[:, 1], "d": d})
        pick = tab.sort_values("d", kind="stable").drop_duplicates(["gx", "gy"]).sort_values("node")
        picked = pick["node"].to_numpy()
        parts.append(pd.DataFrame({"candidate_id": [f"n{i}" for i in picked], "source": "road_node",
                                   "x": network.xy[picked, 0], "y": network.xy[picked, 1]}))
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["candidate_id", "source", "x", "y"])
    cand = cand[np.isfinite(cand["x"].astype(float)) & np.isfinite(cand["y"].astype(float))]
    if len(dxy) and len(cand):
        dist = cKDTree(dxy).query(cand[["x", "y"]].to_numpy(float), distance_upper_bound=radius)[0]
        cand = cand[np.isfinite(dist)]
    else:
        cand = cand.iloc[0:0]
    return gpd.GeoDataFrame(
        {"candidate_id": cand["candidate_id"].astype(str).to_numpy(), "source": cand["source"].to_numpy()},
        geometry=shapely.points(cand[["x", "y"]].to_numpy(float)), crs=crs,
    )


def read_candidates(path) -> gpd.GeoDataFrame:
    """Read user candidate sites (any vector file of points with a CRS), in the file's CRS."""
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise ValidationError(f"cannot read candidate file {path}: {exc}") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise ValidationError(f"candidate file {path} has no point geometries with a CRS")
    bad = ~frame.geometry.geom_type.isin(["Point"]) | frame.geometry.isna()
    if bad.any():
        raise ValidationError(
            f"candidate file {path}: rows {np.flatnonzero(bad.to_numpy())[:10].tolist()} are not points"
        )
    ids = frame["candidate_id"].astype(str) if "candidate_id" in frame else pd.Series(
        [f"u{i + 1}" for i in range(len(frame))])
    out = gpd.GeoDataFrame({"candidate_id": ids.to_numpy(), "source": "user"},
                           geometry=frame.geometry.to_numpy(), crs=frame.crs)
    if "capacity" in frame:
        out["capacity"] = pd.to_numeric(frame["capacity"], errors="coerce").to_numpy()
    return out


# --- coverage matrix --------------------------------------------------------------------------


def network_coverage_matrix(
    network: Network,
    demand: gpd.GeoSeries,
    candidates: gpd.GeoSeries,
    *,
    radius: float,
    mode: str = "walk",
    batch: int = 64,
    demand_snap: Snap | None = None,
) -> sp.csr_matrix:
    """Return the (n_demand x n_candidates) bool matrix: road distance demand -> candidate <= radius.

    Candidates are processed in batches of spatial neighbours; each batch searches (limited to
    ``radius``) the sub-network of nodes within ``radius`` straight-line distance of its
    candidates, which holds every path of length <= ``radius``.
    """
    nd, nc = len(demand), len(candidates)
    if nd == 0 or nc == 0 or network.n_edges == 0:
        return sp.csr_matrix((nd, nc), dtype=bool)
    ds = demand_snap if demand_snap is not None else network.snap_points(demand)
    cs = network.snap_points(candidates)
    dxy = np.column_stack([demand.x.to_numpy(), demand.y.to_numpy()])
    cxy = np.column_stack([candidates.x.to_numpy(), candidates.y.to_numpy()])
    g_rev = network.graph(mode, "length").T.tocsr()
    node_tree = cKDTree(network.xy)
    dem_tree = cKDTree(dxy)
    fwd, back = network.edge_directions(mode)
    # demand leaving its point: to u needs the backward direction, to v the forward one
    de = np.where(ds.valid, ds.edge, 0)
    d_wu = np.where(back[de] & ds.valid, ds.offset + ds.along, np.inf)
    d_wv = np.where(fwd[de] & ds.valid, ds.offset + ds.rest, np.inf)
    c_wu, c_wv = network.partial_weights(cs, mode=mode, weight="length")
    ce = np.where(cs.valid, cs.edge, 0)
    c_wu = np.where(fwd[ce], c_wu, np.inf)  # reaching the candidate from u goes forward
    c_wv = np.where(back[ce], c_wv, np.inf)
    key = np.floor(cxy / max(radius, 1.0))
    order = np.lexsort((key[:, 1], key[:, 0]))
    rows_out, cols_out = [], []
    for start in range(0, nc, batch):
        idx = order[start:start + batch]
        idx = idx[cs.valid[idx]]
        if len(idx) == 0:
            continue
        near = node_tree.query_ball_point(cxy[idx], r=radius)
        nodes = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in near]))
        k = len(idx)
        if len(nodes) == 0:
            continue
        sub = g_rev[nodes][:, nodes].tocoo()
        m = len(nodes)
        loc_u = np.searchsorted(nodes, cs.u[idx])
        loc_u_ok = (loc_u < m) & (nodes[np.clip(loc_u, 0, m - 1)] == cs.u[idx])
        loc_v = np.searchsorted(nodes, cs.v[idx])
        loc_v_ok = (loc_v < m) & (nodes[np.clip(loc_v, 0, m - 1)] == cs.v[idx])
        virt = m + np.arange(k)
        su = loc_u_ok & np.isfinite(c_wu[idx])
        sv = loc_v_ok & np.isfinite(c_wv[idx])
        aug = _min_csr(
            np.concatenate([sub.row, virt[su], virt[sv]]),
            np.concatenate([sub.col, loc_u[su], loc_v[sv]]),
            np.concatenate([sub.data, c_wu[idx][su], c_wv[idx][sv]]),
            m + k,
        )
        dist = csgraph.dijkstra(aug, directed=True, indices=virt, limit=radius)[:, :m]
        # demand near the batch's candidates
        lists = dem_tree.query_ball_point(cxy[idx], r=radius)
        lens = np.fromiter((len(x) for x in lists), dtype=np.int64, count=k)
        if lens.sum() == 0:
            continue
        pc = np.repeat(np.arange(k), lens)
        pd_ = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists if len(x)])
        du = np.searchsorted(nodes, ds.u[pd_])
        du_ok = (du < m) & (nodes[np.clip(du, 0, m - 1)] == ds.u[pd_]) & ds.valid[pd_]
        dv = np.searchsorted(nodes, ds.v[pd_])
        dv_ok = (dv < m) & (nodes[np.clip(dv, 0, m - 1)] == ds.v[pd_]) & ds.valid[pd_]
        via_u = np.where(du_ok, dist[pc, np.clip(du, 0, m - 1)] + d_wu[pd_], np.inf)
        via_v = np.where(dv_ok, dist[pc, np.clip(dv, 0, m - 1)] + d_wv[pd_], np.inf)
        hit = np.minimum(via_u, via_v) <= radius
        rows_out.append(pd_[hit])
        cols_out.append(idx[pc[hit]])
        report("coverage matrix", min(start + batch, nc), nc)
    i, j, w = network.same_edge_weights(ds, cs, mode=mode, weight="length")
    ok = w <= radius
    rows_out.append(i[ok])
    cols_out.append(j[ok])
    r = np.concatenate(rows_out) if rows_out else np.empty(0, np.int64)
    c = np.concatenate(cols_out) if cols_out else np.empty(0, np.int64)
    out = sp.csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(nd, nc), dtype=bool)
    out.sum_duplicates()
    return out


# --- the siting run ---------------------------------------------------------------------------


@dataclass
class _Problem:
    """A siting problem: candidates, the coverage matrix with its two fixed rows, the weights."""

    mds: Dataset
    metric: str
    radius: float
    cand: gpd.GeoDataFrame
    full: sp.csr_matrix
    weights: np.ndarray
    fixed: np.ndarray
    covered: float
    n_demand: int


def _siting_problem(dataset: Dataset, *, level: str, candidates, radius, metric, network, access,
                    times: dict[str, float], t0: float) -> _Problem:
    metric = _check_metric(metric)
    std = service_standards()
    if level not in std:
        raise SettingsError(f"no service standard for station level {level!r}")
    r = float(std[level][0] if radius is None else radius)
    if r <= 0:
        raise SettingsError("the radius must be positive")
    mode = std[level][1]
    need = [n for n in ("households", "children") if n not in dataset]
    if need:
        raise MissingLayerError(need, "station siting")
    mds = dataset.metric()
    if metric == "network" and network is None:
        network = network_for_dataset(dataset)
    if access is None:
        access = child_access(mds, levels=[level], metric=metric, network=network,
                              standards={**std, level: (r, mode)})
    times["access"] = time.perf_counter() - t0
    t = time.perf_counter()
    demand, covered, lost = siting_demand(mds, access, level=level)
    if candidates is None:
        cand = default_candidates(mds, network, demand, radius=r)
    else:
        cand = dataset.to_metric(candidates)
        if "candidate_id" not in cand:
            cand = cand.assign(candidate_id=[f"u{i + 1}" for i in range(len(cand))])
        if "source" not in cand:
            cand = cand.assign(source="user")
    times["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    if metric == "network" and network is not None:
        cov = network_coverage_matrix(network, demand.geometry, cand.geometry, radius=r, mode=mode)
    else:
        cov = coverage_matrix(_xy(demand), _xy(cand), r)
    times["coverage_matrix"] = time.perf_counter() - t
    # rows: uncovered demand, then one fixed row for the covered children, one for the lost
    n_d = len(demand)
    full = sp.vstack([cov, sp.csr_matrix((2, cov.shape[1]), dtype=bool)], format="csr")
    weights = np.concatenate([demand["weight"].to_numpy(float), [covered, lost]])
    fixed = np.zeros(n_d + 2, dtype=bool)
    fixed[n_d] = True
    return _Problem(mds, metric, r, cand, full, weights, fixed, float(covered), n_d)


def siting_curve(
    dataset: Dataset,
    *,
    level: str,
    k_max: int,
    candidates: gpd.GeoDataFrame | None = None,
    radius: float | None = None,
    metric: str | None = None,
    method: str = "exact",
    time_limit: float | None = None,
) -> pd.DataFrame:
    """Children covered with the best ``k`` new stations, for ``k`` = 0..``k_max``.

    The marginal-gain curve of one area, for sharing a budget of new stations between areas
    (``geo.distributed.budget``). One coverage matrix, a maximal-covering solve per ``k``.

    Returns
    -------
    DataFrame
        ``k``, ``covered`` (children covered with k new stations), ``bound`` (proven upper
        bound), ``status`` (``optimal`` when exact).
    """
    if int(k_max) < 0:
        raise SettingsError("the number of new stations must not be negative")
    times: dict[str, float] = {}
    prob = _siting_problem(dataset, level=level, candidates=candidates, radius=radius,
                           metric=metric, network=None, access=None, times=times,
                           t0=time.perf_counter())
    rows = [(0, prob.covered, prob.covered, "optimal")]
    for k in range(1, min(int(k_max), len(prob.cand)) + 1):
        model = MaximalCovering.from_coverage(prob.full, prob.weights, p=k, fixed=prob.fixed)
        model.solve(method=method, time_limit=time_limit)
        rows.append((k, float(model.objective), float(model.bound), str(model.status)))
    last = rows[-1]
    rows += [(k, last[1], last[2], last[3]) for k in range(len(rows), int(k_max) + 1)]  # no more sites
    return pd.DataFrame(rows, columns=["k", "covered", "bound", "status"])


def site_stations(
    dataset: Dataset,
    *,
    level: str,
    new: int | None = None,
    target: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    radius: float | None = None,
    metric: str | None = None,
    capacity: float | None = None,
    method: str = "auto",
    time_limit: float | None = None,
    network: Network | None = None,
    access: pd.DataFrame | None = None,
) -> SitingResult:
    """Choose new station sites of ``level``: the best ``new`` ones, or the fewest to ``target``.

    Parameters
    ----------
    dataset
        Households, children, stations (and roads for the network metric); any CRS.
    level
        Station level to site (``village``, ``township``, ``county``, ``school``).
    new, target
        Exactly one: the number of new stations (maximal covering), or the covered share of
        children to reach, 0-1 (set covering).
    candidates
        Candidate points (any CRS; optional ``candidate_id``, ``capacity``); default
        :func:`default_candidates`.
    radius
        Service distance in metres (default: the level's service standard).
    metric
        ``"network"`` or ``"euclidean"`` (default ``settings.coverage_metric``).
    capacity
        Children one new station can serve (maximal covering only; a ``capacity`` column of
        ``candidates`` overrides it per candidate).
    method, time_limit
        Passed to the allocation engine's ``solve()``.
    network, access
        Prebuilt routing network and :func:`geo.reach.access.child_access` output (computed if
        missing).

    Returns
    -------
    SitingResult
    """
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    if (new is None) == (target is None):
        raise SettingsError("give either the number of new stations or a target share, not both")
    if new is not None and int(new) < 1:
        raise SettingsError("the number of new stations must be at least 1")
    if target is not None and not 0 < float(target) <= 1:
        raise SettingsError("the target share must be above 0 and at most 1 (e.g. 0.95)")
    if target is not None and capacity is not None:
        raise SettingsError("capacity applies to choosing K new stations (--new), not to a target")
    prob = _siting_problem(dataset, level=level, candidates=candidates, radius=radius,
                           metric=metric, network=network, access=access, times=times, t0=t0)
    cand, full, weights, fixed, covered, n_d = (prob.cand, prob.full, prob.weights, prob.fixed,
                                                 prob.covered, prob.n_demand)
    mds, r, metric = prob.mds, prob.radius, prob.metric
    t = time.perf_counter()
    if new is not None:
        cap = None
        if "capacity" in cand and cand["capacity"].notna().any():
            default = float(weights.sum()) if capacity is None else float(capacity)  # none: unlimited
            cap = cand["capacity"].astype(float).fillna(default).to_numpy()
        elif capacity is not None:
            cap = np.full(len(cand), float(capacity))
        model: MaximalCovering | SetCovering = MaximalCovering.from_coverage(
            full, weights, p=int(new), fixed=fixed, capacity=cap)
    else:
        assert target is not None
        model = SetCovering.from_coverage(full, weights, target_share=float(target), fixed=fixed)
    model.solve(method=method, time_limit=time_limit)
    times["solve"] = time.perf_counter() - t
    sel = list(model.selected)
    picked = cand.iloc[sel]
    proposed = gpd.GeoDataFrame(
        {"order": np.arange(1, len(sel) + 1), "candidate_id": picked["candidate_id"].astype(str).to_numpy(),
         "source": picked["source"].astype(str).to_numpy(), "level": level,
         "children_newly_covered": np.asarray(model.gain, dtype=float)},
        geometry=picked.geometry.to_numpy(), crs=mds.crs,
    )
    for c in ("candidate_id", "source", "level"):
        proposed[c] = proposed[c].astype("string")
    places = place_of(mds, proposed)  # village, township, nearest road, lon/lat of each site
    for c in places.columns:
        proposed[c] = places[c].to_numpy()
    after = float(weights[model.covered].sum()) if len(sel) else covered
    if new is not None and model.problem.capacity is not None:
        after = float(model.objective)
    times["total"] = time.perf_counter() - t0
    res = SitingResult(
        proposed=proposed, level=level, radius_m=r, metric=metric,
        children=int(round(weights.sum())), covered_before=covered, covered_after=after,
        objective=float(model.objective) if new is not None else float(len(sel)),
        bound=float(model.bound), gap=float(model.gap), status=str(model.status),
        method=str(model.method), n_candidates=len(cand), n_demand=n_d, seconds=times,
    )
    logger.info(
        "siting %s: %d new stations, covered %d -> %d of %d children (%s)",
        level, len(sel), covered, after, res.children, res.status,
    )
    return res


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    if len(frame) == 0:
        return np.empty((0, 2))
    return np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()])
