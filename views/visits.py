"""Villages & visits page: child-director staffing, overdue children per village, visit recording."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.field.presets import PRESETS
from geo.field.staffing import COLUMNS as STAFFING_COLUMNS
from geo.field.staffing import village_staffing
from geo.field.visits import overdue_by_village, store_visit, visit_schedule
from geo.store.errors import ChildSafeError
from layers import staffing as staffing_layer
from layers.legend import Legend
from views import _common, session
from views.session import lang, tr

_STATUS_ZH = {"overdue": "逾期", "due_soon": "即将到期", "ok": "正常"}
_FLAG_ZH = {
    "alone_no_guardian": "脱离监护单独居住（立即报告公安）",
    "guardian_incapable": "监护人丧失监护能力（立即报告公安）",
    "missing": "失踪（立即报告公安）",
    "suspected_abuse": "疑似遭受侵害（立即报告公安）",
    "never_contacted": "从未联系",
    "never_visited": "从未入户走访",
    "holiday_visit": "假期集中走访",
    "extreme_weather": "极端天气加密走访",
}
_TIER_ZH = {"high_risk": "高风险", "standard": "一般", "good": "监护较好", "average": "监护一般"}


def _flags_text(flags: str) -> str:
    if not flags:
        return ""
    if lang() != "zh":
        return flags.replace(";", ", ")
    return "；".join(_FLAG_ZH.get(f, f) for f in flags.split(";"))


def _controls() -> tuple[str, dt.date]:
    cols = st.columns(2)
    titles = {k: p.title_zh if lang() == "zh" else p.title_en for k, p in PRESETS.items()}
    preset = cols[0].selectbox(tr("走访规则", "Visit rules"), list(PRESETS), key="visits_preset",
                               format_func=titles.__getitem__)
    on = cols[1].date_input(tr("日期", "Date"), value=dt.date.today(), key="visits_on")
    return preset, on


def _staffing(ds, *, with_map: bool = True) -> None:
    table = village_staffing(ds)
    short = table[table["shortfall"] > 0]
    c = st.columns(3)
    c[0].metric(tr("村（社区）", "Villages"), f"{len(table):,}")
    c[1].metric(tr("儿童主任不足的村", "Villages short of directors"), f"{len(short):,}")
    c[2].metric(tr("缺口人数", "Directors short"), f"{int(table['shortfall'].sum()):,}")
    if with_map and hasattr(table, "geometry") and table.geometry.notna().any():
        m = _common.base_map(ds)
        Legend(tr("儿童主任配备", "Child directors"),
               [(tr("缺口", "Shortfall"), staffing_layer.legend_items(lang()))]).add_to(m)
        _common.show_map(m, [staffing_layer.staffing_layer(table, lang=lang())], key="visits_staffing_map",
                         height=460)
    shown = pd.DataFrame(table)[STAFFING_COLUMNS]
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(tr("规则：每个村（社区）至少 1 名儿童主任，留守和困境儿童每超过 30 人增配 1 名"
                  "（民发〔2023〕62号 §16；安徽 §17）。",
                  "Rule: at least 1 director per village, one more for each further 30 children in "
                  "scope (national plan §16; Anhui §17)."))
    st.download_button(tr("下载配备表（CSV）", "Download staffing (CSV)"),
                       _common.download_bytes(shown, ".csv"), "staffing.csv", "text/csv",
                       key="visits_staffing_csv")


def _overdue(sched: pd.DataFrame) -> None:
    police = sched[sched["report_police"]]
    if len(police):
        st.error(tr(f"{len(police)} 名儿童需立即报告公安机关（吉林 §8：脱离监护单独居住等）。",
                    f"{len(police)} children must be reported to the police at once (Jilin §8)."))
    by_village = overdue_by_village(sched)
    st.dataframe(by_village, hide_index=True, width="stretch")
    villages = by_village["village_code"].tolist()
    if not villages:
        return
    village = st.selectbox(tr("村", "Village"), villages, key="visits_village")
    rows = sched[(sched["village_code"].fillna("?") == village) & (sched["status"] != "ok")]
    rows = rows.sort_values(["report_police", "days_overdue"], ascending=[False, False])
    table = pd.DataFrame({
        tr("儿童编号", "Child"): rows["child_id"],
        tr("等级", "Tier"): rows["tier"].map(lambda t: _TIER_ZH.get(t, t) if lang() == "zh" else t),
        tr("下次联系", "Next contact"): rows["next_contact_due"].dt.date,
        tr("下次入户", "Next home visit"): rows["next_visit_due"].dt.date,
        tr("状态", "Status"): rows["status"].map(lambda s: _STATUS_ZH.get(s, s) if lang() == "zh" else s),
        tr("逾期天数", "Days overdue"): rows["days_overdue"],
        tr("提示", "Flags"): rows["flags"].map(_flags_text),
    })
    st.dataframe(table, hide_index=True, width="stretch")


def _record(sched: pd.DataFrame) -> None:
    user = session.current_user()
    from geo.privacy.roles import can

    if user is None or not can(user, "record_visit"):
        st.info(tr("当前角色不能登记走访。", "Your role cannot record visits."))
        return
    ids = sched.sort_values("days_overdue", ascending=False)["child_id"].tolist()
    if not ids:
        st.info(tr("没有在册儿童。", "No children in scope."))
        return
    with st.form("visits_record_form", clear_on_submit=True):
        child = st.selectbox(tr("儿童编号", "Child"), ids, key="visits_record_child")
        kinds = {"home_visit": tr("入户走访", "Home visit"), "contact": tr("电话/视频联系", "Contact")}
        kind = st.radio(tr("方式", "Kind"), list(kinds), horizontal=True, format_func=kinds.__getitem__)
        on = st.date_input(tr("日期", "Date"), value=dt.date.today(), max_value=dt.date.today())
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
    preset, on = _controls()
    try:
        sched = visit_schedule(ds, on=on, preset=preset) if len(ds["children"]) else None
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    if sched is not None:
        counts = sched["status"].value_counts()
        c = st.columns(4)
        c[0].metric(tr("在册儿童", "Children in scope"), f"{len(sched):,}")
        c[1].metric(tr("逾期", "Overdue"), f"{int(counts.get('overdue', 0)):,}")
        c[2].metric(tr("7 天内到期", "Due soon"), f"{int(counts.get('due_soon', 0)):,}")
        c[3].metric(tr("需报告公安", "Report to police"), f"{int(sched['report_police'].sum()):,}")
    # tab changes rerun the page so the staffing map is drawn only once its tab is open (a
    # Leaflet map drawn in a hidden tab has no size and fits the county at zoom 0)
    tabs = st.tabs([tr("逾期儿童", "Overdue children"), tr("登记走访", "Record a visit"),
                    tr("儿童主任配备", "Child directors")], key="visits_tabs", on_change="rerun")
    with tabs[0]:
        if sched is None:
            st.info(tr("该数据集没有儿童表。", "This dataset has no children table."))
        else:
            _overdue(sched)
    with tabs[1]:
        if sched is not None:
            _record(sched)
    with tabs[2]:
        if len(ds["households"]) or len(ds["admin_units"]):
            _staffing(ds, with_map=bool(tabs[2].open))
