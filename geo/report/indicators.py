"""The plan's indicators: one definition each, with its formula, unit, source and targets per preset.

Every indicator is a ratio of two additive counts computed at a *leaf* unit (a village, or a
township for the workstation indicators): its **numerator** and **denominator**. A unit above
(township, county, city, province) adds up the leaves under it (or takes their maximum, for the
longest-open flag), so an indicator means the same at every level and a roll-up of many county
datasets equals the indicators of their union (docs/indicators.md). The value is

- ``share``: numerator / denominator (0-1);
- ``count``: the numerator (the denominator, when given, is what the count is a part of);
- ``days``: numerator / denominator (a mean of days), or the numerator for a ``max``.

Targets come from the five plans in ``/work/shared/seeds`` (DOMAIN.md): ``000`` national (民发
〔2023〕62号), ``001`` Gaotai County, ``002`` Jilin Province, ``003`` Heze City, ``004`` Anhui
Province; a section such as ``000 §8`` is the numbered task of that plan. Where a plan sets no
number the indicator has no target (shown for follow-up, never marked behind).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from geo.store import settings
from geo.store.errors import SettingsError

PRESETS = ("national", "jilin", "anhui", "gaotai", "heze")
#: unit levels by the length of their statistical division code.
LEVEL_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
LEVELS = tuple(LEVEL_LENGTH)
#: the status of a value against its target.
STATUSES = ("met", "close", "behind", "no_target", "no_data")
#: indicator groups, in the order of the report (zh, en).
GROUPS: dict[str, tuple[str, str]] = {
    "files": ("摸底建档", "Survey and files"),
    "directors": ("儿童主任", "Child directors"),
    "visits": ("联系走访", "Contacts and home visits"),
    "reports": ("强制报告", "Mandatory reports"),
    "water": ("涉水安全", "Water safety"),
    "stations": ("阵地建设", "Stations"),
    "coverage": ("服务覆盖", "Service coverage"),
}


@dataclass(frozen=True)
class Target:
    """A target of one preset: the value to reach, by when, and where the plan says so.

    ``level`` limits the target to units of that level (Anhui's 1,000 workstations are a
    province's); ``None`` applies it at every level.
    """

    value: float
    source: str
    due: str = ""
    level: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Indicator:
    """One plan indicator.

    Attributes
    ----------
    id
        Stable identifier (scripts and checks read it in ``--json``; never renamed).
    zh, en
        Names.
    group
        Key of :data:`GROUPS`.
    unit
        ``share``, ``count`` or ``days``.
    formula_zh, formula_en
        How the numerator and denominator are counted.
    source
        Plan sections the indicator comes from, per preset (``"*"``: every preset).
    targets
        Target per preset; a preset missing here has no target.
    leaf
        Level the counts are made at (``village`` or ``township``).
    agg
        ``sum`` (additive) or ``max`` (the largest leaf).
    direction
        ``up`` (more is better) or ``down`` (less is better).
    people
        The numerator and denominator count children (small counts are suppressed for leaders).
    follows
        An indicator this one is hidden with (days a flag is open reveal that a flag exists).
    """

    id: str
    zh: str
    en: str
    group: str
    unit: str
    formula_zh: str
    formula_en: str
    source: dict[str, str]
    targets: dict[str, Target] = field(default_factory=dict)
    leaf: str = "village"
    agg: str = "sum"
    direction: str = "up"
    people: bool = False
    follows: str | None = None

    def name(self, lang: str = "zh") -> str:
        """The indicator's name in ``lang``."""
        return self.zh if lang == "zh" else self.en

    def source_for(self, preset: str) -> str:
        """The plan sections of this indicator under ``preset``."""
        return self.source.get(preset) or self.source.get("*", "")

    def target_for(self, preset: str, level: str | None = None) -> Target | None:
        """The target under ``preset`` at ``level`` (``None``: no target)."""
        t = self.targets.get(check_preset(preset))
        if t is None or (t.level is not None and level is not None and t.level != level):
            return None
        return t

    def applies_at(self, level: str) -> bool:
        """Whether the indicator has a value at units of ``level``."""
        return LEVEL_LENGTH[level] <= LEVEL_LENGTH[self.leaf]


def _all(value: float, sources: dict[str, str], due: str = "", note: str = "") -> dict[str, Target]:
    return {p: Target(value, sources.get(p) or sources["*"], due, note=note) for p in PRESETS}


_FILES = {"*": "000 §8, 三(二)", "gaotai": "001 §9, 三(二)", "jilin": "002 §8",
          "heze": "003 §10", "anhui": "004 §9, 三(二)"}
_DIRECTORS = {"*": "000 §16", "gaotai": "001 §17", "heze": "003 §20", "anhui": "004 §17",
              "jilin": "000 §16（002 未重述）"}
_STAFFED = {"*": "000 §16", "anhui": "004 §17", "heze": "003 §20 → 000 §16",
            "gaotai": "000 §16（001 §17 仅要求每村一名）", "jilin": "000 §16"}
_CONTACT = {"*": "000 §8", "gaotai": "001 §9", "jilin": "002 §8（联系：000 §8）",
            "heze": "003 §10 → 000 §8", "anhui": "004 §9"}
_VISIT = {"*": "000 §8", "gaotai": "001 §9", "jilin": "002 §8（分级走访）",
          "heze": "003 §10 → 000 §8", "anhui": "004 §6, §9"}
_REPORTS = {"*": "000 §6", "jilin": "002 §8（第一时间向公安机关报告）", "gaotai": "001 §6, §7",
            "heze": "003 §8", "anhui": "004 §7"}
_WATER = {"*": "000 §14", "gaotai": "001 §15", "anhui": "004 §15",
          "heze": "003 §17（巡查、隔离设施）→ 000 §14", "jilin": "000 §14"}
_INSPECT = {"*": "000 §14（巡查；未规定周期）", "anhui": "004 §15（隐患清单；未规定周期）"}
_WORKSTATION = {"*": "全国方案未设数量目标（见 003 §21、004 四(二)）", "heze": "003 §21", "anhui": "004 四(二)",
                "gaotai": "001 §7（各镇未成年人保护工作站）"}
_COVERAGE = {"*": "方案未规定服务距离；服务标准为本平台设置（可修改）"}

INDICATORS: dict[str, Indicator] = {i.id: i for i in (
    Indicator(
        "children_on_file", "建档儿童", "Children on file", "files", "count",
        "纳入关爱范围（留守或困境）的儿童人数", "children in scope (left-behind or in difficulty) with a file",
        _FILES, people=True),
    Indicator(
        "records_complete", "档案信息完整率", "Files complete", "files", "share",
        "基本信息（出生年份、性别、监护状况、所在村）齐全且有走访记录的儿童 ÷ 建档儿童",
        "children whose file has birth year, sex, guardianship rating, village and a contact "
        "record ÷ children on file",
        _FILES, _all(1.0, _FILES, "2024-06-30"), people=True),
    Indicator(
        "villages_with_director", "配备儿童主任的村（社区）比例", "Villages with a child director",
        "directors", "share", "至少有一名儿童主任的村 ÷ 村", "villages with at least one child "
        "director ÷ villages", _DIRECTORS, _all(1.0, _DIRECTORS)),
    Indicator(
        "villages_staffed", "儿童主任配备达标的村比例", "Villages staffed to the >30 rule",
        "directors", "share",
        "儿童主任数 ≥ max(1, ⌈关爱儿童数 ÷ 30⌉) 的村 ÷ 村（超过30人增配）",
        "villages with directors ≥ max(1, ⌈children in scope ÷ 30⌉) ÷ villages (more than 30 "
        "children: more directors)", _STAFFED, _all(1.0, _STAFFED)),
    Indicator(
        "directors_short", "儿童主任缺口（人）", "Child directors short", "directors", "count",
        "各村 max(0, 应配 − 现有) 之和", "sum over villages of max(0, needed − present)",
        _STAFFED, _all(0.0, _STAFFED), direction="down"),
    Indicator(
        "contact_on_schedule", "按时联系率", "Contacted on schedule", "visits", "share",
        "未逾期联系的儿童 ÷ 建档儿童（按预设分级的联系周期）",
        "children whose contact is not overdue ÷ children on file (contact interval of the "
        "preset's tier)", _CONTACT, _all(1.0, _CONTACT), people=True),
    Indicator(
        "visit_on_schedule", "按时入户走访率", "Home-visited on schedule", "visits", "share",
        "未逾期入户走访的儿童 ÷ 建档儿童（按预设分级的走访周期）",
        "children whose home visit is not overdue ÷ children on file (visit interval of the "
        "preset's tier)", _VISIT, _all(1.0, _VISIT), people=True),
    Indicator(
        "contact_overdue", "联系逾期儿童", "Contacts overdue", "visits", "count",
        "联系已逾期（或从未联系）的儿童人数", "children whose contact is overdue (or never made)",
        _CONTACT, _all(0.0, _CONTACT), direction="down", people=True),
    Indicator(
        "visit_overdue", "入户走访逾期儿童", "Home visits overdue", "visits", "count",
        "入户走访已逾期（或从未走访）的儿童人数", "children whose home visit is overdue (or never made)",
        _VISIT, _all(0.0, _VISIT), direction="down", people=True),
    Indicator(
        "police_flags_open", "待强制报告情形", "Mandatory-report flags open", "reports", "count",
        "有须立即报告公安情形（独居无监护、监护人丧失能力、失踪、疑似受侵害）的儿童人数",
        "children with a flag to report to the police at once (alone without a guardian, "
        "guardian incapable, missing, suspected abuse)", _REPORTS, _all(0.0, _REPORTS),
        direction="down", people=True),
    Indicator(
        "police_flags_days_mean", "强制报告情形平均持续天数", "Flags open, mean days", "reports",
        "days",
        "各情形自登记（flagged_on）起的天数之和 ÷ 情形数；无登记日期时自最近一次联系起计（至少）",
        "sum of days each flag is open since it was recorded (flagged_on; else since the last "
        "contact, at least) ÷ flags", _REPORTS, direction="down", people=True,
        follows="police_flags_open"),
    Indicator(
        "police_flags_days_max", "强制报告情形最长持续天数", "Flags open, longest (days)", "reports",
        "days", "持续最久的情形的天数", "days the longest-open flag has been open", _REPORTS,
        agg="max", direction="down", people=True, follows="police_flags_open"),
    Indicator(
        "risky_sites", "人口集中区危险水域点位", "Risky water sites", "water", "count",
        "500米内有儿童居住的水域点位（河渠按长度切分）",
        "water sites with children living within 500 m (rivers and canals cut by length)",
        _WATER),
    Indicator(
        "risky_sites_four_ones", "“四个一”齐全率", "Risky sites with the four ones", "water",
        "share", "“四个一”齐全的危险点位 ÷ 危险点位",
        "risky sites with a complete kit (sign, buoy, rope, pole) ÷ risky sites",
        _WATER, _all(1.0, _WATER)),
    Indicator(
        "risky_sites_barrier", "设置隔离防护设施的比例", "Risky sites with a barrier", "water",
        "share", "有隔离防护设施的危险点位 ÷ 危险点位（因地制宜，无数量目标）",
        "risky sites with a barrier ÷ risky sites (adapted to the place; no number set)", _WATER),
    Indicator(
        "inspections_last_quarter", "近一季度检查次数", "Inspections in the last quarter",
        "water", "count", "报告日前三个月内的设施与水域检查记录数",
        "inspection records in the three months before the report date", _INSPECT),
    Indicator(
        "risky_sites_inspected", "近一季度已检查的危险点位比例", "Risky sites inspected this quarter",
        "water", "share", "近三个月内其设施或水域有检查记录的危险点位 ÷ 危险点位",
        "risky sites whose kit or water body was inspected in the last three months ÷ risky sites",
        _INSPECT),
    Indicator(
        "patrols_planned", "暑期与汛期计划巡查（点位·次）", "Patrols planned, summer and flood season",
        "water", "count", "本年度暑假和汛期巡查日历中的点位巡查次数",
        "site patrols in the year's summer-holiday and flood-season calendar", _WATER),
    Indicator(
        "patrols_proven", "巡查轨迹核验率", "Patrols proven by tracks", "water", "share",
        "轨迹核验通过的点位巡查 ÷ 计划点位巡查（暑期与汛期）",
        "planned site patrols passed by a checked GPS track ÷ planned site patrols (summer and "
        "flood season)", _WATER, _all(1.0, {"*": "000 §14（计划的巡查应当做到：本平台判断）"})),
    Indicator(
        "townships_with_workstation", "建有未成年人保护工作站的乡镇比例",
        "Townships with a minor-protection workstation", "stations", "share",
        "辖区内有未保站的乡镇 ÷ 乡镇", "townships with a minor-protection workstation in them ÷ "
        "townships", _WORKSTATION,
        {"heze": Target(1.0, "003 §21", "2025-12-31"),
         "anhui": Target(1.0, "004 四(二)（力争实现全覆盖）", "2025-12-31"),
         "gaotai": Target(1.0, "001 §7（各镇未成年人保护工作站：本平台判断）")},
        leaf="township"),
    Indicator(
        "workstations", "未成年人保护工作站（个）", "Minor-protection workstations", "stations",
        "count", "未保站个数", "minor-protection workstations", _WORKSTATION,
        {"anhui": Target(1000, "004 四(二)（全省1000个以上）", "2025-12-31", level="province")},
        leaf="township"),
    *(Indicator(
        f"covered_{lv}", f"{zh}服务覆盖率", f"Within reach of {en}", "coverage", "share",
        f"在{zh}服务标准内的建档儿童 ÷ 建档儿童", f"children on file within the service standard of "
        f"{en} ÷ children on file", _COVERAGE, people=True)
      for lv, zh, en in (("village", "村级阵地", "a village station"),
                         ("township", "乡镇工作站", "a township station"),
                         ("county", "县级机构", "a county institution"),
                         ("school", "学校", "a school"))),
)}


#: the five plans by their seed number (DOMAIN.md): short name (zh, en) and full title.
PLANS: dict[str, tuple[str, str, str]] = {
    "000": ("全国方案", "national plan",
            "《农村留守儿童和困境儿童关爱服务质量提升三年行动方案》（民发〔2023〕62号）"),
    "001": ("高台县方案", "Gaotai County plan", "《高台县农村留守儿童和困境儿童关爱服务质量提升三年行动实施方案》"),
    "002": ("吉林省方案", "Jilin Province plan", "《吉林省留守儿童和困境儿童关爱服务质量提升三年行动实施方案》"),
    "003": ("菏泽市方案", "Heze City plan",
            "《菏泽市留守儿童和困境儿童关爱服务质量提升三年行动实施方案》（菏民〔2024〕6号）"),
    "004": ("安徽省方案", "Anhui Province plan", "安徽省农村留守儿童和困境儿童关爱服务质量提升三年行动实施方案（皖民儿童函〔2024〕14号）"),
}
#: the notes of the sources above, in English (the Chinese quotes of a plan are kept).
_NOTES_EN = {
    "（002 未重述）": " (not restated by 002)", "（001 §17 仅要求每村一名）": " (001 §17 asks for one per village only)",
    "（联系：000 §8）": " (contacts: 000 §8)", "（分级走访）": " (visit tiers)",
    "（第一时间向公安机关报告）": " (report to the police at once)", "（巡查、隔离设施）": " (patrols, barriers)",
    "（巡查；未规定周期）": " (patrols; no interval set)", "（隐患清单；未规定周期）": " (hazard list; no interval set)",
    "全国方案未设数量目标（见 003 §21、004 四(二)）": "no number in the national plan (see 003 §21, 004 四(二))",
    "（各镇未成年人保护工作站）": " (a workstation in each town)",
    "（各镇未成年人保护工作站：本平台判断）": " (a workstation in each town: our reading)",
    "方案未规定服务距离；服务标准为本平台设置（可修改）":
        "the plans set no service distance; the service standards are this platform's settings (changeable)",
    "（计划的巡查应当做到：本平台判断）": " (what is planned is to be patrolled: our reading)",
    "（力争实现全覆盖）": " (aiming at full coverage)", "（全省1000个以上）": " (1,000+ in the province)",
}
_PLAN_CODE = re.compile(r"(?<![\d,])(00[0-4])(?!\d)")
_SECTION = re.compile(r"§\s*(\d+)")


def cite(source: str, lang: str = "zh") -> str:
    """A source as a reader of the report reads it: ``000 §8`` → 全国方案 第8项 (national plan item 8)."""
    text = str(source or "")
    zh = lang == "zh"
    if not zh:
        for k in sorted(_NOTES_EN, key=len, reverse=True):
            text = text.replace(k, _NOTES_EN[k])
    text = _PLAN_CODE.sub(lambda m: PLANS[m.group(1)][0 if zh else 1], text)
    text = _SECTION.sub(lambda m: f"第{m.group(1)}项" if zh else f"item {m.group(1)}", text)
    text = text.replace(")→", ") →")
    return text.replace(", ", "、") if zh else text


def check_preset(name: str | None) -> str:
    """Return the preset key ``name`` (``settings.visit_preset`` when ``None``).

    Raises
    ------
    SettingsError
        No such preset.
    """
    key = (name or settings.visit_preset or "national").strip().lower()
    if key not in PRESETS:
        raise SettingsError(f"未知的预设 {key!r}，可选 {'、'.join(PRESETS)} / unknown preset {key!r}; "
                            f"choose one of {', '.join(PRESETS)}")
    return key


def check_level(level: str) -> str:
    """Return ``level`` or raise :class:`SettingsError` naming the levels."""
    if level not in LEVEL_LENGTH:
        raise SettingsError(f"未知的层级 {level!r} / unknown level {level!r}; choose one of "
                            f"{', '.join(LEVELS)}")
    return level


def level_of(code: str) -> str | None:
    """The unit level of a statistical division code (by its length), or ``None``."""
    for lv, n in LEVEL_LENGTH.items():
        if len(code) == n:
            return lv
    return None


def status(indicator: Indicator, value: float | None, denominator: float | None, *,
           preset: str, level: str | None = None, margin: float | None = None) -> str:
    """The status of ``value`` against the indicator's target: met, close, behind, no_target, no_data.

    Shares are *close* within ``margin`` (``settings.report_close_margin``, 0.10) below the target;
    counts whose target is 0 are *close* when at most ``margin`` of their denominator (a county
    with 3 of 1,000 children overdue is close, not behind); other counts and days are met or
    behind.
    """
    target = indicator.target_for(preset, level)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no_data"
    if target is None:
        return "no_target"
    m = float(settings.report_close_margin if margin is None else margin)
    if indicator.direction == "up":
        if value >= target.value - 1e-12:
            return "met"
        if indicator.unit == "share" and value >= target.value - m:
            return "close"
        return "behind"
    if value <= target.value + 1e-12:
        return "met"
    if denominator and target.value == 0 and value / denominator <= m:
        return "close"
    return "behind"


def definitions(preset: str | None = None) -> list[dict]:
    """Every indicator as a plain dict (for docs, ``--json`` and the methods annex)."""
    key = check_preset(preset)
    out = []
    for ind in INDICATORS.values():
        t = ind.targets.get(key)
        out.append({
            "id": ind.id, "zh": ind.zh, "en": ind.en, "group": ind.group, "unit": ind.unit,
            "formula_zh": ind.formula_zh, "formula_en": ind.formula_en,
            "source": ind.source_for(key), "leaf": ind.leaf, "agg": ind.agg,
            "direction": ind.direction,
            "target": None if t is None else {"value": t.value, "source": t.source, "due": t.due,
                                               "level": t.level},
        })
    return out
