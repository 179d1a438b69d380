"""Overview page: the county map with its overlays, a legend and the headline figures."""

from __future__ import annotations

import folium
import streamlit as st

from geo.errors import ChildSafeError
from layers import admin, households, kits, roads, stations, water
from layers.labels import label
from layers.legend import Legend
from views import _common
from views._common import lang, tr

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


def headline_figures(ds) -> dict[str, int]:
    """Children, left-behind children, water sites, complete kits and stations of ``ds``."""
    children = ds["children"]
    return {
        "children": len(children),
        "left_behind": int(children["left_behind"].sum()) if len(children) else 0,
        "water": len(ds["water_bodies"]),
        "kits_complete": int((kits.kit_completeness(ds["safety_kits"]) == "complete").sum()),
        "kits": len(ds["safety_kits"]),
        "stations": len(ds["stations"]),
    }


def _metrics(figures: dict[str, int]) -> None:
    cols = st.columns(5)
    cols[0].metric(tr("儿童", "Children"), f"{figures['children']:,}")
    share = figures["left_behind"] / figures["children"] if figures["children"] else 0.0
    cols[1].metric(tr("留守儿童", "Left-behind"), f"{figures['left_behind']:,} · {share:.0%}")
    cols[2].metric(tr("水域", "Water bodies"), f"{figures['water']:,}")
    cols[3].metric(tr("“四个一”齐全", "Kits complete"),
                   f"{figures['kits_complete']:,} / {figures['kits']:,}")
    cols[4].metric(tr("阵地与机构", "Stations"), f"{figures['stations']:,}")


def _choices(ds) -> tuple[dict[str, bool], str]:
    st.sidebar.subheader(tr("图层", "Layers"))
    on = {}
    for oid, (layer, default) in OVERLAYS.items():
        if layer in ds:
            on[oid] = st.sidebar.checkbox(label(oid, lang()), value=default, key=f"overview_layer_{oid}")
    mode = "village"
    if on.get("households"):
        mode = st.sidebar.radio(
            tr("户的显示方式", "Households shown as"), HOUSEHOLD_MODES, key="overview_households_mode",
            format_func=lambda v: {"village": tr("按村汇总", "Village counts"),
                                   "hexagon": tr("六边形汇总", "Hexagon counts"),
                                   "points": tr("点位（放大查看）", "Points (zoom in)")}[v],
        )
    return on, mode


def overlays(ds, on: dict[str, bool], mode: str, language: str) -> tuple[list[folium.FeatureGroup], list]:
    """Return the chosen overlays of ``ds`` and the legend sections for them."""
    groups, legend = [], []
    if on.get("admin"):
        groups.append(admin.admin_layer(ds["admin_units"], lang=language))
        legend.append((label("admin", language), admin.legend_items(language)))
    if on.get("roads"):
        groups.append(roads.roads_layer(ds["roads"], lang=language))
        legend.append((label("roads", language), roads.legend_items(language)))
    if on.get("water"):
        groups.append(water.water_layer(ds["water_bodies"], lang=language))
        kinds = tuple(k for k in water.STYLES if (ds["water_bodies"]["kind"] == k).any())
        legend.append((label("water", language), water.legend_items(language, kinds)))
    if on.get("households"):
        groups.append(households.households_layer(
            ds["households"], children=ds["children"], admin_units=ds["admin_units"],
            by="village" if mode == "points" else mode, points=mode == "points", lang=language))
        legend.append((tr("户", "Households"),
                       households.legend_items(language, by=mode, points=mode == "points")))
    if on.get("kits"):
        groups.append(kits.kits_layer(ds["safety_kits"], lang=language))
        legend.append((label("kits", language), kits.legend_items(language)))
    if on.get("stations"):
        groups.append(stations.stations_layer(ds["stations"], lang=language))
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
    st.caption(f"{_common.dataset_path().name}")
    _metrics(headline_figures(ds))
    on, mode = _choices(ds)
    if not any(layer in ds for layer, _ in OVERLAYS.values()):
        st.info(tr("该数据集没有可显示的图层。", "This dataset has no layer to draw."))
        return
    groups, legend = overlays(ds, on, mode, lang())
    m = _common.base_map(ds)
    if legend:
        Legend(label("legend", lang()), legend).add_to(m)
    _common.show_map(m, groups, key="overview_map", height=620)
