"""Water safety page: risky sites and their kits, hot spots, the ranked list, kit placement."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.store.errors import ChildSafeError
from geo.store.labels import label
from layers import hotspots as hotspot_layers
from layers import water_sites as site_layers
from layers.legend import Legend
from views import _common, session
from views.session import lang, tr

#: columns of the ranked list, in order.
TABLE_COLUMNS = [
    "risk_rank", "site_id", "kind", "kit_status", "missing_items", "barrier", "children_100m",
    "children_500m", "risk", "gi_bin", "township_code", "village_code",
]
_COLUMN_TEXT = {
    "risk_rank": ("排名", "Rank"), "site_id": ("点位", "Site"), "kind": ("类型", "Kind"),
    "kit_status": ("“四个一”", "Kit"), "missing_items": ("缺少", "Missing"), "barrier": ("防护栏", "Barrier"),
    "children_100m": ("100 米内儿童", "Children ≤100 m"), "children_500m": ("500 米内儿童", "Children ≤500 m"),
    "risk": ("风险", "Risk"), "gi_bin": ("热点等级", "Gi* bin"), "township_code": ("乡镇", "Township"),
    "village_code": ("村", "Village"),
}
PLAN_KEY = "water_kit_plan"


def column_text(col: str) -> str:
    """The column's header in the UI language."""
    zh, en = _COLUMN_TEXT.get(col, (col, col))
    return tr(zh, en)


@st.cache_data(show_spinner=False, max_entries=8)
def _analyse(path: str, mtime: float, role: str, scope: str, _ds) -> dict:
    """Sites with kit status, risk and hot spots, and the risk hexagons (cached per file and role)."""
    from geo.water.hotspots import risk_to_hexagons
    from geo.water.pipeline import water_sites

    sites = water_sites(_ds)
    return {"sites": sites, "hexagons": risk_to_hexagons(sites)}


def _plan(k: int, barriers: int, sites):
    from geo.water.kitplacement import place_kits

    return place_kits(sites, k, barriers=barriers)


def _filters(sites: pd.DataFrame, ds) -> tuple[pd.DataFrame, int]:
    admin = ds["admin_units"]
    names = dict(zip(admin["code"].astype(str), admin["name"].fillna("").astype(str), strict=True)) if len(admin) else {}
    towns = sorted(sites["township_code"].dropna().astype(str).unique())
    kinds = sorted(sites["kind"].dropna().astype(str).unique())
    c1, c2, c3 = st.columns([2, 2, 1])
    chosen_towns = c1.multiselect(
        tr("乡镇", "Township"), towns, key="water_towns", placeholder=tr("全部乡镇", "All townships"),
        format_func=lambda c: f"{names.get(c, '')} {c}".strip(),
    )
    chosen_kinds = c2.multiselect(tr("水域类型", "Kind of water"), kinds, key="water_kinds",
                                  placeholder=tr("全部类型", "All kinds"),
                                  format_func={k: label(k, lang()) for k in kinds}.__getitem__)
    top = int(c3.number_input(tr("前 N 名", "Top N"), min_value=1, max_value=10_000, value=20, key="water_top"))
    out = sites
    if chosen_towns:
        out = out[out["township_code"].astype(str).isin(chosen_towns)]
    if chosen_kinds:
        out = out[out["kind"].astype(str).isin(chosen_kinds)]
    return out, top


def ranked_rows(sites: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` riskiest of ``sites`` with the list's columns (identifiers: for downloads)."""
    table = sites.sort_values("risk_rank").head(top)[[c for c in TABLE_COLUMNS if c in sites]].copy()
    table["risk"] = table["risk"].round(3)
    return pd.DataFrame(table)


def ranked_table(sites: pd.DataFrame, top: int) -> pd.DataFrame:
    """:func:`ranked_rows` for the screen: values and headers in the UI language (渠道, not canal)."""
    from geo.store.labels import label_values

    table = ranked_rows(sites, top)
    for col in table.columns:
        table[col] = label_values(table[col], lang(), col)
    return table.rename(columns={c: column_text(c) for c in table.columns})


def excel_bytes(table: pd.DataFrame) -> bytes:
    """:func:`ranked_rows` as an .xlsx download (the one table writer: labelled, watermarked)."""
    return _common.download_bytes({tr("水域点位", "water_sites"): table}, ".xlsx")


def _site_id_from_click(clicked) -> str | None:
    """The site id in a clicked feature's tooltip (``"<b>W0001-000 · pond</b>…"``)."""
    if not clicked or not isinstance(clicked, str):
        return None
    text = clicked.replace("<b>", "").split("·")[0].strip()
    return text or None


def _details(ds, sites_full: pd.DataFrame, visible: pd.DataFrame, site_id: str) -> None:
    from geo.water.pipeline import site_explanation

    info = site_explanation(ds, sites_full, site_id)
    row = visible[visible["site_id"] == site_id].iloc[0]
    c = st.columns(4)
    c[0].metric(tr("排名", "Rank"), f"{int(row['risk_rank'])}")
    c[1].metric(tr("风险", "Risk"), f"{float(row['risk']):.2f}")
    c[2].metric(tr("“四个一”", "Kit"), label(info["kit_status"], lang()))
    c[3].metric(tr("危险系数", "Hazard factor"), f"{info['hazard']:.2f}")
    missing = [label(i, lang()) for i in info["missing_items"]]
    st.write(tr("缺少：", "Missing: ") + ("、".join(missing) if missing else tr("无", "nothing"))
             + " · " + tr("防护栏：", "Barrier: ") + (tr("有", "yes") if info["barrier"] else tr("无", "no")))
    by_age = pd.DataFrame(info["by_age"])
    if len(by_age):
        by_age = _common.role_result("water_site_children", by_age)  # small counts hidden by role
        by_age = by_age.rename(columns={
            "age_band": tr("年龄段", "Age band"), "within_100m": tr("100 米内", "Within 100 m"),
            "within_500m": tr("500 米内", "Within 500 m"), "within_reach": tr("1 公里内", "Within reach"),
            "share_of_exposure": tr("占暴露比例", "Share of exposure"),
        })
        st.caption(tr("附近儿童（按年龄段，仅计数）", "Children near the site (by age band, counts only)"))
        st.dataframe(by_age, hide_index=True, width="stretch")


def _placement_tool(sites: pd.DataFrame) -> None:
    st.subheader(tr("新增“四个一”选址", "Where to put new kits"))
    c1, c2 = st.columns(2)
    k = int(c1.number_input(tr("新增设施数量", "New kits"), min_value=0, max_value=5000, value=10, key="water_new_kits"))
    b = int(c2.number_input(tr("新增防护栏数量", "New barriers"), min_value=0, max_value=5000, value=0, key="water_new_barriers"))
    if st.button(tr("计算选址", "Choose sites"), key="water_place"):
        try:
            plan = _plan(k, b, sites)
        except ChildSafeError as exc:
            _common.show_error(exc)
            return
        st.session_state[PLAN_KEY] = (_common.analysis_key(), plan)
        st.rerun()  # draw the map again with the proposed kits on it
    plan = _stored_plan()
    if plan is None:
        return
    c = st.columns(4)
    c[0].metric(tr("风险（前）", "Risk before"), f"{plan.risk_before:.1f}")
    c[1].metric(tr("风险（后）", "Risk after"), f"{plan.risk_after:.1f}")
    c[2].metric(tr("与上界差距", "Gap to bound"), f"{100 * plan.gap:.2f}%")
    c[3].metric(tr("求解状态", "Status"), plan.status)
    table = pd.DataFrame(_common.role_result("proposed_kits", plan.proposed).drop(columns="geometry"))
    table["measure"] = table["measure"].map(lambda m: tr("“四个一”", "kit") if m == "kit" else tr("防护栏", "barrier"))
    st.dataframe(table, hide_index=True, width="stretch")


def _stored_plan():
    """The kit plan computed on this page for the current file and role, if any."""
    stored = st.session_state.get(PLAN_KEY)
    if not stored or stored[0] != _common.analysis_key():
        return None
    return stored[1]


def _proposed_layer(plan, language: str):
    from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

    frame = to_map_frame(plan.proposed)
    styles = [{"color": "#000", "weight": 2, "fillColor": "#1a9850" if m == "kit" else "#6a1b9a",
               "fillOpacity": 1.0, "radius": 8} for m in frame["measure"]]
    tips = [tooltip_html(f"{r.site_id}", [(tr("顺序", "Order"), r.order),
                                          (tr("减少风险", "Risk reduced"), f"{r.risk_reduced:.2f}")])
            for r in frame.itertuples(index=False)]
    return geojson_layer(tr("拟建设施", "Proposed kits"), feature_collection(frame, styles, tips))


def render() -> None:
    """Draw the water safety page."""
    st.title(tr("水域安全", "Water safety"))
    try:
        ds = _common.analysis_dataset(metric=True)
        if "water_bodies" not in ds:
            st.info(tr("该数据集没有水域图层（water_bodies）。", "This dataset has no water_bodies layer."))
            return
        result = _analyse(*_common.analysis_key(), ds)
        sites_full = result["sites"]
        sites = _common.role_result("water_sites", sites_full)
        hexagons = _common.role_result("risk_hexagons", result["hexagons"])
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    headline = st.container()  # drawn after the filters: the figures are those of the filtered sites
    shown, top = _filters(sites, ds)
    status = shown["kit_status"].value_counts()
    c = headline.columns(4)
    c[0].metric(tr("水域点位", "Water sites"), f"{len(shown):,}")
    c[1].metric(tr("“四个一”齐全", "Complete kits"), f"{int(status.get('complete', 0)):,}")
    c[2].metric(tr("缺“四个一”", "Without any kit"), f"{int(status.get('none', 0)):,}")
    c[3].metric(tr("热点点位", "Hot-spot sites"), f"{int((shown['gi_bin'] > 0).sum()):,}")
    language = lang()
    groups = [
        site_layers.water_sites_layer(shown, lang=language),
        site_layers.kit_symbols_layer(shown, lang=language, show=False),
        hotspot_layers.hotspots_layer(shown, lang=language),
        hotspot_layers.hexagons_layer(hexagons, lang=language,
                                      show=getattr(session.current_user(), "role", "") == "leader"),
    ]
    plan = _stored_plan()
    if plan is not None:
        groups.append(_proposed_layer(plan, language))
    m = _common.base_map(ds)
    if len(shown) < len(sites) and len(shown) and shown.geometry.notna().any():
        x0, y0, x1, y1 = shown.to_crs("EPSG:4326").total_bounds  # zoom to the chosen townships
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
    Legend(label("legend", language), [
        (tr("水域点位", "Water sites"), site_layers.legend_items(language)),
        (tr("热点分析", "Hot spots"), hotspot_layers.legend_items(language)),
    ]).add_to(m)
    out = _common.show_map(m, groups, key="water_map", height=560,
                           returned_objects=["last_object_clicked_tooltip"])

    st.subheader(tr("风险排名", "Ranked sites"))
    table = ranked_table(shown, top)
    st.dataframe(table, hide_index=True, width="stretch")
    _common.download_button(tr(f"下载完整排名（Excel，{len(shown):,} 个点位）",
                               f"Download the whole ranking (Excel, {len(shown):,} sites)"),
                            excel_bytes(ranked_rows(shown, len(shown))), "water_sites.xlsx",
                            key="water_excel", what="water ranking")

    st.subheader(tr("点位详情", "Site details"))
    options = list(shown.sort_values("risk_rank")["site_id"].head(max(top, 1)).astype(str))
    clicked = _site_id_from_click(out.get("last_object_clicked_tooltip"))
    if clicked and clicked in set(sites["site_id"].astype(str)) and clicked not in options:
        options.insert(0, clicked)
    if options:
        index = options.index(clicked) if clicked in options else 0
        site_id = st.selectbox(tr("选择点位（或在地图上点击）", "Pick a site (or click it on the map)"),
                               options, index=index, key="water_site")
        _details(ds, sites_full, sites, site_id)
    _placement_tool(sites_full)
