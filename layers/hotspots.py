"""Hot-spot overlays: sites in Gi* hot/cold spot bins, and risk summed on hexagons."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np

from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

#: colours of the Gi* bins, as the usual GIS hot-spot renderers draw them.
BIN_COLOURS: dict[int, str] = {
    3: "#d62f27", 2: "#ed7551", 1: "#fab984", -1: "#c0ccbe", -2: "#849eba", -3: "#4575b5",
}
HEX_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
_BIN_TEXT = {
    3: ("热点 99%", "Hot spot 99%"), 2: ("热点 95%", "Hot spot 95%"), 1: ("热点 90%", "Hot spot 90%"),
    -1: ("冷点 90%", "Cold spot 90%"), -2: ("冷点 95%", "Cold spot 95%"), -3: ("冷点 99%", "Cold spot 99%"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def hotspots_layer(sites: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return the sites in a significant Gi* bin (FDR-corrected), coloured by bin.

    Parameters
    ----------
    sites
        :func:`geo.water.pipeline.water_sites` output with ``gi_bin``, ``gi_z`` and ``gi_p``.
    """
    sig = sites[sites["gi_bin"].to_numpy() != 0]
    frame = to_map_frame(sig, simplify_m=5.0)
    styles, tips = [], []
    for row in frame.itertuples(index=False):
        colour = BIN_COLOURS[int(row.gi_bin)]
        styles.append({"color": colour, "weight": 5, "opacity": 0.9, "fill": True, "fillColor": colour,
                       "fillOpacity": 0.7, "radius": 6})
        tips.append(tooltip_html(f"{row.site_id} · {_pick(_BIN_TEXT[int(row.gi_bin)], lang)}",
                                 [("Gi* z", f"{row.gi_z:.2f}"), ("p", f"{row.gi_p:.4f}")]))
    name = _pick(("热点分析（Gi*）", "Hot spots (Gi*)"), lang)
    return geojson_layer(name, feature_collection(frame, styles, tips), show=show)


def hexagons_layer(hexagons: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = False) -> folium.FeatureGroup:
    """Return the risk hexagons (:func:`geo.water.hotspots.risk_to_hexagons`) shaded by summed risk."""
    frame = to_map_frame(hexagons)
    r = frame["risk"].to_numpy(float) if len(frame) else np.zeros(0)
    edges = np.quantile(r, [0.2, 0.4, 0.6, 0.8]) if len(r) else np.zeros(4)
    cls = np.searchsorted(edges, r, side="right")
    styles = [{"color": "#7f2704", "weight": 0.5, "fill": True, "fillColor": HEX_COLOURS[c], "fillOpacity": 0.6}
              for c in cls]
    title = _pick(("风险（六边形汇总）", "Risk (hexagons)"), lang)
    tips = [tooltip_html(title, [(_pick(("水域点位", "Sites"), lang), row.sites),
                                 (_pick(("缺“四个一”", "Without complete kit"), lang), row.sites_without_kit),
                                 (_pick(("风险合计", "Total risk"), lang), f"{row.risk:.1f}"),
                                 (_pick(("100 米内儿童", "Children within 100 m"), lang), row.children_100m)])
            for row in frame.itertuples(index=False)]
    return geojson_layer(title, feature_collection(frame, styles, tips), show=show)


def legend_items(lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of the Gi* bins."""
    return [(BIN_COLOURS[b], _pick(_BIN_TEXT[b], lang), "line") for b in (3, 2, 1, -1, -2, -3)]
