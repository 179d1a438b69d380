"""Households overlay: counts per village (or per H3 hexagon) by default, points only on request.

A map of 9,000 household points tells a leader little and shows too much; the default is one
proportional circle per village (households, children, left-behind children in its tooltip) or
one hexagon per H3 cell. ``points=True`` draws the households themselves, for roles allowed to
see them and for close zooms.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
from shapely.geometry import Polygon

from geo.privacy.disclosure import display_frame
from geo.store.labels import label, value_label
from layers._geo import feature_collection, geojson_layer, to_map_frame, tooltip_html

COLOUR = "#7b1fa2"
#: H3 resolution of the hexagon view (8: ~0.74 km² cells, edge ~0.46 km).
HEX_RESOLUTION = 8
#: colour ramp of hexagon counts (light to dark).
HEX_RAMP = ("#f3e5f5", "#ce93d8", "#ab47bc", "#7b1fa2", "#4a148c")


def household_counts(households: pd.DataFrame, children: pd.DataFrame | None, keys: pd.Series) -> pd.DataFrame:
    """Count households, children and left-behind children per value of ``keys``.

    ``keys`` is aligned with ``households`` (a village code, an H3 cell …).
    """
    frame = pd.DataFrame({"key": keys.to_numpy(), "household_id": households["household_id"].to_numpy()})
    out = frame.groupby("key").size().rename("households").to_frame()
    if children is not None and len(children):
        joined = children[["household_id", "left_behind"]].merge(frame, on="household_id", how="inner")
        grp = joined.groupby("key")
        out["children"] = grp.size()
        out["left_behind"] = grp["left_behind"].sum()
    out = out.reindex(columns=["households", "children", "left_behind"]).fillna(0).astype(int)
    return out


def _radius(n: np.ndarray) -> np.ndarray:
    top = max(int(n.max()), 1) if len(n) else 1
    return np.round(3 + 15 * np.sqrt(n / top), 1)


def _rows(rec, lang: str) -> list[tuple[str, int]]:
    return [(label("households_n", lang), rec.households), (label("children_n", lang), rec.children),
            (label("left_behind_n", lang), rec.left_behind)]


def households_features(
    households: gpd.GeoDataFrame,
    *,
    children: pd.DataFrame | None = None,
    admin_units: gpd.GeoDataFrame | None = None,
    by: str = "village",
    points: bool = False,
    lang: str = "zh",
) -> dict:
    """Return the households as GeoJSON for the map: aggregated counts, or points.

    Parameters
    ----------
    households
        The ``households`` layer (any CRS).
    children
        The ``children`` table, to add children and left-behind counts to each aggregate.
    admin_units
        The ``admin_units`` layer: village names and where to put each village's circle (its
        polygon's representative point; the households' mean position without one).
    by
        ``"village"`` (a circle per village, area proportional to households) or
        ``"hexagon"`` (H3 cells of :data:`HEX_RESOLUTION`, coloured by households).
    points
        Draw every household as a small point instead (roles allowed to see households only).
    lang
        ``"zh"`` or ``"en"``.
    """
    if by not in ("village", "hexagon"):
        raise ValueError(f"by must be 'village' or 'hexagon', not {by!r}")
    hh = to_map_frame(households)
    if points:
        style = {"color": COLOUR, "weight": 0, "fillColor": COLOUR, "fillOpacity": 0.7, "radius": 2.5}
        tips = [tooltip_html(value_label(c, lang, "caregiver") if isinstance(c, str) else None) for c in hh["caregiver"]]
        return feature_collection(hh, [style] * len(hh), tips)
    if by == "hexagon":
        return _hexagons(hh, children, lang)
    return _villages(hh, children, admin_units, lang)


def households_layer(
    households: gpd.GeoDataFrame,
    *,
    children: pd.DataFrame | None = None,
    admin_units: gpd.GeoDataFrame | None = None,
    by: str = "village",
    points: bool = False,
    lang: str = "zh",
    show: bool = True,
) -> folium.FeatureGroup:
    """Return :func:`households_features` as one named overlay (``show``: on when the map opens)."""
    data = households_features(households, children=children, admin_units=admin_units, by=by,
                               points=points, lang=lang)
    return geojson_layer(overlay_name(by=by, points=points, lang=lang), data, show=show)


def overlay_name(*, by: str = "village", points: bool = False, lang: str = "zh") -> str:
    """The overlay's name in the layer control for this way of showing households."""
    if points:
        return label("household_points", lang)
    return label("households_hex" if by == "hexagon" else "households_by_village", lang)


def _villages(hh, children, admin_units, lang) -> dict:
    counts = household_counts(hh, children, hh["village_code"])
    xy = pd.DataFrame({"x": hh.geometry.x.to_numpy(), "y": hh.geometry.y.to_numpy(),
                       "key": hh["village_code"].to_numpy()}).groupby("key")[["x", "y"]].mean()
    names = pd.Series(dtype="string")
    if admin_units is not None and len(admin_units):
        villages = to_map_frame(admin_units[admin_units["level"] == "village"])
        villages = villages.drop_duplicates("code").set_index("code")
        names = villages["name"]
        inside = villages.index.intersection(xy.index)
        rp = villages.loc[inside].geometry.representative_point()
        xy.loc[inside, "x"] = rp.x.to_numpy()
        xy.loc[inside, "y"] = rp.y.to_numpy()
    counts = counts.join(xy)
    frame = gpd.GeoDataFrame(counts, geometry=gpd.points_from_xy(counts["x"], counts["y"]), crs="EPSG:4326")
    radius = _radius(frame["households"].to_numpy())
    styles = [{"color": COLOUR, "weight": 1, "fillColor": COLOUR, "fillOpacity": 0.35, "radius": float(r)}
              for r in radius]
    tips = [tooltip_html(names.get(code, code) if pd.notna(names.get(code, code)) else code, _rows(rec, lang))
            for code, rec in zip(frame.index, frame.itertuples(), strict=True)]
    return feature_collection(frame, styles, tips)


def _hexagons(hh, children, lang) -> dict:
    cells = pd.Series([h3.latlng_to_cell(y, x, HEX_RESOLUTION) for x, y in
                       zip(hh.geometry.x, hh.geometry.y, strict=True)], index=hh.index)
    counts = household_counts(hh, children, cells)
    polys = [Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in counts.index]
    frame = gpd.GeoDataFrame(counts, geometry=polys, crs="EPSG:4326")
    n = frame["households"].to_numpy()
    edges = np.quantile(n, np.linspace(0, 1, len(HEX_RAMP) + 1)[1:-1]) if len(n) else []
    cls = np.searchsorted(edges, n, side="right")
    styles = [{"color": "#ffffff", "weight": 0.5, "fillColor": HEX_RAMP[c], "fillOpacity": 0.75}
              for c in cls]
    tips = [tooltip_html(label("households_hex", lang), _rows(rec, lang)) for rec in frame.itertuples()]
    frame = to_map_frame(frame)
    return feature_collection(frame, styles, tips)


def _number(values: pd.Series) -> np.ndarray:
    """Counts as floats; hidden and empty counts read as 0 for sizing only."""
    return pd.to_numeric(values.astype("string"), errors="coerce").fillna(0).to_numpy(float)


def aggregate_features(
    counts: pd.DataFrame, *, admin_units: gpd.GeoDataFrame | None = None, lang: str = "zh"
) -> dict:
    """Return pre-aggregated counts (a role view's ``hex_counts`` or ``area_counts``) as GeoJSON.

    For roles that may not see households (``geo.privacy.roles``): ``hex_counts`` (H3 polygons) are drawn
    as hexagons, ``area_counts`` (village rows, no geometry) as circles on the villages of
    ``admin_units``. Hidden counts (``NaN``, named in the ``suppressed`` column,
    ``geo.privacy.disclosure``) read ``*`` and are sized as zero.
    """
    rows = [("households", "households_n"), ("children", "children_n"), ("left_behind", "left_behind_n")]
    if isinstance(counts, gpd.GeoDataFrame) and counts.geometry.notna().any():
        frame = to_map_frame(counts)
        n = _number(frame["households"])
        edges = np.quantile(n, np.linspace(0, 1, len(HEX_RAMP) + 1)[1:-1]) if len(n) else []
        cls = np.searchsorted(edges, n, side="right")
        styles = [{"color": "#ffffff", "weight": 0.5, "fillColor": HEX_RAMP[c], "fillOpacity": 0.75}
                  for c in cls]
    else:
        if admin_units is None or not len(admin_units):
            return feature_collection(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), [], [])
        villages = to_map_frame(admin_units[admin_units["level"] == "village"]).drop_duplicates("code")
        table = counts[counts["level"] == "village"].drop(columns=["name", "level"], errors="ignore")
        frame = villages[["code", "name", "geometry"]].merge(table, on="code", how="inner")
        frame = frame.set_geometry(frame.geometry.representative_point())
        radius = _radius(_number(frame["households"]))
        styles = [{"color": COLOUR, "weight": 1, "fillColor": COLOUR, "fillOpacity": 0.35, "radius": float(r)}
                  for r in radius]
    title = frame["name"] if "name" in frame else pd.Series(label("households_hex", lang), index=frame.index)
    shown = display_frame(frame)  # a hidden count reads "*"
    tips = [tooltip_html(t, [(label(key, lang), rec[col]) for col, key in rows if col in shown])
            for t, (_, rec) in zip(title, shown.iterrows(), strict=True)]
    return feature_collection(frame, styles, tips)


def legend_items(lang: str = "zh", *, by: str = "village", points: bool = False) -> list[tuple[str, str, str]]:
    """Legend rows ``(colour, label, shape)`` of this overlay."""
    if points:
        return [(COLOUR, label("household_points", lang), "point")]
    if by == "hexagon":
        return [(HEX_RAMP[-2], label("households_hex", lang), "area")]
    return [(COLOUR, label("households_by_village", lang), "circle")]
