"""Stations overlay: protection stations, institutions and schools, coloured by kind group."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo.store.labels import label
from geo.store.schema import STATION_KIND_LEVEL
from layers import features_layer, point_legend
from layers._geo import feature_collection, to_map_frame, tooltip_html

#: colour per kind group (the usual level of the kind, DOMAIN.md §4): blues and brown, so that no
#: colour means two things on one map (green/orange/red are the kits' status, layers/kits.py;
#: purple the households).
COLOURS: dict[str, str] = {
    "county": "#1a237e",
    "township": "#1976d2",
    "village": "#4fc3f7",
    "school": "#6d4c41",
}
_RADIUS = {"county": 9, "township": 8, "village": 6, "school": 6}


def stations_features(stations: gpd.GeoDataFrame, *, lang: str = "zh") -> dict:
    """Return the stations as GeoJSON points coloured by the group of their ``kind``.

    Parameters
    ----------
    stations
        The ``stations`` layer (any CRS).
    lang
        ``"zh"`` or ``"en"``.
    """
    st = to_map_frame(stations)
    groups = [STATION_KIND_LEVEL.get(k, lv) for k, lv in zip(st["kind"], st["level"], strict=True)]
    styles = [{"color": "#ffffff", "weight": 1.5, "fillColor": COLOURS.get(g, "#455a64"),
               "fillOpacity": 1.0, "radius": _RADIUS.get(g, 6)} for g in groups]
    tips = [
        tooltip_html(name if isinstance(name, str) and name else label(kind, lang),
                     [(label("kind", lang), label(kind, lang)), (label("level", lang), label(lv, lang)),
                      (label("capacity", lang), None if pd.isna(cap) else int(cap))])
        for name, kind, lv, cap in zip(st["name"], st["kind"], st["level"], st["capacity"], strict=True)
    ]
    return feature_collection(st, styles, tips)


def stations_layer(
    stations: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    show: bool = True,
) -> folium.FeatureGroup:
    """Return :func:`stations_features` as one named overlay (``show``: on when the map opens)."""
    return features_layer(stations_features, stations, "stations", lang=lang, show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    return point_legend(COLOURS, lang, prefix="station_")
