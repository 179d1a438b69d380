"""The words the project shows or writes (中文 / English), and helpers to label a table with them.

One table for the whole platform: the app's pages, the map's overlays and legends, the CLI's
summaries and every Excel/CSV file take the names of layers, columns and values from here, so a
word is translated once. Keys are the identifiers of the dataset contract (``schema``) and of the
analyses' outputs; each maps to ``(中文, English)``.

- :func:`label` — any key (a layer, a column or a value); :func:`layer_label`,
  :func:`column_label`, :func:`value_label` when the kind of key is known (``"none"`` is 缺失 as a
  kit status but 无人照料 as a caregiver: pass ``column``).
- :func:`weekday_label` — 星期一 … 星期日 for 0 = Monday (the calendar's ``weekday``).
- :func:`place_names` and :func:`with_place_names` — the names of villages and townships next to
  their codes (:mod:`geo.store.places`, re-exported here).
- :func:`label_frame` — a copy of a table with headers and values in one language: text values
  labelled (``"sign;buoy"`` → 警示牌、救生圈), booleans 是/否, weekdays by name; numbers and dates
  stay numbers and dates (so Excel keeps them as such).
- :func:`schema_words` / :func:`english_schema_words` — the identifiers that must never show in
  the Chinese UI or a ``--lang zh`` file (tests use them).

An unknown key is returned as it is: a new column shows up under its identifier until its words
are added here (and :func:`english_schema_words` finds it in tests once it is).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

import pandas as pd

from geo.store.places import PLACE_COLUMNS, place_names, place_text, with_place_names  # noqa: F401 (re-exported)

Pair = tuple[str, str]

# --- layers, tables, analysis outputs and map overlays -------------------------------------------
LAYER_LABELS: dict[str, Pair] = {
    "admin_units": ("行政区划", "Admin units"),
    "households": ("户", "Households"),
    "water_bodies": ("水域", "Water bodies"),
    "safety_kits": ("“四个一”设施", "Four-ones kits"),
    "stations": ("阵地与机构", "Stations"),
    "roads": ("道路", "Roads"),
    "children": ("儿童", "Children"),
    "child_directors": ("儿童主任", "Child directors"),
    "visits": ("走访记录", "Visits"),
    "inspections": ("检查记录", "Inspections"),
    "audit_log": ("操作日志", "Audit log"),
    "area_counts": ("按区域汇总", "Counts by area"),
    "hex_counts": ("按六边形汇总", "Counts by hexagon"),
    "water_sites": ("水域点位", "Water sites"),
    "risk_hexagons": ("风险六边形", "Risk hexagons"),
    "coverage_by_unit": ("覆盖统计", "Coverage by unit"),
    "coverage_summary": ("覆盖概况", "Coverage summary"),
    "child_access": ("儿童可达性", "Child access"),
    "gap_areas": ("覆盖缺口", "Gap areas"),
    "service_areas": ("服务范围", "Service areas"),
    "proposed_stations": ("拟建站点", "Proposed stations"),
    "proposed_kits": ("拟建设施", "Proposed kits"),
    "patrol_routes": ("巡查路线", "Patrol routes"),
    "patrol_stops": ("巡查点位", "Patrol stops"),
    "patrol_schedule": ("巡查日历", "Patrol calendar"),
    "patrol_team": ("巡查日历（按组按日）", "Patrol calendar (team and day)"),
    "patrol_site": ("巡查日历（按点位）", "Patrol calendar (by site)"),
    "patrol_visit": ("巡查日历（逐次）", "Patrol calendar (each patrol)"),
    "patrol_check": ("轨迹核查", "Track check"),
    "visit_schedule": ("走访安排", "Visit schedule"),
    "visit_list": ("走访名单", "Visit list"),
    "overdue_by_village": ("各村逾期情况", "Overdue by village"),
    "staffing": ("儿童主任配备", "Child-director staffing"),
    "watermark": ("水印", "Watermark"),
    "note": ("说明", "Notes"),
}

#: names of the map's overlays and legend entries (``layers`` asks :func:`label`).
MAP_LABELS: dict[str, Pair] = {
    "admin": ("行政区划", "Admin boundaries"),
    "households_hex": ("户（按六边形汇总）", "Households (by hexagon)"),
    "household_points": ("户（点位）", "Households (points)"),
    "households_by_village": ("户（按村汇总）", "Households (by village)"),
    "water": ("水域", "Water bodies"),
    "kits": ("“四个一”设施", "Four-ones kits"),
    "legend": ("图例", "Legend"),
    "households_n": ("户数", "Households"),
    "children_n": ("儿童", "Children"),
    "left_behind_n": ("留守儿童", "Left-behind"),
    "station_county": ("县级机构", "County institutions"),
    "station_township": ("乡镇工作站", "Township stations"),
    "station_village": ("村级阵地", "Village stations"),
    "station_school": ("学校", "Schools"),
    "road_health": ("道路网络问题", "Road network problems"),
    "fragment": ("孤立路段（未连通）", "Road fragment (connected to nothing)"),
    "near_miss": ("近接未连的路端", "Road end nearly meeting a road"),
    "unconnected": ("近接未连的路端（两侧不连通）", "Road end nearly meeting an unconnected road"),
    "nodes": ("节点数", "Nodes"),
    "gap_m": ("间隙（米）", "Gap (m)"),
    "basemap_unavailable": ("底图无法加载（离线或被拦截），仅显示本地图层",
                            "Basemap unavailable (offline or blocked): local layers only"),
}

#: Streamlit's own upload-widget words (Streamlit has no Chinese; ``views._common.widget_words``
#: shows these in the Chinese UI). ``{limit}``, ``{size}`` and ``{type}`` are filled in.
WIDGET_LABELS: dict[str, Pair] = {
    "upload_button": ("选择文件", "Upload"),
    "upload_hint": ("可将文件拖放到此处 · 每个文件不超过 {limit} MB", "Limit {limit}MB per file"),
    "upload_drop": ("松开鼠标即可上传文件", "Drag and drop files here"),
    "upload_too_large": ("文件须不超过 {size}，未上传", "File must be {size} or smaller."),
    "upload_wrong_type": ("不接受 {type} 类型的文件", "{type} files are not allowed."),
    "upload_type_refused": ("文件类型不符", "File type not allowed."),
    "upload_one_file": ("只能上传一个文件", "Only one file is allowed."),
    "upload_too_small": ("文件太小", "File size is too small."),
    "upload_unexpected": ("上传出错，请重试", "Unexpected error. Please try again."),
    "upload_failed": ("上传失败", "Upload failed"),
    "upload_error": ("错误：", "Error: "),
    "upload_retry": ("点击重新上传", "Click to retry upload"),
}

# --- columns -----------------------------------------------------------------------------------
COLUMN_LABELS: dict[str, Pair] = {
    # admin units, places
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "level": ("级别", "Level"),
    "parent_code": ("上级代码", "Parent code"),
    "county": ("县", "County"),
    "township": ("乡镇", "Township"),
    "village": ("村", "Village"),
    "county_code": ("县代码", "County code"),
    "township_code": ("乡镇代码", "Township code"),
    "village_code": ("村代码", "Village code"),
    "county_name": ("县", "County"),
    "township_name": ("乡镇", "Township"),
    "village_name": ("村（社区）", "Village"),
    "place": ("位置", "Place"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "nearest_road": ("最近道路", "Nearest road"),
    "road_distance_m": ("距道路（米）", "To the road (m)"),
    # households and children
    "household_id": ("户编号", "Household"),
    "caregiver": ("照料人", "Caregiver"),
    "child_id": ("儿童编号", "Child"),
    "birth_year": ("出生年份", "Birth year"),
    "age": ("年龄", "Age"),
    "sex": ("性别", "Sex"),
    "left_behind": ("留守儿童", "Left-behind"),
    "difficulty": ("困境类别", "Difficulty"),
    "guardianship": ("监护状况", "Guardianship"),
    "disability": ("残疾", "Disability"),
    "serious_illness": ("重病", "Serious illness"),
    "psych_concern": ("心理问题", "Psychological concern"),
    "lives_alone": ("独自居住", "Lives alone"),
    "single_parent": ("单亲", "Single parent"),
    "guardian_incapable": ("监护人丧失监护能力", "Guardian incapable"),
    "missing": ("失踪", "Missing"),
    "suspected_abuse": ("疑似遭受侵害", "Suspected abuse"),
    "last_contact": ("最近联系", "Last contact"),
    "last_home_visit": ("最近入户", "Last home visit"),
    "households": ("户数", "Households"),
    "children": ("儿童", "Children"),
    "in_difficulty": ("困境儿童", "In difficulty"),
    "under_6": ("6 岁以下", "Under 6"),
    "h3_cell": ("六边形编号", "Hexagon"),
    "h3": ("六边形编号", "Hexagon"),
    # water, kits, stations, roads
    "water_id": ("水域编号", "Water"),
    "water_name": ("水域名称", "Water name"),
    "kind": ("类型", "Kind"),
    "responsible_unit": ("权属主体", "Responsible unit"),
    "barrier": ("防护栏", "Barrier"),
    "kit_id": ("设施编号", "Kit"),
    "sign": ("警示牌", "Warning sign"),
    "buoy": ("救生圈", "Life buoy"),
    "rope": ("救生绳", "Rescue rope"),
    "pole": ("救生杆", "Rescue pole"),
    "inspected_on": ("检查日期", "Inspected on"),
    "station_id": ("站点编号", "Station"),
    "station_name": ("站点名称", "Station name"),
    "capacity": ("容量", "Capacity"),
    "road_id": ("道路编号", "Road"),
    "road_class": ("道路等级", "Road class"),
    "oneway": ("单行", "One-way"),
    "junctions": ("路口规则", "Junction rule"),
    "road_level": ("道路层位（桥 1、隧道 −1）", "Road level (bridge 1, tunnel −1)"),
    "bridge": ("桥梁", "Bridge"),
    "tunnel": ("隧道", "Tunnel"),
    "directors": ("儿童主任（人）", "Directors"),
    # visits, inspections, audit
    "visit_id": ("走访编号", "Visit"),
    "visited_on": ("走访日期", "Visited on"),
    "recorded_by": ("登记人", "Recorded by"),
    "note": ("情况记录", "Note"),
    "inspection_id": ("检查编号", "Inspection"),
    "at": ("时间", "Time"),
    "user": ("用户", "User"),
    "action": ("操作", "Action"),
    "detail": ("详情", "Detail"),
    "prev_hash": ("上一条哈希", "Previous hash"),
    "hash": ("哈希", "Hash"),
    "role": ("角色", "Role"),
    "scope": ("范围", "Scope"),
    # water sites and risk
    "site_id": ("点位编号", "Site"),
    "part": ("分段", "Part"),
    "length_m": ("长度（米）", "Length (m)"),
    "whole": ("整体", "Whole"),
    "kit_status": ("“四个一”", "Four ones"),
    "missing_items": ("缺少", "Missing"),
    "children_100m": ("100 米内儿童", "Children ≤100 m"),
    "children_500m": ("500 米内儿童", "Children ≤500 m"),
    "risk": ("风险", "Risk"),
    "risk_rank": ("风险排名", "Risk rank"),
    "gi_z": ("热点 z 值", "Gi* z"),
    "gi_p": ("热点 p 值", "Gi* p"),
    "gi_bin": ("热点等级", "Hot-spot class"),
    "hazard": ("危险系数", "Hazard"),
    "exposure": ("暴露度", "Exposure"),
    "nearest_child_m": ("最近儿童（米）", "Nearest child (m)"),
    "kits_near": ("附近设施", "Kits near"),
    "best_kit": ("服务设施", "Serving kit"),
    "sites": ("点位数", "Sites"),
    "sites_without_kit": ("无设施点位", "Sites without kit"),
    "max_risk": ("最高风险", "Highest risk"),
    "age_band": ("年龄段", "Age band"),
    "within_100m": ("100 米内", "Within 100 m"),
    "within_500m": ("500 米内", "Within 500 m"),
    "within_reach": ("1 公里内", "Within reach"),
    "share_of_exposure": ("占暴露比例", "Share of exposure"),
    "measure": ("措施", "Measure"),
    "order": ("顺序", "Order"),
    "risk_reduced": ("减少风险", "Risk reduced"),
    "sites_completed": ("补齐点位", "Sites completed"),
    # access, coverage, gaps, siting
    "station_level": ("阵地层级", "Station level"),
    "distance_m": ("距离（米）", "Distance (m)"),
    "time_min": ("用时（分钟）", "Time (min)"),
    "covered": ("已覆盖", "Covered"),
    "covered_share": ("覆盖率", "Covered share"),
    "left_behind_children": ("留守儿童", "Left-behind children"),
    "left_behind_covered": ("留守儿童已覆盖", "Left-behind covered"),
    "left_behind_share": ("留守儿童覆盖率", "Left-behind share"),
    "difficulty_children": ("困境儿童", "Children in difficulty"),
    "difficulty_covered": ("困境儿童已覆盖", "In difficulty covered"),
    "difficulty_share": ("困境儿童覆盖率", "In difficulty share"),
    "family_children": ("家庭困境儿童", "Family difficulty"),
    "family_covered": ("家庭困境已覆盖", "Family difficulty covered"),
    "family_share": ("家庭困境覆盖率", "Family difficulty share"),
    "self_children": ("自身困境儿童", "Own difficulty"),
    "self_covered": ("自身困境已覆盖", "Own difficulty covered"),
    "self_share": ("自身困境覆盖率", "Own difficulty share"),
    "guardianship_children": ("监护困境儿童", "Guardianship difficulty"),
    "guardianship_covered": ("监护困境已覆盖", "Guardianship covered"),
    "guardianship_share": ("监护困境覆盖率", "Guardianship share"),
    "radius_m": ("服务半径（米）", "Radius (m)"),
    "mode": ("出行方式", "Mode"),
    "gap_id": ("缺口编号", "Gap"),
    "rank": ("排名", "Rank"),
    "vulnerability": ("脆弱性", "Vulnerability"),
    "candidate_id": ("候选点", "Candidate"),
    "source": ("来源", "Source"),
    "children_newly_covered": ("新增覆盖儿童", "Children newly covered"),
    # visits and staffing
    "tier": ("关爱等级", "Tier"),
    "next_contact_due": ("下次联系", "Next contact"),
    "next_visit_due": ("下次入户", "Next home visit"),
    "contact_status": ("联系状态", "Contact status"),
    "visit_status": ("走访状态", "Visit status"),
    "status": ("状态", "Status"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "due_in_days": ("距到期（天）", "Due in (days)"),
    "due": ("到期日期", "Due on"),
    "window": ("到期时段", "When due"),
    "flags": ("提示", "Flags"),
    "report_police": ("需报告公安", "Report to police"),
    "overdue": ("逾期", "Overdue"),
    "due_soon": ("即将到期", "Due soon"),
    "due_this_week": ("本周到期", "Due this week"),
    "due_next_week": ("下周到期", "Due next week"),
    "ok": ("正常", "On schedule"),
    "urgency": ("紧急程度", "Urgency"),
    "children_in_scope": ("留守和困境儿童", "Children in scope"),
    "directors_needed": ("应配儿童主任", "Directors needed"),
    "shortfall": ("缺口", "Shortfall"),
    # patrols and the calendar
    "team": ("巡查组", "Team"),
    "base": ("出发点", "Base"),
    "base_name": ("出发点名称", "Base name"),
    "duration_min": ("用时（分钟）", "Duration (min)"),
    "stops": ("点位数", "Stops"),
    "arrive_min": ("到达（分钟）", "Arrive (min)"),
    "depart_min": ("离开（分钟）", "Leave (min)"),
    "arrive": ("预计到达", "Arrive"),
    "date": ("日期", "Date"),
    "weekday": ("星期", "Weekday"),
    "day_kind": ("日期类型", "Day"),
    "reasons": ("加密原因", "Why more"),
    "weight": ("权重", "Weight"),
    "window_start": ("开始", "From"),
    "window_end": ("结束", "To"),
    "n_sites": ("点位数", "Sites"),
    "over_capacity": ("超出容量", "Over capacity"),
    "site_ids": ("巡查点位编号", "Site ids"),
    "band": ("风险档", "Risk band"),
    "days_between": ("间隔天数", "Days between"),
    "first_visit": ("首次巡查", "First patrol"),
    "last_visit": ("最后巡查", "Last patrol"),
    "visits_per_week": ("每周次数", "Patrols a week"),
    "visits": ("巡查次数", "Patrols"),
    "passed": ("已经过", "Passed"),
    "passed_at": ("经过时间", "Passed at"),
    "speed_kmh": ("附近最低速度（公里/时）", "Slowest nearby (km/h)"),
    "summer_holiday": ("暑假", "Summer holiday"),
    "winter_holiday": ("寒假", "Winter holiday"),
    "flood_season": ("汛期", "Flood season"),
    "alert": ("极端天气预警", "Weather alert"),
    "public_holiday": ("法定节假日", "Public holiday"),
    "weekend": ("周末", "Weekend"),
    "makeup_workday": ("调休上班", "Make-up working day"),
    "holiday_estimated": ("节假日为推算", "Holiday estimated"),
    # files, exports and shared budgets
    "suppressed": ("已隐藏的列", "Hidden columns"),
    "key": ("设置项", "Setting"),
    "value": ("值", "Value"),
    "watermark": ("水印", "Watermark"),
    "exported_by": ("导出人", "Exported by"),
    "exported_at": ("导出时间（UTC）", "Exported at (UTC)"),
    "geomask_m": ("地理掩蔽（米）", "Geomask (m)"),
    "new": ("新建点位数", "New sites"),
    "value_before": ("新建前", "Before"),
    "value_after": ("新建后", "After"),
    "exact": ("精确解", "Exact"),
    # leaders' indicators, report and spot checks (geo/report)
    "indicator": ("指标", "Indicator"),
    "target": ("目标", "Target"),
    "gap": ("差距", "Gap"),
    "previous": ("上年同期", "A year before"),
    "hotspot": ("风险热点", "Hot spot"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "checked": ("抽查日期", "Checked on"),
    "finding": ("发现问题", "Findings"),
}

# --- values ------------------------------------------------------------------------------------
VALUE_LABELS: dict[str, Pair] = {
    # admin levels
    "county": ("县", "County"),
    "township": ("乡镇", "Township"),
    "village": ("村", "Village"),
    "school": ("学校", "School"),
    # caregivers
    "parents": ("父母", "Parents"),
    "one_parent": ("父母一方", "One parent"),
    "grandparents": ("祖父母", "Grandparents"),
    "relatives": ("其他亲属", "Relatives"),
    "entrusted_other": ("委托他人", "Entrusted to another"),
    # water kinds
    "river": ("河流", "River"),
    "canal": ("渠道", "Canal"),
    "ditch": ("沟渠", "Ditch"),
    "pond": ("坑塘", "Pond"),
    "reservoir": ("水库", "Reservoir"),
    "lake": ("湖泊", "Lake"),
    "cistern": ("水窖", "Cistern"),
    "other": ("其他", "Other"),
    # kit status and items
    "complete": ("齐全", "Complete"),
    "partial": ("不全", "Partial"),
    "none": ("缺失", "None"),
    "sign": ("警示牌", "Warning sign"),
    "buoy": ("救生圈", "Life buoy"),
    "rope": ("救生绳", "Rescue rope"),
    "pole": ("救生杆", "Rescue pole"),
    "kit": ("“四个一”", "Kit"),
    "barrier": ("防护栏", "Barrier"),
    # station kinds (DOMAIN.md §4)
    "rescue_protection_institution": ("未成年人救助保护机构", "Minor rescue & protection institution"),
    "child_welfare_institution": ("儿童福利机构", "Child welfare institution"),
    "minor_protection_workstation": ("未成年人保护工作站", "Minor protection workstation"),
    "social_work_station": ("社会工作服务站", "Social work station"),
    "day_care_centre": ("日间照料中心", "Day care centre"),
    "childrens_home": ("儿童之家", "Children's home"),
    "child_heart_harbour": ("童心港湾", "Child heart harbour"),
    "sunshine_station": ("阳光驿站", "Sunshine station"),
    "love_station": ("爱心驿站", "Love station"),
    "kindergarten": ("幼儿园", "Kindergarten"),
    "boarding_school": ("寄宿制学校", "Boarding school"),
    "school_care_room": ("学校关爱室", "School care room"),
    # road classes
    "primary": ("干线公路", "Primary road"),
    "secondary": ("县道", "County road"),
    "tertiary": ("乡道", "Township road"),
    "rural": ("村道", "Village lane"),
    "track": ("机耕路", "Track"),
    "path": ("小路", "Path"),
    # children
    "M": ("男", "Male"),
    "F": ("女", "Female"),
    "family": ("家庭困境", "Family difficulty"),
    "self": ("自身困境", "Own difficulty"),
    "guardianship": ("监护困境", "Guardianship difficulty"),
    "good": ("良好", "Good"),
    "average": ("一般", "Average"),
    "poor": ("较差", "Poor"),
    "contact": ("电话/视频联系", "Contact"),
    "home_visit": ("入户走访", "Home visit"),
    # visit tiers, statuses and flags
    "high_risk": ("高风险", "High risk"),
    "standard": ("一般", "Standard"),
    "overdue": ("逾期", "Overdue"),
    "due_soon": ("即将到期", "Due soon"),
    "due_this_week": ("本周到期", "Due this week"),
    "due_next_week": ("下周到期", "Due next week"),
    "ok": ("正常", "OK"),
    "alone_no_guardian": ("脱离监护单独居住（立即报告公安）", "Alone without a guardian (report to police)"),
    "guardian_incapable": ("监护人丧失监护能力（立即报告公安）", "Guardian incapable (report to police)"),
    "missing": ("失踪（立即报告公安）", "Missing (report to police)"),
    "suspected_abuse": ("疑似遭受侵害（立即报告公安）", "Suspected abuse (report to police)"),
    "never_contacted": ("从未联系", "Never contacted"),
    "never_visited": ("从未入户走访", "Never visited"),
    "holiday_visit": ("假期集中走访", "Holiday visit"),
    "extreme_weather": ("极端天气加密走访", "Extreme-weather visit"),
    # access, siting
    "walk": ("步行", "Walk"),
    "drive": ("车行", "Drive"),
    "network": ("沿道路", "Along roads"),
    "euclidean": ("直线", "Straight line"),
    "road_node": ("道路节点", "Road junction"),
    "candidates": ("候选点文件", "Candidates file"),
    "existing": ("现有站点", "Existing station"),
    "village_centre": ("村中心", "Village centre"),
    # calendar
    "school_day": ("上学日", "School day"),
    "day_off": ("休息日", "Day off"),
    "summer_holiday": ("暑假", "Summer holiday"),
    "winter_holiday": ("寒假", "Winter holiday"),
    "flood_season": ("汛期", "Flood season"),
    "weather_alert": ("极端天气预警", "Weather alert"),
    "public_holiday": ("法定节假日", "Public holiday"),
    "weekend": ("周末", "Weekend"),
    "makeup_workday": ("调休上班", "Make-up working day"),
    "holiday_estimated": ("节假日为推算（以国务院公布的当年安排为准）",
                          "Holiday estimated until the State Council publishes the year's schedule"),
    # patrol check
    "skipped": ("漏巡", "Skipped"),
    "too_fast": ("速度过快", "Too fast"),
    # roles
    "admin": ("管理员", "Administrator"),
    "leader": ("领导", "Leader"),
    "planner": ("规划人员", "Planner"),
    "safety_officer": ("安全员", "Safety officer"),
    "child_director": ("儿童主任", "Child director"),
    # solver states
    "optimal": ("最优", "Optimal"),
    "feasible": ("可行", "Feasible"),
    "greedy": ("贪心", "Greedy"),
    "time_limit": ("达到时限", "Time limit"),
    "infeasible": ("无解", "Infeasible"),
    "auto": ("自动", "Automatic"),
    # indicator status against a target (geo/report)
    "met": ("达标", "Met"),
    "close": ("接近", "Close"),
    "behind": ("滞后", "Behind"),
    "no_target": ("无目标", "No target"),
    "no_data": ("无数据", "No data"),
    "suppressed": ("已隐藏", "Hidden"),
}

#: values that read differently in one column (``caregiver`` ``none`` is nobody, not a kit).
COLUMN_VALUE_LABELS: dict[str, dict[str, Pair]] = {
    "caregiver": {"none": ("无人照料", "Nobody")},
    "junctions": {"ends": ("端点在容差内相接", "Ends join within the tolerance"),
                  "crossings": ("交叉处也相接（平面数据）", "Crossings join too (planar data)"),
                  "nodes": ("仅共享节点相接（OSM）", "Shared nodes only (OSM)")},
    "station_level": {
        "county": ("县级机构", "County institutions"), "township": ("乡镇级阵地", "Township stations"),
        "village": ("村级阵地", "Village stations"), "school": ("学校", "Schools"),
    },
    "measure": {"kit": ("“四个一”", "Kit"), "barrier": ("防护栏", "Barrier")},
    "guardianship": {"good": ("监护良好", "Good"), "average": ("监护一般", "Average"),
                     "poor": ("监护较差", "Poor")},
    "tier": {"good": ("监护良好", "Good care"), "average": ("监护一般", "Average care")},
    # the audit log's actions (geo.privacy.audit.ACTIONS)
    "action": {
        "login": ("登录", "Sign-in"), "login_failed": ("登录失败", "Failed sign-in"),
        "login_locked": ("账户锁定", "Account locked"), "logout": ("退出", "Sign-out"),
        "session_timeout": ("会话超时", "Session timed out"), "view_personal": ("查看个人信息", "Personal data viewed"),
        "export": ("导出", "Export"), "import": ("导入", "Import"), "edit": ("修改", "Edit"),
        "user_add": ("添加用户", "User added"), "user_disable": ("停用用户", "User disabled"),
        "user_enable": ("启用用户", "User enabled"), "user_passwd": ("修改密码", "Password changed"),
        "audit_export": ("导出操作日志", "Audit log exported"), "snapshot": ("保存快照", "Snapshot"),
        "report": ("生成报告", "Report"), "spot_check": ("档案抽查", "Spot check"),
    },
}
#: columns of COLUMN_VALUE_LABELS whose identifiers are also plain English words (``export``,
#: ``report``): not counted by :func:`schema_words`, so prose naming a command is not flagged.
_PLAIN_WORD_VALUES = frozenset({"action"})
#: columns holding ``;``-joined values (each value labelled, joined with 、 in Chinese).
MULTI_COLUMNS = frozenset({"difficulty", "missing_items", "flags", "reasons"})
#: columns whose values are identifiers or free text (never labelled).
_ID_LIKE = re.compile(r"(_id|_ids|_code|^code|^name|_name|^note|^detail|^h3|^h3_cell|^base|^user"
                      r"|^recorded_by|^responsible_unit|^scope|^place|^nearest_road|^best_kit)$")

WEEKDAYS: tuple[Pair, ...] = (
    ("星期一", "Monday"), ("星期二", "Tuesday"), ("星期三", "Wednesday"), ("星期四", "Thursday"),
    ("星期五", "Friday"), ("星期六", "Saturday"), ("星期日", "Sunday"),
)
BOOLEANS: dict[bool, Pair] = {True: ("是", "Yes"), False: ("否", "No")}

def _pick(pair: Pair, lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def label(key, lang: str = "zh") -> str:
    """The label of ``key`` (a map overlay, layer, column or value) in ``lang`` (``"zh"``/``"en"``).

    Looks in the map's words, then layers, columns and values; an unknown key comes back as it is.
    """
    key = str(key)
    for table in (MAP_LABELS, LAYER_LABELS, VALUE_LABELS, COLUMN_LABELS):
        if key in table:
            return _pick(table[key], lang)
    return key


def layer_label(name: str, lang: str = "zh") -> str:
    """The name of the layer, table or analysis output ``name``."""
    pair = LAYER_LABELS.get(str(name))
    return _pick(pair, lang) if pair else str(name)


def column_label(name: str, lang: str = "zh") -> str:
    """The header of column ``name``."""
    pair = COLUMN_LABELS.get(str(name))
    return _pick(pair, lang) if pair else str(name)


def weekday_label(day, lang: str = "zh") -> str:
    """星期一 … 星期日 (Monday … Sunday) for ``day``: 0 = Monday, or a date."""
    if isinstance(day, _dt.date | pd.Timestamp):
        day = day.weekday()
    return _pick(WEEKDAYS[int(day) % 7], lang)


def _join(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def value_label(value, lang: str = "zh", column: str | None = None) -> str:
    """The label of one ``value`` (of ``column`` when given) in ``lang``.

    Missing values give ``""``; booleans 是/否; ``;``-joined lists (``"sign;buoy"``) each part,
    joined with 、 (``", "`` in English); the ``weekday`` column by name. Unknown values come
    back as text unchanged.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return _pick(BOOLEANS[value], lang)
    if column == "weekday" and isinstance(value, int | float) and not isinstance(value, bool):
        return weekday_label(int(value), lang)
    text = str(value)
    if column in COLUMN_VALUE_LABELS and text in COLUMN_VALUE_LABELS[column]:
        return _pick(COLUMN_VALUE_LABELS[column][text], lang)
    if ";" in text and (column in MULTI_COLUMNS or column is None):
        parts = [p.strip() for p in text.split(";") if p.strip() and p.strip() != "<NA>"]
        return _join(lang).join(value_label(p, lang, column) for p in parts)
    pair = VALUE_LABELS.get(text)
    return _pick(pair, lang) if pair else text


def _is_text(series: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype))


def label_values(series: pd.Series, lang: str = "zh", column: str | None = None) -> pd.Series:
    """``series`` with its values labelled (:func:`value_label`); numbers and dates unchanged.

    Text and boolean columns are labelled; the ``weekday`` column becomes day names; identifier
    and free-text columns (ids, codes, names, notes) and numeric or date columns stay as they are.
    """
    column = str(series.name) if column is None else column
    if _ID_LIKE.search(column):
        return series
    if column == "weekday" and pd.api.types.is_numeric_dtype(series):
        return series.map(lambda v: "" if pd.isna(v) else weekday_label(int(v), lang)).astype("string")
    if pd.api.types.is_bool_dtype(series) or _is_text(series):
        uniq = pd.unique(series.astype(object))
        mapping = {v: value_label(v, lang, column) for v in uniq if not _na(v)}
        if not mapping:
            return series
        out = series.astype(object).map(lambda v: mapping.get(v, "") if not _na(v) else None)
        return out.astype("string")
    return series


def _na(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def label_frame(frame: pd.DataFrame, lang: str = "zh", *, admin_units=None, township: bool = False,
                columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` for people: place names added, values and headers in ``lang``.

    Parameters
    ----------
    frame
        An analysis output or layer (a geometry column is kept as it is, under its own name).
    lang
        ``"zh"`` or ``"en"``.
    admin_units
        The dataset's admin units (or ``{code: name}``): village/township names go next to their
        codes (:func:`with_place_names`); ``None`` adds no names.
    township
        Also add the township name of each village code.
    columns
        Keep only these columns (schema names, in this order) before labelling.

    Returns
    -------
    DataFrame
        Same rows; text values labelled, numbers and dates untouched, headers translated (made
        unique with a suffix if two columns share a label).
    """
    out = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    if admin_units is not None:
        out = with_place_names(out, admin_units, township=township)
    else:
        out = out.copy()
    geom = getattr(out, "_geometry_column_name", None) if hasattr(out, "geometry") else None
    for col in out.columns:
        if col != geom:
            out[col] = label_values(out[col], lang, str(col))
    headers, seen = {}, set()
    for col in out.columns:
        if col == geom:
            continue
        text = column_label(str(col), lang)
        n = 2
        base = text
        while text in seen:
            text = f"{base} ({n})"
            n += 1
        seen.add(text)
        headers[col] = text
    return out.rename(columns=headers)


# --- the words that must not show in Chinese -------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def schema_words() -> frozenset[str]:
    """Every identifier this table labels (layers, columns, values) of three letters or more."""
    keys = {*LAYER_LABELS, *COLUMN_LABELS, *VALUE_LABELS, *MAP_LABELS}
    for column, values in COLUMN_VALUE_LABELS.items():
        if column not in _PLAIN_WORD_VALUES:
            keys.update(values)
    return frozenset(k for k in keys if len(k) >= 3 and _TOKEN.fullmatch(k))


def english_schema_words(text: str, *, allow: Iterable[str] = ()) -> list[str]:
    """The schema identifiers (:func:`schema_words`) found as words in ``text``, in order, once each.

    Words are runs of ASCII letters, digits and ``_``; ``allow`` names words that may appear.
    """
    words, allowed, found = schema_words(), set(allow), []
    for token in _TOKEN.findall(text or ""):
        if token in words and token not in allowed and token not in found:
            found.append(token)
    return found
