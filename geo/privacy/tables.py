"""The one table writer: every Excel workbook and CSV file the platform writes goes through here.

Files that are safe to open (docs/security.md, "formula injection"):

- text stays text: an Excel cell holding user text is a string cell (never a formula, even when
  it starts with ``=``) with Excel's "quote prefix" set; in a CSV file, text starting with
  ``= + - @``, a tab or a carriage return (after any spaces) gets a leading ``'``, the OWASP
  rule, so no spreadsheet computes it (a plain signed number such as ``-73.5`` stays as it is); control characters Excel refuses are dropped;
- numbers stay numbers, dates stay dates (``yyyy-mm-dd``, with the time when there is one;
  times with a time zone are shown in ``settings.local_timezone``); booleans are 是/否 in a
  file for people and stay booleans in a raw one;
- a cell hidden by disclosure control (:mod:`geo.privacy.disclosure`) is left empty and shaded,
  and the row's ``suppressed`` column names the hidden columns;
- a watermark line (who, role, scope, when) heads every sheet or file when one is given (in
  a CSV file such lines start with ``# ``; in a workbook the header row is frozen below
  them), and :func:`read_table` reads a written file back;
- a file for people (``words=True``, the default) is in the user's language from the project's
  label tables (:mod:`geo.store.labels`): headers (``缺口``, not ``shortfall``), sheet names,
  values (``canal`` → 渠道, ``sign;buoy`` → 警示牌、救生圈, booleans 是/否, weekdays by name),
  and with ``places`` (the dataset's admin units, or ``{code: name}``) the village and
  township names next to their codes; numbers stay numbers and dates dates. ``labels`` (a
  function ``(column, lang) -> text`` or a mapping ``column -> {"zh": ..., "en": ...}`` /
  ``(zh, en)`` / text) names headers before the label tables do. A raw file (``words=False``:
  quarantined rows to fix and import again, tables already in words) keeps identifiers,
  values and booleans as they are.

Files are written to a temporary name and renamed into place (``mode`` sets the permission
bits; ``0o600`` unless asked otherwise, since these files hold data about children).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from geo.privacy.disclosure import SUPPRESSED, suppressed_mask
from geo.store import settings
from geo.store.errors import ValidationError

#: what makes a spreadsheet run text as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = (".xlsx", ".csv")
#: how a line above the header of a CSV file starts (the watermark, notes).
PREFACE = "# "
Labels = Callable[[str, str], str] | Mapping[str, object] | None
#: the places of a file for people: the dataset's admin units, or ``{code: name}``
Places: TypeAlias = pd.DataFrame | Mapping[str, str] | None
_PLAIN_NUMBER = re.compile(r"^ *[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_HIDDEN_FILL = "D9D9D9"
_NOTE = {"zh": "灰色空格为小数保护隐藏的数值（见“{column}”）",
         "en": "grey empty cells are hidden to protect small counts (see the '{column}' column)"}
_SHAPES = {"zh": "线和面的形状未写入表格；形状请用 GeoPackage 导出",
           "en": "geometry (lines/polygons) left out; use the GeoPackage export for shapes"}
_BUILTIN_LABELS = {SUPPRESSED: ("已隐藏的列", SUPPRESSED), "lon": ("经度", "lon"),
                   "lat": ("纬度", "lat")}


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` as a formula (leading spaces ignored)."""
    return text.lstrip(" ").startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: a leading ``'`` when formula-like.

    A plain signed number (``-73.5``, a longitude kept as text) is left alone: a spreadsheet
    reads it as that number, nothing runs.
    """
    text = _ILLEGAL.sub("", text)
    return "'" + text if is_formula_like(text) and not _PLAIN_NUMBER.match(text) else text


def header_label(column: object, lang: str = "zh", labels: Labels = None, *, words: bool = False) -> str:
    """The header of ``column`` in ``lang`` from ``labels``, else (``words``) the label tables,
    else the built-in few, else the name."""
    name = str(column)
    found: object = None
    if callable(labels):
        found = labels(name, lang)
    elif labels is not None:
        found = labels.get(name)
    if found is None and words:
        from geo.store.labels import COLUMN_LABELS

        found = COLUMN_LABELS.get(name)
    if found is None and name in _BUILTIN_LABELS:
        found = _BUILTIN_LABELS[name]
    if isinstance(found, Mapping):
        found = found.get(lang) or found.get("en") or name
    elif isinstance(found, tuple | list):
        found = found[0] if lang == "zh" else found[-1]
    return str(found) if found not in (None, "") else name


def _local(ts: pd.Timestamp) -> pd.Timestamp:
    if ts.tzinfo is not None:
        ts = ts.tz_convert(settings.local_timezone).tz_localize(None)
    return ts


def cell_value(value: object) -> object:
    """A Python value a workbook stores as its own type (``None`` for missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, pd.Timestamp):
        ts = _local(value)
        return ts.date() if ts == ts.normalize() else ts.to_pydatetime()
    if isinstance(value, datetime):
        return cell_value(pd.Timestamp(value))
    if isinstance(value, date | time):
        return value
    if isinstance(value, timedelta | pd.Timedelta):
        return str(pd.Timedelta(value)).replace("0 days ", "")
    if isinstance(value, np.datetime64):
        return cell_value(pd.Timestamp(value))
    return _ILLEGAL.sub("", str(value))


def plain_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """A frame without geometry: points as ``lon``/``lat`` (EPSG:4326); other shapes dropped.

    Returns the table and a note when shapes were left out.
    """
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame), None
    geo = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    table = pd.DataFrame(geo.drop(columns=geo.geometry.name))
    kinds = set(geo.geom_type.dropna())
    if kinds <= {"Point"}:
        table["lon"] = geo.geometry.x.round(6)
        table["lat"] = geo.geometry.y.round(6)
        return table, None
    return table, _SHAPES["en"]


def watermark_text(user, *, lang: str | None = None, when: datetime | None = None,
                   extra: str = "") -> str:
    """The watermark line of a file made for ``user`` (who, role, scope, local time).

    ``when`` defaults to now; a naive time is UTC (how the dataset stores times).
    """
    lang = lang or settings.language
    ts = pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(when)
    stamp = _local(ts if ts.tzinfo is not None else ts.tz_localize("UTC"))  # naive means UTC
    name = getattr(user, "username", None) or str(user or "-")
    from geo.store.labels import value_label

    role = value_label(getattr(user, "role", "") or "-", lang, "role")  # 规划人员, not planner
    scope = getattr(user, "scope", "") or ("全部" if lang == "zh" else "*")
    text = stamp.strftime("%Y-%m-%d %H:%M")
    if lang == "zh":
        line = f"童安地图 · 导出人 {name}（{role}，范围 {scope}）· {text} · 内部资料，请勿外传"
    else:
        line = (f"ChildSafe Map · exported by {name} ({role}, scope {scope}) · {text} · "
                "confidential: do not pass on")
    return f"{line} · {extra}" if extra else line


def _sheet_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        base = _SHEET_BAD.sub("_", str(name)).strip("'") or "sheet"
        cand, n = base[:31], 1
        while cand in out:
            n += 1
            cand = f"{base[:28]}~{n}"
        out.append(cand)
    return out


def _tables(tables: pd.DataFrame | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if isinstance(tables, pd.DataFrame):
        return {"table": tables}
    return dict(tables)


def _preface(watermark: str | None, notes: list[str]) -> list[str]:
    return [line for line in [watermark, *notes] if line]


def _in_words(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table``'s values labelled for people (all but the hidden-cell note, which names columns)."""
    from geo.store.labels import label_values

    table = table.copy()
    for col in table.columns:
        if col != SUPPRESSED:  # the note names columns by id: _note_words reads it
            table[col] = label_values(table[col], lang, str(col))
    return table


def _headers(columns, lang: str, labels: Labels, words: bool) -> list[str]:
    """The header row: each column's label, made unique (``乡镇 (2)``) when two share one."""
    out: list[str] = []
    for col in columns:
        base = text = header_label(col, lang, labels, words=words)
        n = 2
        while text in out:
            text, n = f"{base} ({n})", n + 1
        out.append(text)
    return out


def _sheet_title(name: str, lang: str, words: bool) -> str:
    if not words:
        return name
    from geo.store.labels import LAYER_LABELS, label

    return LAYER_LABELS[name][0 if lang == "zh" else 1] if name in LAYER_LABELS else label(name, lang)


def _prepare(frame: pd.DataFrame, lang: str, labels: Labels, words: bool, places: Places):
    """The table to write, its hidden-cell mask, and a note when shapes were left out."""
    table, shapes = plain_table(frame)
    if words and places is not None:
        from geo.store.places import with_place_names

        table = with_place_names(table, places, township=True)  # before the mask: columns move
    mask = suppressed_mask(table).to_numpy()
    if words:
        table = _in_words(table, lang)
    table = _note_words(table, lang, labels, words)  # after the mask: it reads the column ids
    return table, mask, (_SHAPES.get(lang, _SHAPES["en"]) if shapes and words else shapes)


def _write_xlsx(stream, tables: dict[str, pd.DataFrame], *, lang: str, labels: Labels,
                watermark: str | None, words: bool = False, places: Places = None) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    wb = Workbook(write_only=True)
    fill = PatternFill("solid", fgColor=_HIDDEN_FILL)
    bold = Font(bold=True)
    titles = [_sheet_title(str(name), lang, words) for name in tables]
    for sheet, (_, frame) in zip(_sheet_names(titles), tables.items(), strict=True):
        ws = wb.create_sheet(sheet)
        table, mask, shapes = _prepare(frame, lang, labels, words, places)
        notes = [shapes] if shapes else []
        if mask.any():
            note = _NOTE.get(lang, _NOTE["en"])
            notes.append(note.format(column=header_label(SUPPRESSED, lang, labels, words=words)))
        preface = _preface(watermark, notes)
        ws.freeze_panes = f"A{len(preface) + 2}"  # the header row stays in view; read_table finds it
        for line in preface:
            ws.append([_text_cell(WriteOnlyCell(ws), line)])
        header = []
        for text in _headers(table.columns, lang, labels, words):
            c = _text_cell(WriteOnlyCell(ws), text)
            c.font = bold
            header.append(c)
        ws.append(header)
        columns = [table[c].to_numpy(dtype=object) for c in table.columns]
        for i in range(len(table)):
            row = []
            for j, values in enumerate(columns):
                value = cell_value(values[i])
                c = WriteOnlyCell(ws)
                if isinstance(value, str):
                    _text_cell(c, value)
                else:
                    c.value = value
                    if isinstance(value, datetime):
                        c.number_format = "yyyy-mm-dd hh:mm:ss"
                    elif isinstance(value, date):
                        c.number_format = "yyyy-mm-dd"
                if mask[i, j]:
                    c.fill = fill
                row.append(c)
            ws.append(row)
    if not tables:
        wb.create_sheet("table")
    wb.save(stream)


def _text_cell(cell, text: str):
    """Make ``cell`` a plain string cell holding ``text`` (never a formula)."""
    cell.value = _ILLEGAL.sub("", text)
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def _note_words(table: pd.DataFrame, lang: str, labels: Labels, words: bool = False) -> pd.DataFrame:
    """The note column naming hidden cells by their headers (已隐藏的列: 缺口、应配儿童主任), not ids."""
    if SUPPRESSED not in table.columns:
        return table
    sep = "、" if lang == "zh" else "; "
    notes = [sep.join(header_label(c, lang, labels, words=words) for c in str(v).split(";") if c)
             if isinstance(v, str) else v for v in table[SUPPRESSED]]
    return table.assign(**{SUPPRESSED: pd.array(notes, dtype=object)})


def _write_csv(stream, tables: dict[str, pd.DataFrame], *, lang: str, labels: Labels,
               watermark: str | None, words: bool = False, places: Places = None) -> None:
    if len(tables) != 1:
        raise ValidationError(f"a CSV file holds one table, not {len(tables)}; write .xlsx")
    (frame,) = tables.values()
    table, _, shapes = _prepare(frame, lang, labels, words, places)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    for line in _preface(watermark, [shapes] if shapes else []):
        writer.writerow([PREFACE + neutralise(line)])
    writer.writerow([neutralise(h) for h in _headers(table.columns, lang, labels, words)])
    columns = [table[c].to_numpy(dtype=object) for c in table.columns]
    for i in range(len(table)):
        writer.writerow([_csv_cell(cell_value(values[i])) for values in columns])
    text.flush()
    text.detach()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value)) if abs(value) < 1e15 \
            else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    return neutralise(str(value))


def table_bytes(tables: pd.DataFrame | Mapping[str, pd.DataFrame], fmt: str = ".xlsx", *,
                lang: str | None = None, labels: Labels = None,
                watermark: str | None = None, words: bool = True, places: Places = None) -> bytes:
    """The bytes of a workbook (``.xlsx``, one sheet per table) or CSV file (one table).

    For downloads (``st.download_button``); see :func:`write_table` for the rules.
    """
    fmt = fmt if fmt.startswith(".") else f".{fmt}"
    buf = io.BytesIO()
    _write(buf, _tables(tables), fmt.lower(), lang or settings.language, labels, watermark, words, places)
    return buf.getvalue()


def _write(stream, tables, fmt, lang, labels, watermark, words, places) -> None:
    kw = {"lang": lang, "labels": labels, "watermark": watermark, "words": words, "places": places}
    if fmt == ".xlsx":
        _write_xlsx(stream, tables, **kw)
    elif fmt == ".csv":
        _write_csv(stream, tables, **kw)
    else:
        raise ValidationError(f"tables are written as {', '.join(FORMATS)}, not {fmt or 'no suffix'!r}")


def write_table(out: str | os.PathLike, tables: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                lang: str | None = None, labels: Labels = None, watermark: str | None = None,
                mode: int | None = None, fmt: str | None = None, words: bool = True,
                places: Places = None) -> Path:
    """Write ``tables`` to ``out`` (``.xlsx``: one sheet per table; ``.csv``: one table).

    Parameters
    ----------
    out
        The file; its suffix chooses the format.
    tables
        A frame, or sheet name -> frame (names of outputs, e.g. ``staffing``: in words in a file
        for people). GeoDataFrames: points as ``lon``/``lat``, other shapes left out (noted).
    lang
        The file's language, ``"zh"`` or ``"en"`` (default ``settings.language``, which the CLI's
        ``--lang`` sets).
    labels
        Header labels (see the module docstring) before the label tables; columns neither
        names keep their names.
    watermark
        A line heading every sheet or file (who, role, scope, when).
    mode
        Permission bits of the file (default ``0o600``: only the owner reads what the
        platform writes about children; a user shares a file on purpose by copying it).
    fmt
        ``".xlsx"`` or ``".csv"`` whatever the suffix (default: by the suffix).
    words
        A file for people (default): headers, sheet names and values in ``lang`` from the
        label tables. ``False``: a raw file (identifiers and values as they are).
    places
        With ``words``, the dataset's admin units (or ``{code: name}``): each village, township
        and county code gets its name beside it (and a village its township's name).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        An unknown suffix, or several tables for one CSV file.
    """
    from geo.store.files import check_output

    out = check_output(out)  # never over a dataset (unless --force)
    fmt = (fmt or out.suffix).lower()
    if fmt not in FORMATS:
        raise ValidationError(f"tables are written as {', '.join(FORMATS)}, not {fmt or 'no suffix'!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            _write(stream, _tables(tables), fmt, lang or settings.language, labels, watermark, words,
                   places)
        os.chmod(tmp, 0o600 if mode is None else mode)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def read_table(path: str | os.PathLike | bytes, *, sheet: str | int = 0, **kwargs) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (skipping the watermark and note lines).

    ``path`` may also be the bytes of a workbook from :func:`table_bytes`. ``kwargs`` go to
    :func:`pandas.read_csv` or :func:`pandas.read_excel` (e.g. ``dtype``).
    """
    if isinstance(path, bytes):
        with tempfile.TemporaryDirectory() as folder:
            name = Path(folder) / ("t.xlsx" if path.startswith(b"PK") else "t.csv")
            name.write_bytes(path)
            return read_table(name, sheet=sheet, **kwargs)
    path = Path(path)
    if path.suffix.lower() == ".csv":
        skip = 0
        with open(path, encoding="utf-8-sig") as f:
            for line in f:
                if not line.lstrip('"').startswith(PREFACE):  # quoted when the line holds a comma
                    break
                skip += 1
        return pd.read_csv(path, skiprows=skip, encoding="utf-8-sig", **kwargs)
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=False)
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    frozen = ws.freeze_panes
    header = max(int(re.sub(r"\D", "", frozen)) - 2, 0) if frozen else 0
    name = ws.title
    wb.close()
    return pd.read_excel(path, sheet_name=name, skiprows=header, **kwargs)
