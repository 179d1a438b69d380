"""Road network health overlay: fragments (lines) and near misses (points) a county should fix.

Drawn from :func:`geo.reach.health.health_features`: each fragment of the road network (a small
piece connected to nothing) as one purple line, each dead end that nearly meets another road as
an orange point (red when that road is not connected to it at all), with the gap in metres.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo.store.labels import label
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: colour per problem kind.
COLOURS: dict[str, str] = {"fragment": "#6a1b9a", "near_miss": "#ef6c00", "unconnected": "#c62828"}


def road_health_features(features: gpd.GeoDataFrame, *, lang: str = "zh") -> dict:
    """Return the health features as GeoJSON (lines for fragments, points for near misses)."""
    frame = to_map_frame(features) if len(features) else features.to_crs(4326)
    styles, tips = [], []
    for kind, nodes, gap in zip(frame["kind"], frame["nodes"], frame["gap_m"], strict=True):
        colour = COLOURS.get(str(kind), "#455a64")
        if kind == "fragment":
            styles.append({"color": colour, "weight": 4, "opacity": 0.9})
            tips.append(tooltip_html(label("fragment", lang), [(label("nodes", lang), int(nodes))]))
        else:
            styles.append({"color": "#ffffff", "weight": 1, "fillColor": colour, "fillOpacity": 1.0,
                           "radius": 6})
            tips.append(tooltip_html(label(str(kind), lang),
                                     [(label("gap_m", lang), None if pd.isna(gap) else f"{gap:.1f}")]))
    return feature_collection(frame, styles, tips)


def road_health_layer(features: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return :func:`road_health_features` as one named overlay."""
    return geojson_layer(label("road_health", lang), road_health_features(features, lang=lang), show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    return [(COLOURS["fragment"], label("fragment", lang), "line"),
            (COLOURS["near_miss"], label("near_miss", lang), "point"),
            (COLOURS["unconnected"], label("unconnected", lang), "point")]
