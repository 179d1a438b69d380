"""Progress overlay: units (counties, townships or villages) coloured by one plan indicator.

The page hands in the *released* indicator table (:func:`geo.report.document.release_table`):
a hidden value is drawn grey-hatched and its tooltip says so; nothing about a household or child
reaches the browser. One GeoJson layer of simplified polygons, so a province's counties or a
county's villages draw at once.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.report.maps import SHARE_COLOURS
from geo.report.maps import share_colour as _report_colour
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

HIDDEN = "#cfcfcf"
NO_DATA = "#ffffff"
_TEXT = {"hidden": ("已隐藏（人数过少）", "Hidden (small count)"), "no_data": ("无数据", "No data"),
         "value": ("数值", "Value"), "code": ("代码", "Code")}


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def count_colours(values: np.ndarray, *, down: bool) -> list[str]:
    """Quintile colours of counts (green few, red many when ``down``)."""
    v = values[~np.isnan(values)]
    breaks = np.quantile(v, [0.2, 0.4, 0.6, 0.8]) if len(v) else np.empty(0)
    out = []
    for x in values:
        if np.isnan(x):
            out.append(NO_DATA)
            continue
        i = int(np.searchsorted(breaks, x, side="right")) if len(breaks) else 2
        out.append(SHARE_COLOURS[::-1][i] if down else SHARE_COLOURS[i])
    return out


def share_colour(value: float) -> str:
    """Colour of a share (0-1): the report maps' classes (:func:`geo.report.maps.share_colour`)."""
    return _report_colour(value) or NO_DATA


def progress_features(units: gpd.GeoDataFrame, table: pd.DataFrame, *, indicator: str, unit: str,
                      name_of: str, text_of, hidden_of, down: bool = False, lang: str = "zh") -> dict:
    """GeoJSON of ``units`` (polygons with a ``code``) coloured by ``table[indicator]`` (rows by ``code``).

    ``text_of(value)`` formats a value; ``hidden_of`` is a boolean Series by code (suppressed).
    """
    rows = table.set_index(table["code"].astype(str))
    polys = units[units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    polys = polys[polys["code"].astype(str).isin(rows.index)].drop_duplicates("code")
    fr = to_map_frame(polys[["code", "geometry"]], simplify_m=50 if len(polys) > 500 else 20)
    codes = fr["code"].astype(str)
    vals = rows[indicator].reindex(codes).to_numpy(dtype=float)
    hidden = hidden_of.reindex(codes).fillna(False).to_numpy(bool)
    colours = [share_colour(v) for v in vals] if unit == "share" else count_colours(vals, down=down)
    styles = [{"color": "#616161", "weight": 0.7, "fillColor": HIDDEN if h else c, "fillOpacity": 0.7}
              for c, h in zip(colours, hidden, strict=True)]
    names = rows["name"].reindex(codes).astype("string").fillna("").to_numpy(dtype=object)
    tips = [tooltip_html(n or c, [(name_of, _t("hidden", lang) if h else (_t("no_data", lang) if np.isnan(v)
                                                                       else text_of(v))),
                                  (_t("code", lang), c)])
            for n, c, v, h in zip(names, codes, vals, hidden, strict=True)]
    return feature_collection(fr, styles, tips)


def progress_layer(data: dict, name: str) -> folium.FeatureGroup:
    """One named overlay of :func:`progress_features` output."""
    return geojson_layer(name, data)


def legend_items(unit: str, lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)``."""
    if unit == "share":
        labels = ("< 50%", "50–70%", "70–90%", "90–<100%", "100%")
    else:
        labels = ("最少 20%" if lang == "zh" else "lowest 20%", "", "", "", "最多 20%" if lang == "zh" else "highest 20%")
    rows = [(c, lab, "area") for c, lab in zip(SHARE_COLOURS, labels, strict=True) if lab]
    rows.append((HIDDEN, _t("hidden", lang), "area"))
    rows.append((NO_DATA, _t("no_data", lang), "area"))
    return rows
