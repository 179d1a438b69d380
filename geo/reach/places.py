"""Where a point is, in words a field worker can find: village, township, nearest road, coordinates.

Proposed station sites and patrol stops are points in the metric CRS; a planner or a patrol
team needs them as places: the village and township they lie in (codes; names are added by
``geo.store.labels.with_place_names``), the nearest road and how far it is, and longitude and
latitude (EPSG:4326, for a phone's map).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.store.dataset import Dataset

#: the columns :func:`place_of` adds, in order.
PLACE_COLUMNS = ["village_code", "township_code", "nearest_road", "road_class", "road_distance_m",
                 "lon", "lat"]


def _unit_of(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, level: str) -> pd.Series:
    """The code of the ``level`` unit each point lies in (the nearest one within 50 m, else missing)."""
    polys = units[(units["level"] == level).to_numpy()]
    polys = polys[polys.geometry.notna().to_numpy() & polys.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    if not len(polys) or not len(points):
        return pd.Series(pd.NA, index=points.index, dtype="string")
    left = gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=points.crs)
    right = gpd.GeoDataFrame({"code": polys["code"].astype("string").to_numpy()},
                             geometry=polys.geometry.to_numpy(), crs=polys.crs)
    joined = gpd.sjoin_nearest(left, right, how="left", max_distance=50.0)
    joined = joined[~joined.index.duplicated(keep="first")]
    return pd.Series(joined["code"].reindex(left.index).to_numpy(), index=points.index, dtype="string")


def place_of(dataset: Dataset, points: gpd.GeoDataFrame) -> pd.DataFrame:
    """The place of each point: :data:`PLACE_COLUMNS`, indexed like ``points``.

    Parameters
    ----------
    dataset
        The dataset the points belong to (``admin_units`` and ``roads`` read; any CRS).
    points
        Point geometries in any CRS.

    Returns
    -------
    pandas.DataFrame
        ``village_code`` / ``township_code`` of the unit the point lies in (a village's
        township from its code when the township has no shape), ``nearest_road`` (its
        ``road_id``) and ``road_class``, ``road_distance_m`` (metres, rounded), ``lon`` and
        ``lat`` (EPSG:4326, 6 decimals). Missing where the dataset has no units or roads.
    """
    mds = dataset.metric()
    pts = dataset.to_metric(points) if len(points) else points
    out = pd.DataFrame(index=points.index)
    units = mds["admin_units"]
    out["village_code"] = _unit_of(pts, units, "village")
    township = _unit_of(pts, units, "township")
    from_village = out["village_code"].str.slice(0, 9).where(out["village_code"].str.len() == 12)
    out["township_code"] = township.fillna(from_village).astype("string")
    roads = mds["roads"]
    roads = roads[roads.geometry.notna().to_numpy()] if len(roads) else roads
    if len(roads) and len(pts):
        left = gpd.GeoDataFrame(geometry=pts.geometry.to_numpy(), crs=pts.crs)
        right = gpd.GeoDataFrame({"road_id": roads["road_id"].astype("string").to_numpy(),
                                  "road_class": roads["road_class"].astype("string").to_numpy()},
                                 geometry=roads.geometry.to_numpy(), crs=roads.crs)
        near = gpd.sjoin_nearest(left, right, how="left", distance_col="_d")
        near = near[~near.index.duplicated(keep="first")].reindex(left.index)
        out["nearest_road"] = pd.array(near["road_id"].to_numpy(), dtype="string")
        out["road_class"] = pd.array(near["road_class"].to_numpy(), dtype="string")
        out["road_distance_m"] = pd.array(np.round(near["_d"].to_numpy(float)), dtype="Float64")
    else:
        out["nearest_road"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["road_class"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["road_distance_m"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    if len(pts):
        wgs = pts.geometry.to_crs("EPSG:4326")
        out["lon"] = np.round(wgs.x.to_numpy(), 6)
        out["lat"] = np.round(wgs.y.to_numpy(), 6)
    else:
        out["lon"] = pd.Series([], dtype=float)
        out["lat"] = pd.Series([], dtype=float)
    return out[PLACE_COLUMNS]
