"""Water safety: the one pipeline from a dataset to ranked, kit-checked, hot-spot-tested sites.

``water_sites(dataset)`` chains :mod:`geo.water.sites` (cut waters into sites), :mod:`geo.water.kits`
("four ones" compliance with inspections applied), :mod:`geo.water.risk` (children near each site,
decay, vulnerability, hazard) and :mod:`geo.water.hotspots` (Gi*), and adds each site's village and
township code. ``site_explanation`` says why one site ranks where it does (counts only, no
personal data). The model and its parameters: ``docs/water-risk.md``.
"""

from __future__ import annotations

import datetime as _dt
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import MissingLayerError
from geo.store.geometry import repaired
from geo.store.progress import stage
from geo.store.schema import KIT_ITEMS
from geo.store.withheld import require_full
from geo.water.hotspots import hotspots
from geo.water.kits import kit_status
from geo.water.risk import (
    child_vulnerability,
    decay_weight,
    rank_desc,
    site_household_pairs,
    site_risk,
)
from geo.water.sites import sites_from_water

logger = logging.getLogger(__name__)

#: the columns of the ``water_sites`` result layer, in order.
RESULT_COLUMNS = [
    "site_id", "water_id", "kind", "kit_status", "missing_items", "barrier",
    "children_100m", "children_500m", "risk", "risk_rank", "gi_z", "gi_p", "gi_bin",
    "township_code", "village_code", "hazard", "exposure", "nearest_child_m", "kits_near",
    "best_kit", "length_m",
]

AGE_BANDS = ((0, 0), (1, 4), (5, 9), (10, 14), (15, 17))


def reference_date(dataset: Dataset, as_of: _dt.date | None = None) -> _dt.date:
    """The date ages are counted at: ``as_of``, else the dataset's ``reference_date`` setting
    (the demo's "today"), else today."""
    if as_of is not None:
        return as_of
    text = (dataset.settings or {}).get("reference_date")
    if text:
        try:
            return _dt.date.fromisoformat(str(text)[:10])
        except ValueError:
            logger.warning("dataset setting reference_date=%r is not a date; using today", text)
    return _dt.date.today()


#: the layers the water analysis reads.
USED_LAYERS = ("admin_units", "households", "children", "water_bodies", "safety_kits", "inspections")


def admin_codes(points: np.ndarray, admin: gpd.GeoDataFrame) -> pd.DataFrame:
    """Village and township code of each point from the ``admin_units`` polygons.

    ``points`` are shapely points in the CRS of ``admin``.

    A point in no village polygon takes the township it lies in; the township code of a
    village is the first 9 digits of its code when no township polygon holds the point.
    """
    n = len(points)
    village = np.full(n, None, dtype=object)
    township = np.full(n, None, dtype=object)
    if n and len(admin):
        polys = admin[admin.geom_type.isin(["Polygon", "MultiPolygon"])]
        for level, target in (("village", village), ("township", township)):
            layer = polys[polys["level"].astype("string") == level]
            if not len(layer):
                continue
            tree = shapely.STRtree(layer.geometry.to_numpy())
            p_i, a_j = tree.query(points, predicate="within")
            first = np.unique(p_i, return_index=True)[1]
            target[p_i[first]] = layer["code"].astype("string").to_numpy(dtype=object)[a_j[first]]
        fill = np.array([t is None and isinstance(v, str) and len(v) >= 9 for t, v in zip(township, village, strict=True)], dtype=bool)
        township[fill] = [v[:9] for v in village[fill]]
    return pd.DataFrame(
        {"township_code": pd.array(township, dtype="string"), "village_code": pd.array(village, dtype="string")}
    )


def site_points(sites: gpd.GeoDataFrame) -> np.ndarray:
    """A point on each site: the middle of a line piece, a point inside a whole pond."""
    geoms = sites.geometry.to_numpy()
    out = np.empty(len(geoms), dtype=object)
    whole = sites["whole"].to_numpy(bool) if "whole" in sites else ~np.isin(shapely.get_type_id(geoms), (1, 5))
    if (~whole).any():
        out[~whole] = shapely.line_interpolate_point(geoms[~whole], 0.5, normalized=True)
    if whole.any():
        out[whole] = shapely.point_on_surface(geoms[whole])
    return out


def water_sites(
    dataset: Dataset,
    *,
    as_of: _dt.date | None = None,
    max_length: float | None = None,
    kit_distance: float | None = None,
    band: float | None = None,
) -> gpd.GeoDataFrame:
    """Return the water sites of ``dataset`` with kit status, risk, rank and hot spots.

    Parameters
    ----------
    dataset
        A dataset (any CRS; projected to its metric CRS here). Needs ``water_bodies``;
        households and children make the risk (without them every risk is 0).
    as_of
        Date children's ages are counted at (default: :func:`reference_date`).
    max_length
        Longest site, metres (default ``settings.site_max_length_m``).
    kit_distance
        Service distance of a kit, metres (default ``settings.kit_service_distance_m``).
    band
        Gi* distance band, metres (default ``settings.hotspot_band_m``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site with :data:`RESULT_COLUMNS`, in the dataset's metric CRS, sorted by
        ``risk_rank``.

    Raises
    ------
    MissingLayerError
        The dataset has no water bodies.
    """
    if "water_bodies" not in dataset:
        raise MissingLayerError(["water_bodies"], "the water-safety analysis")
    require_full(dataset, "households", "children", task="the water-safety analysis")
    as_of = reference_date(dataset, as_of)
    steps = 5
    with stage("projecting", 1, steps):
        ds = dataset.metric()
        for name in USED_LAYERS:
            ds[name]  # each used layer projected once, here
    with stage("cutting water into sites", 2, steps):
        # waters drawn elsewhere: a self-intersecting pond is repaired, one of no area left out
        sites = sites_from_water(repaired(ds["water_bodies"]), max_length=max_length)
    with stage("checking kits", 3, steps):
        status = kit_status(
            sites, ds["safety_kits"], water=ds["water_bodies"], inspections=ds["inspections"],
            distance=kit_distance,
        )
    with stage("measuring exposure and risk", 4, steps):
        merged = sites.drop(columns=["barrier"]).join(status)
        risk = site_risk(merged, status, ds["households"], ds["children"], as_of=as_of)
        merged = merged.join(risk)
    with stage("finding hot spots", 5, steps):
        merged = merged.join(hotspots(merged, "risk", band=band))
        rep = site_points(merged)
        codes = admin_codes(rep, ds["admin_units"])
        codes.index = merged.index
        merged = merged.join(codes)
    out = merged[[*RESULT_COLUMNS, "geometry"]].sort_values("risk_rank").reset_index(drop=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=merged.crs)
    logger.info(
        "water: %d sites, %d without a complete kit, top risk %.2f",
        len(out), int((out["kit_status"] != "complete").sum()), float(out["risk"].max()) if len(out) else 0.0,
    )
    return out


def site_explanation(dataset: Dataset, sites: gpd.GeoDataFrame, site_id: str, *, as_of: _dt.date | None = None) -> dict:
    """Explain one site's rank: children near it by age band and distance, missing items.

    Parameters
    ----------
    dataset
        The dataset the sites were computed from.
    sites
        :func:`water_sites` output (any CRS).
    site_id
        The site to explain.

    Returns
    -------
    dict
        ``site_id``, ``water_id``, ``kind``, ``kit_status``, ``missing_items`` (list), ``barrier``,
        ``risk``, ``risk_rank``, ``hazard``, ``gi_bin``, and ``by_age``: a table (list of dicts)
        with, per age band, the number of children within 100 m, 500 m and the decay reach,
        and their share of the site's exposure. Counts only: no child or household ids.
    """
    hit = sites[sites["site_id"].astype("string") == site_id]
    if not len(hit):
        raise KeyError(f"no site {site_id!r}")
    row = hit.iloc[[0]]
    as_of = reference_date(dataset, as_of)
    ds = dataset.metric()
    row_m = dataset.to_metric(row)
    zero = float(settings.decay_zero_m)
    hh = ds["households"]
    ch = ds["children"]
    rows = []
    if len(hh) and len(ch):
        _, h_j, dist = site_household_pairs(row_m, hh.geometry.to_numpy(), zero)
        near = pd.DataFrame({"household_id": hh["household_id"].astype("string").to_numpy()[h_j], "dist": dist})
        kids = ch[ch["household_id"].astype("string").isin(near["household_id"])]
        kids = kids.assign(
            dist=kids["household_id"].astype("string").map(near.drop_duplicates("household_id").set_index("household_id")["dist"]).to_numpy(float)
        )
        vul = child_vulnerability(kids, hh, as_of=as_of).to_numpy()
        contrib = vul * decay_weight(kids["dist"].to_numpy())
        year = as_of.year
        age = year - pd.to_numeric(kids["birth_year"], errors="coerce").to_numpy(dtype=float)
        total = contrib.sum()
        d = kids["dist"].to_numpy()
        bands = [(f"{lo}-{hi}" if lo != hi else f"{lo}", (age >= lo) & (age <= hi)) for lo, hi in AGE_BANDS]
        bands.append(("unknown", np.isnan(age)))
        for label, m in bands:
            rows.append({
                "age_band": label,
                "within_100m": int(((d <= 100) & m).sum()),
                "within_500m": int(((d <= 500) & m).sum()),
                "within_reach": int(m.sum()),
                "share_of_exposure": float(contrib[m].sum() / total) if total > 0 else 0.0,
            })
    r = row.iloc[0]
    missing = [x for x in str(r.get("missing_items") or "").split(";") if x in KIT_ITEMS]
    return {
        "site_id": str(r["site_id"]),
        "water_id": str(r["water_id"]),
        "kind": str(r["kind"]),
        "kit_status": str(r["kit_status"]),
        "missing_items": missing,
        "barrier": bool(r["barrier"]),
        "risk": float(r["risk"]),
        "risk_rank": int(r["risk_rank"]),
        "hazard": float(r["hazard"]),
        "gi_bin": int(r["gi_bin"]),
        "children_100m": int(r["children_100m"]),
        "children_500m": int(r["children_500m"]),
        "by_age": rows,
    }


__all__ = ["RESULT_COLUMNS", "admin_codes", "rank_desc", "site_explanation", "water_sites"]
