"""Overview page: the county map with its overlays, a legend and the headline figures."""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from geo.store import settings
from geo.store.errors import ChildSafeError
from geo.store.labels import label
from geo.store.projection import metric_crs_for
from geo.water.sites import sites_from_water
from layers import admin, geojson_layer, households, kits, min_zoom, roads, stations, water
from layers.legend import Legend
from views import _common, session
from views.session import lang, tr

# overlay id -> (dataset layer it draws, on by default)
OVERLAYS: dict[str, tuple[str, bool]] = {
    "admin": ("admin_units", True),
    "households": ("households", True),
    "water": ("water_bodies", True),
    "kits": ("safety_kits", True),
    "stations": ("stations", True),
    "roads": ("roads", False),
}
HOUSEHOLD_MODES = ("village", "hexagon", "points")
#: household points appear from this zoom on (village circles below); ~1:35,000.
POINTS_MIN_ZOOM = 14


def _has_households(ds) -> bool:
    """Households to draw: the points, or the counts a role view holds instead."""
    return "households" in ds or "area_counts" in ds or "hex_counts" in ds


def household_modes(ds) -> tuple[str, ...]:
    """How the current user may see households: counts always, points only with the right."""
    if "households" not in ds:
        return tuple(m for m, layer in (("village", "area_counts"), ("hexagon", "hex_counts"))
                     if layer in ds)
    from geo.privacy.roles import can

    user = session.current_user()
    points = user is not None and can(user, "view_households")
    return HOUSEHOLD_MODES if points else HOUSEHOLD_MODES[:2]


def _people(ds) -> tuple[float, float]:
    """Children and left-behind children of the user's area, as the role may receive them.

    From the children's rows where the role sees them; else from the role view's
    ``area_counts`` (computed on the full data of the scope, then released: a hidden total is
    ``NaN``); ``NaN`` for a role that receives no counts of people (never a made-up 0).
    """
    children = ds["children"]
    if len(children) or not ds.withheld:
        return float(len(children)), float(children["left_behind"].sum()) if len(children) else 0.0
    if "area_counts" not in ds:
        return float("nan"), float("nan")
    counts = ds["area_counts"]
    top = counts[counts["code"].str.len() == counts["code"].str.len().min()]
    total = lambda col: float(pd.to_numeric(top[col], errors="coerce").sum(min_count=len(top)))  # noqa: E731
    return total("children"), total("left_behind")


def water_site_count(water_bodies) -> int:
    """Number of water sites (``geo.water.sites.sites_from_water``) of a water layer in any CRS."""
    if not len(water_bodies):
        return 0
    metric = water_bodies.to_crs(metric_crs_for(tuple(water_bodies.to_crs("EPSG:4326").total_bounds)))
    return len(sites_from_water(metric))


def headline_figures(ds) -> dict[str, float]:
    """Children, left-behind children, water sites, complete kits and stations of ``ds``."""
    n_children, n_left_behind = _people(ds)
    return {
        "children": n_children,
        "left_behind": n_left_behind,
        "water": _common.cached_call(water_site_count, ds["water_bodies"]),
        "kits_complete": int((kits.kit_completeness(ds["safety_kits"]) == "complete").sum()),
        "kits": len(ds["safety_kits"]),
        "stations": len(ds["stations"]),
    }


def _count(value: float) -> str:
    return "—" if value != value else f"{int(value):,}"


def _metrics(figures: dict[str, float]) -> None:
    cols = st.columns(5)
    withheld = figures["children"] != figures["children"]
    why = tr("本角色不接收儿童人数（隐私保护）", "Your role receives no counts of children (privacy)") if withheld else None
    cols[0].metric(tr("儿童", "Children"), _count(figures["children"]), help=why)
    share = (f" · {figures['left_behind'] / figures['children']:.0%}"
             if figures["children"] and figures["children"] == figures["children"]
             and figures["left_behind"] == figures["left_behind"] else "")
    cols[1].metric(tr("留守儿童", "Left-behind"), _count(figures["left_behind"]) + share, help=why)
    cols[2].metric(tr("水域点位", "Water sites"), f"{figures['water']:,}",
                   help=tr("河渠按长度切分、坑塘整体计为一个点位", "Rivers and canals cut by length; a pond is one site"))
    cols[3].metric(tr("“四个一”齐全", "Kits complete"),
                   f"{figures['kits_complete']:,} / {figures['kits']:,}")
    cols[4].metric(tr("阵地与机构", "Stations"), f"{figures['stations']:,}")


def _choices(ds) -> tuple[dict[str, bool], str]:
    st.sidebar.subheader(tr("图层", "Layers"))
    on = {}
    for oid, (layer, default) in OVERLAYS.items():
        if layer in ds or (oid == "households" and _has_households(ds)):
            on[oid] = st.sidebar.checkbox(label(oid, lang()), value=default, key=f"overview_layer_{oid}")
    modes = household_modes(ds)
    mode = modes[0] if modes else "village"
    if on.get("households") and len(modes) > 1:
        mode = st.sidebar.radio(
            tr("户的显示方式", "Households shown as"), modes, key="overview_households_mode",
            format_func=lambda v: {"village": tr("按村汇总", "Village counts"),
                                   "hexagon": tr("六边形汇总", "Hexagon counts"),
                                   "points": tr("点位（放大查看）", "Points (zoom in)")}[v],
        )
        if mode == "points":
            st.sidebar.caption(tr(f"缩放到 {POINTS_MIN_ZOOM} 级以上显示各户点位，其下显示按村汇总。",
                                  f"Household points show from zoom {POINTS_MIN_ZOOM}; village counts below."))
    return on, mode


def too_big(ds, on: dict[str, bool], mode: str) -> list[str]:
    """The chosen overlays with more features than ``settings.map_max_features`` (not drawn)."""
    limit = settings.map_max_features
    big = [oid for oid, (layer, _) in OVERLAYS.items()
           if on.get(oid) and oid != "households" and len(ds[layer]) > limit]
    if on.get("households") and mode == "points" and len(ds["households"]) > limit * 4:
        big.append("households")
    return big


def overlays(ds, on: dict[str, bool], mode: str, language: str) -> tuple[list[folium.FeatureGroup], list]:
    """Return the chosen overlays of ``ds`` and the legend sections for them.

    The GeoJSON of each overlay is cached on its input frames (:func:`_common.cached_call`), so
    a rerun (a checkbox, the language) only rebuilds what changed. Overlays over
    ``settings.map_max_features`` features are left out (see :func:`too_big`).
    """
    call = _common.cached_call
    on = {oid: v and oid not in too_big(ds, on, mode) for oid, v in on.items()}
    groups, legend = [], []
    if on.get("admin"):
        data = call(admin.admin_features, ds["admin_units"], lang=language)
        groups.append(geojson_layer(label("admin", language), data))
        legend.append((label("admin", language), admin.legend_items(language)))
    if on.get("roads"):
        data = call(roads.roads_features, ds["roads"], lang=language)
        groups.append(geojson_layer(label("roads", language), data))
        legend.append((label("roads", language), roads.legend_items(language)))
    if on.get("water"):
        data = call(water.water_features, ds["water_bodies"], lang=language)
        groups.append(geojson_layer(label("water", language), data))
        kinds = tuple(k for k in water.STYLES if (ds["water_bodies"]["kind"] == k).any())
        legend.append((label("water", language), water.legend_items(language, kinds)))
    if on.get("households") and "households" not in ds:  # a role that sees counts only
        source = ds["hex_counts"] if mode == "hexagon" else ds["area_counts"]
        data = call(households.aggregate_features, source, admin_units=ds["admin_units"], lang=language)
        groups.append(geojson_layer(households.overlay_name(by=mode, lang=language), data))
        legend.append((tr("户", "Households"), households.legend_items(language, by=mode)))
    elif on.get("households"):
        by = "village" if mode == "points" else mode
        data = call(households.households_features, ds["households"], children=ds["children"],
                    admin_units=ds["admin_units"], by=by, lang=language)
        groups.append(geojson_layer(households.overlay_name(by=by, lang=language), data))
        legend.append((tr("户", "Households"), households.legend_items(language, by=by)))
        if mode == "points":
            data = call(households.households_features, ds["households"], points=True, lang=language)
            group = geojson_layer(households.overlay_name(points=True, lang=language), data)
            groups.append(min_zoom(group, POINTS_MIN_ZOOM))
            legend.append(("", households.legend_items(language, points=True)))
    if on.get("kits"):
        data = call(kits.kits_features, ds["safety_kits"], lang=language)
        groups.append(geojson_layer(label("kits", language), data))
        legend.append((label("kits", language), kits.legend_items(language)))
    if on.get("stations"):
        data = call(stations.stations_features, ds["stations"], lang=language)
        groups.append(geojson_layer(label("stations", language), data))
        legend.append((label("stations", language), stations.legend_items(language)))
    return groups, legend


def render() -> None:
    """Draw the overview page."""
    st.title(tr("总览地图", "Overview map"))
    try:
        ds = _common.current_dataset()
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    st.caption(_common.md_text(session.dataset_name(session.dataset_path())))
    _metrics(headline_figures(ds))
    on, mode = _choices(ds)
    if not (any(layer in ds for layer, _ in OVERLAYS.values()) or _has_households(ds)):
        st.info(tr("该数据集没有可显示的图层。", "This dataset has no layer to draw."))
        return
    big = too_big(ds, on, mode)
    if big:
        names = "、".join(label(b, lang()) for b in big) if lang() == "zh" else ", ".join(
            label(b, lang()) for b in big)
        st.info(tr(f"{names} 要素过多（超过 {settings.map_max_features:,}），未在地图上绘制：请缩小范围，"
                   "或使用汇总视图。",
                   f"{names}: too many features (over {settings.map_max_features:,}) to draw; "
                   "narrow the area or use the aggregated views."))
    groups, legend = overlays(ds, on, mode, lang())
    m = _common.base_map(ds)
    if legend:
        Legend(label("legend", lang()), legend, position="bottomleft").add_to(m)
    _common.show_map(m, groups, key="overview_map", height=620)
