"""Progress page: where the area stands against the plan, by unit, on a map, over time; the report.

For leaders (and admins, planners): indicator tiles against the chosen preset's targets (met /
close / behind), a table of the units below (sortable by any indicator), a choropleth of the chosen
indicator with drill-down (province → city → county → township → village, as far as the data
spans), a trend line per indicator across stored snapshots, the last spot check of files, a
snapshot button (admins) and the yearly report as a download. Figures are computed on the full data
of the user's scope and released by role (:func:`geo.report.document.release_table`): a leader sees
small counts hidden. A province draws its counties (aggregated), so it is readable at a glance.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.report import indicators as ind_mod
from geo.report.document import SUPPRESSED, release_table, suppressed_mask
from geo.report.indicators import GROUPS, INDICATORS, LEVEL_LENGTH, PRESETS, cite, status
from geo.store.errors import ChildSafeError
from layers import progress as progress_layer
from layers.legend import Legend
from views import _common, session
from views.session import lang, tr

#: status words of the tiles, coloured with Streamlit's own icon font (no emoji: an offline
#: machine may have no emoji font, and the tiles would show empty boxes).
_STATUS = {"met": (":green[:material/check_circle: 达标]", ":green[:material/check_circle: Met]"),
           "close": (":orange[:material/error: 接近]", ":orange[:material/error: Close]"),
           "behind": (":red[:material/cancel: 滞后]", ":red[:material/cancel: Behind]"),
           "no_target": ("无目标", "No target"), "no_data": ("无数据", "No data"),
           "suppressed": ("已隐藏", "Hidden")}
_PRESET_TITLES = {"national": ("全国", "National"), "jilin": ("吉林省", "Jilin"), "anhui": ("安徽省", "Anhui"),
                  "gaotai": ("高台县", "Gaotai"), "heze": ("菏泽市", "Heze")}
_LEVEL_TEXT = {"province": ("省", "Province"), "city": ("市", "City"), "county": ("县", "County"),
               "township": ("乡镇", "Township"), "village": ("村", "Village")}


def _fmt(unit: str, v) -> str:
    from geo.report.render import fmt

    return fmt(unit, v)


@st.cache_data(show_spinner=False, max_entries=6)
def _facts(path: str, mtime: float, role: str, scope: str, preset: str, on: dt.date) -> dict:
    """The leaf facts of the scope's full data (cached per file, role, scope, preset and day).

    Reads only the layers the indicators use, once per key: a warm rerun touches no layer.
    """
    from geo.privacy.roles import User
    from geo.report.facts import unit_facts
    from geo.report.rollup import USED_LAYERS, default_name, scope_data, unit_polygons
    from geo.store.dataset import read_dataset

    ds = scope_data(User("progress", role, scope), read_dataset(path, layers=USED_LAYERS))
    f = unit_facts(ds, on=on, preset=preset)
    # every unit the page can draw: the dataset's polygons, and a city or province made of its
    # counties (no county dataset holds their outline), so a province is seen whole at once
    codes = pd.Index(f.facts.index.astype(str))
    polys = f.units[f.units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    wanted = set(polys["code"].astype(str)).union(*[
        set(codes[codes.str.len() >= n].str[:n]) for n in LEVEL_LENGTH.values() if n <= LEVEL_LENGTH["county"]])
    units = unit_polygons(f.units, sorted(wanted))
    units["name"] = pd.array([f.names.get(c) or default_name(c) for c in units["code"]], dtype="string")
    units["level"] = pd.array([ind_mod.level_of(c) for c in units["code"]], dtype="string")
    return {"facts": f.facts, "names": f.names, "units": units.to_crs("EPSG:4326"), "on": f.on,
            "preset": f.preset}


@st.cache_data(show_spinner=False, max_entries=6)
def _reference_day(path: str, mtime: float) -> dt.date:
    """The dataset's own "today" (its ``reference_date`` setting), else today."""
    from geo.store.dataset import read_dataset
    from geo.water.pipeline import reference_date

    return reference_date(read_dataset(path, layers=[]))


def _unit_facts(data: dict):
    import geopandas as gpd

    from geo.report.facts import UnitFacts

    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=data["units"].crs), crs=data["units"].crs)
    return UnitFacts(data["facts"], data["names"], data["units"], empty, empty, data["on"], data["preset"])


def _next_level(codes: pd.Index, level: str) -> str | None:
    """The first level below ``level`` that splits the data in two or more units (province → city
    → county …; a province of one city shows its counties), else the first level below that holds any."""
    order = list(LEVEL_LENGTH)
    below = [lv for lv in order[order.index(level) + 1:] if (codes.str.len() >= LEVEL_LENGTH[lv]).any()]
    for lv in below:
        n = LEVEL_LENGTH[lv]
        if codes[codes.str.len() >= n].str[:n].nunique() > 1:
            return lv
    return below[0] if below else None


def render() -> None:
    """Draw the progress page."""
    st.title(tr("规划进展", "Progress against the plan"))
    user = session.current_user()
    from geo.privacy.roles import require

    try:
        require(user, "analyse")
        path, mtime, role, scope = _common.analysis_key()
        c = st.columns([2, 2, 3])
        preset = c[0].selectbox(tr("适用方案", "Plan"), list(PRESETS), key="progress_preset",
                                format_func=lambda k: _PRESET_TITLES[k][0 if lang() == "zh" else 1])
        on = c[1].date_input(tr("统计日期", "Date"), value=_reference_day(path, mtime), key="progress_on")
        with st.spinner(tr("正在计算指标…", "Counting the indicators…")):
            data = _facts(path, mtime, role, scope, preset, on)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    from geo.report.rollup import indicator_table, infer_level

    facts = _unit_facts(data)
    codes = data["facts"].index.astype(str)
    if not len(codes):
        st.info(tr("该数据集没有可统计的单位（儿童、村或水域）。", "This dataset has no unit to count "
                   "(children, villages or waters)."))
        return
    top_level = infer_level(facts)
    top_code = codes[0][: LEVEL_LENGTH[top_level]]
    focus = st.session_state.get("progress_focus") or top_code
    if not str(focus).startswith(top_code[: len(str(focus))]) and not str(focus).startswith(top_code):
        focus = top_code
    focus_level = ind_mod.level_of(str(focus)) or top_level
    sub = _next_level(pd.Index(codes[codes.str.startswith(str(focus))]), focus_level)
    table_all = release_table(user, indicator_table(facts, level=focus_level, down_to=sub))
    here = table_all[table_all["code"] == focus]
    below = table_all[(table_all["level"] == sub) & table_all["code"].astype(str).str.startswith(str(focus))]
    if not len(here):
        st.session_state["progress_focus"] = None
        st.rerun()
    row = here.iloc[0]
    c[2].markdown(f"**{row['name']}**（{_LEVEL_TEXT[focus_level][0 if lang() == 'zh' else 1]}）")
    _tiles(row, preset, focus_level)
    _drill(below, sub, focus, top_code)
    tab_map, tab_table, tab_trend = st.tabs([tr("地图", "Map"), tr("分单位表", "Units"), tr("趋势", "Trend")])
    choices = [i.id for i in INDICATORS.values() if sub and i.applies_at(sub)]
    with tab_map:
        if sub:
            # first shown: the first indicator with a target (a leader's map opens on a plan target)
            first = next((k for k, i in enumerate(choices) if INDICATORS[i].target_for(preset, sub) is not None), 0)
            pick = st.selectbox(tr("地图指标", "Indicator on the map"), choices, index=first,
                                key="progress_map_indicator", format_func=lambda i: INDICATORS[i].name(lang()))
            _map(data["units"], below, pick)
    with tab_table:
        _table(below, choices)
    with tab_trend:
        _trend(str(focus), preset, top=str(focus) == top_code)
    _spot_check()
    _actions(user, facts, preset, on, focus_level)


def _tiles(row: pd.Series, preset: str, level: str) -> None:
    hidden = set(str(row.get(SUPPRESSED) or "").split(";"))
    shown = [i for i in INDICATORS.values() if i.applies_at(level) and i.target_for(preset, level) is not None]
    counts = {"met": 0, "close": 0, "behind": 0}
    states = {}
    for ind in shown:
        st_ = "suppressed" if ind.id in hidden else status(ind, row[ind.id], row[f"{ind.id}:den"], preset=preset,
                                                               level=level)
        states[ind.id] = st_
        if st_ in counts:
            counts[st_] += 1
    c = st.columns(3)
    for col, key in zip(c, ("met", "close", "behind"), strict=True):
        col.metric(_STATUS[key][0 if lang() == "zh" else 1], f"{counts[key]}")
    cols = st.columns(4)
    for i, ind in enumerate(shown):
        t = ind.target_for(preset, level)
        value = "*" if states[ind.id] == "suppressed" else _fmt(ind.unit, row[ind.id])
        label = f"{_STATUS[states[ind.id]][0 if lang() == 'zh' else 1]} · {ind.name(lang())}"
        cols[i % 4].metric(label, value, help=tr(f"目标 {_fmt(ind.unit, t.value)}；依据 {cite(t.source, 'zh')}",
                                                 f"target {_fmt(ind.unit, t.value)}; source {cite(t.source, 'en')}"))
    others = [i for i in INDICATORS.values() if i.applies_at(level) and i.target_for(preset, level) is None]
    with st.expander(tr(f"无数量目标的指标（{len(others)}）", f"Indicators without a number target ({len(others)})")):
        st.dataframe(pd.DataFrame({
            tr("指标", "Indicator"): [i.name(lang()) for i in others],
            tr("数值", "Value"): ["*" if i.id in hidden else _fmt(i.unit, row[i.id]) for i in others],
            tr("依据", "Source"): [cite(i.source_for(preset), lang()) for i in others]}), hide_index=True, width="stretch")


def _drill(below: pd.DataFrame, sub: str | None, focus: str, top_code: str) -> None:
    c = st.columns([3, 1])
    if sub and len(below):
        names = dict(zip(below["code"].astype(str), below["name"].astype(str), strict=True))
        options = ["", *names]
        pick = c[0].selectbox(tr(f"下钻到{_LEVEL_TEXT[sub][0]}", f"Drill down to a {sub}"), options,
                              key=f"progress_drill_{focus}",
                              format_func=lambda k: "—" if not k else f"{names[k]}（{k}）")
        if pick:
            st.session_state["progress_focus"] = pick
            st.rerun()
    if focus != top_code and c[1].button(tr("返回上一级", "Up one level"), key="progress_up"):
        parents = [n for n in LEVEL_LENGTH.values() if n < len(focus) and n >= len(top_code)]
        st.session_state["progress_focus"] = focus[: max(parents)] if parents else top_code
        st.rerun()


def _map(units, below: pd.DataFrame, indicator: str) -> None:
    from geo.store.dataset import Dataset

    ind = INDICATORS[indicator]
    language = lang()
    shown = units[units["code"].astype(str).isin(set(below["code"].astype(str)))]
    if not len(shown):
        st.info(tr("这些单位没有边界数据，无法绘制地图；请看“分单位表”。",
                   "These units have no boundaries to draw; see the Units table."))
        return
    data = _common.cached_call(
        _features, shown, below.drop(columns=[c for c in below.columns if c.endswith((":num", ":den"))]),
        indicator=indicator, language=language)
    m = _common.base_map(Dataset({"admin_units": shown}))
    Legend(ind.name(language), [("", progress_layer.legend_items(ind.unit, language))]).add_to(m)
    _common.show_map(m, [progress_layer.progress_layer(data, ind.name(language))], key="progress_map", height=520)


def _features(units, table, *, indicator: str, language: str) -> dict:
    ind = INDICATORS[indicator]
    from geo.report.render import fmt

    return progress_layer.progress_features(
        units, table, indicator=indicator, unit=ind.unit, name_of=ind.name(language),
        text_of=lambda v: fmt(ind.unit, v), hidden_of=suppressed_mask(table, indicator),
        down=ind.direction == "down", lang=language)


def _table(below: pd.DataFrame, choices: list[str]) -> None:
    if not len(below):
        st.info(tr("下一级没有单位。", "No units below."))
        return
    # one group of indicators at a time (as the report's tables): readable columns, not 26 at once
    groups = [g for g in GROUPS if any(INDICATORS[i].group == g for i in choices)]
    c = st.columns(2)
    group = c[0].selectbox(tr("指标类别", "Area of work"), groups, key="progress_table_group",
                           format_func=lambda g: GROUPS[g][0 if lang() == "zh" else 1])
    choices = [i for i in choices if INDICATORS[i].group == group]
    sort = c[1].selectbox(tr("排序依据", "Sort by"), choices, key=f"progress_sort_{group}",
                          format_func=lambda i: INDICATORS[i].name(lang()))
    shown = below.sort_values(sort, ascending=INDICATORS[sort].direction == "up", na_position="last")
    shown = shown.reset_index(drop=True)
    # a static table sorted here (the select box above): a hidden cell reads *, a missing one –
    # (an interactive grid would draw a browser-side "None" for both and sort text as text)
    out = pd.DataFrame({tr("代码", "Code"): shown["code"].astype(str), tr("名称", "Name"): shown["name"]})
    for i in choices:
        ind = INDICATORS[i]
        hidden = suppressed_mask(shown, i).to_numpy(bool)
        # cells are Markdown: the * escaped
        out[ind.name(lang())] = ["\\*" if h else _fmt(ind.unit, v) for v, h in zip(shown[i], hidden, strict=True)]
    st.table(out.set_index(out.columns[0]))
    st.caption(tr("按所选指标排序；“*”为人数过少已隐藏，“–”为无数据。",
                  "Sorted by the indicator chosen above; * is hidden (small count), – has no data."))


def _trend(code: str, preset: str, *, top: bool) -> None:
    from geo.report.snapshots import trend

    path = session.dataset_path()
    table = trend(path, preset=preset, code=code)
    if not len(table):
        st.info(tr("尚无快照：管理员可在下方“保存今日快照”，之后可查看趋势。",
                   "No snapshot yet: an administrator can save one below; trends appear after."))
        return
    user = session.current_user()
    from geo.privacy.roles import ROLE_MATRIX

    people = [i.id for i in INDICATORS.values() if i.people]
    if ROLE_MATRIX[user.role]["area_counts"] == "suppressed" and not top:
        # past figures of children in a small unit are not released: a leader's trend of a unit
        # below the whole area shows the indicators that count no child (docs/report.md)
        table = table.drop(columns=people, errors="ignore")
        st.caption(tr("下级单位的趋势只显示不涉及儿童人数的指标。",
                      "Below the whole area, trends show the indicators that count no child."))
    pick = st.selectbox(tr("趋势指标", "Indicator"), [c for c in table.columns if c in INDICATORS],
                        key="progress_trend_indicator", format_func=lambda i: INDICATORS[i].name(lang()))
    st.line_chart(table.set_index("taken_on")[[pick]].rename(columns={pick: INDICATORS[pick].name(lang())}))
    st.caption(tr(f"{len(table)} 次快照", f"{len(table)} snapshots"))


def _spot_check() -> None:
    from geo.report.spotcheck import read_spot_checks

    draws = read_spot_checks(session.dataset_path())
    with st.expander(tr("档案抽查（最近一次）", "Spot check of files (last draw)")):
        if not len(draws):
            st.info(tr("尚未抽查：childsafe spot-check 数据集 --year 年份 --out 抽查.xlsx",
                       "No draw yet: childsafe spot-check DATASET --year YEAR --out list.xlsx"))
            return
        last = draws.iloc[-1]
        st.write(tr(f"{int(last['year'])} 年度：{last['drawn_at']:%Y-%m-%d}，{int(last['townships'])} 个乡镇、"
                    f"{int(last['villages'])} 个村、{int(last['files'])} 份档案；随机种子 {last['seed']}，校验码 {last['digest']}",
                    f"{int(last['year'])}: {last['drawn_at']:%Y-%m-%d}, {int(last['townships'])} townships, "
                    f"{int(last['villages'])} villages, {int(last['files'])} files; seed {last['seed']}, "
                    f"digest {last['digest']}"))


def _actions(user, facts, preset: str, on: dt.date, level: str) -> None:
    from geo.privacy.roles import can

    c = st.columns(2)
    if can(user, "edit") and not user.scope and c[0].button(tr("保存今日快照", "Save today's snapshot"),
                                                            key="progress_snapshot"):
        from geo.report.snapshots import take_snapshot

        n = take_snapshot(session.dataset_path(), facts, user=user)
        st.success(tr(f"已保存 {n:,} 行汇总数据。", f"Saved {n:,} rows of aggregates."))
    if c[1].button(tr("生成年度报告（PDF）", "Make the yearly report (PDF)"), key="progress_report"):
        import tempfile
        from pathlib import Path

        from geo.report.document import build_report
        from geo.report.render import write_report

        with st.spinner(tr("正在生成报告…", "Making the report…")):
            from geo.report.facts import unit_facts
            from geo.report.rollup import USED_LAYERS, scope_data
            from geo.store.dataset import read_dataset

            full = scope_data(user, read_dataset(session.dataset_path(), layers=USED_LAYERS))
            live = unit_facts(full, on=on, preset=preset)
            rep = build_report(live, user=user, year=on.year, lang=lang(),
                               sources=[session.dataset_name(session.dataset_path())])
            with tempfile.TemporaryDirectory() as tmp:
                out = write_report(rep, Path(tmp) / "report.pdf")
                st.session_state["progress_pdf"] = out.read_bytes()
        from geo.privacy.audit import log_event

        log_event(session.dataset_path(), user, "report", f"progress page PDF {on.year} {preset}")
    if st.session_state.get("progress_pdf"):
        st.download_button(tr("下载报告（PDF）", "Download the report (PDF)"), st.session_state["progress_pdf"],
                           file_name=f"report_{on.year}.pdf", mime="application/pdf", key="progress_pdf_download")
