"""Exposure and drowning risk of water sites from the children living near them.

For every site and every household within ``settings.decay_zero_m`` the exact distance from
the household point to the site geometry is computed (STRtree candidates from the sites'
boxes grown by the distance, then one vectorised ``shapely.distance``; no buffers, so the
counts are exact). Children are joined to their household's point; they are summed per
household first, so the geometry work is per household, not per child.

- decay weight ``d(x)``: 1 up to ``settings.decay_full_m`` (100 m), falling linearly to 0 at
  ``settings.decay_zero_m`` (1,000 m) (DOMAIN.md §3: 71.6% of drowned under-fives lived
  within 100 m of the water);
- vulnerability ``v`` of a child: age weight (rural drowning mortality of its age band / the
  1–4 band's, DOMAIN.md §3) x supervision multipliers (left-behind, caregiver grandparents or
  none, lives alone, disability) x guardianship rating multiplier;
- hazard ``h`` of a site: ``(1 + sum of the weights of the missing kit items) x barrier factor
  (if a barrier) x kind factor``;
- ``risk = h x sum over children of v x d(distance)``, plus ``children_100m`` and
  ``children_500m`` (children whose household lies within those distances of the site).

Every weight is a setting (``geo/store/settings.py``, water section) documented in
``docs/water-risk.md``.
"""

from __future__ import annotations

import datetime as _dt
import logging
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store import settings
from geo.store.errors import ValidationError
from geo.store.projection import check_same_crs
from geo.store.schema import KIT_ITEMS
from geo.water.kits import item_hazard

logger = logging.getLogger(__name__)


def decay_weight(distance: np.ndarray, *, full: float | None = None, zero: float | None = None) -> np.ndarray:
    """Distance-decay weight: 1 up to ``full`` metres, linear to 0 at ``zero`` metres."""
    full = float(settings.decay_full_m if full is None else full)
    zero = float(settings.decay_zero_m if zero is None else zero)
    if not 0 <= full <= zero or zero <= 0:
        raise ValidationError(f"decay distances must satisfy 0 <= full ({full}) <= zero ({zero}), zero > 0")
    d = np.asarray(distance, dtype=float)
    if zero == full:
        return (d <= full).astype(float)
    return np.clip((zero - d) / (zero - full), 0.0, 1.0)


def age_weight(age: np.ndarray, *, rates: dict | None = None, unknown: float | None = None) -> np.ndarray:
    """Age weight: drowning mortality of the child's age band over that of ages 1–4.

    Ages outside every band (18 and over, negative) weigh 0; a missing age weighs
    ``settings.water_age_unknown_weight``.
    """
    rates = settings.water_age_rates if rates is None else rates
    unknown = float(settings.water_age_unknown_weight if unknown is None else unknown)
    ref = float(rates.get((1, 4), max(rates.values())))
    a = np.asarray(age, dtype=float)
    out = np.zeros(len(a))
    for (lo, hi), rate in rates.items():
        out[(a >= lo) & (a <= hi)] = float(rate) / ref
    out[np.isnan(a)] = unknown
    return out


def child_vulnerability(
    children: pd.DataFrame,
    households: pd.DataFrame,
    *,
    as_of: _dt.date | None = None,
    rates: dict | None = None,
    supervision: dict[str, float] | None = None,
    guardianship: dict[str, float] | None = None,
    positions: np.ndarray | None = None,
) -> pd.Series:
    """Return each child's vulnerability weight (index of ``children``).

    Parameters
    ----------
    children
        The ``children`` table.
    households
        The ``households`` layer (for the caregiver).
    as_of
        Date the age is counted at (default today): age = year of ``as_of`` - birth year.
    rates, supervision, guardianship
        Default ``settings.water_age_rates``, ``water_supervision_weights``,
        ``water_guardianship_weights``.
    positions
        Each child's household position (:func:`household_positions`), if already known.
    """
    sup = settings.water_supervision_weights if supervision is None else supervision
    gua = settings.water_guardianship_weights if guardianship is None else guardianship
    year = (as_of or _dt.date.today()).year
    birth = pd.to_numeric(children.get("birth_year"), errors="coerce") if "birth_year" in children else None
    age = (year - birth.astype(float)).to_numpy() if birth is not None else np.full(len(children), np.nan)
    v = age_weight(age, rates=rates)

    def flag(name: str) -> np.ndarray:
        if name not in children:
            return np.zeros(len(children), bool)
        return children[name].fillna(False).astype(bool).to_numpy()

    v = v * np.where(flag("left_behind"), sup.get("left_behind", 1.0), 1.0)
    v = v * np.where(flag("lives_alone"), sup.get("lives_alone", 1.0), 1.0)
    v = v * np.where(flag("disability"), sup.get("disability", 1.0), 1.0)
    pos = household_positions(children, households) if positions is None else positions
    care_all = households["caregiver"].astype("string").fillna("").to_numpy(dtype=object) \
        if "caregiver" in households else np.full(len(households), "", dtype=object)
    care = np.where(pos >= 0, care_all[np.maximum(pos, 0)] if len(care_all) else "", "")
    v = v * np.where(care == "grandparents", sup.get("caregiver_grandparents", 1.0), 1.0)
    v = v * np.where(care == "none", sup.get("caregiver_none", 1.0), 1.0)
    if "guardianship" in children:
        g = children["guardianship"].astype("string").map(dict(gua)).astype(float).fillna(1.0)
        v = v * g.to_numpy(dtype=float)
    return pd.Series(v, index=children.index, name="vulnerability")


def household_positions(children: pd.DataFrame, households: pd.DataFrame) -> np.ndarray:
    """Position in ``households`` of each child's household (-1 when unknown)."""
    if not len(children):
        return np.zeros(0, dtype=np.int64)
    index = pd.Index(households["household_id"].astype("string").to_numpy(dtype=object))
    first = np.flatnonzero(~index.duplicated())  # a repeated id: its first household counts
    found = index[first].get_indexer(children["household_id"].astype("string").to_numpy(dtype=object))
    return np.where(found >= 0, first[np.maximum(found, 0)], -1) if len(first) else np.full(len(children), -1)


def site_hazard(
    status: pd.DataFrame,
    kinds: pd.Series | None = None,
    *,
    item_hazard_weights: dict[str, float] | None = None,
    barrier_factor: float | None = None,
    kind_hazard: dict[str, float] | None = None,
) -> np.ndarray:
    """Hazard factor of each site from its missing kit items, barrier and water kind.

    Parameters
    ----------
    status
        :func:`geo.water.kits.kit_status` output (item columns present at the best kit, ``barrier``).
    kinds
        Water kind of each site (for ``settings.water_kind_hazard``).
    """
    factor = float(settings.water_barrier_factor if barrier_factor is None else barrier_factor)
    kh = settings.water_kind_hazard if kind_hazard is None else kind_hazard
    missing = ~status[list(KIT_ITEMS)].to_numpy(dtype=bool)
    h = item_hazard(missing, item_hazard=item_hazard_weights)
    h = h * np.where(status["barrier"].to_numpy(dtype=bool), factor, 1.0)
    if kinds is not None and kh:
        h = h * kinds.astype("string").map(lambda k: kh.get(k, 1.0) if isinstance(k, str) else 1.0).to_numpy(float)
    return h


def site_household_pairs(
    sites: gpd.GeoDataFrame, points: gpd.GeoDataFrame | np.ndarray, max_distance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (site, point) pair within ``max_distance`` metres, with the exact distance.

    Candidates come from an STRtree of the points queried with the sites' boxes grown by
    ``max_distance``; the exact distance of each candidate is computed in closed form (numpy)
    for straight one-segment sites and by one vectorised ``shapely.distance`` call (GEOS; 0
    inside a polygon) for the others, and the pairs within reach are kept. (Measured: faster
    than the tree's own ``dwithin`` predicate followed by a distance call, and than a numpy
    point-to-segment computation over every segment of every site.)

    Returns
    -------
    site_index, point_index, distance
        Positional indices into ``sites`` and ``points``, distances in metres.
    """
    site_geom = sites.geometry.to_numpy() if hasattr(sites, "geometry") else np.asarray(sites)
    pts = points.geometry.to_numpy() if hasattr(points, "geometry") else np.asarray(points)
    empty = np.array([], dtype=np.int64)
    if len(site_geom) == 0 or len(pts) == 0:
        return empty, empty, np.array([], dtype=float)
    tree = shapely.STRtree(pts)
    pts_xy = shapely.get_coordinates(pts)
    # Shapely and numpy release the GIL: chunks of sites run on the machine's cores
    # (settings.threads); each chunk's result is exact, so the output does not depend on them.
    n_chunks = max(1, min(4 * int(settings.threads), len(site_geom) // _CHUNK_MIN_SITES))
    if n_chunks == 1:
        return _pairs_chunk(site_geom, pts, pts_xy, tree, np.arange(len(site_geom)), max_distance)
    chunks = np.array_split(np.arange(len(site_geom)), n_chunks)
    with ThreadPoolExecutor(max_workers=int(settings.threads)) as pool:
        parts = list(pool.map(lambda c: _pairs_chunk(site_geom, pts, pts_xy, tree, c, max_distance), chunks))
    return tuple(np.concatenate([part[k] for part in parts]) for k in range(3))  # type: ignore[return-value]


_CHUNK_MIN_SITES = 5_000


def _pairs_chunk(
    all_sites: np.ndarray,
    pts: np.ndarray,
    pts_xy: np.ndarray,
    tree: shapely.STRtree,
    which: np.ndarray,
    max_distance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`site_household_pairs` for the sites ``which`` (positional), against ``tree``."""
    site_geom = all_sites[which]
    b = shapely.bounds(site_geom)
    boxes = shapely.box(b[:, 0] - max_distance, b[:, 1] - max_distance, b[:, 2] + max_distance, b[:, 3] + max_distance)
    s_i, p_j = tree.query(boxes)
    d = np.empty(len(s_i))
    # straight pieces (one segment: most canal and ditch sites) in closed form with numpy, the
    # rest (ponds, bends) by GEOS
    single = (shapely.get_type_id(site_geom) == 1) & (shapely.get_num_coordinates(site_geom) == 2)
    one = single[s_i]
    if one.any():
        ends = np.zeros((len(site_geom), 2, 2))
        ends[single] = shapely.get_coordinates(site_geom[single]).reshape(-1, 2, 2)
        si, xy = s_i[one], pts_xy[p_j[one]]
        a, ab = ends[si, 0], ends[si, 1] - ends[si, 0]
        aq = xy - a
        len2 = (ab * ab).sum(axis=1)
        t = np.clip(np.divide((aq * ab).sum(axis=1), len2, out=np.zeros_like(len2), where=len2 > 0), 0.0, 1.0)
        d[one] = np.hypot(*(aq - t[:, None] * ab).T)
    other = ~one
    d[other] = shapely.distance(site_geom[s_i[other]], pts[p_j[other]])
    keep = d <= max_distance
    return which[s_i[keep]], p_j[keep], d[keep]


def site_risk(
    sites: gpd.GeoDataFrame,
    status: pd.DataFrame,
    households: gpd.GeoDataFrame,
    children: pd.DataFrame,
    *,
    as_of: _dt.date | None = None,
    decay_full: float | None = None,
    decay_zero: float | None = None,
    count_distances: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Return exposure and risk of every site (index of ``sites``).

    Parameters
    ----------
    sites
        Water sites, metric CRS.
    status
        Kit status of the sites (:func:`geo.water.kits.kit_status`), same index.
    households
        ``households`` layer in the same CRS.
    children
        ``children`` table (joined to households by ``household_id``; children of unknown
        households are left out and counted in the log).
    as_of
        Date ages are counted at (default today).
    decay_full, decay_zero
        Distance-decay distances, metres (default settings).
    count_distances
        The two distances of ``children_100m`` and ``children_500m`` (default settings).

    Returns
    -------
    pandas.DataFrame
        ``hazard``, ``exposure`` (sum of vulnerability x decay), ``risk`` (= hazard x exposure),
        ``children_100m``, ``children_500m``, ``nearest_child_m`` (NaN if none within reach),
        ``risk_rank`` (1 = highest; ties broken by children within 100 m, then site id).
    """
    zero = float(settings.decay_zero_m if decay_zero is None else decay_zero)
    d100, d500 = settings.water_count_distances_m if count_distances is None else count_distances
    n = len(sites)
    hazard = site_hazard(status, sites.get("kind"))
    exposure: np.ndarray = np.zeros(n)
    c100: np.ndarray = np.zeros(n, dtype=np.int64)
    c500: np.ndarray = np.zeros(n, dtype=np.int64)
    nearest = np.full(n, np.nan)
    if n and len(households) and len(children):
        check_same_crs(sites, households)
        child_pos = household_positions(children, households)
        vul = child_vulnerability(children, households, as_of=as_of, positions=child_pos)
        known = child_pos >= 0
        if not known.all():
            logger.warning("risk: %d children have no known household and are left out", int((~known).sum()))
        cp = child_pos[known]
        hh_v = np.bincount(cp, weights=vul.to_numpy()[known], minlength=len(households))
        hh_n = np.bincount(cp, minlength=len(households))
        with_kids = np.flatnonzero(hh_n > 0)
        reach = max(zero, float(d100), float(d500))
        s_i, h_j, dist = site_household_pairs(sites, households.geometry.to_numpy()[with_kids], reach)
        h_j = with_kids[h_j]
        w = decay_weight(dist, full=decay_full, zero=zero) * hh_v[h_j]
        exposure = np.bincount(s_i, weights=w, minlength=n)
        c100 = np.bincount(s_i, weights=hh_n[h_j] * (dist <= d100), minlength=n).astype(np.int64)
        c500 = np.bincount(s_i, weights=hh_n[h_j] * (dist <= d500), minlength=n).astype(np.int64)
        np.fmin.at(nearest, s_i, dist)
    risk = hazard * exposure
    out = pd.DataFrame(
        {
            "hazard": hazard,
            "exposure": exposure,
            "risk": risk,
            "children_100m": c100,
            "children_500m": c500,
            "nearest_child_m": nearest,
        },
        index=sites.index,
    )
    out["risk_rank"] = rank_desc(risk, c100, sites["site_id"].astype("string").to_numpy(dtype=object))
    logger.info(
        "risk: %d sites, %d with children within %.0f m, %d children within %.0f m in total",
        n, int((c100 > 0).sum()), d100, int(c100.sum()), d100,
    )
    return out


def rank_desc(risk: np.ndarray, tiebreak: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Ordinal rank, 1 = highest ``risk``; ties by larger ``tiebreak`` then smaller id."""
    if len(risk) == 0:
        return np.array([], dtype=np.int64)
    id_order = np.argsort(np.argsort(ids.astype(str), kind="stable"), kind="stable")
    order = np.lexsort((id_order, -np.asarray(tiebreak, float), -np.asarray(risk, float)))
    rank = np.empty(len(risk), dtype=np.int64)
    rank[order] = np.arange(1, len(risk) + 1)
    return rank
