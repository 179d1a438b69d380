"""The synthetic demo county (and province-size instances) for trying and benchmarking the tools.

Nothing in it is real: places, names, people and records are drawn from a seeded random
generator. A standard county (``scale=1``) lies in the plains of central Anhui around lon 117,
lat 32.5, with the clearly fictional code 341199 (示范县); it has about 9 townships, 150
villages, 9,000 households, 12,000 children, 1,500 water features, 600 "four ones" kits, 60
stations and a road network of about 18,000 nodes.

``scale`` is an area factor: below 1.5 the dataset is one county of ``scale`` times the standard
area (with proportionally fewer townships, villages, households...); above it, ``round(scale)``
counties of ``scale / round(scale)`` standard areas each tile a fictional province (code 34,
cities 3481..), each county drawn by the same generator from its own sub-seed, with county
roads joining neighbours at shared border points and province rivers running across counties.

Examples
--------
>>> from geo.demo.make import make_demo, write_demo
>>> ds = make_demo(seed=7, scale=0.1)  # doctest: +SKIP
>>> write_demo(ds, "demo.gpkg")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.demo import _county, _geometry
from geo.demo import _people as people
from geo.store.dataset import Dataset, coerce_layer, write_dataset
from geo.store.errors import SettingsError
from geo.store.progress import report

logger = logging.getLogger(__name__)

METRIC_CRS = "EPSG:32650"  # UTM zone 50N: central meridian 117 E
CENTRE_LONLAT = (117.0, 32.5)
REFERENCE_DATE = people.REFERENCE_DATE
COUNTY_CODE = "341199"
COUNTY_NAME = "示范县"
PROVINCE_CODE = "34"
MAX_SCALE = 1000.0  # one process, one file
NATIONAL_MAX = 3500.0  # county by county (``childsafe demo --workers``): a national demo
DECIMALS = 6  # coordinates stored to 1e-6 degree (about 0.1 m)

_PERSON_LAYERS = ("children", "visits", "inspections")


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + zero-padded serial numbers 1..n (``H000001``...)."""
    width = max(width, len(str(n)))
    num = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    return np.char.add(prefix, num).astype(object)


def _county_codes(n: int) -> tuple[list[str], list[str]]:
    """Codes and parent (city) codes of ``n`` province counties: ``34CCNN`` and ``34CC00``.

    Synthetic codes (geo.store.codes.is_synthetic_county): city parts 81-89 and 91-99 are
    never assigned; the one-county demo is ``341199`` (county part 99).
    Past 1,422 counties (18 cities of 79) the country continues in provinces 35, 36...
    """
    per_city = max(10, int(np.ceil(n / 18)))
    if per_city > 79:
        if n > NATIONAL_MAX:
            raise SettingsError(f"demo scale too large: at most {NATIONAL_MAX:g}")
        codes, parents = [], []
        for k in range(n):
            prov, rest = divmod(k, 18 * 79)
            city, county = divmod(rest, 79)
            city = 81 + city + (81 + city >= 90)  # 90 is a real city part
            codes.append(f"{int(PROVINCE_CODE) + prov:02d}{city:02d}{21 + county:02d}")
            parents.append(f"{int(PROVINCE_CODE) + prov:02d}{city:02d}00")
        return codes, parents
    codes, parents = [], []
    for k in range(n):
        city = 81 + k // per_city
        city += city >= 90  # 90 is a real city part (province-administered counties)
        codes.append(f"{PROVINCE_CODE}{city:02d}{21 + k % per_city:02d}")
        parents.append(f"{PROVINCE_CODE}{city:02d}00")
    return codes, parents


@dataclass
class CountySpec:
    """What one county of a demo province is drawn from (small: sent to a worker as it is)."""

    seed: int
    scale: float
    index: int
    code: str
    name: str
    parent: str
    outline: object
    gates: object
    rivers: list
    river_names: list[str]
    factor: float
    seeds: np.random.SeedSequence

    def draw(self) -> dict:
        """The county's layers as frames in metres (``geo.demo._county.make_county``)."""
        crng = np.random.default_rng(self.seeds)
        return _county.make_county(crng, self.outline, self.gates, self.rivers, self.river_names,
                                   self.code, self.name, self.parent, af=self.factor)


@dataclass
class Layout:
    """The province of a demo: county outlines, border gates, rivers, codes, names, seeds."""

    seed: int
    scale: float
    codes: list[str]
    parents: list[str]
    names: list[str]
    outlines: list
    gates: list
    rivers: list
    river_names: list[str]
    factors: np.ndarray
    county_seeds: list
    ss: np.random.SeedSequence
    _rivers_tree: shapely.STRtree | None = field(default=None, repr=False, compare=False)
    _steps: list[float] | None = field(default=None, repr=False, compare=False)

    def county(self, k: int) -> CountySpec:
        """County ``k``'s part of the layout: its outline, gates, seeds and the stretches of
        the rivers near it (in province order: the county is drawn as from the whole rivers,
        and a national layout's task stays a few kilobytes)."""
        outline = self.outlines[k]
        near = np.sort(self._river_index().query(outline))
        box = tuple(shapely.bounds(outline))
        steps = self._river_steps()
        stretches = [_geometry.span_near(self.rivers[i], box, steps[i]) for i in near]
        keep = [j for j, part in enumerate(stretches) if len(part) >= 2]
        return CountySpec(self.seed, self.scale, k, self.codes[k], self.names[k], self.parents[k],
                          outline, self.gates[k], [stretches[j] for j in keep],
                          [self.river_names[near[j]] for j in keep], float(self.factors[k]),
                          self.county_seeds[k])

    def _river_steps(self) -> list[float]:
        if self._steps is None:
            self._steps = [_geometry.longest_step(r) for r in self.rivers]
        return self._steps

    def _river_index(self) -> shapely.STRtree:
        if self._rivers_tree is None:
            self._rivers_tree = shapely.STRtree([shapely.LineString(r) for r in self.rivers])
        return self._rivers_tree


def province_layout(*, seed: int = 7, scale: float = 1.0, counties: int | None = None,
                    max_scale: float = MAX_SCALE) -> Layout:
    """The layout of a demo of ``scale`` standard counties (see :func:`make_demo`)."""
    if not (0.01 <= scale <= max_scale) or not np.isfinite(scale):
        raise SettingsError(f"demo scale must be between 0.01 and {max_scale:g}, not {scale!r}")
    n_counties = (1 if scale < 1.5 else int(round(scale))) if counties is None else int(counties)
    if n_counties < 1:
        raise SettingsError(f"demo counties must be at least 1, not {counties!r}")
    area = _county.STANDARD["area_m2"] * scale / n_counties
    ss = np.random.SeedSequence([int(seed), 20261101])
    region_ss, *county_ss = ss.spawn(n_counties + 1)
    rng = np.random.default_rng(region_ss)
    centre = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True).transform(*CENTRE_LONLAT)
    outlines, region, gates = _geometry.county_layout(rng, n_counties, area, centre)
    rivers = _geometry.rivers_for_region(rng, region, n_counties)
    river_names = _county.place_names(rng, len(rivers), "河",
                                      prefix_pool=_county._TOWN_PREFIX)
    if n_counties == 1:
        codes, parents, names = [COUNTY_CODE], [""], [COUNTY_NAME]
    else:
        codes, parents = _county_codes(n_counties)
        names = [f"示范{n}" for n in _county.place_names(rng, n_counties, "县")]
    # size each county by its share of the region, so the whole has ``scale`` standard counties
    areas = np.array([o.area for o in outlines])
    factors = scale * areas / areas.sum()
    return Layout(int(seed), float(scale), codes, parents, names, outlines, gates, rivers,
                  river_names, factors, county_ss, ss)


def county_demo(spec: CountySpec) -> Dataset:
    """One county of a demo province as a dataset of its own (ids carry the county code).

    Drawn county by county (``childsafe demo --workers``): the people and records of each
    county come from the county's own seed, so a national demo needs the memory of one county.
    """
    made = spec.draw()
    rng = np.random.default_rng([spec.seed, 20261101, 1 + spec.index])
    ds = _assemble(rng, [made], tag=f"{spec.code}-")
    ds.settings.update({
        "demo": "synthetic: no real person or place",
        "demo_seed": str(spec.seed),
        "demo_scale": f"{spec.scale:g}",
        "demo_county": spec.code,
        "synthetic_codes": "allowed",  # county codes of the synthetic form (geo.store.codes)
        "reference_date": REFERENCE_DATE,
    })
    return ds


def make_demo(*, seed: int = 7, scale: float = 1.0, counties: int | None = None) -> Dataset:
    """Generate the synthetic demo dataset.

    Parameters
    ----------
    seed
        Seed of the random generator: the same seed and scale give the same dataset.
    scale
        Area factor: 1 is one standard county; 0.1 a small one (tests); 50 a province-size
        instance of 50 counties (benchmarks). Between 0.01 and 1000.
    counties
        Number of counties sharing that area (default: 1 below scale 1.5, else
        ``round(scale)``); e.g. ``scale=0.3, counties=3`` is a small three-county province
        for tests of multi-county runs.

    Returns
    -------
    Dataset
        Every contract layer in EPSG:4326 (``audit_log`` empty); ``settings`` record that it
        is synthetic, the seed, scale and the demo's reference date ("today", 2026-11-01).
    """
    t0 = time.perf_counter()
    lay = province_layout(seed=seed, scale=scale, counties=counties)
    n_counties = len(lay.codes)
    made = []
    for k in range(n_counties):
        report("demo: counties", k, n_counties)
        made.append(lay.county(k).draw())
    report("demo: counties", n_counties, n_counties)
    ds = _assemble(np.random.default_rng(lay.ss.spawn(1)[0]), made)
    ds.settings.update({
        "demo": "synthetic: no real person or place",
        # county codes of the synthetic form (geo.store.codes.is_synthetic_county): 341199, 34CCNN
        "synthetic_codes": "allowed",
        "demo_seed": str(int(seed)),
        "demo_scale": f"{scale:g}",
        "reference_date": REFERENCE_DATE,
    })
    logger.info("demo: %s counties, %s households, %s children, %s road pieces in %.1f s",
                n_counties, f"{len(ds['households']):,}", f"{len(ds['children']):,}",
                f"{len(ds['roads']):,}", time.perf_counter() - t0)
    return ds


def _assemble(rng: np.random.Generator, counties: list[dict], *, tag: str = "") -> Dataset:
    """Number the counties' features, draw the people and records, project to EPSG:4326."""
    admin = pd.concat([c["admin"] for c in counties], ignore_index=True)
    # households and their villages (global village index)
    v_codes = np.concatenate([c["village_codes"] for c in counties])
    v_off = np.cumsum([0] + [len(c["village_codes"]) for c in counties])
    hh = pd.concat([c["households"].assign(village=c["households"]["village"] + v_off[k])
                    for k, c in enumerate(counties)], ignore_index=True)
    care, kids = people.households_and_children(rng, hh["village"].to_numpy())
    hh_ids = _ids(f"H{tag}", len(hh), 6)
    village_of_hh = v_codes[hh["village"].to_numpy()]
    households = pd.DataFrame({"household_id": hh_ids, "village_code": village_of_hh,
                               "caregiver": care, "geometry": hh["geometry"]})
    child_ids = _ids(f"C{tag}", len(kids), 6)
    kid_village = hh["village"].to_numpy()[kids["household"].to_numpy()]
    director_of = np.array([f"cd-{c}" for c in v_codes], dtype=object)  # a director's account
    children = kids.drop(columns=["household", "target"]).assign(
        household_id=hh_ids[kids["household"].to_numpy()])
    children.insert(0, "child_id", child_ids)
    target_per_village = np.bincount(kid_village, weights=kids["target"].to_numpy(),
                                     minlength=len(v_codes))
    child_directors = people.directors(rng, v_codes, target_per_village)
    visits = people.visits(rng, kids, child_ids, director_of[kid_village])
    visits.insert(0, "visit_id", _ids(f"V{tag}", len(visits), 6))

    # water, kits, inspections
    w_off = np.cumsum([0] + [len(c["water"]) for c in counties])
    water = pd.concat([c["water"] for c in counties], ignore_index=True)
    water_ids = _ids(f"W{tag}", len(water), 6)
    water.insert(0, "water_id", water_ids)
    kits = pd.concat([c["kits"].assign(water=c["kits"]["water"] + w_off[k])
                      for k, c in enumerate(counties)], ignore_index=True)
    kit_ids = _ids(f"K{tag}", len(kits), 5)
    town_of_county = [c["admin"].query("level == 'county'")["code"].iloc[0] for c in counties]
    kit_county = np.repeat(np.arange(len(counties)), [len(c["kits"]) for c in counties])
    officer = np.array([f"so-{town_of_county[k]}-{1 + (i % 3)}" for i, k in enumerate(kit_county)],
                       dtype=object)  # a safety officer's account
    inspected_on, insp = people.kit_records(rng, kits, water["barrier"].to_numpy()[kits["water"]],
                                            officer)
    kit_water = water_ids[kits["water"].to_numpy()].copy()
    kit_water[rng.random(len(kits)) < 0.08] = None  # not recorded: the nearest water counts
    safety_kits = pd.DataFrame({
        "kit_id": kit_ids, "water_id": kit_water, "sign": kits["sign"], "buoy": kits["buoy"],
        "rope": kits["rope"], "pole": kits["pole"], "inspected_on": inspected_on,
        "geometry": kits["geometry"],
    })
    kit_of = insp.pop("kit").to_numpy()
    insp.insert(0, "kit_id", kit_ids[kit_of])
    insp.insert(1, "water_id", kit_water[kit_of])  # as recorded on the kit (may be empty)
    # barrier checks of ponds with a barrier (no kit)
    fenced = np.flatnonzero((water["kind"] == "pond").to_numpy() & water["barrier"].to_numpy())
    w_county = np.searchsorted(w_off, fenced, side="right") - 1
    barrier_checks = pd.DataFrame({
        "kit_id": None, "water_id": water_ids[fenced],
        "inspected_on": people._dates(rng.integers(0, 365, len(fenced))),
        "sign": False, "buoy": False, "rope": False, "pole": False,
        "barrier": rng.random(len(fenced)) < 0.9,
        "recorded_by": [f"so-{town_of_county[k]}-1" for k in w_county],
        "note": None,
    })
    barrier_checks.loc[~barrier_checks["barrier"], "note"] = "护栏损坏"
    inspections = pd.concat([insp, barrier_checks], ignore_index=True).sort_values(
        ["inspected_on", "kit_id", "water_id"], kind="stable", ignore_index=True)
    inspections.insert(0, "inspection_id", _ids(f"I{tag}", len(inspections), 6))
    water = water.drop(columns=["village"])

    stations = pd.concat([c["stations"] for c in counties], ignore_index=True)
    stations.insert(0, "station_id", _ids(f"S{tag}", len(stations), 4))
    roads = pd.concat([c["roads"] for c in counties], ignore_index=True)
    roads.insert(0, "road_id", _ids(f"R{tag}", len(roads), 6))
    roads["oneway"] = False

    frames = {
        "admin_units": admin, "households": households, "water_bodies": water,
        "safety_kits": safety_kits, "stations": stations, "roads": roads,
    }
    layers: dict[str, pd.DataFrame] = {}
    for name, df in frames.items():
        geo = gpd.GeoSeries(np.asarray(df["geometry"].to_numpy(), dtype=object), crs=METRIC_CRS)
        geo = _round(geo.to_crs("EPSG:4326"), lines=name == "roads")
        gdf = gpd.GeoDataFrame(df.drop(columns=["geometry"]), geometry=geo.values, crs="EPSG:4326")
        if name == "roads":
            gdf = gdf[~gdf.geometry.is_empty].reset_index(drop=True)
        layers[name] = gdf
    layers["children"] = children
    layers["child_directors"] = child_directors
    layers["visits"] = visits
    layers["inspections"] = inspections
    ds = Dataset()
    for name, frame in layers.items():
        frame, problems = coerce_layer(name, frame)
        if problems:  # a bug of the generator, not of the user's input
            raise RuntimeError(f"demo layer {name}: {problems}")
        ds[name] = frame
    return ds


def _round(geo: gpd.GeoSeries, *, lines: bool) -> gpd.GeoSeries:
    """Round coordinates to ``DECIMALS`` places (lines: drop repeated and collapsed vertices)."""
    arr = shapely.transform(geo.values._data if hasattr(geo.values, "_data") else geo.to_numpy(),
                            lambda c: np.round(c, DECIMALS))
    if lines:
        arr = shapely.remove_repeated_points(arr)
        bad = (shapely.get_num_coordinates(arr) < 2) | (shapely.length(arr) == 0)
        arr[bad] = shapely.LineString()
    return gpd.GeoSeries(arr, crs=geo.crs, index=geo.index)


@contextmanager
def _fixed_gdal_date():
    """Make GDAL stamp files with the demo's reference date (``gpkg_contents.last_change``)."""
    from geo.store.files import gdal_options

    with gdal_options({"OGR_CURRENT_DATE": f"{REFERENCE_DATE}T00:00:00.000Z"}):
        yield


def write_demo(dataset: Dataset, path: str | os.PathLike) -> Path:
    """Write a demo dataset so the same dataset always gives the same bytes.

    GDAL stamps each layer with the time of writing; here it is the demo's reference date.
    """
    from geo.store.files import check_output

    check_output(path, what="demo --out")  # an existing dataset is refused (unless --force)
    with _fixed_gdal_date():
        return write_dataset(dataset, path)
