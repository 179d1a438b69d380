"""Four-ones kits overlay, coloured by completeness (all four items / some / none)."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.store.labels import label
from geo.store.schema import KIT_ITEMS
from layers import features_layer, point_legend
from layers._geo import feature_collection, to_map_frame, tooltip_html

#: colour per completeness class.
COLOURS: dict[str, str] = {"complete": "#1a9850", "partial": "#f39c12", "none": "#d73027"}


def kit_completeness(kits: pd.DataFrame) -> pd.Series:
    """Return ``"complete"``, ``"partial"`` or ``"none"`` per kit from its four item columns."""
    present = np.column_stack([kits[c].fillna(False).astype(bool).to_numpy() for c in KIT_ITEMS]) \
        if len(kits) else np.zeros((0, len(KIT_ITEMS)), bool)
    n = present.sum(axis=1)
    status = np.where(n == len(KIT_ITEMS), "complete", np.where(n == 0, "none", "partial"))
    return pd.Series(status, index=kits.index, dtype="string", name="completeness")


def kits_features(safety_kits: gpd.GeoDataFrame, *, lang: str = "zh") -> dict:
    """Return the kits as GeoJSON points coloured by completeness (escaped tooltips).

    Parameters
    ----------
    safety_kits
        The ``safety_kits`` layer (any CRS).
    lang
        ``"zh"`` or ``"en"``.
    """
    kits = to_map_frame(safety_kits)
    status = kit_completeness(kits)
    styles = [{"color": "#263238", "weight": 1, "fillColor": COLOURS[s], "fillOpacity": 0.95,
               "radius": 5} for s in status]
    tips = []
    for (_, row), s in zip(kits.iterrows(), status, strict=True):
        items = [(label(c, lang), bool(row[c])) for c in KIT_ITEMS]
        inspected = row["inspected_on"]
        inspected = inspected.date().isoformat() if pd.notna(inspected) else None
        tips.append(tooltip_html(f"{label('kits', lang)} {row['kit_id']} · {label(s, lang)}",
                                 [*items, (label("inspected_on", lang), inspected)]))
    return feature_collection(kits, styles, tips)


def kits_layer(
    safety_kits: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    show: bool = True,
) -> folium.FeatureGroup:
    """Return :func:`kits_features` as one named overlay (``show``: on when the map opens)."""
    return features_layer(kits_features, safety_kits, "kits", lang=lang, show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    return point_legend(COLOURS, lang)
