"""Stations & coverage page: who the stations reach, where the gaps are, where new stations go."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from geo.privacy.disclosure import MARK, display_frame, scope_totals
from geo.store import settings
from geo.store.errors import ChildSafeError
from geo.store.labels import label, label_frame
from views import _common
from views.session import lang, tr

LEVELS = ("village", "township", "county", "school")
_LEVEL_TEXT = {
    "village": ("村级阵地", "Village stations"),
    "township": ("乡镇级阵地", "Township stations"),
    "county": ("县级机构", "County institutions"),
    "school": ("学校", "Schools"),
}


def level_text(level: str) -> str:
    """The station level's name in the UI language."""
    zh, en = _LEVEL_TEXT[level]
    return tr(zh, en)


@st.cache_resource(show_spinner=False, max_entries=4)
def _network(path: str, mtime: float, role: str, scope: str, _ds):
    from geo.reach.roads import network_for_dataset

    return network_for_dataset(_ds)


@st.cache_data(show_spinner=False, max_entries=8)
def _coverage(path: str, mtime: float, role: str, scope: str, metric: str, _ds, _net) -> dict:
    """Access, the unit table, service areas and gap areas (cached per file, role and metric)."""
    from geo.reach.access import child_access
    from geo.reach.coverage import coverage_by_unit, coverage_summary, service_areas
    from geo.reach.gaps import gap_areas

    access = child_access(_ds, metric=metric, network=_net)
    return {
        "summary": coverage_summary(access),
        "table": coverage_by_unit(_ds, access),
        "areas": service_areas(_ds, _net, metric=metric),
        "gaps": gap_areas(_ds, access),
        "access": access,
    }


@st.cache_data(show_spinner=False, max_entries=4)
def _health(path: str, mtime: float, role: str, scope: str, _ds, _net) -> dict:
    """The road network's health (geo.reach.health) and its map features, cached per file and role."""
    from geo.reach.health import health_features, network_health

    homes = _ds["households"].geometry if "households" in _ds else None
    return {"numbers": network_health(_net, homes), "features": health_features(_net)}


def _health_section(health: dict) -> None:
    h = health["numbers"]
    problems = h["fragments"] + h["near_misses"] + h.get("homes_on_fragments", 0)
    title = tr("道路网络健康", "Road network health") + (f"（{problems:,}）" if problems else "")
    with st.expander(title, expanded=False):
        c = st.columns(5)
        c[0].metric(tr("连通片", "Components"), f"{h['components']:,}",
                    help=tr(f"最大连通片占节点 {h['largest_share']:.1%}",
                            f"The largest holds {h['largest_share']:.1%} of the nodes"))
        c[1].metric(tr("孤立路段", "Fragments"), f"{h['fragments']:,}",
                    help=tr(f"{h['fragment_nodes']:,} 个节点", f"{h['fragment_nodes']:,} nodes"))
        c[2].metric(tr("断头路端", "Dead ends"), f"{h['dead_ends']:,}")
        c[3].metric(tr("近接未连", "Near misses"), f"{h['near_misses']:,}",
                    help=tr(f"路端距另一条路不到 {settings.road_near_miss_m:g} 米却未相接",
                            f"Road ends within {settings.road_near_miss_m:g} m of a road they do not meet"))
        c[4].metric(tr("最近道路为孤立路段的住户", "Homes nearest a fragment"),
                    f"{h.get('homes_on_fragments', 0):,}",
                    help=tr(f"已改接到更大的路网，多走中位 {h.get('homes_past_median_m', 0):,.0f} 米",
                            f"Joined to a larger network instead, median "
                            f"{h.get('homes_past_median_m', 0):,.0f} m further"))
        j = h.get("junctions") or {}
        st.caption(tr(f"建网时已将 {j.get('moved_ends', 0):,} 个路端在 {j.get('tolerance_m', 0):g} 米容差内接上，"
                      f"拆分 {j.get('split_points', 0):,} 处路段；地图图层“道路网络问题”标出孤立路段和近接未连的路端，"
                      "请在道路图层中修正。",
                      f"Building the network joined {j.get('moved_ends', 0):,} road ends within "
                      f"{j.get('tolerance_m', 0):g} m and split {j.get('split_points', 0):,} segments; the map "
                      "overlay 'Road network problems' marks fragments and near misses to fix in the road layer."))


def render() -> None:
    """Draw the stations & coverage page."""
    st.title(tr("站点覆盖", "Stations & coverage"))
    try:
        ds = _common.analysis_dataset(metric=True)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    missing = [n for n in ("households", "children", "stations") if n not in ds]
    if missing:
        st.info(tr("需要以下图层：", "This page needs the layers: ") + ", ".join(missing))
        return
    c1, c2 = st.columns(2)
    level_names = {lv: level_text(lv) for lv in LEVELS}  # fixed now: format_func runs later
    level = c1.selectbox(tr("阵地层级", "Station level"), LEVELS, format_func=level_names.get,
                         key="coverage_level")
    metrics = ("network", "euclidean") if "roads" in ds else ("euclidean",)
    metric_names = {"network": tr("沿道路", "Along roads"), "euclidean": tr("直线", "Straight line")}
    metric = c2.radio(tr("距离", "Distance"), metrics, horizontal=True, key="coverage_metric",
                      format_func=metric_names.get)
    path, mtime, role, scope = _common.analysis_key()
    try:
        with st.spinner(tr("正在计算覆盖…", "Computing coverage…")):
            net = _network(path, mtime, role, scope, ds) if metric == "network" else None
            res = _coverage(path, mtime, role, scope, metric, ds, net)
        table = _common.role_result("coverage_by_unit", res["table"])
        gaps = _common.role_result("gap_areas", res["gaps"])
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    radius, mode = settings.service_standard[level]
    st.caption(tr(f"服务标准：{radius / 1000:g} 公里（{'步行' if mode == 'walk' else '车行'}）",
                  f"Service standard: {radius / 1000:g} km ({mode})"))
    summary = scope_totals(table).set_index("station_level")  # from the cells the role sees
    cols = st.columns(max(len(summary), 1))
    for col, (lv, row) in zip(cols, summary.iterrows(), strict=False):
        share, covered, children = row["covered_share"], row["covered"], row["children"]
        col.metric(level_text(str(lv)), "–" if pd.isna(share) else f"{share:.1%}",
                   help=tr(f"{_count(covered)} / {_count(children)} 名儿童",
                           f"{_count(covered)} of {_count(children)} children"))
    health = _health(path, mtime, role, scope, ds, net) if net is not None else None
    if health is not None:
        _health_section(health)
    _siting_tool(ds, level, metric, net)
    _map(ds, table, res["areas"], gaps, level, health)
    _table(table, gaps, level, ds["admin_units"])


def _count(value) -> str:
    return MARK if pd.isna(value) else f"{int(value):,}"


def _siting_tool(ds, level: str, metric: str, net) -> None:
    with st.expander(tr("新站点选址", "Site new stations"), expanded=False):
        with st.form("coverage_siting"):
            how_names = {"new": tr("新建 K 个，覆盖最多", "Best K new stations"),
                         "target": tr("达到目标覆盖率的最少站点", "Fewest to reach a target")}
            how = st.radio(tr("方式", "Question"), ("new", "target"), horizontal=True,
                           format_func=how_names.get, key="coverage_how")
            k = st.number_input(tr("新站点数 K", "New stations K"), min_value=1, max_value=500, value=5)
            target = st.slider(tr("目标覆盖率", "Target share"), min_value=0.05, max_value=1.0, value=0.9,
                               step=0.05)
            go = st.form_submit_button(tr("计算", "Compute"))
        if go:
            from geo.reach.siting import site_stations

            try:
                with st.spinner(tr("正在选址…", "Choosing sites…")):
                    res = site_stations(ds, level=level, new=int(k) if how == "new" else None,
                                        target=float(target) if how == "target" else None,
                                        metric=metric, network=net)
            except ChildSafeError as exc:
                _common.show_error(exc)
                return
            st.session_state["coverage_siting_result"] = (level, res)
        stored = st.session_state.get("coverage_siting_result")
        if stored and stored[0] == level:
            res = stored[1]
            c = st.columns(4)
            c[0].metric(tr("覆盖（前）", "Covered before"), f"{res.share_before:.1%}")
            c[1].metric(tr("覆盖（后）", "Covered after"), f"{res.share_after:.1%}",
                        delta=f"+{res.covered_after - res.covered_before:,.0f}")
            c[2].metric(tr("新站点", "New stations"), f"{len(res.proposed)}")
            c[3].metric(tr("求解状态", "Status"), label(res.status, lang()), help=tr(
                f"目标 {res.objective:,.1f}，界 {res.bound:,.1f}，差距 {100 * res.gap:.2f}%",
                f"objective {res.objective:,.1f}, bound {res.bound:,.1f}, gap {100 * res.gap:.2f}%"))
            _proposals(ds, res)


#: the columns of a proposed site shown and downloaded, in order (place first, then the gain).
PROPOSAL_COLUMNS = ["order", "village_code", "township_code", "children_newly_covered", "nearest_road",
                    "road_class", "road_distance_m", "lon", "lat", "source", "candidate_id", "level"]


def proposals_gpkg(proposed, layer: str = "proposed_stations") -> bytes:
    """The proposed sites as a GeoPackage (EPSG:4326), for a GIS or a phone's map app."""
    import tempfile

    from geo.store.dataset import write_layers

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "proposed.gpkg"
        write_layers(path, {layer: proposed.to_crs("EPSG:4326")})
        return path.read_bytes()


def _proposals(ds, res) -> None:
    """The proposed sites: where each is (village, township, road, coordinates), its gain, downloads."""
    proposed = _common.role_result("proposed_stations", res.proposed)
    cols = [c for c in PROPOSAL_COLUMNS if c in proposed.columns]
    units = ds["admin_units"]
    shown = label_frame(display_frame(pd.DataFrame(proposed).drop(columns="geometry")), lang(),
                        admin_units=units, columns=cols)
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(tr("每个拟建站点：所在村和乡镇、最近道路及距离、经纬度（WGS-84）和新增覆盖的儿童数；"
                  "地图上以黄色编号点标出。",
                  "Each proposed site: its village and township, the nearest road and how far, "
                  "longitude/latitude (WGS-84) and the children it newly covers; yellow numbered "
                  "points on the map."))
    d = st.columns(2)
    table = pd.DataFrame(proposed).drop(columns="geometry")
    with d[0]:
        _common.download_button(tr("下载拟建站点（Excel）", "Download proposed sites (Excel)"),
                                _common.download_bytes({tr("拟建站点", "proposed"): table[[
                                    *cols, *[c for c in table.columns if c == "suppressed"]]]},
                                    admin_units=units),
                                "proposed_stations.xlsx", key="coverage_proposed_xlsx", what="proposed stations")
    with d[1]:
        _common.download_button(tr("下载拟建站点（GeoPackage）", "Download proposed sites (GeoPackage)"),
                                proposals_gpkg(proposed), "proposed_stations.gpkg",
                                key="coverage_proposed_gpkg", what="proposed stations (GeoPackage)")


def _map(ds, table, areas, gaps, level: str, health: dict | None = None) -> None:
    from layers import coverage as cov_layers
    from layers.legend import Legend
    from layers.stations import stations_layer

    language = lang()
    groups = []
    if "admin_units" in ds:
        groups.append(cov_layers.coverage_choropleth(table, ds["admin_units"], station_level=level, lang=language))
    groups.append(cov_layers.service_areas_layer(areas[areas["level"] == level], lang=language, show=False))
    lv_gaps = gaps[gaps["station_level"] == level]
    groups.append(cov_layers.density_layer(lv_gaps, lang=language))
    groups.append(cov_layers.gaps_layer(lv_gaps, lang=language))
    groups.append(stations_layer(ds["stations"], lang=language))
    stored = st.session_state.get("coverage_siting_result")
    if stored and stored[0] == level and len(stored[1].proposed):
        from geo.store.labels import place_names

        groups.append(cov_layers.proposed_layer(_common.role_result("proposed_stations", stored[1].proposed),
                                                lang=language, names=place_names(ds["admin_units"])))
    sections = [(tr("覆盖率（村）", "Covered share (villages)"), cov_layers.legend_items(language))]
    if health is not None and len(health["features"]):
        from layers.road_health import legend_items as health_legend
        from layers.road_health import road_health_layer

        groups.append(road_health_layer(health["features"], lang=language, show=False))
        sections.append((label("road_health", language), health_legend(language)))
    m = _common.base_map(ds)
    sections.insert(1, (cov_layers.text("density", language), cov_layers.density_legend_items(lv_gaps, language)))
    Legend(tr("图例", "Legend"), sections).add_to(m)
    _common.show_map(m, groups, key="coverage_map", height=560)


def _table(table, gaps, level: str, ds_units=None) -> None:
    st.subheader(tr("覆盖统计表", "Coverage table"))
    unit_names = {"village": tr("村", "Village"), "township": tr("乡镇", "Township"), "county": tr("县", "County")}
    unit = st.radio(tr("单位", "Unit"), ("village", "township", "county"), horizontal=True, key="coverage_unit",
                    format_func=unit_names.get)
    rows = table[(table["level"] == unit) & (table["station_level"] == level)]
    st.dataframe(label_frame(display_frame(rows), lang()), hide_index=True, width="stretch")
    if "suppressed" in table.columns and table["suppressed"].fillna("").ne("").any():
        st.caption(tr(f"{MARK}：小数保护，已隐藏（由其他数值也推算不出）。",
                      f"{MARK}: hidden to protect small counts (nor can it be worked out from the others)."))
    _common.download_button(tr("下载覆盖统计（Excel）", "Download coverage table (Excel)"),
                            _common.download_bytes({tr("覆盖统计", "coverage"): table}),
                            "coverage_by_unit.xlsx", key="coverage_download", what="coverage by unit")
    st.subheader(tr("覆盖缺口（按脆弱性排序）", "Gap areas (ranked by vulnerability)"))
    lv = gaps[gaps["station_level"] == level].drop(columns="geometry").head(50)
    st.dataframe(label_frame(display_frame(lv), lang(), admin_units=ds_units), hide_index=True, width="stretch")
