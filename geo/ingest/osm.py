"""OpenStreetMap extracts offline: roads and water from a local ``.osm`` (XML) or ``.osm.pbf`` file.

PBF files are read with pyrosm; XML files with a small streaming ElementTree reader (nodes,
ways, and ``multipolygon`` relations). No network is used. Tags map to the contract:

- roads (``highway=*``) -> ``road_class`` by :data:`ROAD_CLASS`; ``oneway`` from ``oneway=yes|1|
  true|-1`` or ``junction=roundabout``;
- water -> ``kind`` by :func:`water_kind`: ``waterway=river|stream`` river, ``canal`` canal,
  ``ditch|drain`` ditch; ``natural=water`` with ``water=pond|fishpond|reservoir|lake|river|canal|
  ditch|...``; ``landuse=reservoir`` reservoir, ``landuse=basin`` pond. ``natural=water``
  without a ``water`` tag is a pond below :data:`POND_MAX_AREA_M2` and a lake above.
"""

from __future__ import annotations

import contextlib
import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon

from geo.store.errors import ValidationError
from geo.store.projection import STORAGE_CRS

logger = logging.getLogger(__name__)

#: OSM ``highway`` value -> SCHEMA ``road_class``; other values (construction, proposed,
#: platform, corridor, ...) are not roads one travels.
ROAD_CLASS: dict[str, str] = {
    "motorway": "primary", "motorway_link": "primary", "trunk": "primary", "trunk_link": "primary",
    "primary": "primary", "primary_link": "primary",
    "secondary": "secondary", "secondary_link": "secondary",
    "tertiary": "tertiary", "tertiary_link": "tertiary",
    "unclassified": "rural", "residential": "rural", "living_street": "rural", "service": "rural",
    "road": "rural",
    "track": "track",
    "path": "path", "footway": "path", "cycleway": "path", "bridleway": "path", "steps": "path",
    "pedestrian": "path",
}
#: OSM ``waterway`` value -> water kind (lines).
WATERWAY_KIND = {"river": "river", "stream": "river", "canal": "canal", "ditch": "ditch",
                 "drain": "ditch", "riverbank": "river"}
#: OSM ``water`` value (with ``natural=water``) -> water kind (areas).
WATER_KIND = {"pond": "pond", "fishpond": "pond", "basin": "pond", "reservoir": "reservoir",
              "lake": "lake", "lagoon": "lake", "oxbow": "lake", "river": "river",
              "stream": "river", "canal": "canal", "ditch": "ditch", "drain": "ditch",
              "moat": "canal", "cistern": "cistern"}
LANDUSE_KIND = {"reservoir": "reservoir", "basin": "pond", "pond": "pond"}
#: an untyped ``natural=water`` area up to this size counts as a pond, above as a lake (1 ha is
#: the usual upper size of a village pond, 坑塘, in land-survey practice).
POND_MAX_AREA_M2 = 10_000.0
_TRUE = {"yes", "1", "true", "-1"}


def water_kind(tags: dict[str, str], area_m2: float | None = None) -> str | None:
    """Return the SCHEMA water kind of an OSM feature's tags, or None if it is not water."""
    ww = tags.get("waterway")
    if ww in WATERWAY_KIND:
        return WATERWAY_KIND[ww]
    if tags.get("natural") == "water":
        water = tags.get("water")
        if water in WATER_KIND:
            return WATER_KIND[water]
        if water:
            return "other"
        if area_m2 is None:
            return "pond"
        return "pond" if area_m2 <= POND_MAX_AREA_M2 else "lake"
    if tags.get("landuse") in LANDUSE_KIND:
        return LANDUSE_KIND[tags["landuse"]]
    return None


def road_level(tags: dict[str, str]) -> int:
    """The vertical level of an OSM way: its ``layer`` tag, else +1 on a bridge, -1 in a tunnel, 0."""
    raw = str(tags.get("layer", "")).split(";")[0].strip()
    with contextlib.suppress(ValueError):
        return int(float(raw))
    if tags.get("bridge", "no") not in ("no", "", "None", "nan"):
        return 1
    if tags.get("tunnel", "no") not in ("no", "", "None", "nan"):
        return -1
    return 0


def _road_rows(ids, tags_list, geoms) -> gpd.GeoDataFrame:
    """Roads of the ways with a travelled ``highway`` value. ``area=yes`` ways (squares, the
    outlines of pedestrian areas) are not roads, as pyrosm and OSMnx read them; OSM roads meet at
    shared nodes only (``junctions = "nodes"``) and keep their level from ``layer``/``bridge``/
    ``tunnel``."""
    rows: dict[str, list] = {"road_id": [], "road_class": [], "oneway": [], "junctions": [],
                             "road_level": [], "name": [], "geometry": []}
    for osm_id, tags, geom in zip(ids, tags_list, geoms, strict=True):
        cls = ROAD_CLASS.get(tags.get("highway", ""))
        if cls is None or geom is None or geom.is_empty or tags.get("area") == "yes":
            continue
        if geom.geom_type == "MultiLineString":
            parts = list(geom.geoms)
        elif geom.geom_type == "LineString":
            parts = [geom]
        else:
            continue
        oneway = tags.get("oneway", "").lower() in _TRUE or tags.get("junction") == "roundabout"
        for k, part in enumerate(parts):
            rows["road_id"].append(f"osm_w{osm_id}" + (f"_{k}" if len(parts) > 1 else ""))
            rows["road_class"].append(cls)
            rows["oneway"].append(oneway)
            rows["junctions"].append("nodes")
            rows["road_level"].append(road_level(tags))
            rows["name"].append(tags.get("name"))
            rows["geometry"].append(part)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
    frame["road_level"] = frame["road_level"].astype("int64")
    return frame.drop(columns="name")


def _water_rows(ids, tags_list, geoms) -> gpd.GeoDataFrame:
    geoms = list(geoms)
    areas = _areas_m2(geoms)
    rows: dict[str, list] = {"water_id": [], "kind": [], "name": [], "responsible_unit": [],
                             "barrier": [], "geometry": []}
    for osm_id, tags, geom, area in zip(ids, tags_list, geoms, areas, strict=True):
        if geom is None or geom.is_empty or geom.geom_type in ("Point", "MultiPoint"):
            continue
        kind = water_kind(tags, area if geom.geom_type in ("Polygon", "MultiPolygon") else None)
        if kind is None:
            continue
        rows["water_id"].append(f"osm_{osm_id}")
        rows["kind"].append(kind)
        rows["name"].append(tags.get("name:zh") or tags.get("name"))
        rows["responsible_unit"].append(tags.get("operator"))
        rows["barrier"].append(False)
        rows["geometry"].append(geom)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def _areas_m2(geoms: list) -> np.ndarray:
    """Approximate areas in m² of lon/lat geometries (local equirectangular scale)."""
    out = np.full(len(geoms), np.nan)
    for i, g in enumerate(geoms):
        if g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon"):
            lat = g.centroid.y
            kx = 111_320.0 * np.cos(np.radians(lat))
            out[i] = g.area * kx * 110_574.0
    return out


# --- PBF via pyrosm -----------------------------------------------------------------------------


def _tags_of(frame: pd.DataFrame, keys: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    cols = [k for k in keys if k in frame.columns]
    extra = frame["tags"] if "tags" in frame.columns else pd.Series([None] * len(frame))
    for i in range(len(frame)):
        tags: dict[str, str] = {}
        raw = extra.iloc[i]
        if isinstance(raw, str) and raw:
            with contextlib.suppress(ValueError, AttributeError):
                tags.update({str(k): str(v) for k, v in json.loads(raw).items()})
        elif isinstance(raw, dict):
            tags.update({str(k): str(v) for k, v in raw.items()})
        for c in cols:
            v = frame[c].iloc[i]
            if v is not None and not (isinstance(v, float) and np.isnan(v)):
                tags[c] = str(v)
        out.append(tags)
    return out


def _read_pbf(path: Path) -> dict[str, gpd.GeoDataFrame]:
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - pyrosm is a core dependency
        raise ValidationError("reading .osm.pbf files needs pyrosm (pip install pyrosm)") from exc
    try:
        osm = pyrosm.OSM(str(path))
        roads = osm.get_network(network_type="all",
                                extra_attributes=["junction", "name", "bridge", "tunnel", "layer", "area"])
        water = osm.get_data_by_custom_criteria(
            custom_filter={"natural": ["water"], "waterway": list(WATERWAY_KIND),
                           "landuse": list(LANDUSE_KIND)},
            filter_type="keep", keep_nodes=False, keep_relations=True,
            extra_attributes=["water", "name", "operator"],
        )
    except Exception as exc:  # pyrosm raises plain exceptions on a corrupt file
        raise ValidationError(f"{path}: the file cannot be read: not a valid OSM PBF ({exc})") from exc
    keys = ("highway", "oneway", "junction", "name", "waterway", "natural", "water", "landuse",
            "operator", "bridge", "tunnel", "layer", "area")
    out = {}
    if roads is None or roads.empty:
        out["roads"] = _road_rows([], [], [])
    else:
        out["roads"] = _road_rows(roads["id"], _tags_of(roads, keys), roads.geometry)
    if water is None or water.empty:
        out["water_bodies"] = _water_rows([], [], [])
    else:
        prefix = water.get("osm_type", pd.Series(["way"] * len(water))).astype(str).str[0]
        ids = [f"{p}{i}" for p, i in zip(prefix, water["id"], strict=True)]
        out["water_bodies"] = _water_rows(ids, _tags_of(water, keys), water.geometry)
    return out


# --- XML via ElementTree ------------------------------------------------------------------------


def _is_area(tags: dict[str, str], refs: list[str]) -> bool:
    closed = len(refs) >= 4 and refs[0] == refs[-1]
    if not closed or tags.get("area") == "no":
        return False
    return bool(tags.get("natural") == "water" or tags.get("landuse") in LANDUSE_KIND
                or tags.get("waterway") == "riverbank" or tags.get("area") == "yes")


def _read_xml(path: Path) -> dict[str, gpd.GeoDataFrame]:
    nodes: dict[str, tuple[float, float]] = {}
    ways: dict[str, tuple[list[str], dict[str, str]]] = {}
    relations: list[tuple[str, list[tuple[str, str]], dict[str, str]]] = []
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag == "node":
                nodes[elem.get("id")] = (float(elem.get("lon")), float(elem.get("lat")))
                elem.clear()
            elif elem.tag == "way":
                refs = [nd.get("ref") for nd in elem.iter("nd")]
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                ways[elem.get("id")] = (refs, tags)
                elem.clear()
            elif elem.tag == "relation":
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                members = [(m.get("ref"), m.get("role") or "outer") for m in elem.iter("member")
                           if m.get("type") == "way"]
                relations.append((elem.get("id"), members, tags))
                elem.clear()
    except (ET.ParseError, TypeError, ValueError) as exc:
        raise ValidationError(f"{path}: the file cannot be read: not valid OSM XML ({exc})") from exc

    def line(refs: list[str]):
        pts = [nodes[r] for r in refs if r in nodes]
        return LineString(pts) if len(pts) >= 2 else None

    road_ids, road_tags, road_geoms = [], [], []
    water_ids, water_tags, water_geoms = [], [], []
    for wid, (refs, tags) in ways.items():
        if "highway" in tags:
            road_ids.append(wid)
            road_tags.append(tags)
            road_geoms.append(line(refs))
        if water_kind(tags) is not None:
            geom = line(refs)
            if geom is not None and _is_area(tags, refs):
                geom = Polygon(geom.coords)
            water_ids.append(f"w{wid}")
            water_tags.append(tags)
            water_geoms.append(geom)
    for rid, members, tags in relations:
        if tags.get("type") != "multipolygon" or water_kind(tags) is None:
            continue
        outer = [line(ways[r][0]) for r, role in members if role == "outer" and r in ways]
        inner = [line(ways[r][0]) for r, role in members if role == "inner" and r in ways]
        outer_poly = shapely.unary_union(list(shapely.polygonize([g for g in outer if g]).geoms))
        inner_poly = shapely.unary_union(list(shapely.polygonize([g for g in inner if g]).geoms))
        geom = outer_poly.difference(inner_poly) if not inner_poly.is_empty else outer_poly
        if isinstance(geom, Polygon | MultiPolygon) and not geom.is_empty:
            water_ids.append(f"r{rid}")
            water_tags.append(tags)
            water_geoms.append(geom)
    return {"roads": _road_rows(road_ids, road_tags, road_geoms),
            "water_bodies": _water_rows(water_ids, water_tags, water_geoms)}


def read_osm(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """Read roads and water from a local OSM extract (``.osm`` XML or ``.osm.pbf``).

    Returns
    -------
    dict
        ``{"roads": ..., "water_bodies": ...}``, GeoDataFrames in EPSG:4326 with the contract
        columns; ids are ``osm_w<way id>`` (roads) and ``osm_w<id>``/``osm_r<id>`` (water), so
        re-importing an extract updates rather than duplicates.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: the file cannot be read: it does not exist")
    name = path.name.lower()
    layers = _read_pbf(path) if name.endswith(".pbf") else _read_xml(path)
    logger.info("osm %s: %d roads, %d water bodies", path.name, len(layers["roads"]),
                len(layers["water_bodies"]))
    return layers
