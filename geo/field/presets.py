"""Visit-schedule presets: how often a child director contacts and visits each child.

Each preset turns the rules of one plan in ``/work/shared/seeds`` (DOMAIN.md §2) into tiers:
an ordered list of (tier, criteria, contact interval, home-visit interval). A child takes the
first tier whose criteria it meets (any of them); the last tier of each preset has no criteria
and catches everyone else. Where a plan says only "more often" (加大走访频次) the number is a
judgement, marked as such here and in ``docs/field-work.md``.

Criteria are names of boolean child facts computed by :func:`geo.field.visits.child_facts`:
``disability``, ``psych_concern``, ``serious_illness``, ``single_parent``, ``lives_alone``,
``no_caregiver``, ``both_parents_away``, ``family_difficulty``, ``self_difficulty``,
``guardianship_difficulty``, ``guardianship_good``, ``guardianship_average``,
``guardianship_poor``, ``guardianship_unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.store.errors import SettingsError

#: an interval: (count, unit) with unit "M" (calendar months) or "D" (days).
Interval = tuple[int, str]


@dataclass(frozen=True)
class Tier:
    """One tier of a preset: who is in it and how often they are contacted and visited."""

    name: str
    criteria: tuple[str, ...]
    contact: Interval
    visit: Interval
    source: str


@dataclass(frozen=True)
class VisitPreset:
    """The visit rules of one plan.

    Attributes
    ----------
    name
        Preset key (``national``, ``jilin``, ``anhui``, ``gaotai``, ``heze``).
    title_zh, title_en
        Display names.
    tiers
        Ordered tiers; the first match wins; the last has no criteria.
    holiday_visits
        A concentrated home visit in each winter and summer school holiday (Anhui 004 §6).
    extreme_weather
        Extra contact during extreme-weather alerts (Anhui 004 §6).
    source
        Where the rules come from (file and section of ``seeds/``).
    """

    name: str
    title_zh: str
    title_en: str
    tiers: tuple[Tier, ...]
    holiday_visits: bool = False
    extreme_weather: bool = False
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(name)


MONTH: Interval = (1, "M")
QUARTER: Interval = (3, "M")
#: "more often than monthly" where a plan gives no number: every 14 days (judgement).
FORTNIGHT: Interval = (14, "D")

# 000 §8 (national): contact at least monthly, home visit at least every three months; more
# visits when a parent or the child has a serious physical or intellectual disability or the child
# shows psychological or behavioural problems. A parent's disability is not in the dataset
# contract; the child's ``disability`` and ``psych_concern`` are. "More" = a monthly home visit
# (judgement).
_NATIONAL_HIGH = ("disability", "psych_concern")

PRESETS: dict[str, VisitPreset] = {
    "national": VisitPreset(
        "national", "全国（民发〔2023〕62号）", "National (MCA 2023 No. 62)",
        (
            Tier("high_risk", _NATIONAL_HIGH, MONTH, MONTH, "000 §8 (monthly visit: judgement)"),
            Tier("standard", (), MONTH, QUARTER, "000 §8"),
        ),
        source="seeds/000 §8",
    ),
    "heze": VisitPreset(
        "heze", "菏泽市", "Heze City",
        (
            Tier("high_risk", _NATIONAL_HIGH, MONTH, MONTH, "003 §10 (monthly visit: judgement)"),
            Tier("standard", (), MONTH, QUARTER, "003 §10 → 000 §8"),
        ),
        source="seeds/003 §10 (follows 000 §8; same rules as the national preset)",
        notes=("Heze §10 repeats the national high-risk list and names no other interval.",),
    ),
    "gaotai": VisitPreset(
        "gaotai", "高台县", "Gaotai County",
        (
            Tier(
                "high_risk", (*_NATIONAL_HIGH, "both_parents_away"), MONTH, MONTH,
                "001 §9 (monthly visit: judgement)",
            ),
            Tier("standard", (), MONTH, QUARTER, "001 §9"),
        ),
        source="seeds/001 §9",
        notes=(
            "001 §9 adds children whose parents both work away for years (父母双方常年在外务工): "
            "read as left-behind with a caregiver other than a parent.",
            "The township child supervisor's yearly contact (001 §9) is the supervisor's task, "
            "not the village director's, and is not scheduled here.",
        ),
    ),
    "jilin": VisitPreset(
        "jilin", "吉林省", "Jilin Province",
        (
            Tier(
                "high_risk",
                ("family_difficulty", "guardianship_difficulty", "serious_illness", "disability",
                 "single_parent", "guardianship_poor"),
                MONTH, FORTNIGHT, "002 §8 (14-day visit: judgement)",
            ),
            Tier("average", ("guardianship_average", "guardianship_unknown"), MONTH, MONTH,
                 "002 §8"),
            Tier("good", (), MONTH, QUARTER, "002 §8"),
        ),
        source="seeds/002 §8 (contact: 000 §8)",
        notes=(
            "Listed high-risk groups in the data: poor families and de-facto-unsupported or "
            "orphaned children (difficulty family / guardianship), HIV and serious illness, "
            "disability, rural single-parent; poor guardianship (not named, worse than average: "
            "judgement). Unknown guardianship is treated as average (judgement).",
        ),
    ),
    "anhui": VisitPreset(
        "anhui", "安徽省", "Anhui Province",
        (
            Tier("high_risk", _NATIONAL_HIGH, MONTH, MONTH, "004 §9 (monthly visit: judgement)"),
            Tier("standard", (), MONTH, QUARTER, "004 §6, §9"),
        ),
        holiday_visits=True,
        extreme_weather=True,
        source="seeds/004 §6, §9",
        notes=(
            "004 §6: a concentrated visit in each winter and summer holiday, a follow-up every "
            "quarter, more visits in extreme cold, heat, rainstorm or snowstorm.",
        ),
    ),
}


def get_preset(name: str | None = None) -> VisitPreset:
    """Return the preset ``name`` (``settings.visit_preset`` when ``None``).

    Raises
    ------
    SettingsError
        No such preset.
    """
    from geo.store import settings

    key = (name or settings.visit_preset or "national").strip().lower()
    if key not in PRESETS:
        raise SettingsError(
            f"unknown visit preset {key!r}; choose one of {', '.join(PRESETS)}"
        )
    return PRESETS[key]


# --- patrol calendars (geo/field/calendar.py) -----------------------------------------------------------


@dataclass(frozen=True)
class PatrolPreset:
    """When patrols are weighted up under one plan (see :func:`geo.field.calendar.patrol_schedule`).

    ``None`` fields take the value of ``settings`` at call time.

    Attributes
    ----------
    name, title_zh, title_en
        Preset key and display names (same keys as the visit presets).
    flood_season
        ((month, day), (month, day)) of the flood season (``settings.patrol_flood_season``).
    summer_weight
        Weight of summer-holiday days (``settings.patrol_schedule_weights["summer"]``).
    source
        Where the values come from.
    """

    name: str
    title_zh: str
    title_en: str
    flood_season: tuple[tuple[int, int], tuple[int, int]] | None = None
    summer_weight: float | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


#: The plans agree on what to patrol (000 §14, 001 §15, 003 §17, 004 §15) and none gives patrol
#: dates, so most presets equal the national one; Anhui differs by its earlier flood season
#: (Yangtze basin; judgement: check with the flood-control office). Extreme-weather alerts (004 §6
#: for visits) are an argument of every calendar, not a preset.
PATROL_PRESETS: dict[str, PatrolPreset] = {
    "national": PatrolPreset(
        "national", "全国（民发〔2023〕62号）", "National (MCA 2023 No. 62)",
        source="000 §14 (patrol waters near where people live; 汛期 without dates); DOMAIN.md §3 "
               "(summer holidays, afternoons)",
    ),
    "heze": PatrolPreset(
        "heze", "菏泽市", "Heze City",
        source="003 §17 (patrol key waters; remind, stop and move children away): as national",
    ),
    "gaotai": PatrolPreset(
        "gaotai", "高台县", "Gaotai County",
        source="001 §15 (rivers, lakes, reservoirs, canals, ponds, dams, cisterns): as national",
    ),
    "jilin": PatrolPreset(
        "jilin", "吉林省", "Jilin Province",
        source="002 (no patrol timing): as national; June-September is Jilin's usual flood season",
    ),
    "anhui": PatrolPreset(
        "anhui", "安徽省", "Anhui Province",
        flood_season=((5, 1), (9, 30)),
        source="004 §15 (patrol rivers, lakes, open channels)",
        notes=("Flood season from 1 May: the Yangtze basin's season starts earlier than the national "
               "default (judgement; set settings.patrol_flood_season to the local flood-control dates).",),
    ),
}


def get_patrol_preset(name: str | None = None) -> PatrolPreset:
    """Return the patrol preset ``name`` (``settings.visit_preset`` when ``None``).

    Raises
    ------
    SettingsError
        No such preset.
    """
    from geo.store import settings

    key = (name or settings.visit_preset or "national").strip().lower()
    if key not in PATROL_PRESETS:
        raise SettingsError(f"unknown patrol preset {key!r}; choose one of {', '.join(PATROL_PRESETS)}")
    return PATROL_PRESETS[key]
