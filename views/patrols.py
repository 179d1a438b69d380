"""Patrols page: plan routes for the teams, print a route sheet per team, GPX, the patrol calendar,
check a GPS track against the plan, record an inspection."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from geo.field.presets import PATROL_PRESETS
from geo.store import settings
from geo.store.errors import ChildSafeError
from geo.store.labels import label
from geo.store.schema import KIT_ITEMS
from layers import admin as admin_layers
from layers import geojson_layer
from layers import patrols as patrol_layers
from layers import water as water_layers
from layers.legend import Legend
from views import _common, session
from views.session import lang, tr

PLAN_KEY = "patrols_plan"
_ITEM_ZH = {"sign": "警示牌", "buoy": "救生圈", "rope": "救生绳", "pole": "救生杆"}
_STATUS_TEXT = {"ok": ("已到位", "ok"), "skipped": ("漏巡", "skipped"), "too_fast": ("速度过快", "too fast")}


# --- data ---------------------------------------------------------------------------------------
def _sites(ds):
    """Water sites with risk for the current file and role (shared with the water page's cache)."""
    from views.water import _analyse

    return _analyse(*_common.analysis_key(), ds)["sites"]


def _plan(ds, sites, *, teams: int, shift_hours: float, bases: list[str], pinned: list[str], time_limit: float):
    from geo.field.patrols import plan_patrols

    method = "greedy" if time_limit <= 0 else "auto"
    routes, stops, plan = plan_patrols(ds, teams=teams, shift_hours=shift_hours, bases=bases or None,
                                       pinned=pinned, sites=sites, method=method,
                                       time_limit=time_limit if time_limit > 0 else None)
    return {"routes": routes, "stops": stops, "method": plan.method, "collected": plan.collected,
            "missed_pinned": list(plan.missed_pinned)}


def _plan_key() -> tuple:
    """The file and role a stored plan belongs to."""
    user = session.current_user()
    return str(session.dataset_path()), getattr(user, "role", ""), getattr(user, "scope", "")


def _stored_plan():
    stored = st.session_state.get(PLAN_KEY)
    if not stored or stored[0] != _plan_key():
        return None
    return stored[1]


def stop_sheet(stops: pd.DataFrame, sites: pd.DataFrame, water: pd.DataFrame, start: dt.time,
               ds=None) -> pd.DataFrame:
    """Stops with the water's name and kind, missing kit items and the clock time of arrival.

    With the dataset ``ds``, each stop also gets its place (``place``: village and township
    names, from ``geo.reach.places.place_of``) and ``lon``/``lat``, so a team can find it.
    """
    info = sites[["site_id", "water_id", "kind", "missing_items"]].drop_duplicates("site_id")
    plain = pd.DataFrame(stops.drop(columns="geometry", errors="ignore"))
    if ds is not None and hasattr(stops, "geometry") and len(stops):
        from geo.reach.places import place_of
        from geo.store.labels import place_names

        where = place_of(ds, stops)
        names = place_names(ds["admin_units"])
        plain["place"] = [
            "".join(x for x in (names.get(str(t), "") if pd.notna(t) else "",
                                names.get(str(v), "") if pd.notna(v) else "") if x) or (str(v) if pd.notna(v) else "")
            for v, t in zip(where["village_code"], where["township_code"], strict=True)]
        plain["lon"], plain["lat"] = where["lon"].to_numpy(), where["lat"].to_numpy()
    out = plain.merge(info, on="site_id", how="left")
    names = (water[["water_id", "name"]].drop_duplicates("water_id") if "name" in water
             else pd.DataFrame({"water_id": [], "name": []}))
    out = out.merge(names, on="water_id", how="left")
    base = dt.datetime.combine(dt.date(2000, 1, 1), start)
    out["arrive"] = [(base + dt.timedelta(minutes=float(m))).strftime("%H:%M") for m in out["arrive_min"]]
    return out.sort_values(["team", "order"], ignore_index=True)


def route_sheet_html(team: int, base: str, sheet: pd.DataFrame, *, shift: str, length_km: float,
                     duration_min: float, day: dt.date | None = None) -> str:
    """One printable A4 page (Chinese) for one team: stops in order, missing kit items, signatures.

    Every value from the data is escaped. The font shrinks with the number of stops so the table
    fits one page.
    """
    n = len(sheet)
    font = 11 if n <= 14 else (9.5 if n <= 22 else (8 if n <= 32 else 7))
    rows = []
    for r in sheet.itertuples(index=False):
        missing = [_ITEM_ZH.get(i, i) for i in str(r.missing_items or "").split(";") if i and i != "<NA>"]
        name = "" if pd.isna(r.name) else str(r.name)
        kind = label(str(r.kind), "zh") if isinstance(r.kind, str) else ""
        place = str(getattr(r, "place", "") or "")
        if getattr(r, "lon", None) is not None and pd.notna(r.lon):
            place = f"{place} {r.lat:.5f},{r.lon:.5f}".strip()
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
                int(r.order), r.site_id, place, f"{name} {kind}".strip(), r.arrive,
                "、".join(missing) if missing else "齐全", "")) + "<td class='box'>□ 有 □ 无</td></tr>")
    when = day.isoformat() if day else "____年__月__日"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>巡查路线单 第{int(team)}组</title>
<style>
@page {{ size: A4 portrait; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "SimSun", sans-serif; font-size: {font}pt;
       margin: 0; color: #000; }}
.page {{ width: 186mm; max-height: 271mm; overflow: hidden; page-break-after: avoid; }}
h1 {{ font-size: 16pt; margin: 0 0 2mm; text-align: center; }}
.meta {{ display: flex; flex-wrap: wrap; gap: 2mm 8mm; margin-bottom: 2mm; }}
table {{ width: 100%; border-collapse: collapse; page-break-inside: avoid; }}
th, td {{ border: 1px solid #000; padding: 0.6mm 1.2mm; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
td.box {{ white-space: nowrap; }}
.note {{ margin-top: 2mm; font-size: 0.9em; }}
.sign {{ margin-top: 5mm; display: flex; justify-content: space-between; }}
@media print {{ th {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }} }}
</style></head>
<body><div class="page">
<h1>防溺水巡查路线单（第{int(team)}组）</h1>
<div class="meta"><span>日期：{html.escape(when)}</span><span>出发点：{html.escape(str(base))}</span>
<span>时段：{html.escape(shift)}</span><span>点位：{n} 个</span>
<span>里程：{length_km:.1f} 公里</span><span>预计用时：{duration_min:.0f} 分钟</span></div>
<table><thead><tr><th>序号</th><th>点位编号</th><th>所在村（乡镇）· 纬度,经度</th><th>水域名称/类型</th><th>预计到达</th>
<th>缺少的“四个一”</th><th>发现问题/处置</th><th>儿童在水边</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<div class="note">到达每个点位：查看警示牌、救生圈、救生绳、救生杆和防护栏；提醒、制止、劝离靠近或进入水域的儿童
（菏泽 §17）；发现缺失或损坏在“发现问题”栏记录，并在系统中登记检查。</div>
<div class="sign"><span>巡查人签名：______________</span><span>负责人签名：______________</span>
<span>返回时间：________</span></div>
</div></body></html>"""


def check_table(stops: pd.DataFrame, gpx: bytes, team: int | None, *, coords: str = "wgs84",
                routes=None) -> tuple[pd.DataFrame, list[dict]]:
    """A track check of the planned ``stops`` against the uploaded GPX, and its proof flags.

    See geo.field.patrolcheck (passed, skipped, too fast) and geo.field.trackproof (times,
    day, speeds, a replayed plan, the coordinate system).
    """
    from geo.field.patrolcheck import check_track, read_gpx_track
    from geo.field.trackproof import track_flags, track_in

    raw = read_gpx_track(gpx)
    moved = track_in(raw, coords)
    result = check_track(stops, moved, team=team)
    return result, track_flags(stops, moved, routes=routes, team=team, coords=coords,
                               raw_track=raw)


def excel_bytes(table: pd.DataFrame, sheet: str) -> bytes:
    """The table as an .xlsx download (the one table writer: no formulas, watermarked)."""
    return _common.download_bytes({sheet: table}, ".xlsx")


# --- sections -----------------------------------------------------------------------------------
def _plan_section(ds, sites) -> None:
    stations = ds["stations"]
    st_ids = stations["station_id"].astype(str).tolist() if len(stations) else []
    st_names = dict(zip(st_ids, stations["name"].fillna("").astype(str), strict=True)) if len(stations) else {}
    ranked = sites.sort_values("risk_rank")
    with st.form("patrols_plan_form"):
        c = st.columns(4)
        teams = int(c[0].number_input(tr("巡查组数", "Teams"), 1, 8, 3, key="patrols_teams"))
        shift = float(c[1].number_input(tr("班次时长（小时）", "Shift (hours)"), 0.5, 12.0, 4.0, 0.5,
                                        key="patrols_shift"))
        start = c[2].time_input(tr("出发时间", "Start time"), dt.time(14, 0), key="patrols_start")
        limit = float(c[3].number_input(
            tr("求解时限（秒，0 = 快速贪心）", "Solver time limit (s, 0 = quick greedy)"), 0.0, 120.0,
            float(settings.patrol_solver_time_limit_s), 0.5, key="patrols_time_limit"))
        bases = st.multiselect(tr("各组出发点（站点；不选则自动）", "Bases (stations; none = automatic)"), st_ids,
                               key="patrols_bases", placeholder=tr("选择（可多选）", "Choose options"),
                               format_func=lambda s: f"{s} {st_names.get(s, '')}".strip())
        pinned = st.multiselect(tr("必须巡查的点位", "Sites that must be visited"),
                                ranked["site_id"].astype(str).head(500).tolist(), key="patrols_pinned",
                                placeholder=tr("选择（可多选）", "Choose options"))
        go = st.form_submit_button(tr("规划路线", "Plan routes"))
    if go:
        try:
            with st.spinner(tr("正在规划路线…", "Planning routes…")):
                result = _plan(ds, sites, teams=teams, shift_hours=shift, bases=bases, pinned=pinned,
                               time_limit=limit)
        except ChildSafeError as exc:
            _common.show_error(exc)
            return
        st.session_state[PLAN_KEY] = (_plan_key(), {**result, "start": start, "shift_hours": shift})


def _plan_results(ds, sites, plan) -> None:
    routes = _common.role_result("patrol_routes", plan["routes"])
    stops = _common.role_result("patrol_stops", plan["stops"])
    c = st.columns(4)
    c[0].metric(tr("巡查点位", "Sites visited"), f"{len(stops):,}")
    c[1].metric(tr("覆盖风险", "Risk covered"), f"{plan['collected']:,.1f}")
    c[2].metric(tr("总里程（公里）", "Total length (km)"), f"{routes['length_m'].sum() / 1000:,.1f}")
    c[3].metric(tr("求解方法", "Solver"), plan["method"])
    if plan["missed_pinned"]:
        st.warning(tr(f"{len(plan['missed_pinned'])} 个必须巡查的点位排不进任何班次。",
                      f"{len(plan['missed_pinned'])} pinned site(s) fit in no shift."))
    language = lang()
    m = _common.base_map(ds)
    if len(routes) and routes.geometry.notna().any():
        x0, y0, x1, y1 = routes.to_crs("EPSG:4326").total_bounds
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])  # zoom to the routes
    Legend(tr("巡查路线", "Patrol routes"),
           [(tr("巡查组", "Teams"), patrol_layers.legend_items(routes["team"].tolist(), language))]).add_to(m)
    # context under the routes: boundaries and the waters the stops are on
    context = []
    if "admin_units" in ds:
        data = _common.cached_call(admin_layers.admin_features, ds["admin_units"], lang=language)
        context.append(geojson_layer(label("admin", language), data))
    data = _common.cached_call(water_layers.water_features, ds["water_bodies"], lang=language)
    context.append(geojson_layer(label("water", language), data))
    _common.show_map(m, [*context, patrol_layers.routes_layer(routes, lang=language),
                         patrol_layers.stops_layer(stops, routes, lang=language)], key="patrols_map", height=520)
    table = pd.DataFrame(routes.drop(columns="geometry"))
    table["length_m"] = (table["length_m"] / 1000).round(1)
    table["duration_min"] = table["duration_min"].round(0)
    table["risk"] = table["risk"].round(1)
    st.dataframe(table.rename(columns={"team": tr("组", "Team"), "base": tr("出发点", "Base"),
                                       "length_m": tr("里程（公里）", "Length (km)"),
                                       "duration_min": tr("用时（分钟）", "Duration (min)"),
                                       "stops": tr("点位数", "Stops"), "risk": tr("风险", "Risk")}),
                 hide_index=True, width="stretch")
    from geo.field.patrols import routes_to_gpx

    sheet = stop_sheet(stops, sites, ds["water_bodies"], plan["start"], ds=ds)
    end = (dt.datetime.combine(dt.date(2000, 1, 1), plan["start"])
           + dt.timedelta(hours=plan["shift_hours"])).strftime("%H:%M")
    shift_text = f"{plan['start'].strftime('%H:%M')}–{end}"
    stations = ds["stations"]
    names = (dict(zip(stations["station_id"].astype(str), stations["name"].fillna("").astype(str), strict=True))
             if len(stations) else {})
    for r in routes.itertuples(index=False):
        team = int(r.team)
        cols = st.columns([2, 1, 1])
        cols[0].markdown(f"**{tr('第', 'Team ')}{team}{tr(' 组', '')}** · {int(r.stops)} "
                         f"{tr('个点位', 'stops')} · {r.length_m / 1000:.1f} km")
        base = f"{r.base} {names.get(str(r.base), '')}".strip()
        page = route_sheet_html(team, base, sheet[sheet["team"] == team], shift=shift_text,
                                length_km=r.length_m / 1000, duration_min=r.duration_min)
        with cols[1]:
            _common.download_button(tr("路线单（打印）", "Route sheet (print)"), page.encode("utf-8"),
                                    f"patrol_team_{team}.html", key=f"patrols_sheet_{team}",
                                    what=f"route sheet team {team}")
        with cols[2]:
            _common.download_button("GPX", routes_to_gpx(routes, stops, team=team).encode("utf-8"),
                                    f"patrol_team_{team}.gpx", key=f"patrols_gpx_{team}",
                                    what=f"route GPX team {team}", mime="application/gpx+xml")


def _schedule_section(sites) -> None:
    from geo.field.calendar import patrol_schedule, schedule_summary

    c = st.columns(5)
    today = dt.date.today()
    start = c[0].date_input(tr("开始日期", "From"), today, key="patrols_sched_from")
    end = c[1].date_input(tr("结束日期", "To"), today + dt.timedelta(days=27), key="patrols_sched_to")
    titles = {k: p.title_zh if lang() == "zh" else p.title_en for k, p in PATROL_PRESETS.items()}
    preset = c[2].selectbox(tr("方案", "Preset"), list(PATROL_PRESETS), key="patrols_sched_preset",
                            format_func=titles.__getitem__)
    teams = int(c[3].number_input(tr("巡查组数", "Teams"), 1, 50, int(st.session_state.get("patrols_teams", 3)),
                                  key="patrols_sched_teams"))
    top = int(c[4].number_input(tr("纳入前 N 个点位", "Riskiest N sites"), 1, 100_000,
                                int(settings.patrol_candidates), key="patrols_sched_top"))
    try:
        table = patrol_schedule(sites, start=start, end=end, teams=teams, preset=preset, top=top)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    summary = schedule_summary(table)
    from geo.field.holidays import estimated_years
    from geo.store.labels import label

    guessed = estimated_years(range(start.year, end.year + 1))
    if guessed:
        st.info(f"{'、'.join(map(str, guessed))} 年{label('holiday_estimated', 'zh')}" if lang() == "zh"
                else f"{', '.join(map(str, guessed))}: {label('holiday_estimated', 'en')}")
    m = st.columns(4)
    m[0].metric(tr("巡查次数", "Site visits"), f"{summary['visits']:,}")
    m[1].metric(tr("组·天", "Team-days"), f"{summary['team_days']:,}")
    m[2].metric(tr("超出班次容量", "Over capacity"), f"{summary['over_capacity_days']:,}")
    m[3].metric(tr("最忙一天需要组数", "Teams needed, busiest day"), f"{summary['teams_needed']:,}")
    st.caption(tr("频次随风险等级：前 10% 点位平时每周 1 次、暑假每天；汛期、周末和节假日加密；"
                  "上课日放学后、休息日下午至傍晚巡查（DOMAIN §3；规则见 docs/field-work.md）。",
                  "Frequency by risk band: top 10% weekly on school days, daily in the summer holiday; more "
                  "in the flood season, weekends and public holidays; after school on school days, afternoon "
                  "to evening on days off (DOMAIN §3; rules in docs/field-work.md)."))
    shown = table.assign(risk=table["risk"].round(1))
    from geo.store.labels import label_frame

    # weekdays by name (星期三, not "2"), day kinds and reasons in words (上学日), dates as dates
    st.dataframe(_common.screen_table(label_frame(shown, lang())), hide_index=True, width="stretch")
    d = st.columns(2)
    with d[0]:
        _common.download_button(tr("下载日历（CSV）", "Download calendar (CSV)"),
                                _common.download_bytes(shown, ".csv"), "patrol_schedule.csv",
                                key="patrols_sched_csv", what="patrol calendar")
    with d[1]:
        _common.download_button(tr("下载日历（Excel）", "Download calendar (Excel)"),
                                excel_bytes(shown, tr("巡查日历", "patrol_schedule")), "patrol_schedule.xlsx",
                                key="patrols_sched_xlsx", what="patrol calendar")


def _check_section(plan) -> None:
    if plan is None:
        st.info(tr("先规划路线，再上传该路线的巡查轨迹。", "Plan routes first, then upload a track of one of them."))
        return
    stops = _common.role_result("patrol_stops", plan["stops"])
    teams = sorted(int(t) for t in stops["team"].unique())
    c = st.columns([1, 1, 3])
    team = c[0].selectbox(tr("巡查组", "Team"), teams, key="patrols_check_team")
    coords = c[1].selectbox(tr("轨迹坐标系", "Track coordinates"), ["wgs84", "gcj02", "bd09"],
                            key="patrols_check_coords",
                            help=tr("GPS 设备为 WGS-84；高德、腾讯等手机应用多为 GCJ-02；百度为 BD-09。",
                                    "GPS devices: WGS-84; AMap, Tencent and most phone apps: "
                                    "GCJ-02; Baidu: BD-09."))
    # no type= filter: a wrong file gets the bilingual refusal below rather than Streamlit's error
    upload = c[2].file_uploader(tr("上传 GPX 轨迹（.gpx）", "Upload a GPX track (.gpx)"), key="patrols_check_file")
    if upload is None:
        return
    data = upload.getvalue()
    if not _common.checked_uploads([(upload.name, data)], [".gpx"]):
        return
    try:
        result, flags = check_table(stops, data, team, coords=coords, routes=plan.get("routes"))
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    from geo.field.patrolcheck import NOTES, check_summary
    from geo.field.trackproof import flag_text

    summary = check_summary(result, flags)
    for flag in flags:  # why this track cannot prove the patrol (or a note on its coordinates)
        (st.info if flag["code"] in NOTES else st.error)(
            ("" if flag["code"] in NOTES else tr("不能作为巡查证明：", "Not proof of patrol: "))
            + flag_text(flag, lang()))
    m = st.columns(3)
    m[0].metric(tr("已到位", "Passed"), f"{summary['ok']}/{summary['planned']}")
    m[1].metric(tr("漏巡", "Skipped"), summary["skipped"])
    m[2].metric(tr("速度过快", "Too fast"), summary["too_fast"])
    if summary["flagged"]:
        st.warning(tr("该轨迹有漏巡或速度过快的点位（标红），请核实。",
                      "This track skips sites or passes them too fast (red rows): follow up."))
    i = 0 if lang() == "zh" else 1
    flagged = result["status"].astype(str).isin(["skipped", "too_fast"]).to_numpy()
    never = tr("未经过", "not passed")
    view = pd.DataFrame({
        tr("顺序", "Order"): result["order"], tr("点位", "Site"): result["site_id"],
        tr("状态", "Status"): result["status"].map(lambda s: _STATUS_TEXT.get(s, (s, s))[i]),
        tr(f"经过时间（{settings.local_timezone}）", f"Passed at ({settings.local_timezone})"):
            result["passed_at_local"].dt.strftime("%H:%M:%S").fillna(never),
        tr("距离（米）", "Distance (m)"): result["distance_m"].round(0),
        tr("附近最低速度（km/h）", "Slowest nearby (km/h)"): result["speed_kmh"].round(1),
    })
    red = pd.DataFrame("", index=view.index, columns=view.columns)
    red.loc[flagged, :] = "background-color: #ffcdd2"
    styled = view.style.apply(lambda _: red, axis=None).format(na_rep="—")
    st.dataframe(styled, hide_index=True, width="stretch")


def _inspection_section(sites) -> None:
    from geo.privacy.roles import can

    user = session.current_user()
    if user is None or not can(user, "record_inspection"):
        st.info(tr("当前角色不能登记检查。", "Your role cannot record inspections."))
        return
    targets = {"site": tr("水域点位", "Water site"), "kit": tr("“四个一”设施", "Safety kit")}
    target = st.radio(tr("检查对象", "What was inspected"), list(targets), horizontal=True,
                      format_func=targets.__getitem__, key="patrols_insp_target")
    ranked = sites.sort_values("risk_rank")
    kits = _common.current_dataset()["safety_kits"]
    with st.form("patrols_inspection_form", clear_on_submit=False):
        if target == "site":
            site_id = st.selectbox(tr("点位", "Site"), ranked["site_id"].astype(str).tolist(), key="patrols_insp_site")
            kit_id = None
        else:
            site_id = None
            kit_id = st.selectbox(tr("设施编号", "Kit"), kits["kit_id"].astype(str).tolist(), key="patrols_insp_kit")
        st.caption(tr("在场且可用的物品：", "Items present and usable:"))
        cols = st.columns(5)
        items = {k: cols[j].checkbox(label(k, lang()), key=f"patrols_insp_{k}") for j, k in enumerate(KIT_ITEMS)}
        barrier = cols[4].checkbox(tr("防护栏", "Barrier"), key="patrols_insp_barrier",
                                   disabled=target != "site")
        c = st.columns(2)
        on = c[0].date_input(tr("检查日期", "Date"), dt.date.today(), max_value=dt.date.today(), key="patrols_insp_on")
        who = c[1].text_input(tr("检查人（用户名）", "Inspected by (user name)"), user.username,
                              max_chars=60, key="patrols_insp_who")
        note = st.text_area(tr("情况记录（不要写儿童姓名、电话、身份证号）", "Note (no names, phone or ID numbers)"),
                            max_chars=500, key="patrols_insp_note")
        go = st.form_submit_button(tr("登记检查", "Record inspection"))
    if go:
        kwargs: dict = {"on": on, "recorded_by": who, "note": note}
        if site_id is not None:
            row = ranked[ranked["site_id"].astype(str) == site_id].iloc[0]
            kwargs["water_id"] = str(row["water_id"])
            kwargs["barrier"] = bool(barrier)
            best = row.get("best_kit")
            if isinstance(best, str) and best:
                kwargs["kit_id"] = best
        else:
            kwargs["kit_id"] = kit_id
        if kwargs.get("kit_id"):
            kwargs.update({k: bool(v) for k, v in items.items()})
        try:
            from geo.field.inspections import store_inspection

            store_inspection(session.dataset_path(), user=user, **kwargs)
        except ChildSafeError as exc:
            _common.show_error(exc)
            return
        _refresh_after_inspection()
        st.session_state["patrols_insp_done"] = site_id or kit_id
        st.rerun()
    done = st.session_state.get("patrols_insp_done")
    if done:
        st.success(tr(f"已登记 {done} 的检查，风险已按最新检查重新计算。",
                      f"Recorded the inspection of {done}; risk recomputed from it."))
        if target == "site" and done in set(sites["site_id"].astype(str)):
            row = sites[sites["site_id"].astype(str) == done].iloc[0]
            m = st.columns(3)
            m[0].metric(tr("“四个一”", "Kit"), label(str(row["kit_status"]), lang()))
            m[1].metric(tr("风险", "Risk"), f"{float(row['risk']):.2f}")
            m[2].metric(tr("排名", "Rank"), f"{int(row['risk_rank'])}")


def _refresh_after_inspection() -> None:
    """Drop cached data and analyses so the new inspection shows at once (the file's mtime changes
    too, which already keys the caches; clearing also covers file systems with coarse mtimes)."""
    from views import water

    water._analyse.clear()
    _common._read.clear()
    _common._read_metric.clear()
    _common._role_view.clear()
    st.session_state.pop(PLAN_KEY, None)


def render() -> None:
    """Draw the patrols page."""
    st.title(tr("巡查", "Patrols"))
    try:
        ds = _common.analysis_dataset(metric=True)
        if "water_bodies" not in ds:
            st.info(tr("该数据集没有水域图层（water_bodies）。", "This dataset has no water_bodies layer."))
            return
        sites_full = _sites(ds)
        sites = _common.role_result("water_sites", sites_full)
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    tabs = st.tabs([tr("路线规划", "Plan routes"), tr("巡查日历", "Patrol calendar"),
                    tr("轨迹核查", "Track check"), tr("检查登记", "Record an inspection")])
    with tabs[0]:
        if "roads" not in ds:
            st.info(tr("该数据集没有道路图层（roads），无法规划路线。", "This dataset has no roads: no routes."))
        else:
            _plan_section(ds, sites_full)
            plan = _stored_plan()
            if plan is not None:
                _plan_results(ds, sites_full, plan)
    with tabs[1]:
        _schedule_section(sites_full)
    with tabs[2]:
        _check_section(_stored_plan())
    with tabs[3]:
        _inspection_section(sites)
