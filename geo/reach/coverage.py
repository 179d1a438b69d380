"""Coverage statistics per village, township and county, and station service areas.

The planners' table (in the manner of AccessMod's ``popCoveredPercent``): for each unit and
station level, the children, those within the level's service standard, and the share —
for all children and broken down by left-behind children, children in difficulty and each
difficulty class. Service areas are polygons per station drawn around the road network it
reaches first within the standard (each road piece belongs to its nearest station).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.reach.access import service_standards, stations_of_level
from geo.reach.network import Network
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.schema import DIFFICULTY_CLASSES
from geo.store.withheld import require_full

logger = logging.getLogger(__name__)

#: child groups of the breakdown: name -> how to pick the children.
GROUPS = ("left_behind", "difficulty", *DIFFICULTY_CLASSES)

UNIT_COLUMNS = ["code", "name", "level", "station_level", "children", "covered", "covered_share"]


def child_groups(children: pd.DataFrame) -> pd.DataFrame:
    """Return boolean group membership per child (index of ``children``).

    Columns: ``left_behind``, ``difficulty`` (any difficulty class) and one per class
    (``family``, ``self``, ``guardianship``).
    """
    out = pd.DataFrame(index=children.index)
    lb = children["left_behind"] if "left_behind" in children else pd.Series(False, index=children.index)
    out["left_behind"] = lb.fillna(False).astype(bool).to_numpy()
    diff = children["difficulty"] if "difficulty" in children else pd.Series(pd.NA, index=children.index)
    diff = diff.astype("string").fillna("").str.replace(" ", "")
    out["difficulty"] = (diff != "").to_numpy()
    padded = ";" + diff + ";"
    for cls in DIFFICULTY_CLASSES:
        out[cls] = padded.str.contains(f";{cls};", regex=False).fillna(False).to_numpy(bool)
    return out


def unit_codes(dataset: Dataset) -> pd.DataFrame:
    """Return each household's village, township and county code.

    Townships and counties come from ``admin_units`` parent codes where known, else from the
    statistical code's prefix (9 and 6 digits).
    """
    hh = dataset["households"]
    village = hh["village_code"].astype("string")
    admin = dataset["admin_units"]
    parent = dict(zip(admin["code"].astype(str), admin["parent_code"].astype(object), strict=True))

    def up(codes: pd.Series, digits: int) -> pd.Series:
        out: list[str | None] = []
        for c in codes.astype(object).to_numpy():
            if not isinstance(c, str):
                out.append(None)
                continue
            p = parent.get(c)
            out.append(p if isinstance(p, str) and p else c[:digits])
        return pd.Series(out, index=codes.index, dtype="string")

    township = up(village, 9)
    county = up(township, 6)
    return pd.DataFrame(
        {"household_id": hh["household_id"].astype("string").to_numpy(),
         "village": village.to_numpy(), "township": township.to_numpy(), "county": county.to_numpy()}
    )


def coverage_by_unit(dataset: Dataset, access: pd.DataFrame) -> pd.DataFrame:
    """Return the coverage table per unit (village, township, county) and station level.

    Parameters
    ----------
    dataset
        The dataset the access was computed on (``households``, ``children``,
        ``admin_units`` for names and parents).
    access
        :func:`geo.reach.access.child_access` output.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``level`` (unit level), ``station_level``, ``children``,
        ``covered``, ``covered_share`` (0-1; missing for a unit without children), and for each
        group ``g`` of :data:`GROUPS`: ``g_children``, ``g_covered``, ``g_share``. Children
        without a household location count as not covered; children whose household is
        unknown are left out.
    """
    require_full(dataset, "children", "households", task="coverage by unit")
    children = dataset["children"]
    groups = child_groups(children)
    units = unit_codes(dataset).drop_duplicates("household_id")
    # integer positions instead of string joins (millions of rows at province scale)
    child_pos = pd.Index(children["child_id"].astype("string")).get_indexer(access["child_id"])
    hh_pos = pd.Index(units["household_id"]).get_indexer(
        children["household_id"].astype("string"))
    acc_hh = np.where(child_pos >= 0, hh_pos[np.clip(child_pos, 0, None)], -1) if len(hh_pos) else (
        np.full(len(access), -1))
    keep = acc_hh >= 0
    lvl_codes, lvl_names = pd.factorize(access["level"].astype("string"))
    covered = access["covered"].to_numpy(bool)
    gmat = {g: groups[g].to_numpy(bool)[np.clip(child_pos, 0, None)] for g in GROUPS}
    names = dict(zip(dataset["admin_units"]["code"].astype(str),
                     dataset["admin_units"]["name"].astype(object), strict=True))
    frames = []
    for unit_level in ("village", "township", "county"):
        ucode, uname = pd.factorize(units[unit_level])
        u = np.where(keep, ucode[np.clip(acc_hh, 0, None)], -1)
        ok = keep & (u >= 0)
        nl = max(len(lvl_names), 1)
        key = u[ok] * nl + lvl_codes[ok]
        size = len(uname) * nl
        counts = {"children": np.bincount(key, minlength=size),
                  "covered": np.bincount(key, weights=covered[ok], minlength=size)}
        for g in GROUPS:
            counts[f"{g}_children"] = np.bincount(key, weights=gmat[g][ok], minlength=size)
            counts[f"{g}_covered"] = np.bincount(key, weights=gmat[g][ok] & covered[ok], minlength=size)
        present = counts["children"] > 0
        idx = np.flatnonzero(present)
        agg = pd.DataFrame({k: v[idx].astype(np.int64) for k, v in counts.items()})
        agg.insert(0, "station_level", np.asarray(lvl_names, dtype=object)[idx % nl])
        agg.insert(0, "code", np.asarray(uname, dtype=object)[idx // nl])
        agg["level"] = unit_level
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    out["covered_share"] = _share(out["covered"], out["children"])
    for g in GROUPS:
        out[f"{g}_share"] = _share(out[f"{g}_covered"], out[f"{g}_children"])
    out["name"] = pd.array([names.get(str(c)) for c in out["code"]], dtype="string")
    cols = UNIT_COLUMNS + [f"{g}_{k}" for g in GROUPS for k in ("children", "covered", "share")]
    out = out[cols]
    for c in ("code", "level", "station_level"):
        out[c] = out[c].astype("string")
    return out.sort_values(["level", "station_level", "code"], kind="stable").reset_index(drop=True)


def _share(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def service_areas(
    dataset: Dataset,
    network: Network | None,
    *,
    levels=None,
    standards: dict | None = None,
    metric: str | None = None,
) -> gpd.GeoDataFrame:
    """Return one polygon per station: the area it serves within its level's standard.

    With the network metric: the road network each station reaches first (nearest-station
    allocation, one multi-source pass per level) within the standard, the reached nodes and
    cut points of partly reached road segments wrapped in a concave hull
    (``settings.service_area_hull_ratio``) and buffered by ``settings.service_area_buffer_m``.
    With the euclidean metric: a circle of the standard's radius.

    Returns
    -------
    geopandas.GeoDataFrame
        ``station_id``, ``level``, ``radius_m``, ``mode``, geometry (metric CRS).
    """
    from geo.reach.access import _check_metric

    metric = _check_metric(metric)
    std = service_standards(standards)
    mds = dataset.metric()
    stations = mds["stations"]
    levels = [lv for lv in (levels or std) if lv in std]
    rows: list[dict] = []
    geoms: list = []
    for level in levels:
        radius, mode = std[level]
        st = stations_of_level(stations, level)
        if st.empty:
            continue
        ids = st["station_id"].astype(str).to_numpy()
        if metric == "euclidean" or network is None or network.n_edges == 0:
            polys = st.geometry.buffer(radius, quad_segs=16).to_numpy()
        else:
            polys = _network_areas(network, st, radius, mode)
            polys = np.where(shapely.is_empty(polys) | shapely.is_missing(polys),
                             st.geometry.buffer(settings.service_area_buffer_m).to_numpy(), polys)
        for sid, poly in zip(ids, polys, strict=True):
            rows.append({"station_id": sid, "level": level, "radius_m": radius, "mode": mode})
            geoms.append(poly)
    out = gpd.GeoDataFrame(rows, geometry=geoms, crs=mds.crs) if rows else gpd.GeoDataFrame(
        {"station_id": [], "level": [], "radius_m": [], "mode": []}, geometry=[], crs=mds.crs
    )
    for c in ("station_id", "level", "mode"):
        out[c] = out[c].astype("string")
    return out


def _network_areas(network: Network, st: gpd.GeoDataFrame, radius: float, mode: str) -> np.ndarray:
    snap = network.snap_points(st.geometry)
    dist, src = network.nearest_source(snap, mode=mode, weight="length", limit=radius, reverse=True)
    u, v, length = network.edge_u, network.edge_v, network.edge_length
    pts, owner = [network.xy[np.isfinite(dist)]], [src[np.isfinite(dist)]]
    # cut points on segments reached from one end but not wholly
    for a, b in ((u, v), (v, u)):
        da, db = dist[a], dist[b]
        part = np.isfinite(da) & (da + length > radius) & ((db > radius) | (src[b] != src[a]))
        frac = np.clip((radius - da[part]) / np.where(length[part] > 0, length[part], 1), 0, 1)
        pts.append(network.xy[a[part]] + frac[:, None] * (network.xy[b[part]] - network.xy[a[part]]))
        owner.append(src[a[part]])
    # each station's own joining point and location
    ok = snap.valid
    pts += [snap.xy[ok], np.column_stack([st.geometry.x.to_numpy(), st.geometry.y.to_numpy()])[ok]]
    owner += [np.flatnonzero(ok)] * 2
    xy = np.concatenate(pts)
    who = np.concatenate(owner)
    # thin to a grid (a hull of a million points is slow and the map does not need them)
    cell = max(radius / 100.0, 10.0)
    key = pd.DataFrame({"w": who, "gx": np.floor(xy[:, 0] / cell), "gy": np.floor(xy[:, 1] / cell)})
    first = ~key.duplicated().to_numpy()
    xy, who = xy[first], who[first]
    order = np.argsort(who, kind="stable")
    xy, who = xy[order], who[order]
    out = np.full(len(st), None, dtype=object)
    present = np.unique(who)
    mp = shapely.multipoints(xy, indices=np.searchsorted(present, who))
    hulls = shapely.concave_hull(mp, ratio=float(settings.service_area_hull_ratio))
    out[present] = shapely.buffer(hulls, float(settings.service_area_buffer_m), quad_segs=4)
    out = np.array([g if g is not None else shapely.Polygon() for g in out], dtype=object)
    return out


def coverage_summary(access: pd.DataFrame) -> pd.DataFrame:
    """Return children, covered and share per station level (the county's headline figures)."""
    g = access.groupby("level", sort=False)["covered"]
    out = pd.DataFrame({"children": g.size(), "covered": g.sum().astype(int)})
    out["covered_share"] = out["covered"] / out["children"].where(out["children"] > 0)
    return out.reset_index().rename(columns={"level": "station_level"})
