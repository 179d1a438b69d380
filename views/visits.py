"""Villages & visits page: who in my village is due for a visit, visit recording, staffing.

A child director (or an admin) gets the visit list of their scope, most urgent first (police
reports, high-risk tier, days overdue), with what is due this week and next week, printable and
downloadable. Every role that may see aggregates gets the child-director staffing of its area,
computed on the full data and released by role (``_common.released``): a leader's villages short
of directors are the admin's, with small counts hidden.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from geo.field.presets import PRESETS
from geo.field.staffing import COLUMNS as STAFFING_COLUMNS
from geo.field.staffing import village_staffing
from geo.field.visits import (
    DUE_WINDOWS,
    VISIT_LIST_COLUMNS,
    store_visit,
    visit_list,
    visit_schedule,
)
from geo.privacy.disclosure import SUPPRESSED, display_frame, figure
from geo.privacy.roles import can
from geo.store.errors import ChildSafeError
from geo.store.labels import label, label_frame, place_names, place_text
from geo.water.pipeline import reference_date
from layers import staffing as staffing_layer
from layers.legend import Legend
from views import _common, session
from views.session import lang, tr

#: what the visit list shows: to do (overdue, this week, next week), one window, or everyone.
LIST_FILTERS = ("todo", *DUE_WINDOWS[:3], "all")


def _date_note(ds) -> tuple[dt.date, str]:
    """The list's default date and the sentence saying where it comes from."""
    stated = (ds.settings or {}).get("reference_date")
    ref = reference_date(ds)
    if stated:
        return ref, tr(f"参考日期：{ref:%Y-%m-%d}（数据集设定的日期：本数据集的走访记录截至该日）。",
                       f"Reference date: {ref:%Y-%m-%d} (set by the dataset: its visit records run to this day).")
    return ref, tr(f"参考日期：今天 {ref:%Y-%m-%d}。", f"Reference date: today, {ref:%Y-%m-%d}.")


def _controls(ref: dt.date) -> tuple[str, dt.date]:
    cols = st.columns(2)
    titles = {k: p.title_zh if lang() == "zh" else p.title_en for k, p in PRESETS.items()}
    preset = cols[0].selectbox(tr("走访规则", "Visit rules"), list(PRESETS), key="visits_preset",
                               format_func=titles.__getitem__)
    on = cols[1].date_input(tr("日期", "Date"), value=ref, key="visits_on", format="YYYY-MM-DD")
    return preset, on


def _staffing(ds, *, with_map: bool = True) -> None:
    try:
        table = _common.released("staffing", village_staffing)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    short = table[table["shortfall"] > 0]
    missing = figure(table, "shortfall")
    c = st.columns(3)
    c[0].metric(tr("村（社区）", "Villages"), f"{len(table):,}")
    c[1].metric(tr("儿童主任不足的村", "Villages short of directors"), f"{len(short):,}")
    c[2].metric(tr("缺口人数", "Directors short"), "*" if missing != missing else f"{int(missing):,}")
    hidden = SUPPRESSED in table.columns and table[SUPPRESSED].fillna("").ne("").any()
    if with_map and hasattr(table, "geometry") and table.geometry.notna().any():
        m = _common.base_map(ds)
        Legend(tr("儿童主任配备", "Child directors"),
               [(tr("缺口", "Shortfall"), staffing_layer.legend_items(lang(), hidden=hidden))]).add_to(m)
        _common.show_map(m, [staffing_layer.staffing_layer(table, lang=lang())], key="visits_staffing_map",
                         height=460)
    released = pd.DataFrame(table).drop(columns="geometry", errors="ignore")
    released = released[[c for c in [*STAFFING_COLUMNS, SUPPRESSED] if c in released.columns]]
    st.dataframe(label_frame(display_frame(released), lang()), hide_index=True, width="stretch")
    if hidden:
        st.caption(tr("*：小数保护，已隐藏（由其他数值也推算不出）。",
                      "*: small count, hidden (and cannot be worked out from the others)."))
    st.caption(tr("规则：每个村（社区）至少 1 名儿童主任，留守和困境儿童每超过 30 人增配 1 名"
                  "（民发〔2023〕62号 §16；安徽 §17）。",
                  "Rule: at least 1 director per village, one more for each further 30 children in "
                  "scope (national plan §16; Anhui §17)."))
    _common.download_button(tr("下载配备表（Excel）", "Download staffing (Excel)"),
                            _common.download_bytes({label("staffing", lang()): released}),
                            "staffing.xlsx", key="visits_staffing_xlsx", what="staffing")


def _printable(table: pd.DataFrame, title: str, note: str, watermark: str) -> bytes:
    """A self-contained HTML page of ``table`` for printing (A4 landscape, watermark on each page)."""
    body = table.to_html(index=False, escape=True, na_rep="", border=0)
    page = f"""<!doctype html><html lang="{lang()}"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>@page {{ size: A4 landscape; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif; font-size: 11pt; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #999; padding: 3px 6px; }}
th {{ background: #eee; }} thead {{ display: table-header-group; }}
.mark {{ color: #666; font-size: 9pt; }}</style></head><body>
<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p><p class="mark">{html.escape(watermark)}</p>
{body}</body></html>"""
    return page.encode("utf-8")


def _visit_list(ds, sched: pd.DataFrame, vl: pd.DataFrame, on: dt.date, note: str) -> None:
    windows = vl["window"].value_counts()
    c = st.columns(5)
    c[0].metric(tr("在册儿童", "Children in scope"), f"{len(vl):,}")
    c[1].metric(label("overdue", lang()), f"{int(windows.get('overdue', 0)):,}")
    c[2].metric(label("due_this_week", lang()), f"{int(windows.get('due_this_week', 0)):,}")
    c[3].metric(label("due_next_week", lang()), f"{int(windows.get('due_next_week', 0)):,}")
    c[4].metric(tr("需报告公安", "Report to police"), f"{int(vl['report_police'].sum()):,}")
    police = int(vl["report_police"].sum())
    if police:
        st.error(tr(f"{police} 名儿童需立即报告公安机关（吉林 §8：脱离监护单独居住等）。",
                    f"{police} children must be reported to the police at once (Jilin §8)."))
    names = place_names(ds["admin_units"])
    villages = sorted(vl["village_code"].dropna().unique().tolist())
    cols = st.columns([2, 3])
    village = "all"
    if len(villages) > 1:  # option labels made now, in the page's language (not when drawn)
        village_labels = {"all": tr("全部", "All"), **{v: place_text(v, names) for v in villages}}
        village = cols[0].selectbox(tr("村", "Village"), list(village_labels), key="visits_village",
                                    format_func=village_labels.__getitem__)
    filter_labels = {v: label(v, lang()) for v in LIST_FILTERS}
    filter_labels.update(todo=tr("待走访（逾期、本周、下周）", "To do (overdue, this and next week)"),
                         all=tr("全部", "All"))
    shown = cols[1].radio(tr("显示", "Show"), LIST_FILTERS, key="visits_filter", horizontal=True,
                          format_func=filter_labels.__getitem__)
    rows = vl if village == "all" else vl[vl["village_code"] == village]
    if shown == "todo":  # police reports are always to do, whenever the next visit is due
        rows = rows[(rows["window"] != "ok") | rows["report_police"].astype(bool)]
    elif shown != "all":
        rows = rows[rows["window"] == shown]
    st.caption(tr("按紧急程度排序：需报告公安的在前，其次高风险等级、逾期天数、到期日期。",
                  "Most urgent first: police reports, then high-risk tier, days overdue, due date."))
    table = label_frame(rows, lang(), admin_units=ds["admin_units"], columns=VISIT_LIST_COLUMNS)
    st.dataframe(_common.screen_table(table), hide_index=True, width="stretch")
    title = tr(f"走访名单 {on:%Y-%m-%d}", f"Visit list {on:%Y-%m-%d}")
    full = label_frame(vl, lang(), admin_units=ds["admin_units"], columns=VISIT_LIST_COLUMNS)
    from geo.privacy.tables import watermark_text

    mark = watermark_text(session.current_user(), lang=lang())
    d = st.columns(2)
    with d[0]:
        _common.download_button(tr("下载走访名单（Excel）", "Download the visit list (Excel)"),
                                _common.download_bytes({tr("走访名单", "visits"): vl[VISIT_LIST_COLUMNS]},
                                                       admin_units=ds["admin_units"]),
                                f"visits-{on:%Y%m%d}.xlsx", key="visits_list_xlsx", what="visit list")
    with d[1]:
        _common.download_button(tr("打印版走访名单（HTML，用浏览器打印）", "Printable visit list (HTML, print from the browser)"),
                                _printable(full, title, note, mark), f"visits-{on:%Y%m%d}.html",
                                key="visits_list_html", what="visit list (print)")


def _record(vl: pd.DataFrame) -> None:
    user = session.current_user()
    if user is None or not can(user, "record_visit"):
        st.info(tr("当前角色不能登记走访。", "Your role cannot record visits."))
        return
    ids = vl["child_id"].tolist()  # most urgent first
    if not ids:
        st.info(tr("没有在册儿童。", "No children in scope."))
        return
    with st.form("visits_record_form", clear_on_submit=True):
        child = st.selectbox(tr("儿童编号", "Child"), ids, key="visits_record_child")
        kinds = {k: label(k, lang()) for k in ("home_visit", "contact")}
        kind = st.radio(tr("方式", "Kind"), list(kinds), horizontal=True, key="visits_record_kind",
                        format_func=kinds.__getitem__)
        on = st.date_input(tr("日期", "Date"), value=dt.date.today(), max_value=dt.date.today(),
                           format="YYYY-MM-DD")
        note = st.text_area(tr("情况记录（不要写姓名、电话、身份证号）",
                               "Note (no names, phone or ID numbers)"), max_chars=500)
        if st.form_submit_button(tr("登记", "Record")):
            try:
                store_visit(session.dataset_path(), child, kind, on, recorded_by=user.username, note=note,
                            user=user)
            except ChildSafeError as exc:
                _common.show_error(exc)
                return
            st.success(tr("已登记。", "Recorded."))
            st.rerun()


def render() -> None:
    """Draw the villages & visits page."""
    st.title(tr("村级关爱与走访", "Villages & visits"))
    try:
        ds = _common.current_dataset()
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    user = session.current_user()
    personal = user is not None and can(user, "view_personal")
    ref, note = _date_note(ds)
    if not personal:
        st.info(tr("本角色看不到逐个儿童的信息：走访名单只有儿童主任和管理员可见。"
                   "下面是本辖区的儿童主任配备（在完整数据上计算，小数已隐藏）。",
                   "Your role does not see individual children: the visit list is for child directors "
                   "and administrators. Below is your area's child-director staffing (computed on the "
                   "full data, small counts hidden)."))
        _staffing(ds)
        return
    preset, on = _controls(ref)
    st.caption(note)
    vl = None
    if len(ds["children"]):
        try:
            sched = _common.released("visit_schedule", visit_schedule, on=on, preset=preset)
            vl = visit_list(sched, on, preset=preset)
        except ChildSafeError as exc:
            _common.show_error(exc)
            return
    # tab changes rerun the page so the staffing map is drawn only once its tab is open (a
    # Leaflet map drawn in a hidden tab has no size and fits the county at zoom 0)
    tabs = st.tabs([tr("走访名单", "Visit list"), tr("登记走访", "Record a visit"),
                    tr("儿童主任配备", "Child directors")], key="visits_tabs", on_change="rerun")
    with tabs[0]:
        if vl is None:
            st.info(tr("本辖区没有在册的留守或困境儿童。", "No left-behind or in-difficulty children in your area."))
        else:
            _visit_list(ds, sched, vl, on, note)
    with tabs[1]:
        if vl is not None:
            _record(vl)
    with tabs[2]:
        _staffing(ds, with_map=bool(tabs[2].open))
