"""The map: one module per overlay, each turning a layer's GeoDataFrame into a folium overlay.

Every overlay module has ``<x>_features(frame, *, lang, ...) -> dict`` (GeoJSON with styles and
escaped tooltips: picklable, so the app caches it) and ``<x>_layer(...) -> folium.FeatureGroup``
(the same as one named overlay), plus ``legend_items(lang)``. No Streamlit here; frames become
EPSG:4326 only here. Shared plumbing for new overlays: :func:`to_map_frame`,
:func:`feature_collection`, :func:`tooltip_html`, :func:`geojson_layer`, :func:`min_zoom`.
"""

from layers._geo import feature_collection, geojson_layer, min_zoom, to_map_frame, tooltip_html

__all__ = ["feature_collection", "geojson_layer", "min_zoom", "to_map_frame", "tooltip_html"]
