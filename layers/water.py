"""Water bodies overlay, styled by kind (rivers, canals and ditches as lines; ponds as areas)."""

from __future__ import annotations

import folium
import geopandas as gpd

from geo.store.labels import label
from geo.store.schema import WATER_KINDS
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: colour and line weight per kind.
STYLES: dict[str, dict] = {
    "river": {"color": "#1565c0", "weight": 3.0},
    "canal": {"color": "#1e88e5", "weight": 2.0},
    "ditch": {"color": "#64b5f6", "weight": 1.2},
    "pond": {"color": "#0277bd", "weight": 1.0},
    "reservoir": {"color": "#01579b", "weight": 1.5},
    "lake": {"color": "#0288d1", "weight": 1.5},
    "cistern": {"color": "#6a1b9a", "weight": 2.0},
    "other": {"color": "#78909c", "weight": 1.0},
}


def _style(kind: str, geom_type: str) -> dict:
    base = STYLES.get(kind, STYLES["other"])
    area = geom_type in ("Polygon", "MultiPolygon")
    return {**base, "fill": area, "fillColor": base["color"], "fillOpacity": 0.45 if area else 0.0,
            "opacity": 0.9, "radius": 4}


def water_features(
    water_bodies: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    simplify_m: float = 2.0,
) -> dict:
    """Return the water bodies as GeoJSON styled by ``kind`` (escaped tooltips).

    Parameters
    ----------
    water_bodies
        The ``water_bodies`` layer (any CRS).
    lang
        ``"zh"`` or ``"en"``.
    simplify_m
        Simplification tolerance, metres (small: a pond's outline matters).
    """
    water = to_map_frame(water_bodies, simplify_m=simplify_m)
    styles = [_style(k, t) for k, t in zip(water["kind"], water.geom_type, strict=True)]
    tips = [
        tooltip_html(name if isinstance(name, str) and name else label(kind, lang),
                     [(label("kind", lang), label(kind, lang)),
                      (label("responsible_unit", lang), unit),
                      (label("barrier", lang), bool(barrier))])
        for name, kind, unit, barrier in zip(
            water["name"], water["kind"], water["responsible_unit"], water["barrier"], strict=True)
    ]
    return feature_collection(water, styles, tips)


def water_layer(
    water_bodies: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    simplify_m: float = 2.0,
    show: bool = True,
) -> folium.FeatureGroup:
    """Return :func:`water_features` as one named overlay (``show``: on when the map opens)."""
    data = water_features(water_bodies, lang=lang, simplify_m=simplify_m)
    return geojson_layer(label("water", lang), data, show=show)


def legend_items(lang: str = "zh", kinds: tuple[str, ...] = WATER_KINDS) -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    shape = {"river": "line", "canal": "line", "ditch": "line"}
    return [(STYLES[k]["color"], label(k, lang), shape.get(k, "area")) for k in kinds]
