"""Read ledgers and spatial files as they come: every attribute as the text the file holds.

CSV in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16, Excel ``.xlsx``, GeoJSON, Shapefile
(with its ``.cpg``, checked against the bytes, or a guessed ``.dbf`` encoding) and GeoPackage.
What a value *means* is decided later (:mod:`geo.ingest.headers`, :mod:`geo.store.validate`).

Reading refuses only a file that cannot be read at all. A bad *line* is kept as a row with a
read problem (:class:`ReadIssue`), so the import quarantines it with its line number and the
rest imports: a ragged line, an unclosed quote, a line in another encoding, a feature whose
geometry GDAL cannot build, an Excel number that lost digits.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo.privacy.security import check_archive
from geo.store.errors import ValidationError

logger = logging.getLogger(__name__)

TABULAR = (".csv", ".txt", ".xlsx", ".xlsm")
SPATIAL = (".geojson", ".json", ".shp", ".gpkg", ".zip")
OSM = (".osm", ".pbf")
#: lines above the header that start with this are notes (our own exports' watermark).
COMMENT = "# "
#: a quoted cell may run over at most this many lines; past it the quote counts as unclosed.
MAX_LINES_PER_RECORD = 50
#: Excel keeps 15 significant digits: a numeric cell of a longer whole number lost its last ones.
EXCEL_DIGITS = 15


@dataclass
class ReadIssue:
    """A problem of one row found while reading (the row is quarantined)."""

    row: int  # index label of the row in the frame
    column: str
    code: str  # bad_line_fields, unclosed_quote, line_encoding, bad_feature, excel_digits
    params: dict = field(default_factory=dict)


@dataclass
class Read:
    """What :func:`read_file` read: the frame (0..n-1 index), its format, the row problems,
    the line (or feature) number of each row as a user sees it, and notices (en, zh)."""

    frame: pd.DataFrame
    fmt: str
    issues: list[ReadIssue] = field(default_factory=list)
    lines: dict[int, int] = field(default_factory=dict)
    notices: list[tuple[str, str]] = field(default_factory=list)


def _unreadable(path: Path, en: str) -> ValidationError:
    return ValidationError(f"{path}: the file cannot be read: {en}")


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes as a whole: UTF-16 (by BOM), UTF-8 (with or without BOM), else GB18030."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _unreadable(path, "its text is neither UTF-8 nor GBK/GB18030; save it as CSV UTF-8")


def _utf16_without_bom(raw: bytes) -> str | None:
    head = raw[:200]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0:
        return "utf-16-be"
    return None


def _decode_lines(raw: bytes, path: Path) -> tuple[list[str], str, set[int]]:
    """The physical lines of a CSV, its encoding, and the (0-based) lines not in it.

    UTF-16 by BOM or NUL pattern; UTF-8 when the file decodes as UTF-8; when only some lines
    fail UTF-8 while others hold UTF-8 text, those lines are read as GB18030 and reported (one
    GBK row pasted into a UTF-8 file); else the whole file is GB18030 (GBK).
    """
    utf16 = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(raw)
    if utf16:
        try:
            text = raw.decode(utf16).lstrip("\ufeff")
        except UnicodeDecodeError:
            text = ""
        printable = sum(ch.isprintable() or ch.isspace() for ch in text[:2000])
        if text and printable >= 0.95 * len(text[:2000]):
            return text.splitlines(), utf16, set()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        return body.decode("utf-8").splitlines(), "utf-8", set()
    except UnicodeDecodeError:
        pass
    parts = re.split(rb"\r\n|\n|\r", body)
    utf8_text, bad = 0, set()
    for i, part in enumerate(parts):
        try:
            part.decode("utf-8")
            utf8_text += not part.isascii()
        except UnicodeDecodeError:
            bad.add(i)
    if utf8_text > len(bad):
        lines = [p.decode("gb18030", errors="replace") if i in bad else p.decode("utf-8")
                 for i, p in enumerate(parts)]
        if lines and lines[-1] == "":
            lines.pop()
        return lines, "utf-8", bad
    try:
        return body.decode("gb18030").splitlines(), "gb18030", set()
    except UnicodeDecodeError as exc:
        raise _unreadable(path, "its text is neither UTF-8, UTF-16 nor GBK/GB18030; save it as "
                                "CSV UTF-8 / 无法识别文件编码，请另存为 CSV UTF-8") from exc


def _dedupe(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(header):
        name = name.strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_csv(path: Path) -> Read:
    raw = path.read_bytes()
    if not raw.strip():
        raise _unreadable(path, "it is empty")
    lines, encoding, bad_lines = _decode_lines(raw, path)
    start = 0
    while start < len(lines) and (lines[start].lstrip('"').startswith(COMMENT)  # quoted: it has a comma
                                  or not lines[start].strip()):
        start += 1
    if start >= len(lines):
        raise _unreadable(path, "it has no header line")
    first = lines[start]
    sep = "\t" if first.count("\t") > first.count(",") else ","
    try:
        header = _dedupe(next(csv.reader([first], delimiter=sep)))
    except csv.Error as exc:
        raise _unreadable(path, f"its header line is not CSV ({exc})") from exc
    width = len(header)
    rows: list[list[str]] = []
    issues: list[ReadIssue] = []
    numbers: dict[int, int] = {}
    i = start + 1
    if not bad_lines and '"' not in "".join(lines[i:]):
        # no quotes at all, every record one line: pandas' C parser, unless a line is ragged
        body = [n for n, line in enumerate(lines[i:], start=i) if line.strip()]
        try:
            frame = pd.read_csv(io.StringIO("\n".join(lines[n] for n in body)), sep=sep, header=None,
                                names=header, dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE,
                                skip_blank_lines=False, engine="c")
        except (pd.errors.ParserError, ValueError):
            frame = None
        if frame is not None and len(frame) == len(body):
            return Read(frame.fillna("").astype("string"), "csv", [],
                        {row: n + 1 for row, n in enumerate(body)}, _csv_notices(encoding))
    if not bad_lines and not any(line.count('"') % 2 for line in lines[i:]):
        # every record is one line: one reader over them all (the common case, fast)
        body_lines = [(n, line) for n, line in enumerate(lines[i:], start=i) if line.strip()]
        for (n, _), fields in zip(body_lines, csv.reader([line for _, line in body_lines], delimiter=sep),
                                  strict=True):
            row = len(rows)
            numbers[row] = n + 1
            if any(f.strip() for f in fields[width:]):
                issues.append(ReadIssue(row, "", "bad_line_fields",
                                        {"line": n + 1, "n": len(fields), "want": width}))
            rows.append((fields + [""] * width)[:width])
        i = len(lines)
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        # a record runs on while a quote is open (a cell with a line break in it)
        end = i
        text = lines[i]
        while text.count('"') % 2 and end + 1 < len(lines) and end - i < MAX_LINES_PER_RECORD:
            end += 1
            text += "\n" + lines[end]
        row = len(rows)
        numbers[row] = i + 1
        if text.count('"') % 2:  # the quote never closes: this line alone is bad
            fields = lines[i].replace('"', "").split(sep)
            issues.append(ReadIssue(row, "", "unclosed_quote", {"line": i + 1}))
            end = i
        else:
            try:
                fields = next(csv.reader([text], delimiter=sep))
            except csv.Error:
                fields = text.split(sep)
                issues.append(ReadIssue(row, "", "unclosed_quote", {"line": i + 1}))
            extra = [f for f in fields[width:] if f.strip()]
            if extra:
                issues.append(ReadIssue(row, "", "bad_line_fields",
                                        {"line": i + 1, "n": len(fields), "want": width}))
        if any(j in bad_lines for j in range(i, end + 1)):
            issues.append(ReadIssue(row, "", "line_encoding", {"line": i + 1}))
        fields = (fields + [""] * width)[:width]
        rows.append(fields)
        i = end + 1
    frame = pd.DataFrame(rows, columns=header, dtype="string") if rows else \
        pd.DataFrame({c: pd.Series(dtype="string") for c in header})
    logger.debug("read %s as %s", path.name, encoding)
    return Read(frame.fillna(""), "csv", issues, numbers, _csv_notices(encoding))


def _csv_notices(encoding: str) -> list[tuple[str, str]]:
    return [("the file is UTF-16 text", "文件为 UTF-16 编码")] if encoding.startswith("utf-16") else []


# --- Excel ---------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10 ** EXCEL_DIGITS:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _raw_numbers(path: Path, sheet_path: str, wanted: set[str]) -> dict[str, str]:
    """The text of the numeric cells ``wanted`` (``A2`` ...) as the sheet's XML stores it."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(path) as z, z.open(sheet_path) as f:
        for _, el in ElementTree.iterparse(f):
            if el.tag.endswith("}c") and el.get("r") in wanted:
                v = next((c for c in el if c.tag.endswith("}v")), None)
                if v is not None and v.text:
                    out[el.get("r", "")] = v.text
            if el.tag.endswith("}row"):
                el.clear()
    return out


def _read_xlsx(path: Path, sheet: str | None) -> Read:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a non-workbook
        raise _unreadable(path, f"it is not an Excel .xlsx workbook ({exc})") from exc
    try:
        name = sheet if sheet is not None else book.sheetnames[0]
        if name not in book.sheetnames:
            raise _unreadable(path, f"it has no sheet {name!r} (sheets: {', '.join(book.sheetnames)})")
        ws = book[name]
        cells = [list(r) for r in ws.iter_rows()]
        sheet_path = getattr(ws, "_worksheet_path", None)
    finally:
        book.close()
    # whole numbers of more than 15 digits: the digits the sheet's XML holds, if it holds them
    long_refs = {c.coordinate for r in cells for c in r
                 if isinstance(c.value, float) and c.value.is_integer()
                 and abs(c.value) >= 10 ** EXCEL_DIGITS and hasattr(c, "coordinate")}
    raw = _raw_numbers(path, sheet_path, long_refs) if long_refs and sheet_path else {}
    texts = [[_cell_text(c.value) for c in r] for r in cells]
    start = 0
    while start < len(texts) and (not any(t.strip() for t in texts[start])
                                  or texts[start][0].startswith(COMMENT)):
        start += 1
    if start >= len(texts):
        return Read(pd.DataFrame(), "xlsx")
    header = _dedupe(texts[start])
    width = len(header)
    rows: list[list[str]] = []
    numbers: dict[int, int] = {}
    issues: list[ReadIssue] = []
    for i in range(start + 1, len(texts)):
        values = (texts[i] + [""] * width)[:width]
        if not any(v.strip() for v in values):
            continue
        row = len(rows)
        numbers[row] = i + 1
        for j, c in enumerate(cells[i][:width]):
            ref = getattr(c, "coordinate", "")
            if ref in long_refs:
                digits = raw.get(ref, "")
                if re.fullmatch(r"-?\d+", digits) and len(digits.lstrip("-")) <= 18:
                    values[j] = digits  # written by a program: the digits are all there
                else:
                    values[j] = digits or values[j]
                    issues.append(ReadIssue(row, header[j], "excel_digits",
                                            {"value": values[j], "cell": ref}))
        rows.append(values)
    frame = pd.DataFrame(rows, columns=header, dtype="string") if rows else \
        pd.DataFrame({c: pd.Series(dtype="string") for c in header})
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and not frame[c].str.strip().any()]
    return Read(frame.drop(columns=unnamed).fillna(""), "xlsx", issues, numbers)


# --- spatial files -------------------------------------------------------------------------------


def _as_text(values: pd.Series) -> pd.Series:
    """Values as the text a user wrote (floats that are whole numbers without ``.0``)."""
    if pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values % 1 == 0) & (values.abs() < 1e15)
        out = values.astype("string")
        out[whole] = values[whole].astype("int64").astype("string")
        return out.fillna("")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").astype("string").fillna("")
    return values.astype("string").fillna("")


_CPG_ALIASES = {"936": "GB18030", "gbk": "GB18030", "gb2312": "GB18030", "cp936": "GB18030",
                "65001": "UTF-8", "utf8": "UTF-8", "utf-8": "UTF-8"}


def _dbf_encoding(shp: Path) -> tuple[str | None, tuple[str, str] | None]:
    """The attribute encoding of a shapefile and a notice when its ``.cpg`` is wrong.

    The ``.dbf`` text is checked (mojibake check): text that decodes as UTF-8 and holds
    non-ASCII characters is UTF-8 whatever the ``.cpg`` says (GBK text almost never forms valid
    UTF-8); text that does not decode as UTF-8 is GB18030 even under a ``.cpg`` of UTF-8.
    """
    declared = None
    for cpg in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")):
        if cpg.exists():
            name = cpg.read_text(errors="ignore").strip()
            if name:
                declared = _CPG_ALIASES.get(name.lower(), name)
                break
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return declared, None
    data = dbf.read_bytes()
    if len(data) < 32:
        return declared, None
    body = data[int.from_bytes(data[8:10], "little"):]
    if body.isascii():
        return declared or "UTF-8", None
    try:
        body.decode("utf-8")
        found = "UTF-8"
    except UnicodeDecodeError:
        found = "GB18030"
    if declared is not None and declared.upper().replace("-", "") != found.replace("-", "") \
            and (declared.upper() in ("UTF-8", "GB18030") or found == "UTF-8"):
        return found, (f"the .cpg says {declared} but the attribute text is {found}; read as {found}",
                       f".cpg 文件声明编码为 {declared}，但属性文本实为 {found}，已按 {found} 读取")
    return declared or found, None


def _read_spatial(path: Path, sheet: str | None, suffix: str) -> Read:
    kwargs: dict = {}
    notices: list[tuple[str, str]] = []
    if sheet is not None:
        kwargs["layer"] = sheet
    if suffix == ".shp":
        enc, notice = _dbf_encoding(path)
        if enc:
            kwargs["encoding"] = enc
        if notice:
            notices.append(notice)
    issues: list[ReadIssue] = []
    try:
        frame = pyogrio.read_dataframe(path, **kwargs)
    except shapely.errors.GEOSException:
        # one feature GEOS cannot build (an unclosed ring) must not refuse the file: read the
        # features' WKB and keep each that builds; the others become rows without geometry
        meta, _, wkb, values = pyogrio.raw.read(path, **kwargs)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        data = {name: col for name, col in zip(meta["fields"], values, strict=True)}
        frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=meta["crs"]))
        for i in range(len(frame)):
            if wkb[i] is not None and geoms[i] is None:
                issues.append(ReadIssue(i, "geometry", "bad_feature", {"line": i + 1}))
    except Exception as exc:  # GDAL: corrupt file, missing .shx/.dbf, unknown layer
        raise _unreadable(path, f"GDAL cannot open it ({exc})") from exc
    fmt = {".json": "geojson", ".zip": "shp"}.get(suffix, suffix[1:])
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if col != frame.geometry.name:
            frame[col] = _as_text(frame[col])
    return Read(frame, fmt, issues, {i: i + 1 for i in range(len(frame))}, notices)


def read_file(path: str | Path, *, sheet: str | None = None) -> Read:
    """Read a ledger or a spatial file with every attribute as text (see :class:`Read`).

    Raises
    ------
    ValidationError
        The file does not exist, is empty, of an unknown format, cannot be decoded or parsed
        at all, or the sheet/layer does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise _unreadable(path, "it does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        read = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        check_archive(path)  # zip bombs: sizes and cells counted before anything is parsed
        read = _read_xlsx(path, sheet)
    elif suffix == ".xls":
        raise _unreadable(path, "old .xls workbooks are not supported; save it as .xlsx or CSV")
    elif suffix in SPATIAL:
        if suffix == ".zip":
            check_archive(path)
        read = _read_spatial(path, sheet, suffix)
    else:
        raise _unreadable(
            path, "unknown format; use CSV, XLSX, GeoJSON, Shapefile, GeoPackage or OSM"
        )
    read.frame.columns = [str(c).strip() for c in read.frame.columns]
    return read


def read_table(path: str | Path, *, sheet: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a file as :func:`read_file` does; return only ``(frame, format)``."""
    read = read_file(path, sheet=sheet)
    return read.frame, read.fmt

