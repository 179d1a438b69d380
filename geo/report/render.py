"""Turn a :class:`geo.report.document.Report` into the files that go up: PDF, HTML, Excel, JSON.

- **HTML** from one Jinja2 template (``templates/report.html.j2``), maps embedded as PNG data, so
  the file is self-contained and opens offline;
- **PDF** from that HTML with WeasyPrint (A4, page numbers, the watermark on every page), Chinese
  set in the CJK font the project installs (``fonts-noto-cjk``);
- **Excel**: the same tables, Chinese sheet names and headers, numbers as numbers (a hidden
  cell is empty), and below each table a note row for each hidden cell;
- **JSON** (``--json``): indicator id -> value per unit, with stable ids and keys.

Every file is written beside its target and renamed over it when complete.
"""

from __future__ import annotations

import base64
import json
import math
import os
from pathlib import Path

import pandas as pd

from geo.report.document import SUPPRESSED, Report, grouped_notes, hidden_reason
from geo.report.facts import den, num
from geo.report.indicators import GROUPS, INDICATORS, PLANS, cite
from geo.store.errors import ValidationError
from geo.store.labels import column_label, value_label

FORMATS = (".pdf", ".html", ".xlsx", ".json")
TEMPLATES = Path(__file__).with_name("templates")

_L = {
    "title": ("农村留守儿童和困境儿童关爱服务质量提升三年行动 年度工作进展报告",
              "Three-year action plan for left-behind children and children in difficulty: annual progress report"),
    "area": ("地区", "Area"), "period": ("统计期", "Period"), "preset": ("适用方案", "Plan"),
    "made_by": ("制作人", "Made by"), "made_at": ("制作时间", "Made at"), "scope": ("范围", "scope"),
    "sources": ("数据来源", "Data"), "snapshot": ("数据快照", "Snapshot"),
    "summary": ("一、总体进展（对照目标）", "1. Where the area stands against each target"),
    "group": ("类别", "Area of work"), "indicator": ("指标", "Indicator"), "value": ("当前值", "Value"),
    "target": ("目标", "Target"), "status": ("状态", "Status"), "previous": ("上年同期", "A year before"),
    "source": ("依据", "Source"), "tables": ("二、分单位指标", "2. Indicators by unit"), "unit": ("单位", "Unit"),
    "map": ("三、地图", "3. Map"), "priorities": ("四、存在差距与明年重点", "4. Gaps: next year's priorities"),
    "methods": ("附件：指标说明与数据来源", "Annex: indicators, formulas and sources"),
    "formula": ("计算方法", "Formula"),
    "methods_intro": ("各指标在村（或乡镇）一级按分子、分母计数，逐级相加；份额 = 分子 ÷ 分母。依据栏为以下方案的条款（第N项即方案所列第N项任务）："
                      + "；".join(f"{zh}：{title}" for zh, _en, title in PLANS.values()) + "。",
                      "Each indicator is counted as numerator and denominator at the village (or township) and added up level by level; a share is numerator ÷ denominator. Sources are the numbered tasks (items) of these plans: "
                      + "; ".join(f"{en}: {title}" for _zh, en, title in PLANS.values()) + "."),
    "status_rule": ("状态：达标＝达到目标；接近＝份额低于目标不超过10个百分点（或逾期人数不超过基数的10%）；滞后＝其余；无目标＝方案未设定数值。",
                    "Status: met = target reached; close = a share within 10 points below it (or overdue at most 10% of the base); behind = otherwise; no target = the plan sets no number."),
    "hidden_rule": ("标“*”的单元格人数过少（或可推算出过少的人数），为保护儿童隐私已隐藏（见附件说明）。",
                    "Cells marked * count too few children (or would give such a count away) and are hidden to "
                    "protect them (see the annex)."),
    "hidden_cells": ("隐藏单元格说明", "Hidden cells"),
    "met": ("达标", "Met"), "close": ("接近", "Close"), "behind": ("滞后", "Behind"),
    "no_target": ("无目标", "No target"), "no_data": ("无数据", "No data"), "suppressed": ("已隐藏", "Hidden"),
}
#: columns of the priority tables whose header is not a schema word of geo.store.labels.
_PRIORITY_HEADERS = {"covered_village": ("村级阵地覆盖率", "Village stations"),
                     "covered_township": ("乡镇工作站覆盖率", "Township stations"),
                     "visit_on_schedule": ("入户走访按时率", "Visits on time"),
                     "contact_on_schedule": ("按时联系率", "Contacts on time")}


def _header(column: str, lang: str) -> str:
    if column in _PRIORITY_HEADERS:
        return _PRIORITY_HEADERS[column][0 if lang == "zh" else 1]
    if column in INDICATORS:
        return INDICATORS[column].name(lang)
    return column_label(column, lang)


def _l(key: str, lang: str) -> str:
    zh, en = _L[key]
    return zh if lang == "zh" else en


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def fmt(unit: str, value) -> str:
    """A value as the report prints it (a share as a percentage, a count with separators)."""
    if _missing(value):
        return "–"
    if unit == "share":
        return f"{100 * float(value):.1f}%"
    if unit == "days":
        return f"{float(value):.1f}"
    return f"{float(value):,.0f}"


def _word(value, lang: str, column: str | None = None) -> str:
    return value_label(value, lang, column)


def _group_tables(rep: Report, lang: str) -> list[dict]:
    rows = pd.concat([rep.top, rep.table], ignore_index=True)
    out = []
    level = rep.meta["level"]
    for key, (zh, en) in GROUPS.items():
        inds = [i for i in INDICATORS.values() if i.group == key and i.applies_at(rep.meta["sub_level"])
                or i.group == key and i.applies_at(level)]
        if not inds:
            continue
        body = []
        for rec in rows.to_dict("records"):
            hidden = set(str(rec.get(SUPPRESSED) or "").split(";"))
            cells = []
            for ind in inds:
                if not ind.applies_at(str(rec["level"])):
                    cells.append({"text": "", "hidden": False})
                elif ind.id in hidden:
                    cells.append({"text": "*", "hidden": True})
                else:
                    cells.append({"text": fmt(ind.unit, rec[ind.id]), "hidden": False})
            body.append({"name": rec["name"], "total": rec["level"] == level, "cells": cells})
        out.append({"title": zh if lang == "zh" else en, "headers": [i.name(lang) for i in inds], "rows": body})
    return out


def _context(rep: Report) -> dict:
    lang = rep.meta["lang"]
    zh = lang == "zh"
    summary = []
    counts = {k: 0 for k in ("met", "close", "behind", "no_target")}
    for r in rep.summary.to_dict("records"):
        unit = r["unit"]
        if r["status"] in counts:
            counts[r["status"]] += 1
        summary.append({**r, "value_text": "*" if r["status"] == "suppressed" else fmt(unit, r["value"]),
                        "target_text": "" if _missing(r["target"]) else (
                            ("≥ " if INDICATORS[r["indicator"]].direction == "up" else "≤ ") + fmt(unit, r["target"])
                            + (f"（{r['due'][:7]}）" if r["due"] else "")),
                        "status_text": _l(r["status"], lang), "previous_text": fmt(unit, r["previous"])})
    priorities = []
    for title, table in rep.priorities.items():
        headers = [_header(c, lang) for c in table.columns]
        body = []
        for rec in table.to_dict("records"):
            row = []
            for c, v in rec.items():
                if c in ("value", "target", "gap") and "name" in rec:
                    ind = next((i for i in INDICATORS.values() if i.name(lang) == rec["name"]), None)
                    row.append(fmt(ind.unit if ind else "count", v))
                elif c in ("covered_village", "covered_township", "visit_on_schedule", "contact_on_schedule"):
                    row.append(fmt("share", v))
                elif c == "status":
                    row.append(_l(str(v), lang))
                elif c in ("kind", "missing_items", "hotspot"):
                    row.append(_word(v, lang, c))
                else:
                    row.append("" if _missing(v) else str(v))
            body.append(row)
        priorities.append({"title": title, "headers": headers, "rows": body})
    methods = [{"id": m["id"], "name": m["zh"] if zh else m["en"],
                "formula": m["formula_zh"] if zh else m["formula_en"], "source": cite(m["source"], lang),
                "target": "" if m["target"] is None else fmt(m["unit"], m["target"]["value"])
                + (f"（{m['target']['level']}）" if m["target"]["level"] else "")} for m in rep.methods]
    images = [(t, "data:image/png;base64," + base64.b64encode(png).decode()) for t, png in rep.maps.items()]
    return {
        "zh": zh, "title": _l("title", lang), "meta": rep.meta,
        "L": {k: _l(k, lang) for k in _L}, "role_name": value_label(rep.meta["role"], lang),
        "summary": summary, "groups": _group_tables(rep, lang), "map_images": images,
        "priorities": priorities, "methods": methods, "notes": grouped_notes(rep.notes, lang),
        "hidden_reason": hidden_reason(lang),
        "counts": [{"key": k, "label": _l(k, lang), "n": n} for k, n in counts.items()],
    }


def report_html(rep: Report) -> str:
    """The report as one self-contained HTML page."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report.html.j2").render(**_context(rep))


def report_json(rep: Report) -> dict:
    """Indicator id -> value per unit (stable ids; numbers or ``null`` when hidden or missing)."""
    def clean(v):
        return None if _missing(v) else (float(v) if isinstance(v, int | float) else v)

    units = []
    for rec in pd.concat([rep.top, rep.table], ignore_index=True).to_dict("records"):
        hidden = set(str(rec.get(SUPPRESSED) or "").split(";")) - {""}
        units.append({
            "code": rec["code"], "name": rec["name"], "level": rec["level"],
            "indicators": {i.id: {"value": clean(rec[i.id]), "numerator": clean(rec[num(i.id)]),
                                  "denominator": clean(rec[den(i.id)]), "suppressed": i.id in hidden}
                           for i in INDICATORS.values() if i.applies_at(str(rec["level"]))},
        })
    summary = {r["indicator"]: {"value": clean(r["value"]), "target": clean(r["target"]), "status": r["status"],
                                "previous": clean(r["previous"])} for r in rep.summary.to_dict("records")}
    meta = {k: v for k, v in rep.meta.items() if k != "watermark"}
    return {"report": meta, "summary": summary, "units": units, "hidden_cells": len(rep.notes)}


def _atomic(out: Path, write) -> Path:
    from geo.store.files import check_output

    check_output(out)  # never over a dataset (unless --force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{out.suffix}")
    try:
        write(tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def write_report(rep: Report, out: str | os.PathLike) -> Path:
    """Write ``rep`` to ``out``: ``.pdf``, ``.html``, ``.xlsx`` or ``.json`` (chosen by the suffix).

    Raises
    ------
    ValidationError
        Another suffix.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(f"报告格式只能是 {'、'.join(FORMATS)} / the report is written as "
                              f"{', '.join(FORMATS)}, not {out.suffix or 'no suffix'!r}")
    if suffix == ".html":
        return _atomic(out, lambda p: p.write_text(report_html(rep), encoding="utf-8"))
    if suffix == ".json":
        return _atomic(out, lambda p: p.write_text(json.dumps(report_json(rep), ensure_ascii=False, indent=1),
                                                   encoding="utf-8"))
    if suffix == ".pdf":
        from geo.report.maps import cjk_font

        cjk_font()  # a clear message instead of boxes when the font is missing
        from weasyprint import HTML

        html = report_html(rep)
        return _atomic(out, lambda p: HTML(string=html, base_url=str(TEMPLATES)).write_pdf(p))
    return _atomic(out, lambda p: _write_excel(rep, p))


def _excel_value(v):
    return None if _missing(v) else v


def excel_sheets(rep: Report) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[str, str]]]:
    """The report's workbook as frames (sheet name -> frame) and their header labels (id -> (zh, en)).

    Indicator tables keep indicator ids as columns (the ``suppressed`` note names them) and the
    labels turn them into Chinese or English headers; shares are percentages (numbers).
    """
    lang = rep.meta["lang"]
    zh = lang == "zh"
    labels: dict[str, tuple[str, str]] = {
        "code": ("单位代码", "code"), "name": ("单位名称", "name"), "level": ("层级", "level"),
        "item": ("项目", "item"), "text": ("内容", "value"), "note": ("说明", "note"),
        "indicator": ("指标编号", "id"), "group": ("类别", "group"), "title": ("指标", "indicator"),
        "value": ("当前值", "value"), "numerator": ("分子", "numerator"), "denominator": ("分母", "denominator"),
        "target": ("目标", "target"), "status": ("状态", "status"), "previous": ("上年同期", "a year before"),
        "source": ("依据", "source"), "unit": ("单位", "unit"), "formula": ("计算方法", "formula"),
        "column": ("列", "column"),
    }
    cover = pd.DataFrame({"item": [_l(k, lang) for k in ("area", "period", "preset", "made_by", "made_at",
                                                             "sources", "snapshot")],
                          "text": [f"{rep.meta['area_name']}（{rep.meta['area_code']}）", rep.meta["period"],
                                   rep.meta["preset_name"], f"{rep.meta['user']}（{value_label(rep.meta['role'], lang)}，"
                                   f"{rep.meta['scope']}）", rep.meta["made_at"], "、".join(rep.meta["sources"]),
                                   rep.meta["snapshot"] or "—"]})
    summary = rep.summary.rename(columns={"name": "title"})
    pct = summary["unit"] == "share"
    for c in ("value", "target", "previous"):
        summary[c] = pd.to_numeric(summary[c], errors="coerce").astype(float)
        summary.loc[pct, c] = (summary.loc[pct, c] * 100).round(2)
    summary["status"] = [_l(str(v), lang) for v in summary["status"]]
    def unit_word(u: str) -> str:
        return "%" if u == "share" else ("天" if zh else "days") if u == "days" else ("个" if zh else "count")

    summary["unit"] = [unit_word(u) for u in rep.summary["unit"]]
    sheets = {("封面" if zh else "Cover"): cover,
              ("总体情况" if zh else "Summary"): summary[["indicator", "group", "title", "value", "unit", "numerator",
                                                         "denominator", "target", "status", "previous", "source"]]}
    rows = pd.concat([rep.top, rep.table], ignore_index=True)
    for key, (gzh, gen) in GROUPS.items():
        inds = [i for i in INDICATORS.values() if i.group == key]
        cols = ["code", "name", "level"]
        frame = rows[cols].copy()
        frame["level"] = [value_label(v, lang, "level") for v in frame["level"]]
        for i in inds:
            factor = 100.0 if i.unit == "share" else 1.0
            frame[i.id] = pd.to_numeric(rows[i.id], errors="coerce").astype(float) * factor
            frame[num(i.id)] = pd.to_numeric(rows[num(i.id)], errors="coerce").astype(float)
            frame[den(i.id)] = pd.to_numeric(rows[den(i.id)], errors="coerce").astype(float)
            name_zh, name_en = i.zh + ("（%）" if i.unit == "share" else ""), i.en + (" (%)" if i.unit == "share" else "")
            labels[i.id] = (name_zh, name_en)
            labels[num(i.id)] = (f"{i.zh}（分子）", f"{i.en} (numerator)")
            labels[den(i.id)] = (f"{i.zh}（分母）", f"{i.en} (denominator)")
        if SUPPRESSED in rows.columns:
            ids = {c for i in inds for c in (i.id, num(i.id), den(i.id))}
            frame[SUPPRESSED] = [";".join(c for c in str(v or "").split(";") if c in ids) for v in rows[SUPPRESSED]]
        sheets[(gzh if zh else gen)[:31]] = frame
    for title, table in rep.priorities.items():
        shown = table.copy()
        for c in shown.columns:
            if c in ("kind", "missing_items", "hotspot"):
                shown[c] = [value_label(v, lang, c) for v in shown[c]]
            elif c == "status":
                shown[c] = [_l(str(v), lang) for v in shown[c]]
            labels.setdefault(c, (_header(c, "zh"), _header(c, "en")))
        sheets[(("重点-" if zh else "Priority-") + title)[:31]] = shown
    sheets["指标说明" if zh else "Methods"] = pd.DataFrame({
        "indicator": [m["id"] for m in rep.methods], "title": [m["zh"] if zh else m["en"] for m in rep.methods],
        "unit": [unit_word(m["unit"]) for m in rep.methods],
        "formula": [m["formula_zh"] if zh else m["formula_en"] for m in rep.methods],
        "target": [None if m["target"] is None else m["target"]["value"] for m in rep.methods],
        "source": [cite(m["source"], lang) for m in rep.methods]})
    sheets["隐藏说明" if zh else "Hidden cells"] = pd.DataFrame({
        "code": [n["code"] for n in rep.notes], "name": [n["name"] for n in rep.notes],
        "column": [labels.get(n["column"], (n["column"], n["column"]))[0 if zh else 1] for n in rep.notes],
        "note": [n["text"] for n in rep.notes]})
    return sheets, labels


def _write_excel(rep: Report, path: Path) -> None:
    from geo.privacy.tables import write_table

    sheets, labels = excel_sheets(rep)
    write_table(path, sheets, lang=rep.meta["lang"], labels=labels, watermark=rep.meta["watermark"],
                words=False)  # the report's sheets are already in words
