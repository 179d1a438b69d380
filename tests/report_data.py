"""Hand-made county datasets for the report tests, whose indicators are counted by hand.

County ``C`` (6 digits) has one township ``C001`` and two villages:

- village 1 (``C001001``): 31 left-behind children in 31 households, 1 child director (the >30
  rule needs 2); a pond 100 m from the houses with a complete kit (a risky site, four ones);
- village 2 (``C001002``): 3 children in scope and 1 not in scope, 1 director; child ``c2a``
  home-visited 4 months before the day (overdue under the national quarterly rule), contacted
  10 days before; child ``c2b`` lives alone (a police flag, open since its last contact 20 days
  before); ``c2c`` has no sex recorded (file incomplete);
- a minor-protection workstation in the township; a canal 5 km from anyone (not risky).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from geo.store.dataset import Dataset, coerce_layer

ON = dt.date(2026, 11, 1)


def _days(n: int) -> pd.Timestamp:
    return pd.Timestamp(ON) - pd.Timedelta(days=n)


def county(code: str = "341101", *, dx: float = 0.0) -> Dataset:
    """The county, shifted ``dx`` degrees east (a second county far from the first)."""
    t, v1, v2 = f"{code}001", f"{code}001001", f"{code}001002"
    x0, y0 = 117.0 + dx, 31.0
    admin = gpd.GeoDataFrame({
        "code": [code, t, v1, v2], "name": [f"县{code}", f"乡{code}", f"一村{code}", f"二村{code}"],
        "level": ["county", "township", "village", "village"], "parent_code": [None, code, t, t]},
        geometry=[box(x0, y0, x0 + 0.2, y0 + 0.1), box(x0, y0, x0 + 0.2, y0 + 0.1),
                  box(x0, y0, x0 + 0.1, y0 + 0.1), box(x0 + 0.1, y0, x0 + 0.2, y0 + 0.1)], crs="EPSG:4326")
    hh_rows, ch_rows = [], []
    for i in range(31):
        hid = f"{code}-h1-{i}"
        hh_rows.append((hid, v1, "grandparents", Point(x0 + 0.02 + 0.0004 * i, y0 + 0.05)))
        ch_rows.append({"child_id": f"{code}-c1-{i}", "household_id": hid, "birth_year": 2016, "sex": "M",
                        "left_behind": True, "difficulty": None, "guardianship": "good",
                        "last_contact": _days(5), "last_home_visit": _days(30)})
    for i, (cid, extra) in enumerate([
        ("c2a", {"last_contact": _days(10), "last_home_visit": _days(122)}),
        ("c2b", {"lives_alone": True, "last_contact": _days(20), "last_home_visit": _days(20)}),
        ("c2c", {"sex": None, "last_contact": _days(3), "last_home_visit": _days(3)}),
        ("c2d", {"left_behind": False, "last_contact": _days(3), "last_home_visit": _days(3)}),
    ]):
        hid = f"{code}-h2-{i}"
        hh_rows.append((hid, v2, "grandparents", Point(x0 + 0.15 + 0.001 * i, y0 + 0.05)))
        row = {"child_id": f"{code}-{cid}", "household_id": hid, "birth_year": 2015, "sex": "F",
               "left_behind": True, "difficulty": None, "guardianship": "average"}
        row.update(extra)
        ch_rows.append(row)
    hh = gpd.GeoDataFrame({"household_id": [r[0] for r in hh_rows], "village_code": [r[1] for r in hh_rows],
                           "caregiver": [r[2] for r in hh_rows]}, geometry=[r[3] for r in hh_rows], crs="EPSG:4326")
    children = pd.DataFrame(ch_rows)
    for flag in ("disability", "serious_illness", "psych_concern", "lives_alone", "single_parent"):
        children[flag] = children.get(flag, pd.Series(False, index=children.index)).fillna(False).astype(bool)
    pond = box(x0 + 0.025, y0 + 0.051, x0 + 0.026, y0 + 0.052)  # ~100 m north of village 1's houses
    water = gpd.GeoDataFrame({"water_id": [f"{code}-w1", f"{code}-w2"], "kind": ["pond", "canal"],
                              "name": ["", ""], "responsible_unit": ["", ""], "barrier": [False, False]},
                             geometry=[pond, LineString([(x0 + 0.05, y0 + 0.001), (x0 + 0.052, y0 + 0.001)])],
                             crs="EPSG:4326")
    kits = gpd.GeoDataFrame({"kit_id": [f"{code}-k1"], "water_id": [f"{code}-w1"], "sign": [True], "buoy": [True],
                             "rope": [True], "pole": [True], "inspected_on": [_days(40)]},
                            geometry=[Point(x0 + 0.0255, y0 + 0.0508)], crs="EPSG:4326")
    stations = gpd.GeoDataFrame({"station_id": [f"{code}-s1"], "kind": ["minor_protection_workstation"],
                                 "name": ["未保站"], "level": ["township"], "capacity": [None]},
                                geometry=[Point(x0 + 0.1, y0 + 0.05)], crs="EPSG:4326")
    directors = pd.DataFrame({"village_code": [v1, v2], "directors": [1, 1]})
    inspections = pd.DataFrame({"inspection_id": [f"{code}-i1"], "kit_id": [f"{code}-k1"], "water_id": [None],
                                "inspected_on": [_days(40)], "sign": [True], "buoy": [True], "rope": [True],
                                "pole": [True], "barrier": [None], "recorded_by": ["x"], "note": [None]})
    layers = {"admin_units": admin, "households": hh, "children": children, "water_bodies": water,
              "safety_kits": kits, "stations": stations, "child_directors": directors,
              "inspections": inspections}
    out = {}
    for name, frame in layers.items():
        fixed, problems = coerce_layer(name, frame)
        assert not problems, problems
        out[name] = fixed
    return Dataset(out, settings={"reference_date": ON.isoformat()})


def union(a: Dataset, b: Dataset) -> Dataset:
    """One dataset holding both counties' rows."""
    layers = {}
    for name in set(a) | set(b):
        frames = [f for f in (a[name], b[name]) if len(f)]
        if not frames:
            continue
        cat = pd.concat(frames, ignore_index=True)
        layers[name] = gpd.GeoDataFrame(cat, crs=frames[0].crs) if isinstance(frames[0], gpd.GeoDataFrame) else cat
    return Dataset(layers, settings=a.settings)
