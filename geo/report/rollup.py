"""Indicators per unit, and roll-ups of many county datasets to a city or a province.

A roll-up reads **a list of sources**: each is one dataset (a county GeoPackage today; a PostGIS
schema once the server store lands) that yields its leaf facts (:func:`geo.report.facts.unit_facts`).
A new kind of source plugs in with :func:`register_source` (a URL prefix and a factory); the
roll-up itself only concatenates the leaves and adds them up by statistical-code prefix, so the
roll-up of two county datasets equals the indicators of their union (their villages do not
overlap; see docs/indicators.md for what crosses a county border). Each source is one task
(:func:`source_facts`): the distributed runs map it over a cluster.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.report.facts import FACT_COLUMNS, UnitFacts, aggregate_columns, den, num, unit_facts
from geo.report.indicators import INDICATORS, LEVEL_LENGTH, LEVELS, check_level, level_of, status
from geo.store.dataset import Dataset, read_dataset
from geo.store.errors import ValidationError
from geo.store.progress import report as progress_report

logger = logging.getLogger(__name__)

#: the layers the indicators read (a source reads only these).
USED_LAYERS = ("admin_units", "households", "children", "child_directors", "visits",
               "water_bodies", "safety_kits", "inspections", "stations", "roads", "patrol_checks")


def scope_data(user, dataset: Dataset) -> Dataset:
    """The full data of ``user``'s scope for the indicators (:func:`geo.privacy.roles.analysis_view`),
    with the dataset's patrol checks (proof of patrol: site ids and days, no person) kept."""
    from geo.privacy.roles import analysis_view

    out = analysis_view(user, dataset)
    if dataset.holds("patrol_checks"):
        out["patrol_checks"] = dataset["patrol_checks"]
    return out


@dataclass(frozen=True)
class Source:
    """One dataset of a roll-up: a label (file name, schema) and how to read it."""

    label: str
    location: str
    load: Callable[[], Dataset]
    #: the dataset its stored snapshots are read from (a file's path; a server's URL, password
    #: included, never shown); empty: no stored snapshots
    dataset: str = ""


_SOURCE_KINDS: dict[str, Callable[[str], list[Source]]] = {}


def register_source(prefix: str, factory: Callable[[str], list[Source]]) -> None:
    """Let :func:`sources_from` open locations starting with ``prefix`` (``"postgresql://"``)."""
    _SOURCE_KINDS[prefix] = factory


def _file_source(path: Path) -> Source:
    def load(path: Path = path) -> Dataset:
        return read_dataset(path, layers=USED_LAYERS)
    return Source(path.name, str(path), load, str(path))


def _server_source(url: str) -> list[Source]:
    """A PostGIS dataset (one county schema, ``?schema=NAME``) as a roll-up source; with
    ``?schema=*`` every county schema of the database, one source each."""
    from geo.store.pgurl import names_every_schema, parse_url, schema_url
    from geo.store.postgis import dataset_schemas

    if names_every_schema(url):
        return [s for name in dataset_schemas(url) for s in _server_source(schema_url(url, name))]
    target = parse_url(url)  # the one URL parser: a bad schema name is refused here

    def load(url: str = url) -> Dataset:
        return read_dataset(url, layers=USED_LAYERS)

    return [Source(target.schema, target.location, load, url)]


register_source("postgresql://", _server_source)
register_source("postgres://", _server_source)


def sources_from(locations: Iterable[str | os.PathLike]) -> list[Source]:
    """The sources named by ``locations``: GeoPackage files, folders of them, or registered URLs.

    Raises
    ------
    ValidationError
        A location that does not exist, a folder without GeoPackages, or an unknown URL scheme.
    """
    out: list[Source] = []
    problems = []
    for loc in locations:
        text = str(loc)
        kind = next((p for p in _SOURCE_KINDS if text.startswith(p)), None)
        if kind is not None:
            out += _SOURCE_KINDS[kind](text)
            continue
        if "://" in text:
            problems.append(f"{text.split('://')[0]}:// 数据源尚不支持 / no store for {text.split('://')[0]}:// "
                            "locations is installed")
            continue
        path = Path(text)
        if path.is_dir():
            files = sorted(path.glob("*.gpkg"))
            if not files:
                problems.append(f"文件夹 {path} 中没有 .gpkg 数据集 / the folder {path} holds no .gpkg dataset")
            out += [_file_source(f) for f in files]
        elif path.is_file():
            out.append(_file_source(path))
        else:
            problems.append(f"找不到 {path} / {path} does not exist")
    if problems:
        raise ValidationError("; ".join(problems))
    if not out:
        raise ValidationError("没有数据集 / no dataset given")
    return out


def source_facts(source: Source, *, on, preset: str, coverage: bool = True) -> UnitFacts:
    """The leaf facts of one source (one task of a roll-up)."""
    return unit_facts(source.load(), on=on, preset=preset, coverage=coverage)


def combine(parts: Sequence[UnitFacts]) -> UnitFacts:
    """One :class:`UnitFacts` of several sources (their leaves side by side; maps in one CRS).

    Raises
    ------
    ValidationError
        Two sources hold the same village or township (the same county given twice).
    """
    if len(parts) == 1:
        return parts[0]
    if not parts:
        raise ValidationError("没有数据集 / no dataset given")
    seen = pd.concat([p.facts.index.to_series() for p in parts])
    dup = seen[seen.duplicated()]
    if len(dup):
        raise ValidationError(f"同一单位出现在多个数据集中（{', '.join(map(str, dup.unique()[:5]))}）/ "
                              f"the same units are in several datasets ({', '.join(map(str, dup.unique()[:5]))})")
    facts = pd.concat([p.facts for p in parts]).sort_index()
    names: dict[str, str] = {}
    for p in parts:
        names.update(p.names)
    crs = _common_crs([p.units for p in parts if len(p.units)])

    def joined(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
        frames = [f.to_crs(crs) for f in frames if len(f) and f.crs is not None] if crs else []
        if not frames:
            return parts[0].units.iloc[0:0]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)

    return UnitFacts(facts, names, joined([p.units for p in parts]), joined([p.sites for p in parts]),
                     joined([p.stations for p in parts]), parts[0].on, parts[0].preset)


def _common_crs(frames: list[gpd.GeoDataFrame]):
    if not frames:
        return None
    from geo.store.projection import metric_crs_for

    boxes = np.array([f.to_crs("EPSG:4326").total_bounds for f in frames])
    return metric_crs_for((boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()))


def facts_for(sources: Sequence[Source], *, on, preset: str, coverage: bool = True,
              mapper: Callable | None = None) -> UnitFacts:
    """The combined leaf facts of ``sources``.

    ``mapper(func, sources)`` runs the per-source tasks (default: one after the other, with
    progress); a cluster passes its own.
    """
    def task(src: Source) -> UnitFacts:
        return source_facts(src, on=on, preset=preset, coverage=coverage)

    if mapper is not None:
        parts = list(mapper(task, sources))
    else:
        parts = []
        for i, src in enumerate(sources, 1):
            parts.append(task(src))
            progress_report("datasets", i, len(sources))
    return combine(parts)


# --- adding up ----------------------------------------------------------------------------------


def aggregate(facts: pd.DataFrame, level: str) -> pd.DataFrame:
    """Add the leaf facts up to units of ``level`` (rows: codes of that length)."""
    n = LEVEL_LENGTH[check_level(level)]
    codes = facts.index.astype(str)
    rows = facts[np.asarray(codes.str.len() >= n)]
    if not len(rows):
        return pd.DataFrame(columns=FACT_COLUMNS, index=pd.Index([], name="code", dtype="string"))
    keys = np.asarray(rows.index.astype(str).str[:n], dtype=object)
    out = aggregate_columns(rows.reset_index(drop=True).assign(code=keys), "code")
    for ind in INDICATORS.values():  # a township-leaf indicator has no value at a village
        if not ind.applies_at(level):
            out[[num(ind.id), den(ind.id)]] = np.nan
    return out.reindex(columns=FACT_COLUMNS)


def values(table: pd.DataFrame) -> pd.DataFrame:
    """The value of each indicator from its numerator and denominator (a column per indicator)."""
    out = pd.DataFrame(index=table.index)
    for ind in INDICATORS.values():
        n, d = table[num(ind.id)], table[den(ind.id)]
        if ind.unit == "share" or (ind.unit == "days" and ind.agg == "sum"):
            out[ind.id] = (n / d.where(d > 0)).astype(float)
        else:
            out[ind.id] = n.astype(float)
    return out


def indicator_table(
    facts: UnitFacts,
    *,
    level: str,
    down_to: str | Sequence[str] | None = None,
    area_names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The indicators of every unit of ``level`` and, below it, of ``down_to`` (e.g. townships,
    or several levels: townships and villages, released together as one table).

    Returns
    -------
    pandas.DataFrame
        One row per unit, top units first: ``code``, ``name``, ``level``, ``parent`` and for each
        indicator ``<id>`` (value), ``<id>:num``, ``<id>:den``.
    """
    levels = [check_level(level)]
    below = [down_to] if isinstance(down_to, str) else list(down_to or [])
    for lv in below:
        if LEVEL_LENGTH[check_level(lv)] > LEVEL_LENGTH[level] and lv not in levels:
            levels.append(lv)
    frames = []
    names = {**facts.names, **(area_names or {})}
    for lv in levels:
        agg = aggregate(facts.facts, lv)
        if not len(agg):
            continue
        table = values(agg).join(agg)
        codes = agg.index.astype(str)
        table.insert(0, "parent", pd.array([c[:LEVEL_LENGTH[levels[0]]] if lv != levels[0] else ""
                                            for c in codes], dtype="string"))
        table.insert(0, "level", lv)
        table.insert(0, "name", pd.array([names.get(c) or default_name(c) for c in codes], dtype="string"))
        table.insert(0, "code", pd.array(codes, dtype="string"))
        frames.append(table.reset_index(drop=True))
    if not frames:
        raise ValidationError(f"数据中没有{level}级单位 / the data holds no unit of level {level}")
    out = pd.concat(frames, ignore_index=True)
    out["level"] = out["level"].astype("string")
    return out


def unit_polygons(units: gpd.GeoDataFrame, codes: Iterable[str]) -> gpd.GeoDataFrame:
    """Polygons (``code``, ``geometry``) of ``codes``: a unit's own, else its parts' made one.

    A city or province of a roll-up has no polygon in any county dataset; it is drawn as the union
    of its most general units that have one (its counties), so a province is seen whole at a
    glance, unit by unit, however many features its villages would be.
    """
    polys = units[units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    polys = polys.assign(code=polys["code"].astype(str)).drop_duplicates("code")
    have = pd.Index(polys["code"])
    wanted = pd.Index(pd.unique(pd.Series(list(codes), dtype=str)))
    own = polys[polys["code"].isin(wanted)][["code", "geometry"]]
    missing = wanted.difference(have)
    made = []
    lengths = sorted(set(have.str.len()))
    for code in missing:
        for n in lengths:  # the most general parts that cover the unit
            if n <= len(code):
                continue
            parts = polys[(polys["code"].str.len() == n) & polys["code"].str.startswith(code)]
            if len(parts):
                made.append((code, shapely.coverage_union_all(parts.geometry.to_numpy())))
                break
    if made:
        extra = gpd.GeoDataFrame({"code": [c for c, _ in made]}, geometry=[g for _, g in made], crs=polys.crs)
        own = pd.concat([own, extra], ignore_index=True)
    return gpd.GeoDataFrame(own.reset_index(drop=True), geometry="geometry", crs=polys.crs)


def default_name(code: str) -> str:
    """A name for a unit known only by its code (a city or province of a roll-up)."""
    lv = level_of(code)
    zh = {"province": "省", "city": "市", "county": "县", "township": "乡镇", "village": "村"}.get(lv or "", "")
    return f"{code}{zh}"


def infer_level(facts: UnitFacts) -> str:
    """The highest level that holds all of the data in one unit (a county dataset: county)."""
    codes = facts.facts.index.astype(str)
    for lv in reversed(LEVELS[:3]):  # county, city, province
        n = LEVEL_LENGTH[lv]
        if codes.str.len().min() >= n and codes.str[:n].nunique() == 1:
            return lv
    return "province"


def long_values(table: pd.DataFrame, *, preset: str) -> pd.DataFrame:
    """The table as one row per unit and indicator, with its target and status."""
    rows = []
    for rec in table.to_dict("records"):
        for ind in INDICATORS.values():
            if not ind.applies_at(str(rec["level"])):
                continue
            value = rec[ind.id]
            t = ind.target_for(preset, str(rec["level"]))
            rows.append({
                "code": rec["code"], "name": rec["name"], "level": rec["level"], "indicator": ind.id,
                "value": value, "numerator": rec[num(ind.id)], "denominator": rec[den(ind.id)],
                "target": None if t is None else t.value,
                "status": status(ind, value, rec[den(ind.id)], preset=preset, level=str(rec["level"])),
            })
    return pd.DataFrame(rows)


def report_date(year: int, dataset_dates: Iterable[str | None] = (), *, today: _dt.date | None = None) -> _dt.date:
    """The day a report of ``year`` is made for.

    The datasets' own ``reference_date`` when all agree and it falls in ``year`` (the demo's
    "today"), else today when it is in ``year``, else 31 December of ``year``.
    """
    today = today or _dt.date.today()
    found = {str(d)[:10] for d in dataset_dates if d}
    if len(found) == 1:
        try:
            ref = _dt.date.fromisoformat(found.pop())
            if ref.year == year:
                return ref
        except ValueError:
            pass
    if today.year == year:
        return today
    return _dt.date(year, 12, 31)
