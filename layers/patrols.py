"""Patrol overlays: each team's route along the roads in its own colour, and numbered stops.

Two overlays, each ONE ``folium.GeoJson`` layer: :func:`routes_layer` (lines, one per team) and
:func:`stops_layer` (a small numbered disc per stop, drawn with a ``DivIcon`` whose HTML holds only
the stop number and the team colour from :data:`TEAM_COLOURS`; the base of each team is a "B"
disc in :data:`BASE_COLOUR`). Tooltip text from the data (site ids, base labels, kit status) goes through
:func:`layers._geo.tooltip_html`, which escapes it.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import shapely

from geo.store.labels import label
from layers._geo import feature_collection, to_map_frame, tooltip_html

#: distinct team colours (ColorBrewer Dark2 + Set1), reused in turn after eight teams.
TEAM_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#377eb8")
#: colour of the bases (teams often share one).
BASE_COLOUR = "#263238"
_TEXT = {
    "routes": ("巡查路线", "Patrol routes"),
    "stops": ("巡查点位（顺序）", "Patrol stops (order)"),
    "team": ("巡查组", "Team"),
    "base": ("出发点", "Base"),
    "stops_n": ("点位数", "Stops"),
    "length": ("里程（公里）", "Length (km)"),
    "duration": ("用时（分钟）", "Duration (min)"),
    "arrive": ("到达（出发后分钟）", "Arrive (min after start)"),
    "order": ("顺序", "Order"),
    "risk": ("风险", "Risk"),
}


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def team_colour(team: int) -> str:
    """The colour of team ``team`` (numbered from 1)."""
    return TEAM_COLOURS[(int(team) - 1) % len(TEAM_COLOURS)]


def _disc(text: str, colour: str, size: int = 20) -> dict:
    """DivIcon options: a coloured disc with ``text`` (a number or "B"; escaped anyway)."""
    css = (f"width:{size}px;height:{size}px;line-height:{size - 4}px;border-radius:50%;"
           f"background:{html.escape(colour, quote=True)};color:#fff;border:2px solid #fff;"
           "box-shadow:0 0 2px #000;font:bold 11px sans-serif;text-align:center")
    return {"html": f'<div style="{css}">{html.escape(text)}</div>', "iconSize": [size, size],
            "iconAnchor": [size // 2, size // 2], "className": "childsafe-stop"}


def _layer(name: str, data: dict, *, show: bool, marker=None) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if not data["features"]:
        return group
    styles = {}
    features = []
    for i, f in enumerate(data["features"]):
        props = dict(f.get("properties") or {})
        styles[str(i)] = props.pop("_style", {})
        features.append({**f, "id": i, "properties": props})
    folium.GeoJson(
        {**data, "features": features},
        name=html.escape(name),
        style_function=lambda feature: styles[str(feature["id"])],
        marker=marker,
        tooltip=folium.GeoJsonTooltip(fields=["_tip"], labels=False, sticky=True),
        highlight_function=None,
        zoom_on_click=False,
        embed=True,
    ).add_to(group)
    return group


def routes_layer(routes: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> folium.FeatureGroup:
    """Return the routes of :func:`geo.field.patrols.plan_patrols` (any CRS), one colour per team."""
    frame = to_map_frame(routes, simplify_m=2.0)
    styles = [{"color": team_colour(t), "weight": 4, "opacity": 0.85} for t in frame["team"]]
    tips = [tooltip_html(f"{_t('team', lang)} {int(r.team)}", [
        (_t("base", lang), r.base), (_t("stops_n", lang), int(r.stops)),
        (_t("length", lang), f"{r.length_m / 1000:.1f}"), (_t("duration", lang), f"{r.duration_min:.0f}"),
    ]) for r in frame.itertuples(index=False)]
    return _layer(_t("routes", lang), feature_collection(frame, styles, tips), show=show)


def stops_layer(stops: gpd.GeoDataFrame, routes: gpd.GeoDataFrame | None = None, *, lang: str = "zh",
                show: bool = True) -> folium.FeatureGroup:
    """Return the stops numbered in visiting order (and each team's base as "B" from ``routes``)."""
    frame = stops[["team", "order", "site_id", "arrive_min", "risk", "kit_status", "geometry"]].copy()
    texts = [str(int(o)) for o in frame["order"]]
    tips = [tooltip_html(f"{_t('team', lang)} {int(r.team)} · {int(r.order)} · {r.site_id}", [
        (_t("arrive", lang), f"{r.arrive_min:.0f}"), (_t("risk", lang), f"{r.risk:.2f}"),
        (label("kits", lang), label(str(r.kit_status), lang) if r.kit_status is not None else None),
    ]) for r in frame.itertuples(index=False)]
    frame = frame[["team", "geometry"]]
    if routes is not None and len(routes):
        starts = [shapely.Point(g.coords[0]) if g is not None and not g.is_empty else None
                  for g in routes.geometry]
        bases = gpd.GeoDataFrame({"team": routes["team"].to_numpy()}, geometry=starts, crs=routes.crs)
        bases = bases[bases.geometry.notna()].to_crs(frame.crs)
        frame = gpd.GeoDataFrame(np.concatenate([frame.to_numpy(), bases[["team", "geometry"]].to_numpy()]),
                                 columns=["team", "geometry"], geometry="geometry", crs=frame.crs)
        texts += ["B"] * len(bases)
        tips += [tooltip_html(f"{_t('team', lang)} {int(t)} · {_t('base', lang)}", [(_t("base", lang), b)])
                 for t, b in zip(bases["team"], routes.loc[bases.index, "base"], strict=True)]
    keep = frame.geometry.notna().to_numpy() & ~frame.geometry.is_empty.to_numpy()
    frame = frame[keep]
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    tips = [t for t, k in zip(tips, keep, strict=True) if k]
    frame = to_map_frame(frame)
    styles = [_disc(text, BASE_COLOUR if text == "B" else team_colour(team))
              for text, team in zip(texts, frame["team"], strict=True)]
    marker = folium.Marker(icon=folium.DivIcon(html="", icon_size=(20, 20), icon_anchor=(10, 10)))
    return _layer(_t("stops", lang), feature_collection(frame, styles, tips), show=show, marker=marker)


def legend_items(teams, lang: str = "zh") -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)``: one line per team."""
    return [(team_colour(t), f"{_t('team', lang)} {int(t)}", "line") for t in teams]
