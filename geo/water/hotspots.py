"""Hot spots of site risk: Getis-Ord Gi* with FDR-corrected bins, and risk on hexagons.

Gi* (Getis & Ord 1992; Ord & Getis 1995) with a fixed distance band between site centroids
(``settings.hotspot_band_m``, default 1,000 m), binary weights and the site itself included
(the "star"). The z-scores use the same analytic moments as ``esda.G_Local(star=True,
transform="B", permutations=0)``; the band is a list of pairs from ``scipy.spatial.cKDTree
.query_pairs`` (no dense matrix, no weights object), which is what makes it fast.

p-values are two-sided normal (``2 x (1 - Phi(|z|))``, as ArcGIS's Hot Spot Analysis reports;
esda's ``p_norm`` is the one-sided half of it). ``gi_bin`` is +-3/2/1 for a hot/cold spot at
99/95/90% confidence and 0 otherwise; with ``settings.hotspot_fdr`` the confidence levels are
applied with the Benjamini–Hochberg false-discovery-rate correction, as ArcGIS does.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.special import ndtr

from geo.store import settings
from geo.store.errors import ValidationError

logger = logging.getLogger(__name__)

LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))


def band_pairs(xy: np.ndarray, band: float) -> np.ndarray:
    """All pairs ``i < j`` of points within ``band`` metres of each other, shape (m, 2)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return np.empty((0, 2), dtype=np.int64)
    return cKDTree(xy).query_pairs(band, output_type="ndarray")


def gi_star(y: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gi* statistic and analytic z-score with binary band weights, self included.

    Parameters
    ----------
    y
        Values (site risk), length n.
    pairs
        Neighbour pairs ``i < j`` (each once), e.g. from :func:`band_pairs`.

    Returns
    -------
    G, z
        The Gi* statistic and its z-score (0 where the variance is 0, e.g. all values equal).
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return np.array([]), np.array([])
    i, j = pairs[:, 0], pairs[:, 1]
    wy = y + np.bincount(i, weights=y[j], minlength=n) + np.bincount(j, weights=y[i], minlength=n)
    card = 1.0 + np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    total = y.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        g = wy / total
        mean = total / n
        var = (y**2).sum() / n - mean**2
        expected = card / n
        vg = card * (n - card) / (n - 1) / n**2 * (var / mean**2) if n > 1 else np.zeros(n)
        z = (g - expected) / np.sqrt(vg)
    z = np.where(np.isfinite(z), z, 0.0)
    g = np.where(np.isfinite(g), g, 0.0)
    return g, z


def fdr_bins(z: np.ndarray, p: np.ndarray, *, fdr: bool = True) -> np.ndarray:
    """Hot/cold spot bins -3..3 at 99/95/90% confidence, with Benjamini–Hochberg FDR.

    With ``fdr``, a level ``alpha`` is met when ``p <= p_(k)``, ``k`` being the largest rank with
    ``p_(k) <= k alpha / n`` (p sorted ascending); without it, when ``p <= alpha``.
    """
    p = np.asarray(p, dtype=float)
    n = len(p)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    sorted_p = np.sort(p)
    ranks = np.arange(1, n + 1)
    for level, alpha in reversed(LEVELS):  # 90% first, so stricter levels overwrite
        if fdr:
            ok = np.flatnonzero(sorted_p <= ranks * alpha / n)
            crit = sorted_p[ok[-1]] if len(ok) else -1.0
        else:
            crit = alpha
        out[p <= crit] = level
    return out * np.sign(z).astype(np.int64)


def site_centroids(sites: gpd.GeoDataFrame) -> np.ndarray:
    """Coordinates (n, 2) of the sites' centroids, metres."""
    return shapely.get_coordinates(shapely.centroid(sites.geometry.to_numpy()))


def hotspots(
    sites: gpd.GeoDataFrame,
    values: np.ndarray | pd.Series | str = "risk",
    *,
    band: float | None = None,
    fdr: bool | None = None,
) -> pd.DataFrame:
    """Return Gi* z, p and bin of every site (index of ``sites``).

    Parameters
    ----------
    sites
        Water sites in a metric CRS.
    values
        The column of ``sites`` to test, or an array of values (default ``"risk"``).
    band
        Distance band between site centroids, metres (default ``settings.hotspot_band_m``).
    fdr
        Apply the false-discovery-rate correction (default ``settings.hotspot_fdr``).

    Returns
    -------
    pandas.DataFrame
        ``gi_z``, ``gi_p`` (two-sided), ``gi_bin`` (-3..3), ``gi_neighbours`` (self included).
    """
    band = float(settings.hotspot_band_m if band is None else band)
    fdr = bool(settings.hotspot_fdr if fdr is None else fdr)
    if band <= 0:
        raise ValidationError(f"the hot-spot distance band must be positive, not {band}")
    y = sites[values].to_numpy(dtype=float) if isinstance(values, str) else np.asarray(values, dtype=float)
    xy = site_centroids(sites)
    pairs = band_pairs(xy, band)
    _, z = gi_star(y, pairs)
    p = 2.0 * ndtr(-np.abs(z))  # two-sided normal p (scipy.special: a light import)
    bins = fdr_bins(z, p, fdr=fdr)
    n = len(y)
    card = 1 + np.bincount(pairs[:, 0], minlength=n) + np.bincount(pairs[:, 1], minlength=n)
    logger.info(
        "hotspots: %d sites, %d hot and %d cold at 90%%+ (band %.0f m, fdr %s)",
        n, int((bins > 0).sum()), int((bins < 0).sum()), band, fdr,
    )
    return pd.DataFrame({"gi_z": z, "gi_p": p, "gi_bin": bins, "gi_neighbours": card}, index=sites.index)


def risk_to_hexagons(sites: gpd.GeoDataFrame, *, resolution: int | None = None) -> gpd.GeoDataFrame:
    """Aggregate site risk to H3 hexagons (for the leaders' view).

    Parameters
    ----------
    sites
        Water sites with ``risk``, ``kit_status`` and ``children_100m`` (any CRS with a CRS set).
    resolution
        H3 resolution (default ``settings.water_hex_resolution``; 8 is about 0.74 km2).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per hexagon holding a site: ``h3``, ``sites``, ``sites_without_kit`` (not
        complete), ``risk`` (sum), ``max_risk``, ``children_100m`` (sum); geometry the hexagon
        in the sites' CRS.
    """
    import h3

    resolution = int(settings.water_hex_resolution if resolution is None else resolution)
    if not 0 <= resolution <= 15:
        raise ValidationError(f"h3 resolution must be 0..15, not {resolution}")
    crs = sites.crs
    if not len(sites):
        return gpd.GeoDataFrame(
            {"h3": pd.Series([], dtype="string"), "sites": [], "sites_without_kit": [],
             "risk": [], "max_risk": [], "children_100m": []},
            geometry=gpd.GeoSeries([], crs=crs), crs=crs,
        )
    pts = gpd.GeoSeries(shapely.centroid(sites.geometry.to_numpy()), crs=crs).to_crs("EPSG:4326")
    xy = shapely.get_coordinates(pts.to_numpy())
    to_cell = h3.latlng_to_cell
    cells = np.array([to_cell(lat, lon, resolution) for lon, lat in xy.tolist()], dtype=object)
    frame = pd.DataFrame(
        {
            "h3": cells,
            "risk": sites["risk"].to_numpy(float),
            "without": (sites["kit_status"].astype("string") != "complete").to_numpy(bool)
            if "kit_status" in sites else np.ones(len(sites), bool),
            "c100": sites["children_100m"].to_numpy(float) if "children_100m" in sites else 0.0,
        }
    )
    agg = frame.groupby("h3", sort=True).agg(
        sites=("risk", "size"), sites_without_kit=("without", "sum"), risk=("risk", "sum"),
        max_risk=("risk", "max"), children_100m=("c100", "sum"),
    ).reset_index()
    # hexagons have 6 corners, the 12 pentagons 5 (padded by repeating the last): one array
    ring = np.empty((len(agg), 6, 2))
    for k, c in enumerate(agg["h3"]):
        corners = h3.cell_to_boundary(c)
        ring[k, : len(corners)] = corners
        ring[k, len(corners):] = corners[-1]
    polys = shapely.polygons(ring[:, :, ::-1])  # (lat, lon) -> (lon, lat)
    out = gpd.GeoDataFrame(agg, geometry=gpd.GeoSeries(polys, crs="EPSG:4326"), crs="EPSG:4326").to_crs(crs)
    out["h3"] = out["h3"].astype("string")
    out["sites_without_kit"] = out["sites_without_kit"].astype(np.int64)
    out["children_100m"] = out["children_100m"].astype(np.int64)
    return out
