"""Water sites: cut rivers, canals and large shorelines into pieces one kit can serve.

A 30 km canal is not one place that can hold "one warning sign" (DOMAIN.md §3), so every line
water body, and the shoreline of every large polygon, is cut into pieces of equal length, at
most ``settings.site_max_length_m`` each. Small ponds and cisterns stay whole: a polygon whose
perimeter is at most ``settings.site_small_perimeter_factor`` times the maximum length (default
2 x 500 m = 1,000 m, a pond of about 250 m x 250 m), and every cistern, is one site whose
geometry is the polygon itself (a household standing in it is at distance 0).

Site ids are stable: ``f"{water_id}-{k:03d}"``, ``k`` counting the pieces of one water body in
the order of its parts, rings and vertices, so the same geometry always gives the same ids.
The cutting is vectorised over all lines at once (numpy on the coordinate arrays, one
``shapely.linestrings`` call), which keeps it fast at province scale.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store import settings
from geo.store.errors import CRSError, ValidationError
from geo.store.projection import is_metric

logger = logging.getLogger(__name__)

SITE_COLUMNS = ["site_id", "water_id", "kind", "barrier", "part", "length_m", "whole"]


def _check_metric(frame: gpd.GeoDataFrame, what: str) -> None:
    if frame.crs is None:
        raise CRSError(f"{what} has no CRS")
    if not is_metric(frame.crs):
        raise CRSError(
            f"{what} is in {frame.crs.to_string()}; project it to a metric CRS first "
            "(Dataset.metric())"
        )


def cut_lines(lines: np.ndarray, max_length: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut each line into the fewest equal pieces no longer than ``max_length``.

    Parameters
    ----------
    lines
        Array of shapely LineStrings (metric CRS, metres).
    max_length
        Longest piece, metres.

    Returns
    -------
    pieces, source
        The pieces (LineStrings, in order along each line) and, for each piece, the index of
        the line it came from.
    """
    lines = np.asarray(lines, dtype=object)
    if len(lines) == 0:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    n_lines = len(lines)
    # cumulative distance of each vertex along its own line
    step = np.zeros(len(coords))
    if len(coords) > 1:
        seg = np.hypot(*(coords[1:] - coords[:-1]).T)
        same = line_of[1:] == line_of[:-1]
        step[1:] = np.where(same, seg, 0.0)
    cum = np.cumsum(step)
    first = np.searchsorted(line_of, np.arange(n_lines))
    dist = cum - cum[first][line_of]
    length = np.zeros(n_lines)
    np.maximum.at(length, line_of, dist)
    n_pieces = np.maximum(1, np.ceil(length / max_length - 1e-9)).astype(np.int64)
    piece_len = np.where(length > 0, length / n_pieces, 1.0)
    offset = np.concatenate([[0], np.cumsum(n_pieces)[:-1]])

    # vertices: piece = floor(d / piece length), clipped to the last piece
    v_piece = np.minimum(np.floor(dist / piece_len[line_of]).astype(np.int64), n_pieces[line_of] - 1)
    # cut points k * piece_len for k = 1 .. n-1: end of piece k-1 and start of piece k
    n_cuts = n_pieces - 1
    cut_line = np.repeat(np.arange(n_lines), n_cuts)
    cut_k = np.arange(n_cuts.sum()) - np.repeat(np.cumsum(n_cuts) - n_cuts, n_cuts) + 1
    cut_d = cut_k * piece_len[cut_line]
    # interpolate the cut points along the vertex chain (vectorised: locate the segment)
    if len(cut_line):
        # the segment holding each cut: last vertex with (line, dist) <= (cut_line, cut_d)
        pos = _search_pairs(line_of, dist, cut_line, cut_d)
        pos = np.clip(pos, first[cut_line], first[cut_line] + _counts(line_of, n_lines)[cut_line] - 2)
        d0, d1 = dist[pos], dist[pos + 1]
        t = np.where(d1 > d0, (cut_d - d0) / np.where(d1 > d0, d1 - d0, 1.0), 0.0)
        cut_xy = coords[pos] + t[:, None] * (coords[pos + 1] - coords[pos])
    else:
        cut_xy = np.empty((0, 2))
    all_xy = np.concatenate([coords, cut_xy, cut_xy])
    all_piece = np.concatenate([v_piece, cut_k - 1, cut_k])
    all_line = np.concatenate([line_of, cut_line, cut_line])
    all_d = np.concatenate([dist, cut_d, cut_d])
    # a cut point ends piece k-1 (sorts after its vertices) and starts piece k (sorts first)
    tie = np.concatenate([np.zeros(len(coords)), np.full(len(cut_d), 1.0), np.full(len(cut_d), -1.0)])
    gid = offset[all_line] + all_piece
    order = np.lexsort((tie, all_d, gid))
    gid_sorted = gid[order]
    pieces = shapely.linestrings(all_xy[order], indices=gid_sorted)
    source = np.repeat(np.arange(n_lines), n_pieces)
    return np.asarray(pieces, dtype=object), source


def _counts(line_of: np.ndarray, n_lines: int) -> np.ndarray:
    return np.bincount(line_of, minlength=n_lines)


def _search_pairs(line_of: np.ndarray, dist: np.ndarray, q_line: np.ndarray, q_d: np.ndarray) -> np.ndarray:
    """Index of the last vertex (sorted by line, then distance) at or before each query."""
    # combine (line, distance) into one sortable float key: line + d / (max d + 1)
    scale = float(max(dist.max(initial=0.0), q_d.max(initial=0.0))) + 1.0
    key = line_of + dist / scale
    q = q_line + q_d / scale
    return np.searchsorted(key, q, side="right") - 1


def sites_from_water(
    water: gpd.GeoDataFrame,
    *,
    max_length: float | None = None,
    small_perimeter_factor: float | None = None,
) -> gpd.GeoDataFrame:
    """Turn water bodies into water sites.

    Parameters
    ----------
    water
        The ``water_bodies`` layer in a metric CRS (columns ``water_id``, ``kind``, ``barrier``).
    max_length
        Longest site, metres (default ``settings.site_max_length_m``).
    small_perimeter_factor
        A polygon with perimeter <= this x ``max_length`` is one site (default
        ``settings.site_small_perimeter_factor``); cisterns always are.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site: ``site_id``, ``water_id``, ``kind``, ``barrier``, ``part`` (k),
        ``length_m`` (length of shoreline or line), ``whole`` (True for a whole small polygon);
        geometry a LineString piece or the small polygon; same CRS as ``water``.
    """
    max_length = float(settings.site_max_length_m if max_length is None else max_length)
    factor = float(
        settings.site_small_perimeter_factor if small_perimeter_factor is None else small_perimeter_factor
    )
    if max_length <= 0:
        raise ValidationError(f"site maximum length must be positive, not {max_length}")
    _check_metric(water, "the water_bodies layer")
    water = water[water.geometry.notna() & ~water.geometry.is_empty].reset_index(drop=True)
    geoms = water.geometry.to_numpy()
    gtype = shapely.get_type_id(geoms)
    is_poly = np.isin(gtype, (3, 6))
    kind = water["kind"].astype("string").fillna("other").to_numpy(dtype=object)
    perimeter = np.where(is_poly, shapely.length(geoms), 0.0)
    whole = is_poly & ((perimeter <= factor * max_length) | (kind == "cistern"))
    # lines to cut: the lines themselves and the rings of large polygons
    line_src = np.flatnonzero(~whole)
    line_geoms = geoms[line_src]
    poly_mask = is_poly[line_src]
    line_geoms = np.where(poly_mask, shapely.boundary(line_geoms), line_geoms)
    parts, part_idx = shapely.get_parts(line_geoms, return_index=True)
    if len(parts):  # boundaries of polygons with holes are MultiLineStrings: already split
        parts = np.asarray(parts, dtype=object)
    part_water = line_src[part_idx]
    pieces, src = cut_lines(parts, max_length)
    piece_water = part_water[src]
    whole_idx = np.flatnonzero(whole)
    site_water = np.concatenate([piece_water, whole_idx])
    site_geom = np.concatenate([pieces, geoms[whole_idx]]).astype(object)
    site_whole = np.concatenate([np.zeros(len(pieces), bool), np.ones(len(whole_idx), bool)])
    order = np.argsort(site_water, kind="stable")
    site_water, site_geom, site_whole = site_water[order], site_geom[order], site_whole[order]
    # k counts the sites of each water body in order
    starts = np.searchsorted(site_water, site_water, side="left")
    k = np.arange(len(site_water)) - starts
    wid = water["water_id"].astype("string").to_numpy(dtype=object)[site_water]
    kpad = pd.Series(k).astype("string").str.zfill(3)
    site_id = pd.Series(wid, dtype="string") + "-" + kpad
    length = shapely.length(site_geom)
    barrier = water["barrier"].fillna(False).astype(bool).to_numpy() if "barrier" in water else np.zeros(len(water), bool)
    out = gpd.GeoDataFrame(
        {
            "site_id": site_id.to_numpy(),
            "water_id": pd.array(wid, dtype="string"),
            "kind": pd.array(kind[site_water], dtype="string"),
            "barrier": barrier[site_water],
            "part": k.astype(np.int64),
            "length_m": length,
            "whole": site_whole,
        },
        geometry=gpd.GeoSeries(site_geom, crs=water.crs),
        crs=water.crs,
    )
    out["site_id"] = out["site_id"].astype("string")
    if out["site_id"].duplicated().any():
        dup = out.loc[out["site_id"].duplicated(), "water_id"].unique()[:5]
        raise ValidationError(
            f"water_id values are not unique ({', '.join(map(str, dup))}); site ids would clash"
        )
    logger.info("sites: %d water bodies -> %d sites (max %.0f m)", len(water), len(out), max_length)
    return out
