"""Checks of a dataset's content against the contract rules (SCHEMA.md) beyond column types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from geo.store import codes
from geo.store.coords import distance_m
from geo.store.dataset import Dataset, coerce_column
from geo.store.dates import EARLIEST, parse_dates
from geo.store.geometry import layer_geometry_problems
from geo.store.schema import LAYERS


def dataset_problems(dataset: Dataset) -> list[str]:
    """Return the content problems of ``dataset`` (empty when it follows the contract).

    Checks values outside their allowed choices, missing required values, duplicate ids,
    12-digit village codes and references between layers.
    """
    problems: list[str] = []
    for name, spec in LAYERS.items():
        if name not in dataset:
            continue
        frame = dataset[name]
        for col in spec.columns:
            values = frame[col.name]
            if col.required:
                n = int(values.isna().sum())
                if n:
                    problems.append(f"{name}.{col.name}: {n} empty value(s) where one is required")
            if col.choices:
                present = values.dropna().astype(str)
                if col.multi:
                    present = present.str.split(";").explode().str.strip()
                    present = present[present != ""]
                bad = ~present.isin(col.choices)
                if bad.any():
                    sample = ", ".join(sorted(set(present[bad]))[:5])
                    problems.append(
                        f"{name}.{col.name}: {int(bad.sum())} value(s) not among the allowed "
                        f"choices ({sample})"
                    )
        if spec.key:
            dup = frame[spec.key].dropna().duplicated()
            if dup.any():
                problems.append(f"{name}.{spec.key}: {int(dup.sum())} duplicate id(s)")
    problems += _reference_problems(dataset)
    problems += _division_code_problems(dataset)
    for name, spec in LAYERS.items():
        if spec.geometry and name in dataset:
            problems += layer_geometry_problems(name, dataset[name])
    return problems


def _division_code_problems(ds: Dataset) -> list[str]:
    """Codes of the wrong form or level, broken hierarchy, counties not in the official list."""
    if "admin_units" not in ds or ds["admin_units"].empty:
        return []
    units = ds["admin_units"]
    code = units["code"].astype("string").fillna("")
    level = units["level"].astype("string").fillna("")
    parent = units["parent_code"].astype("string").fillna("")
    found = code.map(codes.level_of)
    problems = []
    levelled = level.isin(list(codes.DIGITS))
    want = level.map(lambda v: codes.DIGITS.get(v, 0))
    wrong = levelled & ((found != level) | (code.str.len() != want))
    if wrong.any():
        problems.append(f"admin_units.code: {int(wrong.sum())} code(s) not of their level's form "
                        f"(6/9/12 digits): {', '.join(code[wrong].head(3))}")
    own_parent = code.map(lambda c: codes.parent_of(c) or "")
    broken = level.isin(["township", "village"]) & (parent != "") & (parent != own_parent)
    if broken.any():
        sample = ", ".join(code[broken].head(3))
        problems.append(f"admin_units.parent_code: {int(broken.sum())} code(s) whose parent code is "
                        f"not their own parent ({sample})")
    synthetic = codes.synthetic_allowed(ds.settings)
    counties = sorted({c[:6] for c in code if codes.level_of(c)})
    unknown = [c for c in counties if not codes.county_known(c, synthetic_ok=synthetic)]
    if unknown:
        problems.append(f"admin_units.code: county code(s) not in the official list "
                        f"({codes.COUNTY_LIST['as_of']}): {', '.join(unknown[:5])}")
    return problems


def _missing_refs(values: pd.Series, keys: pd.Series) -> int:
    values = values.dropna()
    return int((~values.isin(set(keys.dropna()))).sum())


def _reference_problems(ds: Dataset) -> list[str]:
    problems = []
    checks = [
        ("children", "household_id", "households", "household_id"),
        ("safety_kits", "water_id", "water_bodies", "water_id"),
        ("visits", "child_id", "children", "child_id"),
        ("inspections", "kit_id", "safety_kits", "kit_id"),
        ("inspections", "water_id", "water_bodies", "water_id"),
    ]
    for layer, col, target, key in checks:
        if layer in ds and target in ds:
            n = _missing_refs(ds[layer][col], ds[target][key])
            if n:
                problems.append(f"{layer}.{col}: {n} value(s) not found in {target}.{key}")
    if "households" in ds:
        codes = ds["households"]["village_code"].dropna().astype(str)
        bad = ~codes.str.fullmatch(r"\d{12}")
        if bad.any():
            problems.append(f"households.village_code: {int(bad.sum())} code(s) not of 12 digits")
        if "admin_units" in ds:
            villages = ds["admin_units"].query("level == 'village'")["code"]
            n = _missing_refs(codes, villages)
            if n:
                problems.append(
                    f"households.village_code: {n} code(s) not found among admin_units villages"
                )
    return problems


# --- row-level validation of imported rows ----------------------------------------------------

#: problem code -> (English, Chinese) message templates; ``{value}`` etc. filled per problem.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("a value is required", "必须填写"),
    "type_int": ("{value!r} is not a whole number", "“{value}”不是整数"),
    "type_float": ("{value!r} is not a number", "“{value}”不是数字"),
    "type_bool": ("{value!r} is not yes/no (是/否, 1/0)", "“{value}”不是“是/否”"),
    "type_date": ("{value!r} is not a date (YYYY-MM-DD)", "“{value}”不是日期（年-月-日）"),
    "type_timestamp": ("{value!r} is not a date and time", "“{value}”不是日期时间"),
    "choice": ("{value!r} is not one of: {choices}", "“{value}”不是允许的取值：{choices}"),
    "duplicate_id": ("the id {value!r} already appears in row {other}",
                     "编号“{value}”与第 {other} 行重复"),
    "village_code": ("{value!r} is not a 12-digit village code", "“{value}”不是12位村代码"),
    "admin_code": ("{value!r} has {n} digits; a {level} code has {want} (or 12 with zeros)",
                   "“{value}”为{n}位，{level}级代码应为{want}位（或补零至12位）"),
    "code_level": ("{value!r} is a {found} code, not a {level} code",
                   "“{value}”是{found}级代码，不是{level}级代码"),
    "code_hierarchy": ("parent code {value!r} is not the parent of {code} (its parent is {parent})",
                       "上级代码“{value}”与代码 {code} 不符（应为 {parent}）"),
    "parent_missing": ("the township {value} of {code} is not among the admin units",
                       "{code} 所属乡镇 {value} 不在行政区划表中"),
    "unknown_county": ("county code {county} is not in the official list of county-level "
                       "divisions (as of {as_of})",
                       "县级代码 {county} 不在官方县级行政区划代码表中（截至 {as_of}）"),
    "future_date": ("{value} is in the future", "日期 {value} 晚于今天"),
    "too_old": ("{value} is before {earliest}: probably a typing error",
                "日期 {value} 早于 {earliest}，疑似录入错误"),
    "date_bad": ("{value!r} is not a date (write 2024-01-05, 2024/1/5 or 2024年1月5日)",
                 "“{value}”不是日期（请写作 2024-01-05、2024/1/5 或 2024年1月5日）"),
    "date_ambiguous": ("{value!r}: day and month (or the century) cannot be told apart; "
                       "write it year first, e.g. 2024-01-05",
                       "“{value}”无法区分日和月（或年份不完整），请按年-月-日填写，如 2024-01-05"),
    "date_partial": ("{value!r} is not a whole date (year, month and day are needed)",
                     "“{value}”不是完整日期（须有年、月、日）"),
    "age": ("birth year {value} gives age {age}; children are 0-17",
            "出生年份 {value} 对应年龄 {age} 岁，不在0-17岁之间"),
    "negative": ("{value} is negative", "{value} 为负数"),
    "reference": ("{value!r} is not found in {target}", "“{value}”在{target}中不存在"),
    "kit_or_water": ("give a kit_id or a water_id", "须填写设施编号或水体编号"),
    "no_geometry": ("no coordinates or geometry", "缺少坐标或几何图形"),
    "bad_coordinate": ("{value!r} is not a coordinate", "“{value}”不是有效坐标"),
    "bad_wkt": ("the geometry text cannot be read", "几何文本（WKT）无法识别"),
    "geometry_type": ("a {value} geometry; this layer takes {choices}",
                      "几何类型为 {value}，本图层只接受 {choices}"),
    "zero_zero": ("the point is (0, 0): coordinates are missing", "坐标为 (0, 0)，应为缺失"),
    "swapped": ("latitude and longitude look swapped ({lon}, {lat})",
                "经纬度疑似颠倒（{lon}, {lat}）"),
    "outside_china": ("({lon}, {lat}) is outside China", "（{lon}, {lat}）位于中国范围之外"),
    "outside_area": ("({lon}, {lat}) is {km:.0f} km outside the dataset's area",
                     "（{lon}, {lat}）距数据集范围 {km:.0f} 公里，超出范围"),
    "same_spot": ("{n} rows at the same spot ({lon}, {lat})", "{n} 行位于同一位置（{lon}, {lat}）"),
    "not_mapped": ("a value that cannot be mapped", "无法识别的取值"),
    "repaired_geometry": ("the polygon crosses itself: repaired (shapely make_valid); check it",
                          "多边形自相交，已自动修复（make_valid），请核对"),
    "zero_area": ("the polygon has no area (its points lie on a line or on one spot)",
                  "多边形面积为零（各点共线或重合）"),
    "bad_line_fields": ("line {line} has {n} fields, the header has {want}",
                        "第 {line} 行有 {n} 个字段，表头只有 {want} 个"),
    "unclosed_quote": ("line {line} opens a quote (\") that never closes",
                       "第 {line} 行的引号（\"）未闭合"),
    "line_encoding": ("line {line} is not in the file's encoding (UTF-8); it looks like GBK: "
                      "save the whole file as CSV UTF-8",
                      "第 {line} 行不是文件的编码（UTF-8），疑似 GBK：请将整个文件另存为 CSV UTF-8"),
    "bad_feature": ("feature {line}: its geometry cannot be built (e.g. a ring that does not "
                    "close)", "第 {line} 个要素的几何图形无法构建（如多边形未闭合）"),
    "excel_digits": ("{value} (cell {cell}) is a number of more than 15 digits: Excel kept only "
                     "15, the rest are lost. Format the column as Text (文本) and type the ids again",
                     "{value}（单元格 {cell}）是超过15位的数字，Excel 只保留15位，其余已丢失；"
                     "请将该列设为“文本”格式后重新录入"),
    "sci_notation": ("{value!r} is a number in scientific notation (Excel shortened an id or "
                     "code): the digits are lost; format the column as Text and retype it",
                     "“{value}”为科学计数法（Excel 截短了编号或代码），数字已丢失；"
                     "请将该列设为“文本”后重新录入"),
    "dlbm_not_water": ("land class (DLBM) {value} is not open water (1101-1104A, 1107)",
                       "地类编码 {value} 不是水域（1101-1104A、1107）"),
}

#: China's bounding box (lon/lat), incl. Hainan and the South China Sea islands.
CHINA_BOUNDS = (73.4, 3.8, 135.1, 53.6)
#: a point farther than this from the dataset's extent is reported as outside its area.
AREA_MARGIN_KM = 50.0

_TARGETS_ZH = {"households": "户（households）", "children": "儿童（children）",
               "water_bodies": "水体（water_bodies）", "safety_kits": "设施（safety_kits）",
               "admin_units": "村（admin_units）"}


_LEVELS_ZH = {"county": "县", "township": "乡镇", "village": "村"}


@dataclass
class Problem:
    """One problem of one input row: the row (its index label), the column, and why.

    ``severity`` is ``"error"`` (the row is quarantined) or ``"warning"`` (the row is imported
    and the problem reported).
    """

    row: object
    column: str
    code: str
    params: dict = field(default_factory=dict)
    severity: str = "error"

    def message(self, lang: str = "en") -> str:
        """The reason in ``lang`` ("zh" or "en")."""
        en, zh = MESSAGES.get(self.code, (self.code, self.code))
        template = zh if lang == "zh" else en
        params = dict(self.params)
        if lang == "zh" and "target" in params:
            params["target"] = _TARGETS_ZH.get(params["target"], params["target"])
        if lang == "zh":
            for key in ("level", "found"):
                if key in params:
                    params[key] = _LEVELS_ZH.get(params[key], params[key])
        try:
            return template.format(**params)
        except (KeyError, ValueError, IndexError):
            return template


def validate_rows(
    layer: str,
    frame: pd.DataFrame,
    *,
    dataset: Dataset | None = None,
    same_file: dict[str, set[str]] | None = None,
    today: date | None = None,
    present: set[str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check rows about to be imported into ``layer`` against every SCHEMA.md rule.

    Parameters
    ----------
    layer
        The contract layer.
    frame
        The rows, with contract column names (values as text from the file, enumerations
        already translated); a missing contract column counts as empty.
    dataset
        The dataset the rows go into (for references: a child's household must exist in it
        or in ``same_file``).
    same_file
        Ids that arrive with the same file, by layer name (e.g. households of a combined ledger).
    today
        The date before which dates must fall (default: today).
    present
        The contract columns the file had (default: those in ``frame``).

    Returns
    -------
    (frame, problems)
        ``frame`` with contract columns converted to their kinds (bad values empty), and the
        problems found, each naming the row (index label) and column.
    """
    spec = LAYERS[layer]
    today = today or date.today()
    out = frame.copy()
    present = set(frame.columns) if present is None else present
    problems: list[Problem] = []
    if layer == "admin_units" and "code" in out.columns:  # the level follows from a valid code
        level = out["level"] if "level" in out.columns else pd.Series(pd.NA, index=out.index)
        empty = level.isna() | (level.astype("string").str.strip() == "")
        derived = out["code"].map(lambda c: codes.level_of(codes.clean(c)))
        out["level"] = level.astype("object").where(~empty, derived)
    for col in spec.columns:
        if col.name not in out.columns:
            out[col.name] = pd.Series(pd.NA, index=out.index, dtype="string")
        raw = out[col.name]
        if col.kind == "date" and not pd.api.types.is_datetime64_any_dtype(raw):
            converted, why = parse_dates(raw)
            bad = why.notna()
            for idx in raw.index[bad.to_numpy()]:
                problems.append(Problem(idx, col.name, f"date_{why[idx]}", {"value": str(raw[idx])}))
        else:
            converted, bad = coerce_column(raw, col.kind)
            for idx in raw.index[bad.to_numpy()]:
                problems.append(Problem(idx, col.name, f"type_{col.kind}", {"value": str(raw[idx])}))
        out[col.name] = converted
        values = converted
        if col.kind == "text" and _is_id_column(col.name, spec.key):
            text = values.dropna().astype(str)
            for idx in text.index[text.str.fullmatch(_SCIENTIFIC).to_numpy()]:
                problems.append(Problem(idx, col.name, "sci_notation", {"value": text[idx]}))
        if col.required:
            empty = values.isna() & ~bad
            for idx in values.index[empty.to_numpy()]:
                problems.append(Problem(idx, col.name, "required"))
        if col.choices:
            text = values.dropna().astype(str)
            if col.multi:
                parts = text.str.split(";")
                allowed = set(col.choices)
                wrong = parts.map(lambda p, ok=allowed: any(v.strip() not in ok for v in p if v.strip()))
            else:
                wrong = ~text.isin(col.choices)
            for idx in text.index[wrong.to_numpy()]:
                code = "choice"
                if layer == "water_bodies" and re.fullmatch(r"\d{4}[A-Z]?", text[idx]):
                    code = "dlbm_not_water"
                problems.append(Problem(idx, col.name, code,
                                        {"value": text[idx], "choices": ", ".join(col.choices)}))
        if col.kind == "date":
            future = values.notna() & (values > pd.Timestamp(today))
            for idx in values.index[future.to_numpy()]:
                problems.append(Problem(idx, col.name, "future_date",
                                        {"value": values[idx].strftime("%Y-%m-%d")}))
            old = values.notna() & (values < pd.Timestamp(EARLIEST))
            for idx in values.index[old.to_numpy()]:
                problems.append(Problem(idx, col.name, "too_old",
                                        {"value": values[idx].strftime("%Y-%m-%d"),
                                         "earliest": EARLIEST.isoformat()}))
        if col.kind == "int" and col.name in ("capacity", "directors"):
            neg = values.notna() & (values < 0)
            for idx in values.index[neg.fillna(False).to_numpy()]:
                problems.append(Problem(idx, col.name, "negative", {"value": int(values[idx])}))
    problems += _key_problems(spec.key, out)
    problems += _code_problems(layer, out, dataset)
    if layer == "children":
        years = out["birth_year"]
        age = today.year - years
        wrong = years.notna() & ((age < 0) | (age > 17))
        for idx in years.index[wrong.fillna(False).to_numpy()]:
            problems.append(Problem(idx, "birth_year", "age",
                                    {"value": int(years[idx]), "age": int(age[idx])}))
    if layer == "inspections":
        neither = out["kit_id"].isna() & out["water_id"].isna()
        for idx in out.index[neither.to_numpy()]:
            problems.append(Problem(idx, "kit_id", "kit_or_water"))
    problems += _row_reference_problems(layer, out, dataset, same_file or {})
    return out, problems


#: an id or code Excel wrote in scientific notation (``1.10101E+17``): its digits are lost.
_SCIENTIFIC = r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+"


def _is_id_column(name: str, key: str | None) -> bool:
    return name == key or name.endswith(("_id", "_code")) or name == "code"


def _key_problems(key: str | None, frame: pd.DataFrame) -> list[Problem]:
    if key is None:
        return []
    ids = frame[key]
    dup = ids.notna() & ids.duplicated(keep="first")
    if not dup.any():
        return []
    first = {v: i for i, v in zip(frame.index[::-1], ids[::-1], strict=True) if pd.notna(v)}
    return [Problem(idx, key, "duplicate_id", {"value": ids[idx], "other": first[ids[idx]]})
            for idx in ids.index[dup.to_numpy()]]


def _code_problems(layer: str, frame: pd.DataFrame, dataset: Dataset | None) -> list[Problem]:
    """Read division codes into their stored form (in ``frame``) and check them.

    Errors: not a 6/9/12-digit code, a code of another level, a parent code that is not the
    code's own parent. Warnings: a county not in the official list (unless synthetic codes are
    allowed), a village whose township is not among the admin units. Each distinct code is read
    once (a ledger repeats its villages' codes thousands of times).
    """
    problems: list[Problem] = []
    synthetic = codes.synthetic_allowed(dataset.settings if dataset is not None else None)
    known_county: dict[str, bool] = {}

    def county_check(idx: object, col: str, value: str) -> None:
        if value[:6] not in known_county:
            known_county[value[:6]] = codes.county_known(value, synthetic_ok=synthetic)
        if not known_county[value[:6]]:
            problems.append(Problem(idx, col, "unknown_county",
                                    {"value": value, "county": value[:6],
                                     "as_of": codes.COUNTY_LIST["as_of"]}, severity="warning"))

    def read(col: str, levels: pd.Series | str | None) -> tuple[pd.Series, pd.Series]:
        raw = frame[col]
        lv = levels if isinstance(levels, pd.Series) else pd.Series(levels, index=frame.index)
        keys = pd.Series(list(zip(raw.astype("object"), lv.astype("object"), strict=True)),
                         index=frame.index)
        seen = {k: codes.normalize(k[0], k[1] if k[1] in codes.DIGITS else None)
                for k in set(keys[raw.notna()])}
        value = keys.map(lambda k: seen[k][0] if k in seen else None)
        why = keys.map(lambda k: seen[k][1] if k in seen else None)
        frame[col] = value.where(value.notna() & (value != ""), None).astype("string")
        return frame[col], why

    if layer in ("households", "child_directors"):
        col = "village_code"
        values, why = read(col, "village")
        for idx in values.index[why.notna().to_numpy()]:
            found = codes.level_of(str(values[idx]))
            problems.append(Problem(idx, col, "village_code" if why[idx] == "not_a_code" else "code_level",
                                    {"value": str(values[idx]), "found": found, "level": "village"}))
        good = values[values.notna() & why.isna()].astype(str)
        for county in set(good.str[:6]):
            known_county[county] = codes.county_known(county, synthetic_ok=synthetic)
        for idx in good.index[(~good.str[:6].map(known_county)).to_numpy(dtype=bool)]:
            county_check(idx, col, good[idx])
    if layer == "admin_units":
        levels = frame["level"]
        raw_codes = frame["code"].copy()
        values, why = read("code", levels)
        known = set(values.dropna().astype(str))
        if dataset is not None and "admin_units" in dataset:
            known |= {codes.short_form(codes.clean(c)) for c in dataset["admin_units"]["code"].dropna()}
        parents, _ = read("parent_code", None)
        fill: dict[object, str] = {}
        for idx in frame.index:
            level, value = levels[idx], values[idx]
            if pd.isna(value) or level not in codes.DIGITS:
                continue
            if why[idx] is not None:
                problems.append(Problem(idx, "code", "admin_code" if why[idx] == "not_a_code" else "code_level",
                                        {"value": str(raw_codes[idx]), "n": len(codes.clean(raw_codes[idx])),
                                         "level": level, "want": codes.DIGITS[level],
                                         "found": codes.level_of(str(value))}))
                continue
            county_check(idx, "code", str(value))
            if level == "county":
                continue  # a county's parent (a city or province) is not checked
            parent = codes.parent_of(str(value)) or ""
            if pd.isna(parents[idx]):
                fill[idx] = parent  # the parent follows from the code
            elif parents[idx] != parent:
                problems.append(Problem(idx, "parent_code", "code_hierarchy",
                                        {"value": str(parents[idx]), "code": value, "parent": parent}))
                continue
            if level == "village" and parent not in known:
                problems.append(Problem(idx, "parent_code", "parent_missing",
                                        {"value": parent, "code": value}, severity="warning"))
        if fill:
            filled = frame["parent_code"].astype("object")
            filled[list(fill)] = list(fill.values())
            frame["parent_code"] = filled.astype("string")
    return problems


_REFERENCES = [
    # layer, column, target layer, target key, checked even when the target layer is empty
    ("children", "household_id", "households", "household_id", True),
    ("visits", "child_id", "children", "child_id", True),
    ("safety_kits", "water_id", "water_bodies", "water_id", False),
    ("inspections", "kit_id", "safety_kits", "kit_id", False),
    ("inspections", "water_id", "water_bodies", "water_id", False),
    ("households", "village_code", "admin_units", "code", False),
]


def reference_layers(layer: str) -> dict[str, list[str]]:
    """The layers (and their columns) the references of ``layer``'s rows are checked against."""
    out: dict[str, list[str]] = {}
    for name, _col, target, key, _always in _REFERENCES:
        if name == layer:
            cols = out.setdefault(target, [])
            for col in (key, "level") if target == "admin_units" else (key,):
                if col not in cols:
                    cols.append(col)
    return out


def _row_reference_problems(
    layer: str, frame: pd.DataFrame, dataset: Dataset | None, same_file: dict[str, set[str]]
) -> list[Problem]:
    problems = []
    for name, col, target, key, always in _REFERENCES:
        if name != layer:
            continue
        known: set[str] = set(same_file.get(target, set()))
        has_target = dataset is not None and target in dataset
        values = frame[col].dropna().astype(str)
        if dataset is not None and has_target:
            tgt = dataset[target]
            if target == "admin_units":
                tgt = tgt[tgt["level"] == "village"]
                if tgt.empty:
                    continue
            stored = tgt[key].dropna().astype(str)
            # only the stored keys the file names (a vectorised isin of the file's few values):
            # a Python set of every stored key (600k children at scale 50) cost ~2 s per import
            known |= set(stored[stored.isin(values.unique())].tolist())
        if not (always or has_target or known):
            continue
        missing = pd.Series([v not in known for v in values], index=values.index, dtype=bool)
        for idx in values.index[missing.to_numpy()]:
            problems.append(Problem(idx, col, "reference", {"value": values[idx], "target": target}))
    return problems


def coordinate_problems(
    lon: pd.Series,
    lat: pd.Series,
    *,
    area: tuple[float, float, float, float] | None = None,
    margin_km: float = AREA_MARGIN_KM,
    column: str = "geometry",
) -> list[Problem]:
    """Check WGS-84 point coordinates for the usual mistakes.

    Errors: (0, 0); latitude and longitude swapped; outside ``area`` (the dataset's extent,
    lon/lat) by more than ``margin_km``, or outside China's bounding box when there is no area.
    Warning: several rows at one spot (within about a metre).
    """
    problems: list[Problem] = []
    ok = lon.notna() & lat.notna()
    x, y = lon[ok].astype(float), lat[ok].astype(float)
    box = CHINA_BOUNDS
    if area is not None:
        pad_lat = margin_km / 111.0
        pad_lon = margin_km / (111.0 * max(np.cos(np.radians((area[1] + area[3]) / 2)), 0.1))
        box = (area[0] - pad_lon, area[1] - pad_lat, area[2] + pad_lon, area[3] + pad_lat)

    def inside(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a >= box[0]) & (a <= box[2]) & (b >= box[1]) & (b <= box[3])

    zero = ((x.abs() < 1e-9) & (y.abs() < 1e-9)).to_numpy()
    here = inside(x, y).to_numpy()
    swapped = ~here & ~zero & inside(y, x).to_numpy()
    xs, ys, labels = x.to_numpy(), y.to_numpy(), x.index.to_numpy()
    for i in np.flatnonzero(zero | ~here):  # only the flagged rows
        p = {"lon": f"{xs[i]:.6f}", "lat": f"{ys[i]:.6f}"}
        if zero[i]:
            problems.append(Problem(labels[i], column, "zero_zero"))
        elif swapped[i]:
            problems.append(Problem(labels[i], column, "swapped", p))
        elif area is None:
            problems.append(Problem(labels[i], column, "outside_china", p))
        else:
            cx = min(max(xs[i], area[0]), area[2])
            cy = min(max(ys[i], area[1]), area[3])
            km = float(distance_m(xs[i], ys[i], cx, cy)) / 1000.0
            problems.append(Problem(labels[i], column, "outside_area", {**p, "km": km}))
    spot = pd.DataFrame({"x": np.round(xs, 5), "y": np.round(ys, 5)})  # 1e-5 degrees ~ 1 m
    counts = spot.groupby(["x", "y"])["x"].transform("size").to_numpy()
    for i in np.flatnonzero(counts > 1):
        problems.append(Problem(labels[i], column, "same_spot",
                                {"n": int(counts[i]), "lon": f"{xs[i]:.6f}",
                                 "lat": f"{ys[i]:.6f}"}, severity="warning"))
    return problems
