"""Kit compliance: the "four ones" status of each water site, and its barrier.

A site is ``complete`` when ONE kit of its water body within ``settings.kit_service_distance_m``
(100 m) holds all four items (warning sign, life buoy, rescue rope, rescue pole; DOMAIN.md §3),
``partial`` when a kit within reach holds some items but none holds all four, and ``none``
otherwise. A kit serves the sites of its own water body (``safety_kits.water_id``); a kit with
an empty or unknown ``water_id`` belongs to the nearest water site's body (SCHEMA.md).

The latest ``inspections`` record overrides what it names: a record with a ``kit_id`` sets that
kit's four items, a record with a ``water_id`` sets that water body's ``barrier``. A column the
inspections table lacks (or an empty value in a raw frame) names nothing. Ties on the date go
to the later row (the table is append-only).

The site's ``missing_items`` are those of its best kit within reach (the one leaving the least
hazard, see :mod:`geo.water.risk`), or all four when no kit is within reach; so adding an item to any
kit never makes a site's hazard larger.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store import settings
from geo.store.projection import check_same_crs
from geo.store.schema import KIT_ITEMS

logger = logging.getLogger(__name__)

KIT_STATUSES = ("complete", "partial", "none")


def _latest(inspections: pd.DataFrame, key: str) -> pd.DataFrame:
    """The latest inspection per value of ``key`` (later row wins a tie on the date)."""
    if inspections is None or key not in inspections or not len(inspections):
        return pd.DataFrame()
    ins = inspections[inspections[key].notna() & (inspections[key].astype("string").str.len() > 0)]
    if not len(ins):
        return pd.DataFrame()
    ins = ins.assign(_row=np.arange(len(ins)))
    ins = ins.sort_values(["inspected_on", "_row"], na_position="first", kind="stable")
    return ins.drop_duplicates(key, keep="last").set_index(key)


def _override(base: pd.DataFrame, key: str, latest: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    if not len(latest) or not len(base):
        return base
    out = base.copy()
    ids = out[key].astype("string")
    hit = ids.isin(latest.index)
    if not hit.any():
        return out
    rows = latest.loc[ids[hit].to_numpy()]
    for col in columns:
        if col not in rows:
            continue
        vals = rows[col].to_numpy()
        named = ~pd.isna(vals)
        target = out.index[hit.to_numpy()][named]
        out.loc[target, col] = vals[named].astype(bool)
        out[col] = out[col].astype(bool)
    if "inspected_on" in rows and "inspected_on" in out:
        out.loc[out.index[hit.to_numpy()], "inspected_on"] = rows["inspected_on"].to_numpy()
    return out


def apply_inspections(
    kits: gpd.GeoDataFrame, water: gpd.GeoDataFrame, inspections: pd.DataFrame | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return copies of ``kits`` and ``water`` with the latest inspections applied.

    Parameters
    ----------
    kits
        The ``safety_kits`` layer.
    water
        The ``water_bodies`` layer.
    inspections
        The ``inspections`` table (may be empty or ``None``).

    Returns
    -------
    kits, water
        Kits with their items, and water bodies with their barrier, as last inspected.
    """
    kits = kits.copy()
    water = water.copy()
    for item in KIT_ITEMS:
        kits[item] = kits[item].fillna(False).astype(bool) if item in kits else False
    water["barrier"] = water["barrier"].fillna(False).astype(bool) if "barrier" in water else False
    if inspections is None or not len(inspections):
        return kits, water
    kits = _override(kits, "kit_id", _latest(inspections, "kit_id"), KIT_ITEMS)
    water = _override(water, "water_id", _latest(inspections, "water_id"), ("barrier",))
    return kits, water


def item_hazard(missing: np.ndarray, *, item_hazard: dict[str, float] | None = None) -> np.ndarray:
    """Hazard factor from missing items: ``1 + sum of the missing items' weights``.

    Parameters
    ----------
    missing
        Bool array of shape (n, 4), True where the item (order of ``schema.KIT_ITEMS``) is missing.
    item_hazard
        Weight of each item (default ``settings.water_item_hazard``).
    """
    weights = settings.water_item_hazard if item_hazard is None else item_hazard
    w = np.array([float(weights.get(item, 0.0)) for item in KIT_ITEMS])
    return 1.0 + np.asarray(missing, dtype=float).reshape(-1, len(KIT_ITEMS)) @ w


def kit_status(
    sites: gpd.GeoDataFrame,
    kits: gpd.GeoDataFrame,
    *,
    water: gpd.GeoDataFrame | None = None,
    inspections: pd.DataFrame | None = None,
    distance: float | None = None,
    item_hazard_weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Return the kit status of every site.

    Parameters
    ----------
    sites
        Water sites (:func:`geo.water.sites.sites_from_water`), metric CRS.
    kits
        The ``safety_kits`` layer in the same CRS.
    water
        The ``water_bodies`` layer: its barrier (after inspections) replaces the sites' own.
    inspections
        The ``inspections`` table; the latest record per kit or water body overrides.
    distance
        Service distance of a kit, metres (default ``settings.kit_service_distance_m``).
    item_hazard_weights
        Weight per missing item used to pick a site's best kit (default settings).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``sites``: ``kit_status`` (complete/partial/none), ``kits_near`` (kits of the
        same water within reach), ``best_kit`` (kit id or empty), ``sign``, ``buoy``, ``rope``,
        ``pole`` (present at the best kit), ``missing_items`` (";"-joined), ``barrier``.
    """
    distance = float(settings.kit_service_distance_m if distance is None else distance)
    n = len(sites)
    water_frame = water if water is not None else gpd.GeoDataFrame(
        {"water_id": pd.Series([], dtype="string"), "barrier": pd.Series([], dtype=bool)},
        geometry=gpd.GeoSeries([], crs=sites.crs), crs=sites.crs,
    )
    kits, water_frame = apply_inspections(kits, water_frame, inspections)
    kits = kits[kits.geometry.notna() & ~kits.geometry.is_empty].reset_index(drop=True)
    present = np.zeros((n, len(KIT_ITEMS)), dtype=bool)
    best = np.full(n, None, dtype=object)
    near = np.zeros(n, dtype=np.int64)
    if len(kits) and n:
        check_same_crs(sites, kits)
        site_geom = sites.geometry.to_numpy()
        kit_geom = kits.geometry.to_numpy()
        site_water = sites["water_id"].astype("string").to_numpy(dtype=object)
        kit_water = kits["water_id"].astype("string").to_numpy(dtype=object)
        known = pd.unique(site_water)
        orphan = ~pd.Series(kit_water, dtype="string").isin(known).fillna(False).to_numpy(bool)
        if orphan.any():  # an empty/unknown water_id: the nearest site's water body counts
            site_tree = shapely.STRtree(site_geom)
            k_idx, s_idx = site_tree.query_nearest(kit_geom[orphan], all_matches=False)
            kit_water = kit_water.copy()
            kit_water[np.flatnonzero(orphan)[k_idx]] = site_water[s_idx]
        tree = shapely.STRtree(kit_geom)
        s_i, k_j = tree.query(site_geom, predicate="dwithin", distance=distance)
        same = site_water[s_i] == kit_water[k_j]
        s_i, k_j = s_i[same], k_j[same]
        items = kits[list(KIT_ITEMS)].to_numpy(dtype=bool)
        hz = item_hazard(~items[k_j], item_hazard=item_hazard_weights)
        # best kit per site: least hazard, then most items, then kit order
        order = np.lexsort((k_j, -items[k_j].sum(axis=1), hz, s_i))
        s_sorted = s_i[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = s_sorted[1:] != s_sorted[:-1]
        pick_s, pick_k = s_sorted[first], k_j[order][first]
        present[pick_s] = items[pick_k]
        best[pick_s] = kits["kit_id"].astype("string").to_numpy(dtype=object)[pick_k]
        near = np.bincount(s_i, minlength=n)
        complete_any = np.zeros(n, dtype=bool)
        complete_any[s_i[items[k_j].all(axis=1)]] = True
    else:
        complete_any = np.zeros(n, dtype=bool)
    status = np.where(complete_any, "complete", np.where(present.any(axis=1), "partial", "none"))
    missing = ~present
    # ";"-joined names of the missing items: one of 16 combinations, looked up by bit code
    combos = np.array(
        [";".join(item for i, item in enumerate(KIT_ITEMS) if code >> i & 1) for code in range(16)], dtype=object
    )
    missing_text = combos[missing.astype(np.int64) @ (1 << np.arange(len(KIT_ITEMS)))]
    barrier = sites["barrier"].fillna(False).astype(bool).to_numpy() if "barrier" in sites else np.zeros(n, bool)
    if water is not None and len(water_frame):
        wmap = pd.Series(
            water_frame["barrier"].to_numpy(dtype=bool), index=water_frame["water_id"].astype("string")
        )
        wmap = wmap[~wmap.index.duplicated(keep="last")]
        looked = sites["water_id"].astype("string").map(wmap)
        barrier = np.where(looked.notna(), looked.fillna(False).to_numpy(dtype=bool), barrier)
    out = pd.DataFrame(
        {
            "kit_status": pd.array(status, dtype="string"),
            "kits_near": near,
            "best_kit": pd.array(best, dtype="string"),
            **{item: present[:, i] for i, item in enumerate(KIT_ITEMS)},
            "missing_items": pd.array(missing_text, dtype="string"),
            "barrier": barrier.astype(bool),
        },
        index=sites.index,
    )
    counts = out["kit_status"].value_counts()
    logger.info(
        "kits: %d sites, %d complete, %d partial, %d none",
        n, counts.get("complete", 0), counts.get("partial", 0), counts.get("none", 0),
    )
    return out
