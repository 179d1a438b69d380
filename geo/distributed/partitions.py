"""Partitioned datasets: a province (or the country) as counties, each read on its own.

A multi-county run is a set of county tasks, and each task reads only its county. A dataset is
partitioned in one of two ways:

- **one GeoPackage** holding several counties (``admin_units`` rows of level ``county``): it is
  split on the fly. People and their records follow their village codes (``households`` by
  ``village_code``, ``children`` by household, ``visits`` by child); points (stations, kits)
  belong to the county whose boundary covers them (the lowest code on a shared border); water
  is clipped to the county (each county checks the water inside its border); roads are every
  road that touches the county, whole (the network does not end at the border).
- **a folder of county GeoPackages** (``*.gpkg``, one county each, named by anything): each
  file is one partition, read as it is.

A point that no county covers is in no partition; :func:`outside_counties` counts them
(``childsafe info`` lists them as a problem).

With a **halo** of ``H`` metres a county also gets the stations of other counties within ``H``
of its border (column ``halo`` true) and the roads there, for areas whose children may be
served across the border (cross-county service).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.store.dataset import Dataset, coerce_layer, read_dataset, read_frame
from geo.store.errors import DatasetError
from geo.store.frames import coerce_column
from geo.store.geometry import keep_dimension
from geo.store.location import is_url, redact
from geo.store.pgurl import parse_url
from geo.store.projection import STORAGE_CRS, metric_crs_for
from geo.store.schema import ALL_LAYERS

#: layers read by code, by a join on the layer before them, by place, clipped, or by reference
_BY_CODE = {"admin_units": "code", "households": "village_code", "child_directors": "village_code"}
_POINTS = ("stations", "safety_kits")
_HALO_LAYERS = ("stations", "roads")


@dataclass(frozen=True)
class Partition:
    """One county of a partitioned dataset.

    ``kind`` is ``"file"`` (a GeoPackage of its own, read whole) or ``"split"`` (one county of
    the GeoPackage ``source``); ``bounds`` is the county's extent (lon/lat).
    """

    code: str
    name: str
    source: str
    kind: str
    bounds: tuple[float, float, float, float] | None = None

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    @property
    def local_file(self) -> str | None:
        """The county's own GeoPackage on this file system, read whole; ``None`` for a county of
        a bigger file or a server schema."""
        return self.source if self.kind == "file" and not is_url(self.source) else None


def _county_rows(path: Path) -> list[tuple[str, str, tuple[float, float, float, float] | None]]:
    """Code, name and extent of the county rows of a GeoPackage (read with SQLite: fast)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatasetError(path, [f"cannot open it ({exc})"]) from exc
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "admin_units" not in tables:
            return []
        rows = con.execute(
            "SELECT a.code, a.name, r.minx, r.miny, r.maxx, r.maxy FROM admin_units a "
            "LEFT JOIN rtree_admin_units_geom r ON r.id = a.fid WHERE a.level = 'county' "
            "ORDER BY a.code"
            if "rtree_admin_units_geom" in tables else
            "SELECT code, name, NULL, NULL, NULL, NULL FROM admin_units WHERE level = 'county' "
            "ORDER BY code"
        ).fetchall()
    except sqlite3.Error as exc:
        raise DatasetError(path, [f"cannot read its admin_units ({exc})"]) from exc
    finally:
        con.close()
    return _rows_out(rows)


def _each_county_rows(files: Sequence[Path]) -> list[list]:
    """:func:`_county_rows` of each file, in order, an unreadable one as no rows (its task then
    fails with the reason). Read on threads, as SQLite lets go of the GIL while it reads: a
    folder of 2,050 national demo files not in the page cache is listed in 5.7-6.3 s against
    7.1-7.5 s one file after another."""
    from concurrent.futures import ThreadPoolExecutor

    def rows_of(f: Path) -> list:
        try:
            return _county_rows(f)
        except DatasetError:
            return []

    with ThreadPoolExecutor(max_workers=min(16, max(1, len(files)))) as pool:
        return list(pool.map(rows_of, files))  # all read before the caller checks any


def _server_rows(url: str) -> list[tuple[str, str, tuple[float, float, float, float] | None]]:
    """Code, name and extent of the county rows of a PostGIS dataset."""
    units = read_dataset(url, layers=["admin_units"])["admin_units"]
    units = units[(units["level"] == "county").to_numpy()].sort_values("code")
    return _rows_out([(c, n, *(g.bounds if g is not None and not g.is_empty else (None,) * 4))
                      for c, n, g in zip(units["code"], units["name"].fillna(""), units.geometry, strict=True)])


def _server_partitions(url: str) -> list[Partition]:
    """The partitions of a PostGIS dataset: with ``?schema=*`` every county schema of the
    database, else the one schema of the URL; each schema is read whole by its task (a
    schema holding several counties is one task: on a server a county is a schema)."""
    from geo.store.pgurl import names_every_schema, schema_url
    from geo.store.postgis import dataset_schemas

    urls = ([schema_url(url, s) for s in dataset_schemas(url)] if names_every_schema(url) else [url])
    if not urls:
        raise DatasetError(redact(url), ["数据库中没有 ChildSafe 县数据集（模式）/ the database holds no "
                                         "ChildSafe county dataset (schema)"])
    out: list[Partition] = []
    seen: dict[str, str] = {}
    for one in urls:
        schema = parse_url(one).schema
        rows = _server_rows(one)
        code, name, bounds = rows[0] if len(rows) == 1 else (schema, "", None)
        if code in seen:
            raise DatasetError(redact(url), [f"县 {code} 重复 / county {code} is in schemas {seen[code]} "
                                             f"and {schema}"])
        seen[code] = schema
        out.append(Partition(code, name, one, "file", bounds))
    return sorted(out, key=lambda part: part.code)


def _rows_out(rows) -> list[tuple[str, str, tuple[float, float, float, float] | None]]:
    out = []
    for code, name, *box in rows:
        bounds = None if box[0] is None else (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        out.append((str(code), str(name or ""), bounds))
    return out


def is_partitioned(path: str | os.PathLike) -> bool:
    """Whether ``path`` names many county datasets: a folder of county GeoPackages, or a
    PostGIS database's every county schema (``postgresql://…?schema=*``)."""
    if is_url(path):
        from geo.store.pgurl import names_every_schema

        return names_every_schema(str(path))
    return Path(path).is_dir()


def partitions(path: str | os.PathLike) -> list[Partition]:
    """The county partitions of the dataset at ``path`` (a GeoPackage or a folder of them).

    Raises
    ------
    DatasetError
        No such file or folder; a folder without GeoPackages; a county code found twice; a
        file of a folder holding more than one county.
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.glob("*.gpkg") if not f.name.startswith("."))
        if not files:
            raise DatasetError(p, ["文件夹中没有县级 GeoPackage / the folder holds no county GeoPackage (*.gpkg)"])
        out: list[Partition] = []
        seen: dict[str, Path] = {}
        for f, rows in zip(files, _each_county_rows(files), strict=True):
            if len(rows) > 1:
                raise DatasetError(f, [f"分区文件夹中每个文件只能有一个县，此文件有 {len(rows)} 个 / a file of a "
                                       f"partition folder holds one county, this one {len(rows)}"])
            code, name, bounds = rows[0] if rows else (f.stem, "", None)
            if code in seen:
                raise DatasetError(f, [f"县 {code} 重复 / county {code} is also in {seen[code].name}"])
            seen[code] = f
            out.append(Partition(code, name, str(f), "file", bounds))
        return sorted(out, key=lambda part: part.code)
    if is_url(path):
        return _server_partitions(str(path))
    if not p.exists():
        raise DatasetError(p, ["文件不存在 / the file does not exist"])
    rows = _county_rows(p)
    if len(rows) <= 1:
        code, name, bounds = rows[0] if rows else (p.stem, "", None)
        return [Partition(code, name, str(p), "file", bounds)]
    codes = [r[0] for r in rows]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise DatasetError(p, [f"县代码重复 / county code(s) {', '.join(dup)} appear more than once"])
    return [Partition(code, name, str(p), "split", bounds) for code, name, bounds in rows]


# --- reading one partition ----------------------------------------------------------------------


def _read(path: str, name: str, **kwargs) -> pd.DataFrame:
    spec = ALL_LAYERS[name]
    frame = read_frame(path, layer=None if "sql" in kwargs else name,
                       read_geometry=bool(spec.geometry), **kwargs)
    if spec.geometry and isinstance(frame, gpd.GeoDataFrame):
        frame = frame.set_crs(STORAGE_CRS, allow_override=True)
    return frame


def _layers_in(path: str) -> set[str]:
    return {str(r[0]) for r in pyogrio.list_layers(path)}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs) -> np.ndarray:
    return np.asarray(frame.to_crs(crs).geometry.values if isinstance(frame, gpd.GeoDataFrame)
                      else frame.to_crs(crs).values)


def _counties(path: str) -> gpd.GeoDataFrame:
    frame = _read(path, "admin_units", where="level = 'county'")
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def _owned(points: gpd.GeoDataFrame, code: str, counties: gpd.GeoDataFrame) -> np.ndarray:
    """Which ``points`` belong to county ``code``: covered by it and by no county of a lower code."""
    geoms = np.asarray(points.geometry.values)
    if not len(geoms):
        return np.zeros(0, dtype=bool)
    owner = np.full(len(geoms), "", dtype=object)
    for c, poly in zip(counties["code"].astype(str), counties.geometry.values, strict=True):
        free = owner == ""
        if not free.any():
            break
        hit = np.zeros(len(geoms), dtype=bool)
        hit[free] = shapely.covers(poly, geoms[free])
        owner[hit] = c
    return owner == code


def _clip(frame: gpd.GeoDataFrame, poly) -> gpd.GeoDataFrame:
    """``frame`` cut to ``poly``, each geometry keeping only parts of its own dimension."""
    geoms = np.asarray(frame.geometry.values)
    cut = shapely.intersection(geoms, poly)
    dims = shapely.get_dimensions(geoms)
    for i in np.flatnonzero(shapely.get_type_id(cut) == 7):  # a collection: lines and points too
        cut[i] = keep_dimension(cut[i], int(dims[i]))
    keep = ~shapely.is_empty(cut) & (shapely.get_dimensions(cut) == dims)
    out = frame.copy()
    out = out.set_geometry(gpd.GeoSeries(cut, index=frame.index, crs=frame.crs))
    return out[keep].reset_index(drop=True)


def _prefixed(column: str, prefix: str) -> str:
    """``column LIKE 'prefix%'`` with a range an index on ``column`` can answer (the store
    indexes the village codes, ``geo.store.sqlite.LINKS``); the LIKE keeps its meaning."""
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else ""
    rng = f"{column} >= {_quote(prefix)} AND {column} < {_quote(after)} AND " if prefix else ""
    return f"({rng}{column} LIKE {_quote(prefix + '%')})"


def _ids(values: pd.Series) -> pd.Series:
    """Ids as text, however stored (12, 12.0 and '12' are '12'), as the store reads them."""
    return coerce_column(values, "text")[0]


def _inspected(kits: set[str], waters: set[str]) -> str:
    """The inspections of these kits, or of these waters when of no kit, as a filter SQLite
    answers (a county's share of the province's inspections, not all of them read: for each
    county, reading them all grew with the province).

    An id that is a whole number is matched as text and as a number too (an id column may be
    stored as integers or reals). The unary ``+`` keeps SQLite from an index, if one is ever
    made: the rows come in the order of the file, as read whole.
    """
    def among(column: str, ids: set[str]) -> str:
        if not ids:
            return "0"
        items = [_quote(i) for i in sorted(ids)] + [i for i in sorted(ids) if i.isascii() and i.isdigit()]
        return f"+{column} IN ({', '.join(items)})"

    return (f"((+kit_id IS NOT NULL AND {among('kit_id', kits)}) OR "
            f"(+kit_id IS NULL AND {among('water_id', waters)}))")


def _split_layers(part: Partition, names: Sequence[str], present: set[str]) -> dict[str, pd.DataFrame]:
    src, code = part.source, part.code
    villages = _prefixed("village_code", code)
    in_county = f"household_id IN (SELECT household_id FROM households WHERE {villages})"
    counties = _counties(src)
    poly = counties.loc[counties["code"] == code].geometry.iloc[0]
    box = tuple(shapely.bounds(poly))
    frames: dict[str, pd.DataFrame] = {}
    for name in names:
        if name not in present or name == "audit_log":
            continue
        if name in _BY_CODE:
            frames[name] = _read(src, name, where=_prefixed(_BY_CODE[name], code))
        elif name == "children" and "households" in present:
            frames[name] = _read(src, name, where=in_county)
        elif name == "visits" and {"households", "children"} <= present:
            frames[name] = _read(src, name, where=f"child_id IN (SELECT child_id FROM children WHERE {in_county})")
        elif name in _POINTS:
            pts = _read(src, name, bbox=box)
            frames[name] = pts[_owned(pts, code, counties)].reset_index(drop=True)
        elif name == "water_bodies":
            water = _read(src, name, bbox=box)
            water = water[shapely.intersects(poly, np.asarray(water.geometry.values))]
            frames[name] = _clip(water, poly)
        elif name == "roads":
            roads = _read(src, name, bbox=box)
            frames[name] = roads[shapely.intersects(poly, np.asarray(roads.geometry.values))].reset_index(drop=True)
        elif name in ("dataset_settings", "children", "visits"):
            frames[name] = _read(src, name)
    if "inspections" in names and "inspections" in present:
        kits = set(_ids(frames.get("safety_kits", pd.DataFrame({"kit_id": []}))["kit_id"]).dropna())
        waters = set(_ids(frames.get("water_bodies", pd.DataFrame({"water_id": []}))["water_id"]).dropna())
        insp = _read(src, "inspections", where=_inspected(kits, waters))
        kit, water = _ids(insp["kit_id"]), _ids(insp["water_id"])  # a kit's inspection, else its water's
        keep = np.where(kit.notna().to_numpy(bool), kit.isin(kits).fillna(False).to_numpy(bool),
                        (water.notna() & water.isin(waters).fillna(False)).to_numpy(bool))
        frames["inspections"] = insp[keep].reset_index(drop=True)
    return frames


def _halo(part: Partition, others: Iterable[Partition], halo_m: float, poly_metric, crs
          ) -> dict[str, list[pd.DataFrame]]:
    """Stations of other counties within ``halo_m`` of the county, and the roads there."""
    zone = shapely.buffer(poly_metric, halo_m)
    zone_ll = gpd.GeoSeries([zone], crs=crs).to_crs(STORAGE_CRS).iloc[0]
    box = tuple(shapely.bounds(zone_ll))
    out: dict[str, list[pd.DataFrame]] = {"stations": [], "roads": []}
    for other in others:
        if other.code == part.code:
            continue
        if other.bounds is not None and not shapely.intersects(shapely.box(*other.bounds), zone_ll):
            continue
        present = _layers_in(other.source)
        if other.kind == "split":
            got = _split_layers(other, [n for n in _HALO_LAYERS if n in present], present)
        else:
            got = {n: _read(other.source, n, bbox=box) for n in _HALO_LAYERS if n in present}
        for name, frame in got.items():
            near = shapely.intersects(zone, _metric(frame, crs))
            if name == "stations":
                frame = frame.assign(halo=True, county_code=other.code)
            out[name].append(frame[near])
    return out


def read_partition(part: Partition, *, layers: Iterable[str] | None = None, halo_m: float = 0.0,
                   others: Sequence[Partition] = ()) -> Dataset:
    """Read one county of a partitioned dataset as a :class:`Dataset`.

    Parameters
    ----------
    part
        The county (from :func:`partitions`).
    layers
        Read only these layers (default: all contract layers).
    halo_m
        Include stations of the ``others`` within this many metres of the county border (and
        the roads there); 0: none.

    Raises
    ------
    DatasetError
        Every problem of the county's data (missing columns, wrong types, bad geometry).
    """
    wanted = list(layers) if layers is not None else list(ALL_LAYERS)
    if "dataset_settings" not in wanted:
        wanted.append("dataset_settings")
    if halo_m > 0:
        wanted += [n for n in ("admin_units", *_HALO_LAYERS) if n not in wanted]
    if part.kind == "file":
        ds = read_dataset(part.source, layers=[n for n in wanted if n != "dataset_settings"])
        frames = {n: ds._layers[n] for n in ds}
        settings = dict(ds.settings)
    else:
        present = _layers_in(part.source)
        raw = _split_layers(part, wanted, present)
        problems: list[str] = []
        frames = {}
        for name, frame in raw.items():
            if name == "dataset_settings":
                continue
            frame, found = coerce_layer(name, frame)
            problems += found
            frames[name] = frame
        if problems:
            raise DatasetError(f"{part.source} [{part.label}]", problems)
        kv = raw.get("dataset_settings")
        settings = ({} if kv is None else
                    dict(zip(kv["key"].astype(str), kv["value"].fillna("").astype(str), strict=True)))
    # the county's own zone (not that of the roads or halo stations reaching past its border)
    pinned = None if settings.get("metric_crs") else metric_crs_of(part)
    ds = Dataset(frames, path=part.source, settings=settings, metric_crs=pinned)
    if halo_m > 0:
        county = ds["admin_units"]
        county = county[county["level"] == "county"]
        if county.empty:
            raise DatasetError(f"{part.source} [{part.label}]",
                               ["跨县服务范围需要县界 / a halo needs the county boundary (admin_units level county)"])
        crs = ds.metric_crs
        poly_metric = _metric(county.geometry, crs)[0]
        extra = _halo(part, others, halo_m, poly_metric, crs)
        stations = ds["stations"].assign(halo=False, county_code=part.code)
        ds["stations"] = _concat([stations, *extra["stations"]], "station_id")
        ds["roads"] = _concat([ds["roads"], *extra["roads"]], "road_id")
    return ds


def _concat(frames: list[pd.DataFrame], key: str) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    out = pd.concat(frames, ignore_index=True)
    out = out.drop_duplicates(subset=[key], keep="first").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)


def outside_counties(ds: Dataset) -> dict[str, list[str]]:
    """Ids of the stations and kits of ``ds`` that no county boundary covers (in no partition)."""
    counties = ds["admin_units"]
    counties = counties[counties["level"] == "county"]
    out: dict[str, list[str]] = {}
    if len(counties) < 2:
        return out
    union = shapely.union_all(np.asarray(counties.geometry.values))
    for name, key in (("stations", "station_id"), ("safety_kits", "kit_id")):
        frame = ds[name]
        if not len(frame):
            continue
        miss = ~shapely.covers(union, np.asarray(frame.geometry.values))
        if miss.any():
            out[name] = frame.loc[miss, key].astype(str).tolist()
    return out


def metric_crs_of(part: Partition):
    """The metric CRS a county's analyses use (the UTM zone of its extent)."""
    if part.bounds is None:
        return None
    return metric_crs_for(part.bounds)
