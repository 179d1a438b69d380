"""Admin boundaries overlay: county, township and village outlines in one GeoJson layer."""

from __future__ import annotations

import folium
import geopandas as gpd

from geo.store.labels import label
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: outline style per admin level (villages drawn first, the county last, on top).
STYLES: dict[str, dict] = {
    "village": {"color": "#9e9e9e", "weight": 0.8, "fill": True, "fillOpacity": 0.0, "dashArray": "3 3"},
    "township": {"color": "#616161", "weight": 2.0, "fill": False},
    "county": {"color": "#212121", "weight": 3.0, "fill": False},
}
_ORDER = {"village": 0, "township": 1, "county": 2}


def admin_features(
    admin_units: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    levels: tuple[str, ...] = ("county", "township", "village"),
    simplify_m: float = 10.0,
) -> dict:
    """Return the admin boundaries as GeoJSON for the map (styles, escaped tooltips).

    Parameters
    ----------
    admin_units
        The ``admin_units`` layer (any CRS). Point units (villages without a boundary) are
        left out.
    lang
        ``"zh"`` or ``"en"``.
    levels
        Which levels to draw.
    simplify_m
        Outline simplification tolerance, metres.
    """
    units = admin_units[
        admin_units["level"].isin(levels)
        & admin_units.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    ]
    units = units.iloc[units["level"].map(_ORDER).fillna(0).argsort(kind="stable")]
    units = to_map_frame(units, simplify_m=simplify_m)
    styles = [STYLES.get(lv, STYLES["village"]) for lv in units["level"]]
    tips = [
        tooltip_html(name if isinstance(name, str) and name else code,
                     [(label("level", lang), label(lv, lang)), (label("code", lang), code)])
        if lv == "village" else None
        for name, code, lv in zip(units["name"], units["code"], units["level"], strict=True)
    ]
    return feature_collection(units, styles, tips)


def admin_layer(
    admin_units: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    levels: tuple[str, ...] = ("county", "township", "village"),
    simplify_m: float = 10.0,
    show: bool = True,
) -> folium.FeatureGroup:
    """Return :func:`admin_features` as one named overlay (``show``: on when the map opens)."""
    data = admin_features(admin_units, lang=lang, levels=levels, simplify_m=simplify_m)
    return geojson_layer(label("admin", lang), data, show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    return [(STYLES[lv]["color"], label(lv, lang), "line") for lv in ("county", "township", "village")]
