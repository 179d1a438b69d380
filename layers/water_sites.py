"""Water sites overlay: sites coloured by drowning risk, with a kit-status symbol on each site."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.store.labels import label
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html
from layers.kits import COLOURS as KIT_COLOURS

#: risk classes (quantiles of the sites with risk > 0), low to high; no risk is grey.
RISK_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
NO_RISK = "#b0bec5"
_TEXT = {
    "sites": ("水域点位（按风险）", "Water sites (by risk)"),
    "kit_symbols": ("点位“四个一”状态", "Site kit status"),
    "risk": ("风险", "Risk"),
    "rank": ("排名", "Rank"),
    "no_risk": ("附近无儿童", "No children near"),
    "missing": ("缺少", "Missing"),
    "children_100m": ("100 米内儿童", "Children within 100 m"),
    "children_500m": ("500 米内儿童", "Children within 500 m"),
    "hot": ("热点", "Hot spot"),
}


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def risk_classes(risk: pd.Series | np.ndarray, n: int = len(RISK_COLOURS)) -> np.ndarray:
    """Class 0..n-1 of each risk by quantiles of the positive risks; -1 for no risk."""
    r = np.asarray(risk, dtype=float)
    out = np.full(len(r), -1, dtype=np.int64)
    pos = r > 0
    if pos.any():
        edges = np.quantile(r[pos], np.linspace(0, 1, n + 1)[1:-1])
        out[pos] = np.searchsorted(edges, r[pos], side="right")
    return out


def _tips(sites: pd.DataFrame, lang: str) -> list[str]:
    tips = []
    for row in sites.itertuples(index=False):
        missing = [label(i, lang) for i in str(row.missing_items or "").split(";") if i]
        tips.append(tooltip_html(
            f"{row.site_id} · {label(row.kind, lang)}",
            [(_t("rank", lang), row.risk_rank), (_t("risk", lang), f"{row.risk:.2f}"),
             (label("kits", lang), label(row.kit_status, lang)),
             (_t("missing", lang), "、".join(missing) if lang == "zh" else ", ".join(missing)),
             (_t("children_100m", lang), row.children_100m), (_t("children_500m", lang), row.children_500m)],
        ))
    return tips


def water_sites_layer(
    sites: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True, simplify_m: float = 2.0
) -> folium.FeatureGroup:
    """Return the water sites as one overlay coloured by risk class (thicker when riskier).

    Parameters
    ----------
    sites
        :func:`geo.water.pipeline.water_sites` output (any CRS); may be a role-filtered copy.
    lang
        ``"zh"`` or ``"en"``.
    show
        Whether the overlay is on when the map opens.
    simplify_m
        Simplification tolerance, metres.
    """
    frame = to_map_frame(sites, simplify_m=simplify_m)
    cls = risk_classes(frame["risk"])
    styles = []
    for c, gtype in zip(cls, frame.geom_type, strict=True):
        colour = NO_RISK if c < 0 else RISK_COLOURS[c]
        area = gtype in ("Polygon", "MultiPolygon")
        styles.append({"color": colour, "weight": 2.0 + max(c, 0), "opacity": 0.95, "fill": area,
                       "fillColor": colour, "fillOpacity": 0.6 if area else 0.0})
    return geojson_layer(_t("sites", lang), feature_collection(frame, styles, _tips(frame, lang)), show=show)


def kit_symbols_layer(sites: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return one point per site (its middle), coloured by kit status (complete/partial/none)."""
    frame = sites[sites.geometry.notna() & ~sites.geometry.is_empty]
    geoms = frame.geometry.to_numpy()
    lines = np.isin(shapely.get_type_id(geoms), (1, 5))
    pts = np.empty(len(geoms), dtype=object)
    if lines.any():
        pts[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
    if (~lines).any():
        pts[~lines] = shapely.point_on_surface(geoms[~lines])
    points = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=gpd.GeoSeries(pts, index=frame.index, crs=frame.crs), crs=frame.crs)
    points = to_map_frame(points)
    styles = [{"color": "#263238", "weight": 1, "fillColor": KIT_COLOURS.get(str(s), "#9e9e9e"),
               "fillOpacity": 0.95, "radius": 4} for s in points["kit_status"]]
    return geojson_layer(_t("kit_symbols", lang), feature_collection(points, styles, _tips(points, lang)), show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)``: risk classes, then kit status symbols."""
    names = {"zh": ("很低", "低", "中", "高", "很高"), "en": ("Very low", "Low", "Medium", "High", "Very high")}
    rows = [(NO_RISK, _t("no_risk", lang), "line")]
    rows += [(c, f"{_t('risk', lang)}: {n}", "line") for c, n in zip(RISK_COLOURS, names["zh" if lang == "zh" else "en"], strict=True)]
    rows += [(c, f"{label('kits', lang)}: {label(s, lang)}", "point") for s, c in KIT_COLOURS.items()]
    return rows
