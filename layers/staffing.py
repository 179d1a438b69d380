"""Child-director staffing overlay: villages coloured by director shortfall."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: fill colour by shortfall (0, 1, 2+).
COLOURS: dict[str, str] = {"ok": "#1a9850", "short1": "#fdae61", "short2": "#d73027", "hidden": "#bdbdbd"}
_LABELS = {
    "ok": ("配备充足", "Fully staffed"),
    "short1": ("缺 1 名儿童主任", "1 director short"),
    "short2": ("缺 2 名及以上", "2 or more short"),
    "hidden": ("小数保护，未显示", "Small count, hidden"),
}


def _class(shortfall) -> str:
    if pd.isna(shortfall):  # hidden for the role (geo.privacy.disclosure)
        return "hidden"
    return "ok" if shortfall <= 0 else ("short1" if shortfall == 1 else "short2")


def _cell(value) -> object:
    return "*" if pd.isna(value) else int(value)


def staffing_layer(staffing: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return villages (from :func:`geo.field.staffing.village_staffing`) coloured by shortfall.

    Parameters
    ----------
    staffing
        The staffing GeoDataFrame (village shapes; rows without a shape are left out).
    lang
        ``"zh"`` or ``"en"``.
    show
        Whether the overlay is on when the map opens.
    """
    frame = to_map_frame(staffing[staffing.geometry.notna()], simplify_m=10.0)
    zh = lang == "zh"
    styles, tips = [], []
    for _, row in frame.iterrows():
        cls = _class(row["shortfall"])
        styles.append({"color": "#424242", "weight": 0.8, "fillColor": COLOURS[cls], "fillOpacity": 0.45,
                       "radius": 7})
        tips.append(tooltip_html(
            f"{'' if pd.isna(row['name']) else row['name']} {row['village_code']}",
            [("在册留守/困境儿童" if zh else "Children in scope", _cell(row["children_in_scope"])),
             ("儿童主任" if zh else "Directors", _cell(row["directors"])),
             ("应配" if zh else "Needed", _cell(row["directors_needed"])),
             ("缺口" if zh else "Shortfall", _cell(row["shortfall"]))],
        ))
    return geojson_layer("儿童主任配备" if zh else "Child directors", feature_collection(frame, styles, tips),
                         show=show)


def legend_items(lang: str = "zh", *, hidden: bool = True) -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay (``hidden``: with the grey of small counts)."""
    i = 0 if lang == "zh" else 1
    return [(c, _LABELS[k][i], "area") for k, c in COLOURS.items() if hidden or k != "hidden"]
