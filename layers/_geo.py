"""Shared plumbing of the overlays: frames to compact GeoJSON, escaped tooltips, one GeoJson layer.

Every overlay goes through :func:`to_map_frame` (the only place frames become EPSG:4326: simplify
in metres, then round coordinates) and :func:`geojson_layer` (one ``folium.GeoJson`` per
overlay, drawn on the map's canvas renderer, styles carried in each feature's properties).
Text from data files reaches the browser only through :func:`tooltip_html`, which escapes it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geo.store.errors import CRSError
from geo.store.projection import is_metric

#: coordinate grid of the map payload, degrees (1e-6 deg is ~0.1 m).
COORD_PRECISION = 1e-6
_STYLE = "_style"
_TIP = "_tip"


def to_map_frame(
    frame: gpd.GeoDataFrame, *, simplify_m: float = 0.0, precision: float = COORD_PRECISION
) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326, simplified and rounded for the map.

    Parameters
    ----------
    frame
        Any layer with a CRS.
    simplify_m
        Douglas-Peucker tolerance in metres (topology preserved; 0 keeps every vertex). Done in
        the frame's metric CRS, or the UTM zone of its area.
    precision
        Grid size of the output coordinates, degrees.

    Raises
    ------
    CRSError
        The frame has no CRS.
    """
    if frame.crs is None:
        raise CRSError("a map layer has no CRS: set one before drawing it")
    out = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if len(out) == 0:
        return out.to_crs("EPSG:4326")
    if simplify_m > 0:
        if not is_metric(out.crs):
            out = out.to_crs(_utm_epsg(tuple(out.to_crs("EPSG:4326").total_bounds)))
        out = out.set_geometry(out.geometry.simplify(simplify_m, preserve_topology=True))
    out = out.to_crs("EPSG:4326")
    geoms = shapely.set_precision(out.geometry.values, precision, mode="pointwise")
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs="EPSG:4326"))
    return out[~out.geometry.is_empty]


def _utm_epsg(bounds: tuple[float, float, float, float]) -> int:
    """EPSG code of the WGS-84 UTM zone of the centre of ``bounds`` (lon/lat) - only for
    simplifying in metres (the engine picks its CRS with ``geo.store.projection.metric_crs_for``)."""
    lon = (bounds[0] + bounds[2]) / 2
    lat = (bounds[1] + bounds[3]) / 2
    zone = min(max(int((lon + 180) // 6) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else "✗"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)


def tooltip_html(title: Any, rows: Iterable[tuple[str, Any]] = ()) -> str:
    """Return a small HTML block: ``title`` in bold, then ``label: value`` lines, all escaped.

    Every value and label goes through :func:`html.escape`, so text from a data file (a water
    body's name, a village's name) is shown as text and never runs as HTML or script.
    """
    parts = [f"<b>{html.escape(_text(title))}</b>"]
    parts += [f"{html.escape(str(k))}: {html.escape(_text(v))}" for k, v in rows]
    return "<br>".join(parts)


def feature_collection(
    frame: gpd.GeoDataFrame,
    styles: Sequence[Mapping[str, Any]] | pd.Series,
    tips: Sequence[str] | pd.Series | None = None,
) -> dict:
    """Return a GeoJSON FeatureCollection of ``frame`` (EPSG:4326) with only style and tooltip.

    No other column goes to the browser: the payload stays small and holds nothing the user
    did not ask to see.
    """
    geoms = json.loads("[" + ",".join(shapely.to_geojson(frame.geometry.values)) + "]")
    features = []
    styles = list(styles)
    tips = list(tips) if tips is not None else [None] * len(frame)
    for i, (geom, style, tip) in enumerate(zip(geoms, styles, tips, strict=True)):
        props: dict[str, Any] = {_STYLE: dict(style)}
        if tip is not None:
            props[_TIP] = tip
        features.append({"type": "Feature", "id": i, "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def geojson_layer(
    name: str,
    data: dict,
    *,
    show: bool = True,
    point_radius: float = 4.0,
    tooltip: bool = True,
    control: bool = True,
) -> folium.FeatureGroup:
    """Return a named FeatureGroup holding ONE GeoJson layer of ``data``.

    Points are drawn as circle markers (canvas), each feature styled by its ``_style``
    property, with its escaped ``_tip`` HTML as tooltip.

    Parameters
    ----------
    name
        The overlay's name in the layer control (escaped).
    data
        A FeatureCollection from :func:`feature_collection`.
    show
        Whether the overlay is on when the map opens.
    point_radius
        Radius of point features in pixels (a feature's ``_style`` may set its own ``radius``).
    tooltip
        Show the ``_tip`` of a feature on hover.
    control
        List the overlay in the layer control.
    """
    group = folium.FeatureGroup(name=html.escape(name), show=show, control=control)
    if not data["features"]:
        return group
    # styles stay in Python: folium sends each distinct style once with the ids using it
    styles: dict[Any, dict] = {}
    features = []
    for i, f in enumerate(data["features"]):
        props = dict(f.get("properties") or {})
        fid = f.get("id", i)
        styles[str(fid)] = props.pop(_STYLE, {})
        if not tooltip:
            props.pop(_TIP, None)
        features.append({**f, "id": fid, "properties": props})
    data = {**data, "features": features}
    has_tip = any(_TIP in f["properties"] for f in features)
    folium.GeoJson(
        data,
        name=html.escape(name),
        style_function=lambda feature: styles[str(feature["id"])],
        marker=folium.CircleMarker(radius=point_radius, weight=1, fill=True, fill_opacity=0.9),
        tooltip=folium.GeoJsonTooltip(fields=[_TIP], labels=False, sticky=True) if has_tip else None,
        highlight_function=None,
        smooth_factor=1.0,
        zoom_on_click=False,
        embed=True,
    ).add_to(group)
    return group


class _MinZoom(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }}, map = null, self = false;
            function detach() { if (map) { map.off('zoomend', gate); } map = null; }
            function gate() {
                if (!map) { return; }
                // streamlit-folium replaced the overlays and their control: this group is stale
                var ctl = window.layer_control;
                if (ctl && ctl._getLayer && !ctl._getLayer(L.stamp(group))) { detach(); return; }
                var low = map.getZoom() < {{ this.zoom }};
                self = true;
                if (low && map.hasLayer(group)) { map.removeLayer(group); }
                else if (!low && !map.hasLayer(group)) { map.addLayer(group); }
                self = false;
            }
            group.on('add', function () {
                if (self) { return; }
                detach();
                map = group._map;
                map.on('zoomend', gate);
                setTimeout(gate, 0);
            });
            group.on('remove', function () { if (!self) { detach(); } });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, zoom: int):
        super().__init__()
        self._name = "MinZoom"
        self.zoom = int(zoom)


def min_zoom(group: folium.FeatureGroup, zoom: int) -> folium.FeatureGroup:
    """Show ``group`` only from map zoom ``zoom`` on (it is removed below, re-added above).

    For detail that must not show at county scale (household points). Returns ``group``.
    """
    _MinZoom(zoom).add_to(group)
    return group
