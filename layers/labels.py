"""Bilingual labels (中文 / English) of the map's overlays, classes and legend entries.

``layers`` has no Streamlit, so each overlay takes ``lang`` (``"zh"`` or ``"en"``) and looks its
words up here with :func:`label`. Pages may reuse these for their own tables.
"""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # overlays
    "admin": ("行政区划", "Admin boundaries"),
    "county": ("县", "County"),
    "township": ("乡镇", "Township"),
    "village": ("村", "Village"),
    "households": ("户（按村汇总）", "Households (by village)"),
    "households_hex": ("户（按六边形汇总）", "Households (by hexagon)"),
    "household_points": ("户（点位）", "Households (points)"),
    "water": ("水域", "Water bodies"),
    "kits": ("“四个一”设施", "Four-ones kits"),
    "stations": ("阵地与机构", "Stations"),
    "roads": ("道路", "Roads"),
    "legend": ("图例", "Legend"),
    # fields
    "code": ("代码", "Code"),
    "households_n": ("户数", "Households"),
    "children_n": ("儿童", "Children"),
    "left_behind_n": ("留守儿童", "Left-behind"),
    "kind": ("类型", "Kind"),
    "level": ("级别", "Level"),
    "responsible_unit": ("权属主体", "Responsible unit"),
    "barrier": ("隔离防护", "Barrier"),
    "capacity": ("容量", "Capacity"),
    "inspected_on": ("最近检查", "Last inspected"),
    "caregiver": ("照料人", "Caregiver"),
    # water kinds
    "river": ("河流", "River"),
    "canal": ("渠道", "Canal"),
    "ditch": ("沟渠", "Ditch"),
    "pond": ("坑塘", "Pond"),
    "reservoir": ("水库", "Reservoir"),
    "lake": ("湖泊", "Lake"),
    "cistern": ("水窖", "Cistern"),
    "other": ("其他", "Other"),
    # kit completeness and items
    "complete": ("齐全", "Complete"),
    "partial": ("不全", "Partial"),
    "none": ("缺失", "None"),
    "sign": ("警示牌", "Warning sign"),
    "buoy": ("救生圈", "Life buoy"),
    "rope": ("救生绳", "Rescue rope"),
    "pole": ("救生杆", "Rescue pole"),
    # station kinds (DOMAIN.md §4) and groups
    "rescue_protection_institution": ("未成年人救助保护机构", "Minor rescue & protection institution"),
    "child_welfare_institution": ("儿童福利机构", "Child welfare institution"),
    "minor_protection_workstation": ("未成年人保护工作站", "Minor protection workstation"),
    "social_work_station": ("社会工作服务站", "Social work station"),
    "day_care_centre": ("日间照料中心", "Day care centre"),
    "childrens_home": ("儿童之家", "Children's home"),
    "child_heart_harbour": ("童心港湾", "Child heart harbour"),
    "sunshine_station": ("阳光驿站", "Sunshine station"),
    "love_station": ("爱心驿站", "Love station"),
    "school": ("学校", "School"),
    "kindergarten": ("幼儿园", "Kindergarten"),
    "boarding_school": ("寄宿制学校", "Boarding school"),
    "school_care_room": ("学校关爱室", "School care room"),
    "station_county": ("县级机构", "County institutions"),
    "station_township": ("乡镇工作站", "Township stations"),
    "station_village": ("村级阵地", "Village stations"),
    "station_school": ("学校", "Schools"),
    # road classes
    "primary": ("干线公路", "Primary road"),
    "secondary": ("县道", "County road"),
    "tertiary": ("乡道", "Township road"),
    "rural": ("村道", "Village lane"),
    "track": ("机耕路", "Track"),
    "path": ("小路", "Path"),
}


def label(key: str, lang: str = "zh") -> str:
    """Return the label of ``key`` in ``lang`` (the key itself if unknown)."""
    zh, en = LABELS.get(str(key), (str(key), str(key)))
    return zh if lang == "zh" else en
