"""A dataset in memory: :class:`Dataset`, its layers' kinds and the coercion to them (SCHEMA.md).

A dataset is a mapping of layer name to a GeoDataFrame (layers with geometry) or a DataFrame
(tables), with every listed column present and of its kind:

- text columns are pandas strings (ids are text once read);
- bool columns are numpy ``bool``: an empty value reads as ``False`` (an item not recorded as
  present does not count as present);
- int columns are pandas ``Int64`` (may be empty), dates and timestamps ``datetime64``.

Both stores read into it and write from it: the GeoPackage (:mod:`geo.store.dataset`) and
PostGIS (:mod:`geo.store.postgis`). A PostGIS dataset's ``path`` is its URL (text).
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj

from geo.store.errors import CRSError
from geo.store.location import is_url
from geo.store.projection import STORAGE_CRS, is_metric, metric_crs_for
from geo.store.schema import ALL_LAYERS, LAYERS, Layer

logger = logging.getLogger(__name__)

_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "true.0", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", "没有", "false.0", "0.0", ""}

Frame = pd.DataFrame  # a GeoDataFrame for spatial layers
T = TypeVar("T")


class Dataset(Mapping[str, pd.DataFrame]):
    """One county (or any area): its layers by name.

    A layer the dataset lacks reads as an empty frame with the schema's columns, so
    ``ds["stations"]`` always works; ``"stations" in ds`` is true only when it has rows.

    **Projected once.** A dataset knows its metric CRS (:attr:`metric_crs`) and hands out its
    layers in it through :meth:`metric`: each layer is projected the first time an analysis
    asks for it and kept until the layer is written again, so one run projects every layer at
    most once whatever number of analyses read it. Analyses take metric frames; only the map
    (``layers/``) and exports go back to EPSG:4326. Objects computed from the layers (the
    routing network) are kept the same way with :meth:`cached`.

    Parameters
    ----------
    layers
        Frames by layer name; spatial layers must share one CRS.
    path
        The file the dataset was read from, if any.
    settings
        The dataset's own key/value settings (``dataset_settings`` table); a ``metric_crs``
        setting (e.g. ``EPSG:32650``) fixes the metric CRS of the area.
    metric_crs
        The metric CRS to use (a part of a larger area passes the whole area's, so that
        results of its parts and of the whole agree); default: see :attr:`metric_crs`.
    withheld
        Layers it does not hold in full (a role view's people): see ``geo.store.withheld``.
    """

    def __init__(self, layers: Mapping[str, pd.DataFrame] | None = None, *,
                 path: str | os.PathLike | None = None, settings: Mapping[str, str] | None = None,
                 metric_crs=None, withheld: Iterable[str] = ()):
        self._layers: dict[str, pd.DataFrame] = {}
        self.path: Path | str | None = (str(path) if is_url(path) else Path(path)) if path else None
        self.settings: dict[str, str] = dict(settings or {})
        self._pinned_crs = _checked_metric(metric_crs) if metric_crs is not None else None
        self._found_crs: pyproj.CRS | None = None  # chosen from the bounds, dropped on write
        self._metric_frames: dict[str, pd.DataFrame] = {}
        self._metric_view: Dataset | None = None
        self._cache: dict[object, object] = {}
        self.withheld = frozenset(withheld)
        for name, frame in (layers or {}).items():
            self[name] = frame

    # Mapping protocol over the layers the dataset holds (possibly empty ones)
    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._layers:
            return self._layers[name]
        if name not in ALL_LAYERS:
            raise KeyError(f"no layer {name!r} in the dataset contract")
        return empty_layer(name, crs=self.crs or STORAGE_CRS)

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        spec = ALL_LAYERS.get(name)
        if spec is not None and spec.geometry and not isinstance(frame, gpd.GeoDataFrame):
            raise TypeError(f"layer {name!r} needs a GeoDataFrame")
        self._layers[name] = frame
        self._written(name)

    def __delitem__(self, name: str) -> None:
        del self._layers[name]
        self._written(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __contains__(self, name: object) -> bool:
        return name in self._layers and len(self._layers[name]) > 0  # type: ignore[index]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_cache"] = {}  # derived objects (a routing network) are rebuilt, not pickled
        return state

    @property
    def crs(self):
        """The CRS of the spatial layers (``None`` for a dataset without any)."""
        for frame in self._layers.values():
            if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
                return frame.crs
        return None

    def counts(self) -> dict[str, int]:
        """Rows per contract layer, 0 for the missing ones."""
        return {name: len(self._layers.get(name, ())) for name in LAYERS}

    def derive(
        self, layers: Mapping[str, pd.DataFrame] | None = None, *,
        settings: Mapping[str, str] | None = None,
    ) -> Dataset:
        """Return a new dataset of the same file and area holding ``layers`` (none by default).

        It keeps this dataset's path, settings (or ``settings``) and metric CRS, so a filtered
        or edited dataset computes in the same CRS as the whole, and withholds what it withholds.
        """
        return Dataset(
            layers, path=self.path, settings=self.settings if settings is None else settings,
            metric_crs=self._crs_if_known(), withheld=self.withheld,
        )

    def holds(self, name: str) -> bool:
        """Whether the dataset holds layer ``name``, even an empty one (``in`` asks for rows)."""
        return name in self._layers

    def replace(self, **layers: pd.DataFrame) -> Dataset:
        """Return a copy holding these layers instead of its own (the other frames are shared).

        The copy keeps what marks this dataset (its role view, say), and the layers already
        projected that it does not replace.
        """
        out = copy.copy(self)
        out._layers = dict(self._layers)
        out._metric_frames = {n: f for n, f in self._metric_frames.items() if n not in layers}
        out._cache = {}
        out._metric_view = None
        for name, frame in layers.items():
            out[name] = frame
        return out

    def copy(self) -> Dataset:
        """Return a deep copy (the frames are copied)."""
        return self.derive({n: f.copy() for n, f in self._layers.items()})

    def to_crs(self, crs) -> Dataset:
        """Return a copy with every spatial layer in ``crs``."""
        out = self.copy()
        for name, frame in out._layers.items():
            if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
                out._layers[name] = frame.to_crs(crs)
        return out

    def total_bounds(self) -> tuple[float, float, float, float] | None:
        """Bounds (minx, miny, maxx, maxy) of all spatial layers, in the dataset's CRS."""
        boxes = [
            f.total_bounds
            for f in self._layers.values()
            if isinstance(f, gpd.GeoDataFrame) and len(f) and f.geometry.notna().any()
        ]
        if not boxes:
            return None
        arr = np.array(boxes)
        return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())

    # --- the metric CRS, projected once --------------------------------------------------------

    @property
    def metric_crs(self) -> pyproj.CRS:
        """The metric CRS analyses compute in.

        In order: the one given when the dataset was made, the ``metric_crs`` setting, the
        layers' own CRS when it is metric, else the UTM zone of the dataset's area
        (:func:`geo.store.projection.metric_crs_for`).

        Raises
        ------
        CRSError
            The dataset has no spatial layer with a CRS, or no geometries to place it.
        """
        known = self._crs_if_known()
        if known is not None:
            return known
        if self.crs is None:
            raise CRSError("the dataset has no spatial layer with a CRS")
        bounds = self.to_crs(STORAGE_CRS).total_bounds() if not self.crs.equals(STORAGE_CRS) else self.total_bounds()
        if bounds is None:
            raise CRSError("the dataset has no geometries to choose a metric CRS from")
        self._found_crs = metric_crs_for(bounds)
        return self._found_crs

    def _crs_if_known(self) -> pyproj.CRS | None:
        if self._pinned_crs is not None:
            return self._pinned_crs
        setting = self.settings.get("metric_crs")
        if setting:
            return _checked_metric(setting)
        if self.crs is not None and is_metric(self.crs):
            return pyproj.CRS.from_user_input(self.crs)
        return self._found_crs

    def metric_layer(self, name: str) -> pd.DataFrame:
        """Layer ``name`` in :attr:`metric_crs`, projected on first use and kept until written.

        Tables without geometry come back as they are.
        """
        frame = self[name]
        if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
            return frame
        crs = self.metric_crs
        if frame.crs.equals(crs):
            return frame
        if name not in self._metric_frames:
            self._metric_frames[name] = frame.to_crs(crs)
            logger.debug("projected %s (%d rows) to %s", name, len(frame), crs.to_string())
        return self._metric_frames[name]

    def metric(self) -> Dataset:
        """This dataset in its metric CRS: the same layers, each projected on first use.

        The dataset itself when it is already in its metric CRS; otherwise one view per
        dataset, sharing the projected layers, so every analysis of a run projects nothing
        another has projected before.
        """
        crs = self.metric_crs
        if self.crs is None or self.crs.equals(crs):
            return self
        if self._metric_view is None:
            self._metric_view = _MetricView(self)
        return self._metric_view

    def to_metric(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """A frame from outside the dataset (a file of candidates, a typed point) in :attr:`metric_crs`."""
        if frame.crs is None:
            raise CRSError("the frame has no CRS")
        crs = self.metric_crs
        return frame if frame.crs.equals(crs) else frame.to_crs(crs)

    def cached(self, key: object, build: Callable[[], T]) -> T:
        """``build()`` once per dataset until a layer is written (for objects made from layers)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]  # type: ignore[return-value]

    def _written(self, name: str) -> None:
        self._metric_frames.pop(name, None)
        self._cache.clear()
        self._metric_view = None
        if self._found_crs is not None:  # the area may have changed: choose the CRS again
            self._found_crs = None
            self._metric_frames.clear()


class _MetricView(Dataset):
    """The layers of a dataset in its metric CRS, projected on first use (:meth:`Dataset.metric`).

    Reading a layer asks the parent dataset, which projects it once; writing a layer replaces
    it in this view only. The view is in its metric CRS, so ``view.metric()`` is the view.
    """

    def __init__(self, parent: Dataset):
        super().__init__(path=parent.path, settings=parent.settings, metric_crs=parent.metric_crs,
                         withheld=parent.withheld)
        self._parent = parent
        self._own: dict[str, pd.DataFrame] = {}

    @property  # type: ignore[override]
    def _layers(self) -> dict[str, pd.DataFrame]:
        out = {name: self._parent.metric_layer(name) for name in self._parent._layers}
        out.update(self._own)
        return out

    @_layers.setter
    def _layers(self, value: dict[str, pd.DataFrame]) -> None:
        self._own = dict(value)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._own:
            return self._own[name]
        if name in self._parent._layers:
            return self._parent.metric_layer(name)
        return super().__getitem__(name)

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        spec = ALL_LAYERS.get(name)
        if spec is not None and spec.geometry and not isinstance(frame, gpd.GeoDataFrame):
            raise TypeError(f"layer {name!r} needs a GeoDataFrame")
        self._own[name] = frame
        self._cache.clear()

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._parent._layers, *self._own]))

    def __len__(self) -> int:
        return len(set(self._parent._layers) | set(self._own))

    def __contains__(self, name: object) -> bool:
        if name in self._own:
            return len(self._own[name]) > 0  # type: ignore[index]
        return name in self._parent

    @property
    def crs(self):
        return self.metric_crs if len(self) else None

    def counts(self) -> dict[str, int]:
        return {name: len(self[name]) if name in self._parent._layers or name in self._own else 0
                for name in LAYERS}

    def __reduce__(self):
        # pickled (the app's cache): the plain dataset of the projected layers, projected now
        return (_metric_copy, (self._layers, self.path, self.settings, self.metric_crs, self.withheld))


def _metric_copy(layers, path, settings, crs, withheld=()) -> Dataset:
    return Dataset(layers, path=path, settings=settings, metric_crs=crs, withheld=withheld)


def _checked_metric(crs) -> pyproj.CRS:
    out = pyproj.CRS.from_user_input(crs)
    if not is_metric(out):
        raise CRSError(f"{out.to_string()} is not a metric CRS")
    return out


# --- empty layers and column coercion ----------------------------------------------------------


def _empty_series(kind: str) -> pd.Series:
    return pd.Series([], dtype=_dtype(kind))


def _dtype(kind: str):
    return {
        "text": "string",
        "bool": bool,
        "int": "Int64",
        "float": float,
        "date": "datetime64[ms]",
        "timestamp": "datetime64[ms]",
    }[kind]


def empty_layer(name: str, *, crs=STORAGE_CRS) -> pd.DataFrame:
    """Return an empty frame with the columns and kinds of layer ``name``."""
    spec = ALL_LAYERS[name]
    data = {c.name: _empty_series(c.kind) for c in spec.columns}
    if spec.geometry:
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return pd.DataFrame(data)


def _rows(mask: pd.Series) -> str:
    """Describe the first offending rows (1-based, as a user counts them)."""
    idx = np.flatnonzero(mask.to_numpy()) + 1
    shown = ", ".join(str(i) for i in idx[:5])
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return f"row{'s' if len(idx) > 1 else ''} {shown}{more}"


def _blank(values: pd.Series, text: pd.Series | None = None) -> pd.Series:
    """Empty values: missing, or only spaces (``text``: ``values`` as stripped strings, if made)."""
    if values.dtype.kind in "biufcmM":  # numbers, flags and times are never blank text
        return values.isna()
    if text is None:
        text = values.astype("string").str.strip()
    return values.isna() | (text == "")


def _stripped(values: pd.Series) -> pd.Series:
    """Arrow-backed text stripped of spaces, empty text missing (as the general path gives it:
    pandas strips Arrow text with the same ``utf8_trim_whitespace``), in 4x less time."""
    text = pc.utf8_trim_whitespace(pa.array(values.array))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    return pd.Series(pd.arrays.ArrowStringArray(text), index=values.index, name=values.name)


def coerce_column(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Convert ``values`` to the in-memory type of ``kind``.

    Returns the converted series and a boolean mask of the values that could not be
    converted (they become empty). Empty input values are never an error here. Columns that
    already have the type (numbers read from a GeoPackage) are not turned into text to check.
    """
    none = pd.Series(False, index=values.index)
    if kind == "text" and isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return _stripped(values), none  # text as GDAL's Arrow stream gives it: in Arrow, at once
    if kind == "text":
        out = values.astype("string").str.strip()
        empty = _blank(values, out)
        if pd.api.types.is_float_dtype(values):  # integer ids read as floats (1.0 -> "1")
            whole = values.notna() & (values % 1 == 0)
            out = out.where(~whole, values[whole].astype("Int64").astype("string"))
        return out.mask(empty), none
    if kind == "bool":
        if pd.api.types.is_bool_dtype(values) and not values.isna().any():
            return values.astype(bool), none
        text = values.astype("string").str.strip().str.lower().fillna("")
        true = text.isin(_TRUE)
        bad = ~(true | text.isin(_FALSE)) & ~_blank(values)
        return true.astype(bool), bad
    if kind == "float" and values.dtype.kind == "f":  # already numbers
        return values.astype(float), none
    if kind == "int" and (values.dtype.kind == "i" or isinstance(values.dtype, pd.Int64Dtype)):
        return values.astype("Int64"), none
    if kind in ("int", "float"):
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & ~_blank(values)
        if kind == "int":
            frac = num.notna() & (num % 1 != 0)
            bad = bad | frac
            num = num.mask(frac)
            return num.round().astype("Int64"), bad
        return num.astype(float), bad
    if kind in ("date", "timestamp"):
        if pd.api.types.is_datetime64_any_dtype(values):
            out = pd.to_datetime(values)
            if getattr(out.dt, "tz", None) is not None:
                out = out.dt.tz_convert(None)
            bad = none
        else:
            text = values.astype("string").str.strip()
            out = pd.to_datetime(text, errors="coerce", format="mixed")
            bad = out.isna() & ~_blank(values, text)
        if kind == "date":
            out = out.dt.normalize()
        return out.astype("datetime64[ms]"), bad
    raise ValueError(f"unknown column kind {kind!r}")


def coerce_layer(
    name: str, frame: pd.DataFrame, *, where: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Bring ``frame`` to the contract of layer ``name``: the converted copy and the problems
    (missing required columns, values of the wrong type, geometry of the wrong type, no CRS).
    Absent optional columns become empty; columns not in the contract are kept."""
    spec = ALL_LAYERS[name]
    label = where or name
    problems: list[str] = []
    out = frame.copy()
    for col in (c for c in spec.columns if c.name not in out.columns and not c.required):
        out[col.name] = pd.Series(pd.NA, index=out.index, dtype="string")  # absent optional: empty
    if missing := [c for c in spec.column_names if c not in out.columns]:
        problems.append(f"layer {label!r} lacks the required column(s) {', '.join(missing)}")
        return out, problems
    for col in spec.columns:
        converted, bad = coerce_column(out[col.name], col.kind)
        if bad.any():
            problems.append(
                f"layer {label!r}, column {col.name!r}: {int(bad.sum())} value(s) are not "
                f"of type {col.kind} ({_rows(bad)})"
            )
        out[col.name] = converted
    if spec.geometry:
        problems += _check_geometry(spec, out, label)
    return out, problems


def _check_geometry(spec: Layer, frame: pd.DataFrame, label: str) -> list[str]:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        return [f"layer {label!r} has no geometry column"]
    problems = []
    if frame.crs is None and len(frame):
        problems.append(f"layer {label!r} has no coordinate reference system (CRS)")
    geom_types = frame.geom_type.dropna()
    wrong = ~geom_types.isin(spec.geometry)
    if wrong.any():
        kinds = ", ".join(sorted(set(geom_types[wrong])))
        problems.append(
            f"layer {label!r} holds {kinds} geometries; it takes {', '.join(spec.geometry or ())}"
        )
    return problems
