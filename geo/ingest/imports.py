"""Import ledgers and maps into a dataset: read, map headers, convert coordinates, validate, save.

The pipeline of :func:`import_file`:

1. **read** the file (CSV in UTF-8/UTF-8-BOM/GBK/GB18030, XLSX, GeoJSON, Shapefile, GeoPackage,
   OSM XML/PBF) with every value as the text the file holds;
2. **map headers** (English or Chinese, :mod:`geo.ingest.headers`), drop columns of personal data
   (names, phones, ID-card numbers, by header and by content) with a notice, turning an ID-card
   number into a salted pseudonymous id where the layer needs one (:mod:`geo.ingest.pseudonym`);
3. **coordinates** from lon/lat columns, a WKT column or the file's geometry, in WGS-84,
   CGCS2000, GCJ-02, BD-09 or an EPSG code, to WGS-84 (:mod:`geo.store.coords`);
4. **validate** every row against SCHEMA.md and the coordinate checks (:mod:`geo.store.validate`);
5. **split**: good rows go into the dataset, bad rows (unchanged, plus a ``reason`` column) into
   the quarantine file, so ``imported + quarantined == rows read`` always;
6. **save** the good rows in one write of the dataset's store (:mod:`geo.store.writer`): one
   transaction that takes the write lock *before* it reads what the rows are checked against
   (the ids they refer to, the dataset's area, its pseudonym salt), writes only the rows
   imported with their audit event, and commits durably. Two imports at once both land (or,
   for the same ids, one after the other); an interrupted import leaves the dataset as it was.

Ids decide idempotence: with ``mode="append"`` a row whose id is already in the dataset
replaces the stored row (``updated``); in the append-only tables ``visits`` and
``inspections`` the stored record is kept and the row counts as ``unchanged``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.ingest import headers as hdr
from geo.ingest.geometry import (
    dataset_area,
    geometry_from_columns,
    geometry_from_file,
    geometry_problems,
    repair_geometry,
)
from geo.ingest.personal import ID_COLUMNS as _ID_COLUMNS
from geo.ingest.personal import remove_personal_content
from geo.ingest.pseudonym import SaltSource, ensure_salt, pseudonymize
from geo.ingest.quarantine import REASON_HEADERS, default_quarantine_path, write_quarantine
from geo.ingest.readers import OSM, read_file
from geo.store.coords import normalize_system
from geo.store.dataset import Dataset, empty_layer
from geo.store.errors import ValidationError
from geo.store.location import is_url
from geo.store.projection import STORAGE_CRS
from geo.store.schema import LAYERS
from geo.store.validate import Problem, validate_rows

logger = logging.getLogger(__name__)

#: what ``childsafe import KIND`` accepts: every contract layer users keep, and ``osm``.
KINDS = tuple(n for n in LAYERS if n != "audit_log") + ("osm",)
_MULTI_SPLIT = re.compile(r"[;；,，、/|]")
#: columns of another layer a ledger may carry: a children ledger with one row per child often
#: holds the household's village and location too (one combined 台账).
_CARRIED = {"children": ("village_code", "caregiver")}


class ColumnsNeeded(ValidationError):
    """A file lacks required columns; carries what the app's mapping step needs: the missing
    columns, the look-alike headers with their likely columns, and every header of the file."""

    def __init__(self, missing: list[str], unmatched: dict[str, list[str]], headers: list[str],
                 message: str):
        self.missing, self.unmatched, self.headers = missing, dict(unmatched), headers
        super().__init__(message)


@dataclass
class ImportResult:
    """What an import did (or would do, before it is saved).

    ``rows_read == imported + quarantined`` always holds. ``problems`` carry the row numbers a
    user sees (the spreadsheet row for CSV/XLSX, header = row 1; the feature number for
    spatial files).
    """

    kind: str
    source: Path
    rows_read: int = 0
    imported: int = 0
    quarantined: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (en, zh)
    quarantine: pd.DataFrame | None = None
    quarantine_path: Path | None = None
    preview: pd.DataFrame | None = None
    dataset: Dataset | None = None
    layers: dict[str, int] = field(default_factory=dict)
    #: the good rows to store, by layer (a children ledger also carries households)
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: columns not imported that look like contract columns: header -> likely columns, best
    #: first. The CLI names them and stops; the app shows a mapping step.
    unmatched: dict[str, list[str]] = field(default_factory=dict)

    def notice_texts(self, lang: str = "en") -> list[str]:
        """The notices in ``lang``."""
        return [zh if lang == "zh" else en for en, zh in self.notices]

    def problem_rows(self, lang: str = "en") -> pd.DataFrame:
        """The problems as a table: row, column, severity, reason (in ``lang``)."""
        return pd.DataFrame(
            {
                "row": [p.row for p in self.problems],
                "column": [p.column for p in self.problems],
                "severity": [p.severity for p in self.problems],
                "reason": [p.message(lang) for p in self.problems],
            }
        )

    def summary(self, lang: str = "en") -> str:
        """One line: ``read N, imported M, quarantined Q``."""
        if lang == "zh":
            return f"读取 {self.rows_read} 行，导入 {self.imported} 行，隔离 {self.quarantined} 行"
        return f"read {self.rows_read}, imported {self.imported}, quarantined {self.quarantined}"


# --- header and value mapping -------------------------------------------------------------------


def _is_id_card_header(header: str, mapping: hdr.Mapping, layer: str) -> bool:
    key = hdr.normalize_header(header)
    return (mapping.column_for(header, layer) == hdr.ID_CARD or "身份证" in key
            or "证件号" in key or "idcard" in key or "idnumber" in key)


def map_columns(
    frame: pd.DataFrame, layer: str, mapping: hdr.Mapping, salt_source: dict[str, str] | SaltSource
) -> tuple[pd.DataFrame, list[tuple[str, str]], list[str]]:
    """Rename the columns of ``frame`` to contract names and remove personal data.

    Returns the mapped frame (contract columns and the pseudo-columns ``_lon``, ``_lat``,
    ``_wkt``), the notices (English, Chinese), and the contract columns found.
    """
    spec = LAYERS[layer]
    notices: list[tuple[str, str]] = []
    out = pd.DataFrame(index=frame.index)
    dropped_personal: list[str] = []
    unmapped: list[str] = []
    id_card_cols: list[str] = []
    geom_name = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    allowed = allowed_columns(layer)
    for col in frame.columns:
        if col == geom_name or hdr.normalize_header(col) in REASON_HEADERS:
            continue
        if mapping.is_personal(col, layer) or _is_id_card_header(col, mapping, layer):
            if _is_id_card_header(col, mapping, layer):
                id_card_cols.append(col)
            dropped_personal.append(col)
            continue
        found_match = mapping.match(col, layer, allowed)
        if found_match is None:
            unmapped.append(col)
            continue
        target = found_match.column
        if found_match.how == "dbf":
            notices.append((f"column {col!r} read as {target} (a shapefile's 10-character name)",
                            f"列“{col}”按 {target} 读取（Shapefile 截短的字段名）"))
        if target in out.columns:
            notices.append((f"column {col!r} also means {target}; the first one is used",
                            f"列“{col}”同样对应 {target}，使用第一列"))
            continue
        out[target] = frame[col]
    # an ID-card column becomes a pseudonymous id the layer needs (the key, or the household
    # of a child when the header names the head of household)
    for col in id_card_cols:
        head = any(w in col for w in ("户主", "家长", "监护人")) or "household" in col.lower()
        key = "household_id" if head and layer in ("households", "children") else spec.key
        if key in _ID_COLUMNS and key not in out.columns:
            salt = ensure_salt(salt_source)
            out[key] = pseudonymize(frame[col], salt, prefix=_ID_COLUMNS[key])
            notices.append((f"column {col!r} (ID-card numbers) became the pseudonymous {key}",
                            f"列“{col}”（身份证号）已转为化名编号 {key}"))
    # personal data by content (phones, ID numbers, people's names): geo.ingest.personal
    more_notices, more_dropped = remove_personal_content(out, layer, salt_source)
    notices += more_notices
    dropped_personal += more_dropped
    if dropped_personal:
        names = ", ".join(dropped_personal)
        notices.append((f"personal data not stored, column(s) dropped: {names}",
                        f"个人信息不予保存，已删除列：{names}"))
    if unmapped:
        names = ", ".join(unmapped)
        notices.append((f"column(s) not in the dataset contract, not imported: {names}",
                        f"以下列不属于数据规范，未导入：{names}"))
    found = [c for c in out.columns if c in spec.column_names]
    return out, notices, found


def allowed_columns(layer: str) -> set[str]:
    """The columns (and pseudo-columns) a file imported into ``layer`` may fill."""
    return (set(LAYERS[layer].column_names) | {hdr.LON, hdr.LAT, hdr.WKT}
            | set(_CARRIED.get(layer, ())) | ({hdr.BIRTH_DATE} if layer == "children" else set()))


def map_values(frame: pd.DataFrame, layer: str, mapping: hdr.Mapping,
               unknown: dict[str, int] | None = None) -> pd.DataFrame:
    """Translate enumerated values (男 -> M, 是 -> true, 坑塘 -> pond, 1104 -> pond ...).

    Values are looked up by :func:`geo.ingest.headers.normalize_value` (full-width, case and
    spaces do not matter). A value that maps to nothing is kept as it is, so the checks
    quarantine its row; ``unknown`` (when given) receives, per column, how many non-empty
    values mapped to nothing.
    """
    out = frame.copy()
    columns = list(LAYERS[layer].columns)
    for carried in _CARRIED.get(layer, ()):
        columns.append(LAYERS["households"].column(carried))
    for col in columns:
        if col.name not in out.columns:
            continue
        table = dict(mapping.value_map(col.name, layer))
        if layer == "water_bodies" and col.name == "kind":
            table.update({hdr.normalize_value(k): v for k, v in hdr.DLBM_WATER.items()})
        if col.choices:
            table.update({hdr.normalize_value(c): c for c in col.choices})
        if not table:
            continue
        text = out[col.name].astype("string").fillna("").str.strip()
        if col.multi:
            def _multi(v: str, t: dict = table) -> str:
                parts = [p.strip() for p in _MULTI_SPLIT.split(v) if p.strip()]
                return ";".join(t.get(hdr.normalize_value(p), p) for p in parts)

            mapped = text.map(_multi).astype("string")
            miss = text.map(lambda v, t=table: any(
                hdr.normalize_value(p) not in t for p in _MULTI_SPLIT.split(v) if p.strip()))
        else:
            uniq = {v: table.get(hdr.normalize_value(v)) for v in set(text)}
            found = pd.Series([uniq[v] for v in text], index=text.index, dtype="object")
            mapped = found.where(found.notna(), text).astype("string")
            miss = found.isna() & (text != "")
        out[col.name] = mapped
        if unknown is not None:
            unknown[col.name] = int(miss.sum())
    return out


def unmapped_headers(raw: pd.DataFrame, layer: str, mapping: hdr.Mapping) -> list[str]:
    """Headers of ``raw`` that match no column of ``layer`` and are not personal data, not a
    quarantine reason, not skipped by the user: what a mapping step may offer."""
    allowed = allowed_columns(layer)
    geom = raw.geometry.name if isinstance(raw, gpd.GeoDataFrame) else None
    out = []
    for col in raw.columns:
        if col == geom or hdr.normalize_header(col) in REASON_HEADERS:
            continue
        if mapping.is_personal(col, layer) or _is_id_card_header(col, mapping, layer):
            continue
        if hdr.header_keys(col)[0] in mapping.skip or mapping.match(col, layer, allowed) is not None:
            continue
        out.append(str(col))
    return out


def look_alikes(raw: pd.DataFrame, layer: str, mapping: hdr.Mapping,
                taken: set[str]) -> dict[str, list[str]]:
    """Columns of ``raw`` that matched nothing but look like a column of ``layer`` not yet
    filled: header -> likely columns, best first (personal-data columns are never offered)."""
    allowed = allowed_columns(layer) - taken
    out: dict[str, list[str]] = {}
    for col in unmapped_headers(raw, layer, mapping):
        likely = mapping.suggest(col, layer, allowed)
        if likely:
            out[col] = likely
    return out


def _ask_text(unmatched: dict[str, list[str]]) -> str:
    if not unmatched:
        return ""
    parts = [f"{h} → {' / '.join(c)}" for h, c in unmatched.items()]
    return " 可能对应 / may be: " + "; ".join(parts) + "."


#: an enumerated column where more than this share of the values is unknown is not imported
#: but asked about: the header matched, the content does not (a column of names under 看护人).
UNKNOWN_VALUES_ASK = 0.5


def _ask_about_unknown_values(frame: pd.DataFrame, raw: pd.DataFrame, layer: str,
                              mapping: hdr.Mapping, unknown: dict[str, int],
                              result: ImportResult) -> pd.DataFrame:
    allowed = allowed_columns(layer)
    for col, n in unknown.items():
        filled = int((frame[col].astype("string").fillna("").str.strip() != "").sum())
        if n < 3 or n <= UNKNOWN_VALUES_ASK * filled:
            continue
        header = next((str(h) for h in raw.columns
                       if (m := mapping.match(h, layer, allowed)) is not None and m.column == col), col)
        if hdr.header_keys(header)[0] in mapping.confirmed:
            continue  # mapped on purpose: each unknown value quarantines its row
        frame = frame.drop(columns=col)
        result.unmatched[header] = [col]
        result.notices.append((
            f"column {header!r} not imported: {n} of its {filled} values are not known {col} "
            f"values; confirm it with --map {header}={col} (unknown values are then quarantined), "
            f"add the values to a --mapping file ([values.{col}]), or leave it out",
            f"列“{header}”未导入：{filled} 个取值中有 {n} 个不是可识别的 {col} 取值；"
            f"确认对应请用 --map {header}={col}（无法识别的取值所在行将被隔离），"
            f"或在映射文件 [values.{col}] 中补充取值，或不导入该列"))
    return frame


def _birth_year_from_date(frame: pd.DataFrame, result: ImportResult) -> pd.DataFrame:
    """``birth_year`` from a birth-date column (only the year is kept; the date is not stored)."""
    from geo.store.dates import year_of

    dates = frame.pop(hdr.BIRTH_DATE)
    if "birth_year" in frame.columns:
        return frame
    frame["birth_year"] = dates.map(year_of).astype("string")
    result.notices.append(("birth dates: only the year is kept (birth_year)",
                           "出生日期仅保留年份（birth_year），完整日期不保存"))
    return frame


# --- the import ---------------------------------------------------------------------------------


def _user_row(idx: Any, fmt: str, lines: dict[int, int] | None = None) -> int:
    if lines and int(idx) in lines:
        return lines[int(idx)]
    return int(idx) + (2 if fmt in ("csv", "xlsx") else 1)


def prepare_import(
    kind: str,
    source: str | Path,
    *,
    dataset: Dataset | None = None,
    coords: str | None = None,
    sheet: str | None = None,
    mapping: str | Path | hdr.Mapping | None = None,
    mode: str = "append",
    lang: str = "en",
    today: date | None = None,
    area: tuple[float, float, float, float] | None | str = "dataset",
) -> ImportResult:
    """Read, map and validate ``source`` for layer ``kind``; build the new dataset in memory.

    Nothing is written: the result holds the new dataset (``result.dataset``), the good rows
    by layer (``result.rows``), the quarantined rows (``result.quarantine``, unchanged plus
    ``reason``) and the problems. ``area`` is the extent points must fall near (default: that of
    ``dataset``). See :func:`import_file` for the other parameters.
    """
    if kind not in KINDS:
        raise ValidationError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if mode not in ("append", "replace"):
        raise ValidationError(f"mode is 'append' or 'replace', not {mode!r}")
    source = Path(source)
    system = normalize_system(coords)
    dataset = dataset if dataset is not None else Dataset()
    new = dataset.copy()
    if kind == "osm" or source.suffix.lower() in OSM:
        return _prepare_osm(kind, source, dataset=new, mode=mode, lang=lang, today=today)
    table = mapping if isinstance(mapping, hdr.Mapping) else hdr.read_mapping(mapping)
    read = read_file(source, sheet=sheet)
    raw, fmt = read.frame, read.fmt
    result = ImportResult(kind, source, rows_read=len(raw))
    result.notices += read.notices
    frame, notices, found = map_columns(raw, kind, table, SaltSource(new.settings, dataset.path))
    result.notices += notices
    spec = LAYERS[kind]
    result.unmatched.update(look_alikes(raw, kind, table, set(frame.columns)))
    missing = [c.name for c in spec.columns if c.required and c.name not in found]
    if missing and len(raw):
        raise ColumnsNeeded(
            missing, result.unmatched, unmapped_headers(raw, kind, table),
            f"{source}: 缺少必填列 {', '.join(missing)}（{kind}）/ no column for "
            f"{', '.join(missing)} (required in {kind}); columns found: "
            f"{', '.join(map(str, raw.columns))}.{_ask_text(result.unmatched)} Rename the header, "
            "or map it: --map 表头=列名 (HEADER=COLUMN) or a --mapping file"
        )
    where = dataset_area(dataset) if isinstance(area, str) else area
    unknown: dict[str, int] = {}
    frame = map_values(frame, kind, table, unknown)
    frame = _ask_about_unknown_values(frame, raw, kind, table, unknown, result)
    if hdr.BIRTH_DATE in frame.columns:
        frame = _birth_year_from_date(frame, result)
    problems: list[Problem] = [Problem(i.row, i.column or "line", i.code, i.params)
                               for i in read.issues]
    geoms = None
    if spec.geometry:
        if isinstance(raw, gpd.GeoDataFrame) and hdr.LON not in frame.columns and hdr.WKT not in frame.columns:
            geoms = geometry_from_file(raw, system, source)
        else:
            geoms, found_geo = geometry_from_columns(frame, raw, system, source)
            problems += found_geo
        geoms, fixed, notices = repair_geometry(geoms)
        problems += fixed
        result.notices += notices
        shown = {p.row for p in problems if p.code in ("zero_area", "bad_feature")}
        problems += [p for p in geometry_problems(kind, geoms, where)
                     if not (p.code == "no_geometry" and p.row in shown)]
    same_file: dict[str, set[str]] = {}
    if kind == "children":
        households, hh_problems = _households_from_children(frame, system, source, dataset, today,
                                                            where)
        if households is not None:
            problems += hh_problems
            bad = {p.row for p in hh_problems if p.severity == "error"}
            good = households[~households["_row"].isin(bad)].drop(columns="_row")
            same_file["households"] = set(good["household_id"].astype(str))
            merged, added, updated, _ = _merge(new["households"], good, LAYERS["households"], mode="append")
            new["households"] = merged
            result.rows["households"] = good
            result.notices.append((
                f"households from the same file: {added} new, {updated} updated",
                f"同一文件中的户信息：新增 {added} 户，更新 {updated} 户"))
    contract = frame[[c for c in frame.columns if c in spec.column_names]]
    checked, row_problems = validate_rows(kind, contract, dataset=dataset, today=today,
                                          same_file=same_file)
    problems += row_problems
    return _finish(result, kind, raw, fmt, checked, geoms, problems, new, mode, lang, read.lines)


def _households_from_children(frame: pd.DataFrame, system: str, source: Path,
                              dataset: Dataset, today: date | None, area=None):
    """Households carried by a combined children ledger (household id, village, location).

    Returns the households (first row of each id; ``_row`` holds that row's label) and their
    problems, or ``(None, [])`` when the ledger does not carry households.
    """
    has_xy = hdr.WKT in frame.columns or {hdr.LON, hdr.LAT} <= set(frame.columns)
    if not (has_xy and "village_code" in frame.columns and "household_id" in frame.columns):
        return None, []
    ids = frame["household_id"].astype("string").str.strip()
    first = frame[ids.notna() & (ids != "") & ~ids.duplicated()]
    cols = [c for c in ("household_id", "village_code", "caregiver") if c in first.columns]
    geoms, problems = geometry_from_columns(first, first, system, source)
    problems += geometry_problems("households", geoms, area)
    problems = [p for p in problems if p.code != "same_spot"]  # siblings share a home
    checked, found = validate_rows("households", first[cols], dataset=dataset, today=today)
    problems += [p for p in found if p.code != "duplicate_id"]
    out = gpd.GeoDataFrame(checked[LAYERS["households"].column_names], geometry=geoms,
                           crs=STORAGE_CRS)
    out["_row"] = out.index
    return out.reset_index(drop=True), problems


#: columns outside the contract that an import keeps when the source has them: how roads meet
#: (geo/reach/noding.py; OSM roads carry them)
KEPT_COLUMNS: dict[str, tuple[str, ...]] = {"roads": ("junctions", "road_level")}


def _finish(result: ImportResult, kind: str, raw: pd.DataFrame, fmt: str, checked: pd.DataFrame,
            geoms: gpd.GeoSeries | None, problems: list[Problem], new: Dataset, mode: str,
            lang: str, lines: dict[int, int] | None = None) -> ImportResult:
    spec = LAYERS[kind]
    errors = [p for p in problems if p.severity == "error"]
    bad_idx = sorted({p.row for p in errors}, key=lambda i: int(i))  # type: ignore[call-overload]
    bad = pd.Index(bad_idx)
    good = checked.index.difference(bad)
    reasons: dict[object, list[str]] = {}
    for p in errors:
        reasons.setdefault(p.row, []).append(f"{p.column}: {p.message(lang)}")
    quarantine = raw.loc[bad].copy()
    quarantine["reason"] = pd.Series({i: "; ".join(r) for i, r in reasons.items()}, dtype="string")
    result.quarantine = quarantine
    result.quarantined = len(quarantine)
    rows = checked.loc[good, spec.column_names].copy()
    extra = [c for c in KEPT_COLUMNS.get(kind, ()) if c in raw.columns]
    if extra and good.isin(raw.index).all():
        rows[extra] = raw.loc[good, extra]
    if spec.geometry:
        assert geoms is not None
        rows = gpd.GeoDataFrame(rows, geometry=geoms.loc[good], crs=STORAGE_CRS)
        if rows.geometry.name != "geometry":
            rows = rows.rename_geometry("geometry")
    result.preview = rows
    result.rows[kind] = rows
    result.imported = len(rows)
    combined, added, updated, unchanged = _merge(new[kind], rows, spec, mode)
    new[kind] = combined
    result.added, result.updated, result.unchanged = added, updated, unchanged
    result.layers = {kind: len(combined)}
    result.dataset = new
    for p in problems:
        p.row = _user_row(p.row, fmt, lines)
    result.problems = sorted(problems, key=lambda p: (p.row, p.column))
    logger.info("import %s from %s: %s", kind, result.source.name, result.summary())
    return result


def _merge(existing: pd.DataFrame, rows: pd.DataFrame, spec, mode: str):
    """Combine stored and new rows; returns (frame, added, updated, unchanged)."""
    if (isinstance(rows, gpd.GeoDataFrame) and isinstance(existing, gpd.GeoDataFrame)
            and existing.crs is not None and not existing.crs.equals(STORAGE_CRS)):
        existing = existing.to_crs(STORAGE_CRS)
    if mode == "replace" or existing.empty:
        return rows.reset_index(drop=True), len(rows), 0, 0
    key = spec.key
    if key is None:
        out = pd.concat([existing, rows], ignore_index=True)
        return out, len(rows), 0, 0
    old_ids = set(existing[key].dropna().astype(str))
    known = rows[key].astype(str).isin(old_ids).to_numpy()
    if spec.append_only:  # stored records never change: a known id is already present
        out = pd.concat([existing, rows[~known]], ignore_index=True)
        return out, int((~known).sum()), 0, int(known.sum())
    new_ids = set(rows[key].dropna().astype(str))
    kept = existing[~existing[key].astype(str).isin(new_ids)]
    out = pd.concat([kept, rows], ignore_index=True)
    if isinstance(rows, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)
    return out, int((~known).sum()), int(known.sum()), 0


def _prepare_osm(kind: str, source: Path, *, dataset: Dataset, mode: str, lang: str,
                 today: date | None) -> ImportResult:
    from geo.ingest.osm import read_osm

    layers = read_osm(source)
    result = ImportResult("osm", source)
    raw_parts = []
    offset = 0
    for name in ("roads", "water_bodies"):
        frame = layers[name].reset_index(drop=True)
        frame.index = frame.index + offset
        offset += len(frame)
        raw_parts.append((name, frame))
    result.rows_read = offset
    quarantines = []
    for name, frame in raw_parts:
        spec = LAYERS[name]
        checked, problems = validate_rows(name, frame[spec.column_names], dataset=dataset, today=today)
        problems += [p for p in geometry_problems(name, frame.geometry, None)
                     if p.code in ("no_geometry", "geometry_type")]
        sub = ImportResult(name, source)
        sub = _finish(sub, name, frame, "osm", checked, frame.geometry, problems, dataset, mode, lang)
        assert sub.dataset is not None
        dataset = sub.dataset
        result.imported += sub.imported
        result.quarantined += sub.quarantined
        result.added += sub.added
        result.updated += sub.updated
        result.problems += sub.problems
        result.layers.update(sub.layers)
        result.rows.update(sub.rows)
        if sub.quarantine is not None and len(sub.quarantine):
            quarantines.append(sub.quarantine.assign(layer=name))
        result.notices.append((f"{name}: {sub.imported} from OpenStreetMap",
                               f"{name}：从 OpenStreetMap 导入 {sub.imported} 条"))
    result.dataset = dataset
    result.quarantine = pd.concat(quarantines) if quarantines else None
    if result.quarantine is not None:
        result.quarantine = gpd.GeoDataFrame(result.quarantine, geometry="geometry", crs=STORAGE_CRS)
    result.preview = None
    return result


def import_file(
    kind: str,
    source: str | Path,
    *,
    into: str | Path,
    dataset: Dataset | None = None,
    coords: str | None = None,
    sheet: str | None = None,
    quarantine: str | Path | None = None,
    mode: str = "append",
    mapping: str | Path | hdr.Mapping | None = None,
    lang: str = "en",
    today: date | None = None,
    user=None,
    force: bool = False,
    unmatched: str = "skip",
) -> ImportResult:
    """Import ``source`` into the layer ``kind`` of the dataset ``into``, in one write.

    The write lock is taken first; rows are checked against what is read inside the transaction
    (ids, area, salt) and only good rows are written, with one ``import`` event (geo.store.writer).

    Parameters
    ----------
    kind, source
        A contract layer or ``osm``; CSV, XLSX, GeoJSON, Shapefile, GeoPackage or OSM XML/PBF.
    into, dataset
        The dataset GeoPackage (created when missing) or ``postgresql://`` URL; ``dataset`` is
        ignored (the checks read the dataset inside the write).
    coords, sheet, mapping, lang, today
        As :func:`prepare_import` (``wgs84``/``cgcs2000``/``gcj02``/``bd09``/``EPSG:xxxx``; the
        sheet or layer; a header/value mapping; the language of the reasons; the latest date).
    quarantine
        Where bad rows go (default beside ``source``); never over a dataset unless ``force``.
    mode
        ``append`` (a known id replaces the stored row; append-only tables keep theirs) or
        ``replace`` (the layer becomes the file's good rows).
    unmatched
        ``skip`` (columns matching nothing are left out, in a notice) or ``ask`` (nothing is
        saved while a column looks like a contract column; the CLI's behaviour).
    user
        The :class:`geo.privacy.roles.User` importing (needs ``import``); named in the event.
    Returns the :class:`ImportResult` (``rows_read == imported + quarantined``; ``layers``: stored
    row counts; ``dataset`` is ``None``). Raises ValidationError (an unreadable file) or
    StoreError (disk full, read-only, locked, an output refused); the dataset is then unchanged.
    """
    from geo.ingest.saving import references, store_rows
    from geo.privacy.audit import audit_event
    from geo.store.files import check_output
    from geo.store.stores import open_store

    if user is not None:
        from geo.privacy.roles import require

        require(user, "import")
    qpath = Path(quarantine) if quarantine else default_quarantine_path(Path(source))
    check_output(qpath, datasets=[into], force=force, what="--quarantine")
    store = open_store(into)
    with store.write() as w:
        refs = references(w, kind)
        # the pseudonym key: beside this file (geo.store.keys), or a server's own setting
        refs.path = str(into) if is_url(into) else Path(into)
        area = w.extent(("admin_units", "households", "water_bodies", "roads", "stations"))
        result = prepare_import(kind, source, dataset=refs, coords=coords, sheet=sheet,
                                mapping=mapping, mode=mode, lang=lang, today=today, area=area)
        _refuse_unmatched(result, source, unmatched)  # raising rolls the write back
        assert result.dataset is not None
        store_rows(w, result, kind, mode)
        w.set_settings({k: v for k, v in result.dataset.settings.items() if k not in refs.settings})
        _forget_settings(w, into)
        if result.quarantined:
            _keep_quarantine(result, qpath)
        w.set_audit(audit_event(user, "import",
                                f"{kind} from {Path(source).name}: {result.summary()}"))
    result.dataset = None
    return result


def _forget_settings(w, into) -> None:
    """Drop the demo mark (imported rows are not synthetic) and an older file's salt once its
    key lives in the key file beside it (:mod:`geo.store.keys`; a server keeps its salt as a
    setting)."""
    from geo.store.keys import has_key

    gone = ["demo"] + (["pseudonym_salt"] if not is_url(into) and has_key(into, "pseudonym") else [])
    w.delete("dataset_settings", "key", gone)


def _keep_quarantine(result: ImportResult, qpath: Path) -> None:
    """Write the quarantine file (mode 0600) and say in the report that it holds raw rows."""
    result.quarantine_path = write_quarantine(result.quarantine, qpath)
    result.notices.append((
        f"the quarantine file {qpath.name} holds the raw rows as they were in the input "
        "(they may hold names, phones or ID numbers): it is readable by you only (0600); "
        "fix the rows, import it again, then delete it",
        f"隔离文件 {qpath.name} 保存的是原始行（可能含姓名、电话或身份证号），仅您本人可读（0600）；"
        "改正后重新导入，然后删除该文件"))


def _refuse_unmatched(result: ImportResult, source, unmatched: str) -> None:
    if unmatched == "ask" and result.unmatched:
        raise ValidationError(
            f"{source}: 以下列未能识别，可能对应数据规范中的列 / columns that match nothing but look "
            f"like dataset columns:{_ask_text(result.unmatched).split(':', 1)[1]} Nothing was "
            "imported. Map them with --map 表头=列名 (HEADER=COLUMN; HEADER=- to leave one out) or "
            "a --mapping file, then import again / 请用 --map 指定对应关系后重新导入（HEADER=- 表示不导入）")


def empty_like(layer: str) -> pd.DataFrame:
    """An empty frame of ``layer`` (for previews of files without good rows)."""
    return empty_layer(layer)
