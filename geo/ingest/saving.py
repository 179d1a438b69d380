"""The save step of an import: what its rows are checked against, read inside the write, and
the rows written (:func:`geo.ingest.imports.import_file` runs both in one write of the store)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.store.dataset import Dataset
from geo.store.projection import STORAGE_CRS
from geo.store.schema import LAYERS


def references(w, kind: str) -> Dataset:
    """What rows of ``kind`` are checked against, read inside the write: the referenced layers'
    key columns (no geometry) and the dataset's settings."""
    from geo.store.validate import reference_layers

    need = reference_layers(kind)
    for layer in ("households",) if kind == "children" else ():
        for target, cols in reference_layers(layer).items():
            need.setdefault(target, cols)
    layers: dict[str, pd.DataFrame] = {}
    for target, cols in need.items():
        frame = w.read(target, cols)
        if LAYERS[target].geometry:
            frame = gpd.GeoDataFrame(
                frame, geometry=gpd.GeoSeries([None] * len(frame), index=frame.index,
                                              crs=STORAGE_CRS), crs=STORAGE_CRS)
        layers[target] = frame
    kv = w.read("dataset_settings", ["key", "value"])
    settings = dict(zip(kv["key"].astype(str), kv["value"].fillna("").astype(str), strict=True))
    return Dataset(layers, settings=settings)


def store_rows(w, result, kind: str, mode: str) -> None:
    """Write the good rows of ``result`` (an :class:`~geo.ingest.imports.ImportResult`) and set
    its added/updated/unchanged counts and stored layer sizes."""
    added = updated = unchanged = 0
    for layer, rows in result.rows.items():
        spec = LAYERS[layer]
        if mode == "replace" and layer in (kind, "roads", "water_bodies") and (
                layer == kind or kind == "osm"):
            a, u, n = w.replace(layer, rows), 0, 0
        elif spec.key is None:
            a, u, n = w.append(layer, rows), 0, 0
        elif spec.append_only:
            a, n = w.insert_new(layer, rows)
            u = 0
        else:
            a, u = w.upsert(layer, rows)
            n = 0
        if layer == kind or kind == "osm":
            added, updated, unchanged = added + a, updated + u, unchanged + n
        result.layers[layer] = w.count(layer)
    result.added, result.updated, result.unchanged = added, updated, unchanged
