"""Roads overlay by class: each class merged into one feature (no per-segment payload)."""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from geo.store.labels import label
from geo.store.schema import ROAD_CLASSES
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: colour and weight per road class.
STYLES: dict[str, dict] = {
    "primary": {"color": "#c62828", "weight": 3.5},
    "secondary": {"color": "#ef6c00", "weight": 2.8},
    "tertiary": {"color": "#f9a825", "weight": 2.2},
    "rural": {"color": "#8d6e63", "weight": 1.4},
    "track": {"color": "#a1887f", "weight": 1.0, "dashArray": "4 3"},
    "path": {"color": "#bcaaa4", "weight": 0.8, "dashArray": "2 3"},
}


def roads_features(
    roads: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    simplify_m: float = 5.0,
) -> dict:
    """Return the roads as GeoJSON, one merged line feature per class.

    Parameters
    ----------
    roads
        The ``roads`` layer (any CRS).
    lang
        ``"zh"`` or ``"en"``.
    simplify_m
        Simplification tolerance, metres.
    """
    lines = to_map_frame(roads, simplify_m=simplify_m).explode(index_parts=False)
    order = [c for c in ROAD_CLASSES[::-1] if c in set(lines["road_class"])]
    order += sorted(set(lines["road_class"].dropna()) - set(order))
    merged = gpd.GeoDataFrame(
        {"road_class": order},
        geometry=[shapely.line_merge(shapely.multilinestrings(
            lines.geometry[lines["road_class"] == c].values)) for c in order],
        crs="EPSG:4326",
    )
    styles = [{**STYLES.get(c, STYLES["path"]), "opacity": 0.9} for c in order]
    tips = [tooltip_html(label(c, lang)) for c in order]
    return feature_collection(merged, styles, tips)


def roads_layer(
    roads: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    simplify_m: float = 5.0,
    show: bool = True,
) -> folium.FeatureGroup:
    """Return :func:`roads_features` as one named overlay (``show``: on when the map opens)."""
    data = roads_features(roads, lang=lang, simplify_m=simplify_m)
    return geojson_layer(label("roads", lang), data, show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    return [(STYLES[c]["color"], label(c, lang), "line") for c in ROAD_CLASSES]
