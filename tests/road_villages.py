"""Two villages on a 6 km road (UTM 50N metres), shared by the coverage tests.

A road from x = 0 to x = 6000 m; village 1 (``V1``) west of x = 3000 m, village 2 (``V2``) east;
households 10 m off the road at x = 500, 1500 (village 1), 4000 and 5800 m (village 2).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from geo.store.dataset import Dataset, write_dataset
from geo.store.schema import LAYERS

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_500_000.0
V1, V2 = "340123101001", "340123101002"


def gdf(data, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def road() -> gpd.GeoDataFrame:
    """The 6 km rural road along y = 0."""
    return gdf({"road_id": ["r"], "road_class": ["rural"], "oneway": [False]},
               [LineString([(X0, Y0), (X0 + 3000, Y0), (X0 + 6000, Y0)])])


def households() -> gpd.GeoDataFrame:
    """h1, h2 (village 1) and h3, h4 (village 2) at x = 500, 1500, 4000, 5800 m, 10 m off the road."""
    return gdf({"household_id": ["h1", "h2", "h3", "h4"], "village_code": [V1, V1, V2, V2]},
               [Point(X0 + x, Y0 + 10) for x in (500, 1500, 4000, 5800)])


def write_county(tmp_path: Path) -> Path:
    """The two villages (five children a-e, one village station at x = 0) as ``county.gpkg``."""
    layers = {
        "roads": road(),
        "admin_units": gdf({"code": [V1, V2], "name": ["West", "East"], "level": ["village", "village"],
                            "parent_code": ["340123101", "340123101"]},
                           [box(X0 - 100, Y0 - 100, X0 + 3000, Y0 + 100),
                            box(X0 + 3000, Y0 - 100, X0 + 6100, Y0 + 100)]),
        "households": households(),
        "children": pd.DataFrame({"child_id": ["a", "b", "c", "d", "e"],
                                  "household_id": ["h1", "h2", "h3", "h3", "h4"],
                                  "left_behind": [True, False, True, False, True]}),
        "stations": gdf({"station_id": ["s1"], "kind": ["childrens_home"], "level": ["village"]},
                        [Point(X0, Y0)]),
    }
    for name, frame in layers.items():
        for col in LAYERS[name].column_names:
            if col not in frame:
                frame[col] = None
    path = tmp_path / "county.gpkg"
    write_dataset(Dataset(layers).to_crs("EPSG:4326"), path)
    return path
