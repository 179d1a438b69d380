"""Coverage overlays: village choropleth, service areas, uncovered-children density, gaps, proposals."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.privacy.disclosure import MARK, display_frame
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: covered share classes (upper bounds) and their colours, red (few covered) to green.
SHARE_BREAKS = (0.25, 0.5, 0.75, 0.9, 1.0001)
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
#: uncovered-children hexagons: pinks to plum, apart from the choropleth's red-to-green shares
DENSITY_COLOURS = ("#fde0dd", "#fa9fb5", "#f768a1", "#c51b8a", "#7a0177")
_NO_DATA = "#bdbdbd"

_TEXT = {
    "choropleth": ("村覆盖率", "Village coverage"),
    "service_areas": ("服务范围", "Service areas"),
    "density": ("未覆盖儿童密度", "Uncovered children (density)"),
    "gaps": ("覆盖缺口", "Coverage gaps"),
    "proposed": ("建议新站点", "Proposed stations"),
    "children": ("儿童", "Children"),
    "covered": ("已覆盖", "Covered"),
    "share": ("覆盖率", "Covered share"),
    "left_behind": ("留守儿童", "Left-behind"),
    "difficulty": ("困境儿童", "In difficulty"),
    "rank": ("排名", "Rank"),
    "vulnerability": ("脆弱性得分", "Vulnerability score"),
    "order": ("次序", "Order"),
    "gain": ("新增覆盖儿童", "Children newly covered"),
    "station": ("站点", "Station"),
    "radius": ("服务半径(米)", "Radius (m)"),
    "no_data": ("无儿童或已隐藏", "No children, or hidden"),
}


def text(key: str, lang: str = "zh") -> str:
    """The overlay's label ``key`` in ``lang``."""
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def share_colour(share: float) -> str:
    """Colour of a covered share (0-1); grey when missing."""
    if share is None or pd.isna(share):
        return _NO_DATA
    i = int(np.searchsorted(SHARE_BREAKS, float(share), side="right"))
    return SHARE_COLOURS[min(i, len(SHARE_COLOURS) - 1)]


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def _num(v) -> str:
    """A count for a tooltip; a hidden one (``NaN`` in a released table) reads ``*``."""
    if isinstance(v, str):
        return v
    return MARK if _missing(v) else f"{float(v):.0f}"


def _shown(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with the hidden cells of ``columns`` as ``*`` (tooltips only)."""
    out = display_frame(frame)
    for c in columns:
        if c in out.columns:
            out[c] = [_num(v) for v in out[c]]
    return out


def _hidden(frame: pd.DataFrame, column: str) -> list[bool]:
    from geo.privacy.disclosure import is_hidden

    return list(is_hidden(frame, column)) if column in frame.columns else [False] * len(frame)


def coverage_choropleth(
    table: pd.DataFrame, admin_units: gpd.GeoDataFrame, *, station_level: str, lang: str = "zh",
    show: bool = True,
) -> folium.FeatureGroup:
    """Return villages coloured by the covered share of their children for ``station_level``.

    ``table`` is :func:`geo.reach.coverage.coverage_by_unit` output; villages without a polygon are
    left out.
    """
    rows = table[(table["level"] == "village") & (table["station_level"] == station_level)]
    villages = admin_units[(admin_units["level"] == "village")
                           & admin_units.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    merged = villages[["code", "name", "geometry"]].merge(
        rows.drop(columns=["name"]), on="code", how="left")
    merged = to_map_frame(gpd.GeoDataFrame(merged, geometry="geometry", crs=villages.crs), simplify_m=10)
    styles = [{"color": "#616161", "weight": 0.6, "fillColor": share_colour(s), "fillOpacity": 0.6}
              for s in merged["covered_share"]]
    shown = _shown(merged, ["children", "covered", "left_behind_children", "left_behind_covered"])
    tips = [
        tooltip_html(n if isinstance(n, str) and n else c, [
            (text("children", lang), ch), (text("covered", lang), cv),
            (text("share", lang), None if pd.isna(s) else f"{100 * s:.0f}%"),
            (text("left_behind", lang), None if lb is None else f"{lbc}/{lb}"),
        ])
        for n, c, ch, cv, s, lb, lbc in zip(
            merged["name"], merged["code"], shown["children"], shown["covered"], merged["covered_share"],
            [None if _missing(v) and not h else x for v, h, x in zip(
                merged["left_behind_children"], _hidden(merged, "left_behind_children"),
                shown["left_behind_children"], strict=True)],
            shown["left_behind_covered"], strict=True)
    ]
    return geojson_layer(text("choropleth", lang), feature_collection(merged, styles, tips), show=show)


def service_areas_layer(areas: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return the stations' service areas (:func:`geo.reach.coverage.service_areas`) as outlines."""
    from layers.stations import COLOURS

    fr = to_map_frame(areas, simplify_m=20)
    styles = [{"color": COLOURS.get(lv, "#455a64"), "weight": 1.2, "fillColor": COLOURS.get(lv, "#455a64"),
               "fillOpacity": 0.08} for lv in fr["level"]]
    tips = [tooltip_html(f"{text('station', lang)} {sid}", [(text("radius", lang), r)])
            for sid, r in zip(fr["station_id"], fr["radius_m"], strict=True)]
    return geojson_layer(text("service_areas", lang), feature_collection(fr, styles, tips), show=show)


def density_layer(gaps: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return uncovered children as a hexagon density (:func:`geo.reach.gaps.gap_areas` cells)."""
    fr = to_map_frame(gaps)
    n = fr["children"].to_numpy(float) if len(fr) else np.empty(0)
    breaks = density_breaks(n)
    cls = np.searchsorted(breaks, np.nan_to_num(n), side="right") if len(n) else np.empty(0, int)
    styles = [{"color": DENSITY_COLOURS[c], "weight": 0, "fillColor": DENSITY_COLOURS[c], "fillOpacity": 0.65}
              for c in cls]
    tips = [tooltip_html(text("density", lang), [(text("children", lang), ch)])
            for ch in _shown(fr, ["children"])["children"]]
    return geojson_layer(text("density", lang), feature_collection(fr, styles, tips), show=show)


def density_breaks(children) -> np.ndarray:
    """The class limits of the density hexagons: quintiles of the shown counts."""
    n = np.asarray(children, dtype=float)
    n = n[np.isfinite(n)]
    return np.quantile(n, [0.2, 0.4, 0.6, 0.8]) if len(n) else np.empty(0)


def density_legend_items(gaps: pd.DataFrame, lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows of :func:`density_layer`: one per class, with its range of uncovered children."""
    breaks = density_breaks(gaps["children"] if len(gaps) else [])
    if not len(breaks):
        return []
    unit = "名儿童" if lang == "zh" else "children"
    edges = [0.0, *breaks.tolist()]
    rows = []
    for i, colour in enumerate(DENSITY_COLOURS):
        label = f"> {edges[-1]:.0f} {unit}" if i == len(DENSITY_COLOURS) - 1 else (
            f"{edges[i]:.0f}–{edges[i + 1]:.0f} {unit}")
        rows.append((colour, label, "area"))
    return rows


def gaps_layer(gaps: gpd.GeoDataFrame, *, top: int = 20, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return the ``top`` ranked gap areas as outlined hexagons with their rank."""
    fr = to_map_frame(gaps.sort_values("rank", na_position="last").head(top))
    styles = [{"color": "#4a148c", "weight": 2.5, "fill": False} for _ in range(len(fr))]
    cols = ["rank", "children", "left_behind", "difficulty", "vulnerability"]
    shown = _shown(fr, cols)
    tips = [tooltip_html(f"{text('rank', lang)} {r}", [
        (text("children", lang), ch), (text("left_behind", lang), lb), (text("difficulty", lang), df),
        (text("vulnerability", lang), vu)])
        for r, ch, lb, df, vu in zip(*(shown[c] for c in cols), strict=True)]
    return geojson_layer(text("gaps", lang), feature_collection(fr, styles, tips), show=show)


def proposed_layer(proposed: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True,
                   names: dict[str, str] | None = None) -> folium.FeatureGroup:
    """Return proposed new stations (:func:`geo.reach.siting.site_stations`) as numbered markers.

    ``names`` (code -> name, ``geo.store.labels.place_names``) puts the village in the tooltip.
    """
    from geo.store.labels import column_label, place_text

    fr = to_map_frame(proposed)
    styles = [{"color": "#000000", "weight": 2, "fillColor": "#ffeb3b", "fillOpacity": 1.0, "radius": 9}
              for _ in range(len(fr))]
    tips = []
    for _, row in fr.iterrows():
        rows = [(text("gain", lang), row["children_newly_covered"])]
        if "village_code" in fr.columns:
            rows.insert(0, (column_label("village_name", lang), place_text(row["village_code"], names or {})))
        if "lon" in fr.columns:
            rows.append((f"{column_label('lon', lang)}, {column_label('lat', lang)}", f"{row['lon']:.6f}, {row['lat']:.6f}"))
        tips.append(tooltip_html(f"{text('order', lang)} {row['order']}", rows))
    return geojson_layer(text("proposed", lang), feature_collection(fr, styles, tips), show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of the choropleth and the proposals."""
    lows = (0, *SHARE_BREAKS[:-1])
    highs = (*SHARE_BREAKS[:-1], 1.0)
    rows = [(c, f"{100 * lo:.0f}–{100 * hi:.0f}%", "area")
            for c, lo, hi in zip(SHARE_COLOURS, lows, highs, strict=True)]
    rows.append((_NO_DATA, text("no_data", lang), "area"))
    rows.append(("#ffeb3b", text("proposed", lang), "point"))
    rows.append(("#4a148c", text("gaps", lang), "line"))
    return rows
