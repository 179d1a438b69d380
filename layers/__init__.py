"""The map: one module per overlay, each turning a layer's GeoDataFrame into a folium overlay.

Every overlay module has ``<x>_features(frame, *, lang, ...) -> dict`` (GeoJSON with styles and
escaped tooltips: picklable, so the app caches it) and ``<x>_layer(...) -> folium.FeatureGroup``
(the same as one named overlay), plus ``legend_items(lang)``. No Streamlit here; frames become
EPSG:4326 only here. Shared plumbing for new overlays: :func:`to_map_frame`,
:func:`feature_collection`, :func:`tooltip_html`, :func:`geojson_layer`, :func:`min_zoom`,
:func:`features_layer`, :func:`point_legend`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import folium

from geo.store.labels import label
from layers._geo import feature_collection, geojson_layer, min_zoom, to_map_frame, tooltip_html

__all__ = ["feature_collection", "features_layer", "geojson_layer", "min_zoom", "point_legend",
           "to_map_frame", "tooltip_html"]


def features_layer(
    features: Callable[..., dict],
    frame,
    name_key: str,
    *,
    lang: str = "zh",
    show: bool = True,
) -> folium.FeatureGroup:
    """Return ``features(frame, lang=lang)`` as one overlay named ``label(name_key, lang)``."""
    return geojson_layer(label(name_key, lang), features(frame, lang=lang), show=show)


def point_legend(colours: Mapping[str, str], lang: str = "zh", *,
                 prefix: str = "") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label(prefix + key), "point")`` of a ``{key: colour}`` mapping."""
    return [(c, label(f"{prefix}{key}", lang), "point") for key, c in colours.items()]
