"""The base map: fitted to a dataset, offline assets, no tiles by default, optional online tiles.

By default the map has no tile layer (the overlays, above all the admin boundaries, are the
basemap), so it draws with no network. The user may pick an online basemap:

- ``"osm"``: OpenStreetMap standard tiles (WGS-84; © OpenStreetMap contributors, ODbL).
- ``"tianditu"``: 天地图 vector map and labels (CGCS2000, treated as WGS-84); needs the user's
  own key from https://console.tianditu.gov.cn (passed as ``tianditu_key``).
- ``"amap"``: 高德 tiles, drawn in GCJ-02, the obfuscated datum Chinese web maps must use: on it
  WGS-84 overlays appear 300–600 m off. :func:`shift_to_gcj02` moves every overlay's coordinates
  into GCJ-02 (``geo.store.coords.wgs84_to_gcj02``, the published conversion) so they line up; it is applied
  by the app when AMap is picked. Data stays WGS-84; only the drawing is shifted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast
from urllib.parse import quote

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.store.coords import wgs84_to_gcj02
from geo.store.labels import label
from layers.assets import localize

__all__ = ["BASEMAPS", "MAX_ZOOM", "base_map", "shift_to_gcj02", "wgs84_to_gcj02"]

#: online basemaps: id -> (zh, en) label, URL template, attribution, subdomains, datum.
BASEMAPS: dict[str, dict] = {
    "none": {"zh": "无（矢量）", "en": "None (vector)"},
    "osm": {
        "zh": "OpenStreetMap（联网）", "en": "OpenStreetMap (online)",
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors", "subdomains": "abc", "datum": "wgs84",
    },
    "tianditu": {
        "zh": "天地图（联网，需密钥）", "en": "Tianditu (online, key needed)",
        "url": "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
               "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}"
               "&TILEROW={y}&TILECOL={x}&tk={key}",
        "attr": "&copy; 天地图 Tianditu", "subdomains": "01234567", "datum": "wgs84",
    },
    "amap": {
        "zh": "高德地图（联网，GCJ-02 纠偏）", "en": "AMap (online, GCJ-02 corrected)",
        "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
               "&x={x}&y={y}&z={z}",
        "attr": "&copy; 高德 AutoNavi", "subdomains": "1234", "datum": "gcj02",
    },
}
#: deepest zoom of the map (needed by clustering when there are no tiles).
MAX_ZOOM = 18


def base_map(
    bounds: tuple[float, float, float, float] | None,
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
    asset_urls: Mapping[str, str] | None = None,
    max_zoom: int = MAX_ZOOM,
    lang: str = "zh",
) -> folium.Map:
    """Return a folium map fitted to ``bounds`` with local assets.

    Parameters
    ----------
    bounds
        (min lon, min lat, max lon, max lat) in EPSG:4326; ``None`` shows China.
    basemap
        A key of :data:`BASEMAPS`; ``"none"`` (default) needs no network.
    tianditu_key
        The user's Tianditu key (required for ``"tianditu"``).
    asset_urls
        URL prefix per asset package (see :func:`layers.assets.localize`); ``None`` inlines them.
    max_zoom
        Deepest zoom level.
    lang
        Language of the map's own words (the note shown when online tiles fail).
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
    m = folium.Map(location=[35.0, 105.0], zoom_start=5, tiles=None, prefer_canvas=True, zoom_snap=0.25,
                   max_zoom=max_zoom, control_scale=False, zoom_control=True)
    # the scale bar in metres only (folium's control_scale adds Leaflet's default, feet too)
    _MetricScale().add_to(m)
    # folium hands max_zoom to its default tile layer only; with tiles=None the map needs it itself
    m.options["max_zoom"] = max_zoom
    # folium types get_root() as Element; a Map's root is always its Figure
    cast(Figure, m.get_root()).header.add_child(Element(
        "<style>.leaflet-container{background:#f4f1ea}</style>"), name="childsafe_bg")
    spec = BASEMAPS[basemap]
    if basemap == "tianditu":
        if not tianditu_key:
            raise ValueError("the Tianditu basemap needs your Tianditu key")
        for layer in ("vec", "cva"):
            url = spec["url"].replace("{layer}", layer).replace("{key}", quote(tianditu_key, safe=""))
            folium.TileLayer(url, attr=spec["attr"], name=f"{spec['en']} {layer}", subdomains=spec["subdomains"],
                             max_zoom=max_zoom, max_native_zoom=18, overlay=False, control=False).add_to(m)
    elif basemap != "none":
        folium.TileLayer(spec["url"], attr=spec["attr"], name=spec["en"], subdomains=spec["subdomains"],
                         max_zoom=max_zoom, max_native_zoom=18, overlay=False, control=False).add_to(m)
    if basemap != "none":
        _TileFailureNote(label("basemap_unavailable", lang)).add_to(m)
    if bounds is not None and all(np.isfinite(bounds)):
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    localize(m, asset_urls)
    return m


class _TileFailureNote(MacroElement):
    """A visible note when the online basemap's tiles fail (offline, blocked): overlays still draw.

    ``text`` is the note, from the label tables (``geo.store.labels``, ``basemap_unavailable``).
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text_js = json.dumps(text).replace("</", "<\\/")  # a JS string literal, never markup

    _template = Template("""{% macro script(this, kwargs) %}
(function (map) {
  var shown = false;
  map.eachLayer(function (l) {
    if (!(l instanceof L.TileLayer)) return;
    l.on('tileerror', function () {
      if (shown) return; shown = true;
      var note = L.control({position: 'topright'});
      note.onAdd = function () {
        var d = L.DomUtil.create('div', 'childsafe-basemap-note');
        d.style.cssText = 'background:#fff3cd;color:#664d03;padding:4px 8px;border-radius:4px;'
          + 'font:12px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)';
        d.textContent = {{ this.text_js }};
        return d;
      };
      note.addTo(map);
    });
  });
})({{ this._parent.get_name() }});
{% endmacro %}""")


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres only (``L.control.scale({imperial: false})``)."""

    _template = Template("""{% macro script(this, kwargs) %}
L.control.scale({imperial: false, metric: true, maxWidth: 150}).addTo({{ this._parent.get_name() }});
{% endmacro %}""")


# --- GCJ-02 ("Mars coordinates"): the project's one conversion, geo.store.coords -----------------


def _shift_coords(coords):
    arr = np.asarray(coords, dtype=float)
    if arr.ndim == 1:
        lon, lat = wgs84_to_gcj02(arr[0], arr[1])
        return [round(float(lon), 6), round(float(lat), 6), *arr[2:].tolist()]
    if arr.ndim == 2 and arr.shape[1] >= 2:
        lon, lat = wgs84_to_gcj02(arr[:, 0], arr[:, 1])
        out = np.column_stack([lon, lat, arr[:, 2:]])
        return np.round(out, 6).tolist()
    return [_shift_coords(c) for c in coords]


def _shift_geometry(geom: dict | None) -> dict | None:
    if geom is None:
        return geom
    if geom["type"] == "GeometryCollection":
        return {**geom, "geometries": [_shift_geometry(g) for g in geom["geometries"]]}
    return {**geom, "coordinates": _shift_coords(geom["coordinates"])}


def shift_to_gcj02(element: Element) -> Element:
    """Move every GeoJson layer, marker and the fitted bounds in ``element``'s tree to GCJ-02.

    Use only when the map shows GCJ-02 tiles (AMap). Works in place; returns ``element``.
    """
    stack = [element]
    while stack:
        el = stack.pop()
        stack.extend(getattr(el, "_children", {}).values())
        if isinstance(el, folium.GeoJson) and isinstance(getattr(el, "data", None), dict):
            data = el.data
            if data.get("type") == "FeatureCollection":
                data["features"] = [{**f, "geometry": _shift_geometry(f.get("geometry"))} for f in data["features"]]
            elif data.get("type") == "Feature":
                el.data = {**data, "geometry": _shift_geometry(data.get("geometry"))}
        elif isinstance(el, folium.Marker | folium.CircleMarker) and (loc := el.location):
            lat, lon = loc[:2]
            glon, glat = wgs84_to_gcj02(lon, lat)
            el.location = [float(glat), float(glon)]
        elif isinstance(el, folium.FitBounds):
            (s, w), (n, e) = el.bounds
            gw, gs = wgs84_to_gcj02(w, s)
            ge, gn = wgs84_to_gcj02(e, n)
            el.bounds = [[float(gs), float(gw)], [float(gn), float(ge)]]
    return element
