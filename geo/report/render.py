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

from geo.report.document import SUPPRESSED, Report
from geo.report.facts import den, num
from geo.report.indicators import GROUPS, INDICATORS
from geo.store.errors import ValidationError

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
    "methods_intro": ("各指标在村（或乡镇）一级按分子、分母计数，逐级相加；份额 = 分子 ÷ 分母。依据栏为五个方案的条款（000 全国、001 高台县、002 吉林省、003 菏泽市、004 安徽省）。",
                      "Each indicator is counted as numerator and denominator at the village (or township) and added up level by level; a share is numerator ÷ denominator. Sources are sections of the five plans (000 national, 001 Gaotai, 002 Jilin, 003 Heze, 004 Anhui)."),
    "status_rule": ("状态：达标＝达到目标；接近＝份额低于目标不超过10个百分点（或逾期人数不超过基数的10%）；滞后＝其余；无目标＝方案未设定数值。",
                    "Status: met = target reached; close = a share within 10 points below it (or overdue at most 10% of the base); behind = otherwise; no target = the plan sets no number."),
    "hidden_rule": ("标“*”的单元格人数过少，为保护儿童隐私已隐藏（见附件说明）。",
                    "Cells marked * count too few children and are hidden to protect them (see the annex)."),
    "hidden_cells": ("隐藏单元格说明", "Hidden cells"),
    "met": ("达标", "Met"), "close": ("接近", "Close"), "behind": ("滞后", "Behind"),
    "no_target": ("无目标", "No target"), "no_data": ("无数据", "No data"), "suppressed": ("已隐藏", "Hidden"),
}
_ROLES = {"admin": ("管理员", "Administrator"), "leader": ("领导", "Leader"), "planner": ("规划人员", "Planner"),
          "safety_officer": ("安全员", "Safety officer"), "child_director": ("儿童主任", "Child director")}
_PRIORITY_HEADERS = {
    "name": ("指标", "Indicator"), "value": ("当前值", "Value"), "target": ("目标", "Target"),
    "gap": ("差距", "Gap"), "status": ("状态", "Status"), "source": ("依据", "Source"),
    "code": ("代码", "Code"), "covered_village": ("村级阵地覆盖率", "Village stations"),
    "covered_township": ("乡镇工作站覆盖率", "Township stations"), "risk_rank": ("风险排名", "Risk rank"),
    "site_id": ("点位", "Site"), "kind": ("水域类型", "Water kind"), "township": ("乡镇", "Township"),
    "missing_items": ("缺少", "Missing"), "hotspot": ("热点", "Hot spot"),
    "visit_on_schedule": ("入户走访按时率", "Visits on time"), "contact_on_schedule": ("按时联系率", "Contacts on time"),
}
_WORDS = {"river": ("河流", "river"), "canal": ("渠道", "canal"), "ditch": ("沟渠", "ditch"), "pond": ("坑塘", "pond"),
          "reservoir": ("水库", "reservoir"), "lake": ("湖泊", "lake"), "cistern": ("水窖", "cistern"),
          "other": ("其他", "other"), "sign": ("警示牌", "sign"), "buoy": ("救生圈", "buoy"),
          "rope": ("救生绳", "rope"), "pole": ("救生杆", "pole"), "True": ("是", "yes"), "False": ("否", "no")}


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


def _word(value, lang: str) -> str:
    text = str(value)
    if ";" in text:
        return ("、" if lang == "zh" else ", ").join(_word(p, lang) for p in text.split(";") if p)
    zh, en = _WORDS.get(text, (text, text))
    return zh if lang == "zh" else en


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
        headers = [(_PRIORITY_HEADERS.get(c, (c, c))[0 if zh else 1]) for c in table.columns]
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
                    row.append(_word(v, lang))
                else:
                    row.append("" if _missing(v) else str(v))
            body.append(row)
        priorities.append({"title": title, "headers": headers, "rows": body})
    methods = [{"id": m["id"], "name": m["zh"] if zh else m["en"],
                "formula": m["formula_zh"] if zh else m["formula_en"], "source": m["source"],
                "target": "" if m["target"] is None else fmt(m["unit"], m["target"]["value"])
                + (f"（{m['target']['level']}）" if m["target"]["level"] else "")} for m in rep.methods]
    images = [(t, "data:image/png;base64," + base64.b64encode(png).decode()) for t, png in rep.maps.items()]
    return {
        "zh": zh, "title": _l("title", lang), "meta": rep.meta,
        "L": {k: _l(k, lang) for k in _L}, "role_name": _ROLES[rep.meta["role"]][0 if zh else 1],
        "summary": summary, "groups": _group_tables(rep, lang), "map_images": images,
        "priorities": priorities, "methods": methods, "notes": rep.notes,
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


def _write_excel(rep: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    lang = rep.meta["lang"]
    zh = lang == "zh"
    wb = Workbook()
    ws = wb.active
    ws.title = "封面" if zh else "Cover"
    ws.append([_l("title", lang)])
    ws["A1"].font = Font(bold=True, size=13)
    for key, value in (("area", f"{rep.meta['area_name']}（{rep.meta['area_code']}）"), ("period", rep.meta["period"]),
                       ("preset", rep.meta["preset_name"]), ("made_by", f"{rep.meta['user']}（{rep.meta['role']}，"
                                                                        f"{rep.meta['scope']}）"),
                       ("made_at", rep.meta["made_at"]), ("snapshot", rep.meta["snapshot"] or "—")):
        ws.append([_l(key, lang), _safe(value)])
    ws.append([_safe(rep.meta["watermark"])])
    ws = wb.create_sheet("总体情况" if zh else "Summary")
    head = ["指标编号", "类别", "指标", "当前值", "分子", "分母", "目标", "状态", "上年同期", "依据"] if zh else [
        "id", "group", "indicator", "value", "numerator", "denominator", "target", "status", "a year before", "source"]
    ws.append(head)
    for r in rep.summary.to_dict("records"):
        hidden = r["status"] == "suppressed"
        ws.append([r["indicator"], r["group"], r["name"], None if hidden else _excel_value(r["value"]),
                   None if hidden else _excel_value(r["numerator"]), None if hidden else _excel_value(r["denominator"]),
                   _excel_value(r["target"]), _l(r["status"], lang), _excel_value(r["previous"]), r["source"]])
    _style_header(ws, Font, PatternFill)
    rows = pd.concat([rep.top, rep.table], ignore_index=True)
    grey = PatternFill("solid", fgColor="DDDDDD")
    for key, (gzh, gen) in GROUPS.items():
        inds = [i for i in INDICATORS.values() if i.group == key]
        ws = wb.create_sheet((gzh if zh else gen)[:31])
        header = ["单位代码", "单位名称", "层级"] if zh else ["code", "name", "level"]
        for i in inds:
            header += [i.name(lang), f"{i.name(lang)}（分子）" if zh else f"{i.name(lang)} (numerator)",
                       f"{i.name(lang)}（分母）" if zh else f"{i.name(lang)} (denominator)"]
        ws.append(header)
        notes = []
        for rec in rows.to_dict("records"):
            hidden = set(str(rec.get(SUPPRESSED) or "").split(";"))
            line = [rec["code"], _safe(rec["name"]), rec["level"]]
            for i in inds:
                line += [_excel_value(rec[i.id]), _excel_value(rec[num(i.id)]), _excel_value(rec[den(i.id)])]
            ws.append(line)
            for j, i in enumerate(inds):
                if i.id in hidden:
                    for k in range(3):
                        ws.cell(row=ws.max_row, column=4 + 3 * j + k).fill = grey
                    notes.append(f"{rec['name']}（{rec['code']}）{i.name(lang)}：" + (
                        f"人数少于 {rep.meta['threshold']}，已隐藏" if zh else
                        f"fewer than {rep.meta['threshold']} children, hidden"))
        for c in range(4, ws.max_column + 1, 3):  # shares as percentages
            ind = inds[(c - 4) // 3]
            if ind.unit == "share":
                for row in ws.iter_rows(min_row=2, min_col=c, max_col=c):
                    row[0].number_format = "0.0%"
        _style_header(ws, Font, PatternFill)
        if notes:
            ws.append([])
            for n in notes:
                ws.append(["注" if zh else "note", _safe(n)])
    ws = wb.create_sheet("重点任务" if zh else "Priorities")
    for title, table in rep.priorities.items():
        ws.append([_safe(title)])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        ws.append([_PRIORITY_HEADERS.get(c, (c, c))[0 if zh else 1] for c in table.columns])
        for rec in table.to_dict("records"):
            ws.append([_safe(_word(v, lang)) if k in ("kind", "missing_items", "hotspot") else
                       (_l(str(v), lang) if k == "status" else _safe(_excel_value(v))) for k, v in rec.items()])
        ws.append([])
    ws = wb.create_sheet("指标说明" if zh else "Methods")
    ws.append(["指标编号", "指标", "单位", "计算方法", "目标", "依据"] if zh else
              ["id", "indicator", "unit", "formula", "target", "source"])
    for m in rep.methods:
        ws.append([m["id"], m["zh"] if zh else m["en"], m["unit"], m["formula_zh"] if zh else m["formula_en"],
                   None if m["target"] is None else m["target"]["value"], m["source"]])
    _style_header(ws, Font, PatternFill)
    wb.save(path)


def _safe(value):
    """Text that a spreadsheet would run as a formula is quoted (``=``, ``+``, ``-``, ``@``)."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _style_header(ws, Font, PatternFill) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E3F2FD")
