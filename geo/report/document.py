"""The yearly progress report as data: cover, summary against targets, tables, maps, priorities, methods.

:func:`build_report` gathers everything the December report holds for one area (a county, or a
city or province rolled up from many county datasets), **as the requesting user may see it**:
every table passes through the role rules (:func:`release_table`: a leader's report has small
counts of children suppressed, and shares made from them hidden with them; no household or child
is ever in a report). :mod:`geo.report.render` turns a :class:`Report` into PDF, HTML, Excel
and JSON.
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.privacy.audit import now_utc
from geo.privacy.disclosure import SUPPRESSED, TableSpec, release
from geo.privacy.roles import User, require
from geo.report import maps
from geo.report.facts import UnitFacts, den, num
from geo.report.indicators import (
    GROUPS,
    INDICATORS,
    LEVEL_LENGTH,
    check_level,
    check_preset,
    cite,
    definitions,
    status,
)
from geo.report.indicators import level_of as ind_level
from geo.report.rollup import indicator_table, infer_level
from geo.store import settings
from geo.store.errors import ValidationError

logger = logging.getLogger(__name__)

#: what a level's report tabulates below it.
SUB_LEVEL = {"province": "county", "city": "county", "county": "township", "township": "village"}
_PRESET_NAMES = {"national": ("全国（民发〔2023〕62号）", "National (MCA 2023 No. 62)"),
                 "jilin": ("吉林省", "Jilin"), "anhui": ("安徽省", "Anhui"),
                 "gaotai": ("高台县", "Gaotai"), "heze": ("菏泽市", "Heze")}


@dataclass
class Report:
    """Everything a report holds, released for its reader.

    Attributes
    ----------
    meta
        Area, period, preset, level, who, when, watermark text, data sources, snapshot used.
    top
        The released indicator row of the whole area (one row of :func:`indicator_table`).
    table
        Released rows of the units below (townships of a county; counties of a roll-up).
    summary
        One row per indicator: value, target, status, previous value (a year before), source.
    maps
        Title -> PNG bytes.
    priorities
        Title -> table (the gaps to close next year).
    methods
        The indicator definitions (:func:`geo.report.indicators.definitions`).
    notes
        One line per suppressed cell (``unit, column: hidden``).
    """

    meta: dict
    top: pd.DataFrame
    table: pd.DataFrame
    summary: pd.DataFrame
    maps: dict[str, bytes] = field(default_factory=dict)
    priorities: dict[str, pd.DataFrame] = field(default_factory=dict)
    methods: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)


#: the count every share of children is a part of (children in scope, on file).
WHOLE = num("children_on_file")
#: counts that are the whole minus another indicator's numerator (made after release).
COMPLEMENTS = {"contact_overdue": "contact_on_schedule", "visit_overdue": "visit_on_schedule"}


def people_columns() -> list[str]:
    """The numerator and denominator columns that count children (released by role)."""
    return [c for i in INDICATORS.values() if i.people and i.follows is None for c in (num(i.id), den(i.id))]


def _independent() -> list[str]:
    """The counts of children the others are made from: the whole, and each part of it.

    Denominators of children's shares equal the whole, and an overdue count is the whole minus
    the count on schedule, so only these go to the disclosure solver; the rest are made from
    what it releases (a made figure is hidden when one of its inputs is).
    """
    parts = [num(i.id) for i in INDICATORS.values()
             if i.people and i.follows is None and i.id != "children_on_file" and i.id not in COMPLEMENTS]
    return [WHOLE, *parts]


INDICATOR_SPEC = TableSpec(
    unit="code", counts=tuple(_independent()),
    parts={c: WHOLE for c in _independent()[1:]},
)


def release_table(user: User, table: pd.DataFrame) -> pd.DataFrame:
    """What ``user`` may see of an indicator ``table`` (computed on the full data of their scope).

    The counts of children go through the one disclosure mechanism
    (:func:`geo.privacy.disclosure.release`: small counts hidden, with complementary cells so no
    hidden one can be computed back from its township, county or the whole minus a part); every
    figure made from them (shares, the equal denominators, overdue = whole − on schedule, days a
    flag is open) is then made from what was released, so it is hidden with its inputs. A hidden
    cell is ``NaN`` and named in the row's :data:`SUPPRESSED` column; counts stay numbers.
    """
    counts = _independent()
    base = table[["code", *counts]].copy()
    out = table.copy()
    released = release(user, "indicator_table", base, spec=INDICATOR_SPEC)
    hidden = {c: released[c].isna().to_numpy() & base[c].notna().to_numpy() for c in counts}
    whole = hidden[WHOLE]
    names: list[list[str]] = [[] for _ in range(len(out))]

    def hide(mask: np.ndarray, ind_id: str) -> None:
        cols = [c for c in (ind_id, num(ind_id), den(ind_id)) if c in out.columns]
        out.loc[mask, cols] = float("nan")
        for i in np.flatnonzero(mask):
            names[i] += [ind_id, num(ind_id), den(ind_id)]

    hide(whole, "children_on_file")
    for ind in INDICATORS.values():
        if not ind.people or ind.id == "children_on_file" or ind.follows is not None:
            continue
        source = COMPLEMENTS.get(ind.id, ind.id)  # overdue = whole - on schedule
        hide(whole | hidden[num(source)], ind.id)
    for ind in INDICATORS.values():
        if ind.people and ind.follows is not None:
            hide(out[num(ind.follows)].isna().to_numpy() & table[num(ind.follows)].notna().to_numpy(), ind.id)
    if SUPPRESSED in released.columns or any(names):
        out[SUPPRESSED] = pd.array([";".join(dict.fromkeys(n)) for n in names], dtype="string")
    return out


def suppressed_mask(table: pd.DataFrame, column: str) -> pd.Series:
    """Whether each row's ``column`` is hidden (by the :data:`SUPPRESSED` column), by code."""
    marks = table[SUPPRESSED].fillna("") if SUPPRESSED in table else pd.Series("", index=table.index)
    hit = marks.map(lambda s: column in str(s).split(";"))
    return pd.Series(hit.to_numpy(bool), index=table["code"].astype(str).to_numpy())


def _summary(top: pd.Series, previous: pd.Series | None, preset: str, level: str, lang: str) -> pd.DataFrame:
    rows = []
    hidden = set(str(top.get(SUPPRESSED) or "").split(";"))
    for ind in INDICATORS.values():
        if not ind.applies_at(level):
            continue
        t = ind.target_for(preset, level)
        value = top.get(ind.id)
        st = "suppressed" if ind.id in hidden else status(ind, value, top.get(den(ind.id)), preset=preset, level=level)
        prev = None if previous is None or ind.id in hidden else previous.get(ind.id)
        rows.append({
            "indicator": ind.id, "group": GROUPS[ind.group][0 if lang == "zh" else 1],
            "name": ind.name(lang), "unit": ind.unit, "value": value,
            "numerator": top.get(num(ind.id)), "denominator": top.get(den(ind.id)),
            "target": None if t is None else t.value, "due": "" if t is None else t.due,
            "status": st, "previous": prev, "source": cite(ind.source_for(preset), lang),
        })
    return pd.DataFrame(rows)


def hidden_reason(lang: str) -> str:
    """Why a cell of a report is hidden."""
    # a primary cell (a small count) and a complementary one (it would give a small count away)
    # read the same: which is which would itself tell something
    n = settings.small_count_threshold
    return (f"人数少于 {n}，或可由其他数字推算出少于 {n} 的人数，按规定隐藏" if lang == "zh"
            else f"fewer than {n} children, or a figure from which such a count could be worked out: hidden")


def grouped_notes(notes: list[dict], lang: str) -> list[str]:
    """The hidden-cell notes of a report, one line per unit (its indicators named once each)."""
    by_unit: dict[tuple[str, str], list[str]] = {}
    for n in notes:
        ind = INDICATORS.get(str(n["column"]).split(":")[0])
        what = ind.name(lang) if ind else str(n["column"])
        names = by_unit.setdefault((str(n["code"]), str(n["name"])), [])
        if what not in names:
            names.append(what)
    sep = "、" if lang == "zh" else ", "
    colon = "：" if lang == "zh" else ": "
    return [f"{name}{colon}{sep.join(names)}" for (_code, name), names in by_unit.items()]


def _notes(tables: list[pd.DataFrame], lang: str) -> list[dict]:
    out = []
    for table in tables:
        if SUPPRESSED not in table:
            continue
        for rec in table[table[SUPPRESSED].fillna("") != ""].to_dict("records"):
            for col in str(rec[SUPPRESSED]).split(";"):
                ind = INDICATORS.get(col.split(":")[0])
                what = ind.name(lang) if ind else col
                part = {"num": "（分子）" if lang == "zh" else " (numerator)",
                        "den": "（分母）" if lang == "zh" else " (denominator)"}.get(col.split(":")[-1], "")
                out.append({"code": rec["code"], "name": rec["name"], "column": col,
                            "text": f"{rec['name']} {what}{part}: " + hidden_reason(lang)})
    return out


def _priorities(facts: UnitFacts, table: pd.DataFrame, summary: pd.DataFrame, lang: str) -> dict[str, pd.DataFrame]:
    zh = lang == "zh"
    out: dict[str, pd.DataFrame] = {}
    behind = summary[summary["status"].isin(["behind", "close"])].copy()
    if len(behind):
        behind["gap"] = (behind["target"] - behind["value"]).abs()
        out["指标差距" if zh else "Indicators short of target"] = behind[
            ["name", "value", "target", "gap", "status", "source"]].sort_values("gap", ascending=False)
    if len(table) and "covered_village" in table:
        low = table.dropna(subset=["covered_village"]).sort_values("covered_village").head(5)
        out["村级阵地覆盖最低的单位" if zh else "Units least covered by village stations"] = low[
            ["code", "name", "covered_village", "covered_township"]]
    sites = facts.sites
    if len(sites):
        risky = sites[(sites["children_500m"].to_numpy(float) > 0) & (sites["kit_status"] != "complete")]
        top = risky.sort_values("risk_rank").head(10)
        names = facts.names
        out["未配齐“四个一”的高风险点位" if zh else "Riskiest sites without the four ones"] = pd.DataFrame({
            "risk_rank": top["risk_rank"].to_numpy(), "site_id": top["site_id"].astype(str).to_numpy(),
            "kind": top["kind"].astype(str).to_numpy(),
            "township": [names.get(str(c), str(c)) for c in top["township_code"].astype(object)],
            "missing_items": top["missing_items"].astype(str).to_numpy(),
            "hotspot": (top["gi_bin"].to_numpy(float) >= 3),
        })
    if len(table) and "visit_on_schedule" in table:
        late = table.dropna(subset=["visit_on_schedule"]).sort_values("visit_on_schedule").head(5)
        out["入户走访按时率最低的单位" if zh else "Units with the fewest visits on time"] = late[
            ["code", "name", "visit_on_schedule", "contact_on_schedule"]]
    return out


def build_report(
    facts: UnitFacts,
    *,
    user: User,
    year: int,
    level: str | None = None,
    lang: str = "zh",
    area_names: dict[str, str] | None = None,
    previous: UnitFacts | None = None,
    snapshot_note: str = "",
    sources: list[str] | None = None,
    now: _dt.datetime | None = None,
    with_maps: bool = True,
) -> Report:
    """Return the report of ``facts`` for ``user`` (released by role).

    Parameters
    ----------
    facts
        The (combined) leaf facts of the area (:func:`geo.report.rollup.facts_for`).
    user
        Who the report is for (role and scope decide what it shows); needs ``export``.
    year
        The plan year reported on.
    level
        ``county``, ``city`` or ``province`` (default: the level that holds all the data).
    lang
        ``zh`` or ``en``.
    area_names
        Names of units known only by code (a city, a province).
    previous
        Facts of a year before (a snapshot), for "since last year".
    snapshot_note
        Where the figures come from when a snapshot was used.

    Raises
    ------
    ValidationError
        ``level`` is below the data's extent (a county report of a two-county roll-up).
    """
    require(user, "export")
    preset = check_preset(facts.preset)
    level = check_level(level or infer_level(facts))
    found = infer_level(facts)
    scoped = ind_level(user.scope) if user.scope else None
    if scoped is not None and LEVEL_LENGTH[scoped] > LEVEL_LENGTH[level]:
        level = found = scoped  # a township's leader reports on the township
    if LEVEL_LENGTH[level] > LEVEL_LENGTH[found]:
        raise ValidationError(f"数据跨越多个{_zh_level(level)}，请用 --level {found} / the data spans several "
                              f"{level} units: use --level {found}")
    sub = SUB_LEVEL.get(level, "village")
    fine = "village" if level == "county" else sub  # what the maps colour
    # one table (area, units below, the maps' units), released once: no two releases to combine
    full = indicator_table(facts, level=level, down_to=[sub, fine], area_names=area_names)
    if user.scope:
        full = full[full["code"].astype(str).str.startswith(user.scope[: LEVEL_LENGTH[level]])
                    | full["code"].astype(str).str.startswith(user.scope)]
    released = release_table(user, full.reset_index(drop=True))
    top = released[released["level"] == level]
    table = released[released["level"] == sub]
    grid = released[released["level"] == fine]
    if len(top) != 1:
        raise ValidationError(f"数据中有 {len(top)} 个{_zh_level(level)}级单位 / the data holds {len(top)} "
                              f"units of level {level}; give one area")
    prev_row = None
    if previous is not None:
        prev = release_table(user, indicator_table(previous, level=level, area_names=area_names))
        prev = prev[prev["code"] == top["code"].iloc[0]]
        prev_row = prev.iloc[0] if len(prev) else None
    summary = _summary(top.iloc[0], prev_row, preset, level, lang)
    when = now or now_utc()
    name = str(top["name"].iloc[0])
    meta = {
        "area_code": str(top["code"].iloc[0]), "area_name": name, "level": level, "sub_level": sub,
        "year": int(year), "on": facts.on.isoformat(), "period": f"{year}-01-01 – {facts.on.isoformat()}",
        "preset": preset, "preset_name": _PRESET_NAMES[preset][0 if lang == "zh" else 1],
        "user": user.username, "role": user.role, "scope": user.scope or "*",
        "made_at": when.strftime("%Y-%m-%d %H:%M") + " UTC", "lang": lang,
        "sources": sources or [], "snapshot": snapshot_note,
        "threshold": int(settings.small_count_threshold),
    }
    from geo.privacy.roles import ROLE_LABELS

    role_zh = ROLE_LABELS[user.role][0]
    meta["watermark"] = (f"{user.username}（{role_zh}，{meta['scope']}）{meta['made_at']} 内部资料 请勿外传"
                         if lang == "zh" else
                         f"{user.username} ({user.role}, {meta['scope']}) {meta['made_at']} confidential")
    rep = Report(meta, top, table, summary, methods=definitions(preset))
    rep.notes = _notes([top, table], lang)
    rep.priorities = _priorities(facts, table, summary, lang)
    if with_maps:
        rep.maps = _maps(facts, grid, level, sub, lang)
    logger.info("report %s %s (%s, %s): %d units, %d maps, %d cells hidden", name, year, preset, user.role,
                len(table), len(rep.maps), len(rep.notes))
    return rep


def _zh_level(level: str) -> str:
    return {"province": "省", "city": "市", "county": "县", "township": "乡镇", "village": "村"}[level]


def _maps(facts: UnitFacts, grid: pd.DataFrame, level: str, sub: str, lang: str) -> dict[str, bytes]:
    zh = lang == "zh"
    units = facts.units
    outline = units[(units["level"].astype("string") == (sub if sub != "village" else "township")).to_numpy()]
    village_stations = facts.stations[facts.stations["level"].astype("string") == "village"] if len(
        facts.stations) else facts.stations
    out = {}
    out["儿童服务覆盖（村级阵地服务标准内的建档儿童比例）" if zh else "Coverage: children within reach of a village station"] = (
        maps.choropleth(units, grid, "covered_village",
                        title=("村级阵地服务覆盖率" if zh else "Within reach of a village station"),
                        lang=lang, suppressed=suppressed_mask(grid, "covered_village"), outline=outline,
                        points=village_stations if level == "county" else None,
                        points_label=("村级阵地" if zh else "Village stations")))
    out["涉水安全：危险点位“四个一”配备与风险热点" if zh else "Water: risky sites, four ones and hot spots"] = (
        maps.water_map(units, facts.sites, title=("危险水域点位与风险热点" if zh else "Risky water sites and hot spots"),
                       lang=lang, outline_level="township" if level == "county" else "county"))
    out["入户走访按时率" if zh else "Home visits on schedule"] = maps.choropleth(
        units, grid, "visit_on_schedule", title=("入户走访按时率" if zh else "Home visits on schedule"),
        lang=lang, suppressed=suppressed_mask(grid, "visit_on_schedule"), outline=outline)
    return out
