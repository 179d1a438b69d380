"""Gaps: children no station of a level reaches, grouped into hexagonal gap areas and ranked.

Hexagons are drawn in the dataset's metric CRS (pointy-top, circumradius
``settings.gap_hex_size_m``), so every cell has the same area wherever the county lies. Each gap
area counts its uncovered children, left-behind children, children in difficulty, and a
vulnerability score (one point per child plus one per vulnerability mark: left behind, any
difficulty class, disability, serious illness, psychological concern, lives alone, single
parent, poor guardianship). Areas are ranked by that score, then by children.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.reach.coverage import child_groups
from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.withheld import require_full

logger = logging.getLogger(__name__)

_MARKS = ("disability", "serious_illness", "psych_concern", "lives_alone", "single_parent")
GAP_COLUMNS = [
    "gap_id", "station_level", "rank", "children", "left_behind", "difficulty", "vulnerability",
    "village_code",
]


def vulnerability(children: pd.DataFrame) -> pd.Series:
    """Return each child's vulnerability score: 1 + the number of vulnerability marks."""
    g = child_groups(children)
    score = 1 + g["left_behind"].astype(int) + g["difficulty"].astype(int)
    for m in _MARKS:
        if m in children:
            score += children[m].fillna(False).astype(bool).to_numpy().astype(int)
    if "guardianship" in children:
        score += (children["guardianship"].astype("string") == "poor").fillna(False).to_numpy().astype(int)
    return pd.Series(score.to_numpy(), index=children.index, name="vulnerability")


def hex_cells(xy: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the axial hexagon coordinates (q, r) of points, pointy-top hexes of ``size``."""
    x, y = xy[:, 0] / size, xy[:, 1] / size
    q = np.sqrt(3) / 3 * x - y / 3
    r = 2 / 3 * y
    # cube rounding
    cx, cz = q, r
    cy = -cx - cz
    rx, ry, rz = np.round(cx), np.round(cy), np.round(cz)
    dx, dy, dz = np.abs(rx - cx), np.abs(ry - cy), np.abs(rz - cz)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    return rx.astype(np.int64), rz.astype(np.int64)


def hex_polygons(q: np.ndarray, r: np.ndarray, size: float) -> np.ndarray:
    """Return the hexagon polygons of axial cells (q, r)."""
    cx = size * np.sqrt(3) * (q + r / 2)
    cy = size * 1.5 * r
    ang = np.deg2rad(30 + 60 * np.arange(7))
    ring = np.stack([np.cos(ang), np.sin(ang)], axis=1) * size
    coords = np.stack([cx, cy], axis=1)[:, None, :] + ring[None, :, :]
    return shapely.polygons(coords)


def gap_areas(
    dataset: Dataset,
    access: pd.DataFrame,
    *,
    levels=None,
    size_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Return hexagonal gap areas of uncovered children, ranked per station level.

    Parameters
    ----------
    dataset
        The dataset (``households``, ``children``); any CRS.
    access
        :func:`geo.reach.access.child_access` output.
    levels
        Station levels (default: those in ``access``).
    size_m
        Hexagon circumradius, metres (default ``settings.gap_hex_size_m``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`GAP_COLUMNS` (``rank`` 1 = the worst gap of its level; ``village_code``
        the village most of its children live in), hexagons in the metric CRS.
    """
    require_full(dataset, "households", "children", task="gap areas")
    size = float(settings.gap_hex_size_m if size_m is None else size_m)
    mds = dataset.metric()
    hh = mds["households"]
    children = mds["children"]
    hid = pd.Index(hh["household_id"].astype("string"))
    hx, hy = hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()
    vcode, vnames = pd.factorize(hh["village_code"].astype("string"))
    info = child_groups(children)[["left_behind", "difficulty"]]
    vul = vulnerability(children).to_numpy()
    levels = list(levels) if levels is not None else list(pd.unique(access["level"]))
    sel = ~access["covered"].to_numpy(bool) & access["level"].isin(levels).to_numpy()
    un = access.loc[sel, ["child_id", "household_id", "level"]]
    # integer positions instead of string joins (millions of rows at province scale)
    cpos = pd.Index(children["child_id"].astype("string")).get_indexer(un["child_id"])
    hpos = hid.get_indexer(un["household_id"])
    ok = (cpos >= 0) & (hpos >= 0)
    ok[ok] = np.isfinite(hx[hpos[ok]]) & np.isfinite(hy[hpos[ok]])
    if not ok.any():
        return gpd.GeoDataFrame({c: [] for c in GAP_COLUMNS}, geometry=[], crs=mds.crs)
    cpos, hpos = cpos[ok], hpos[ok]
    q, r = hex_cells(np.column_stack([hx[hpos], hy[hpos]]), size)
    vc = vcode[hpos]
    un = pd.DataFrame({
        "level": un["level"].to_numpy()[ok], "q": q, "r": r, "child_id": cpos,
        "left_behind": info["left_behind"].to_numpy(int)[cpos],
        "difficulty": info["difficulty"].to_numpy(int)[cpos], "vulnerability": vul[cpos],
        "village_code": np.asarray(vnames, dtype=object)[np.clip(vc, 0, None)],
    })
    un.loc[vc < 0, "village_code"] = None
    agg = un.groupby(["level", "q", "r"], sort=False).agg(
        children=("child_id", "size"), left_behind=("left_behind", "sum"),
        difficulty=("difficulty", "sum"), vulnerability=("vulnerability", "sum"),
    ).reset_index()
    # the village most of a cell's children live in (ties: the smallest code)
    top = (un.groupby(["level", "q", "r", "village_code"], sort=False).size().rename("n").reset_index()
           .sort_values(["n", "village_code"], ascending=[False, True], kind="stable")
           .drop_duplicates(["level", "q", "r"]))
    agg = agg.merge(top[["level", "q", "r", "village_code"]], on=["level", "q", "r"], how="left")
    agg = agg.sort_values(["level", "vulnerability", "children", "q", "r"],
                          ascending=[True, False, False, True, True], kind="stable")
    agg["rank"] = agg.groupby("level").cumcount() + 1
    agg["gap_id"] = agg["level"].astype(str) + "-" + agg["rank"].astype(str)
    geom = hex_polygons(agg["q"].to_numpy(), agg["r"].to_numpy(), size)
    agg = agg.rename(columns={"level": "station_level"})
    out = gpd.GeoDataFrame(agg[GAP_COLUMNS].reset_index(drop=True), geometry=geom, crs=mds.crs)
    for c in ("gap_id", "station_level", "village_code"):
        out[c] = out[c].astype("string")
    logger.info("gaps: %d hexagons of uncovered children over %d level(s)", len(out), len(levels))
    return out
