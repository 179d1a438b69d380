"""Child-director staffing per village: children in scope, directors present and needed.

The rule (national plan 000 §16, Anhui 004 §17; DOMAIN.md §2): every village or community has at
least one child director (儿童主任); a village with more than 30 left-behind and in-difficulty
children gets more. Read as: directors needed = max(1, ceil(children in scope / 30)), so 30
children need 1 director, 31 need 2, 61 need 3. The 30 is ``settings.children_per_director``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import SettingsError
from geo.store.withheld import require_full

logger = logging.getLogger(__name__)

#: columns of the staffing table, in order.
COLUMNS = ["village_code", "name", "children_in_scope", "directors", "directors_needed", "shortfall"]


def in_scope(children: pd.DataFrame) -> np.ndarray:
    """Whether each child is in the plan's scope: left-behind or in any difficulty class."""
    lb = children["left_behind"].fillna(False).astype(bool).to_numpy()
    diff = children["difficulty"].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    return lb | (diff != "")


def children_village(dataset: Dataset) -> pd.Series:
    """The village code of each child (through its household; missing where unknown)."""
    children = dataset["children"]
    households = dataset["households"]
    lookup = pd.Series(
        households["village_code"].to_numpy(),
        index=households["household_id"].astype("string").to_numpy(),
    )
    lookup = lookup[~lookup.index.duplicated()]
    codes = lookup.reindex(children["household_id"].astype("string").to_numpy())
    return pd.Series(codes.to_numpy(), index=children.index, dtype="string", name="village_code")


def directors_needed(children_in_scope: np.ndarray | pd.Series, *, per_director: int | None = None) -> np.ndarray:
    """Directors a village needs: at least 1, one more for each further ``per_director`` children.

    Parameters
    ----------
    children_in_scope
        Children in scope per village.
    per_director
        Children per director (``settings.children_per_director`` when ``None``; 000 §16).
    """
    per = int(settings.children_per_director if per_director is None else per_director)
    if per <= 0:
        raise SettingsError(f"children_per_director must be a positive number, not {per}")
    n = np.asarray(children_in_scope, dtype=np.int64)
    return np.maximum(1, -(-n // per))


def village_staffing(dataset: Dataset, *, per_director: int | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return the staffing of every village: children in scope, directors, needed, shortfall.

    Villages are the ``admin_units`` of level ``village`` plus any village code met in
    ``households`` or ``child_directors``; a village with no children in scope still needs one
    director (000 §16).

    Parameters
    ----------
    dataset
        A dataset with ``children`` and ``households`` (``child_directors`` and ``admin_units``
        optional: no row means no director; no unit means no name or shape).
    per_director
        Children in scope per director (``settings.children_per_director`` when ``None``).

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        One row per village with :data:`COLUMNS` (``shortfall`` = needed - present, at least 0),
        sorted by shortfall then children; a GeoDataFrame with the village shapes when the
        dataset has ``admin_units``.
    """
    require_full(dataset, "children", "households", task="child-director staffing")
    children = dataset["children"]
    village = children_village(dataset)
    scope = in_scope(children)
    counts = village[scope].value_counts()
    admin = dataset["admin_units"]
    villages = admin[admin["level"] == "village"]
    directors = dataset["child_directors"]
    dir_count = (
        directors.assign(directors=directors["directors"].fillna(0).astype("int64"))
        .groupby(directors["village_code"].astype("string"))["directors"].sum()
    )
    codes = pd.Index(villages["code"].astype("string").dropna())
    codes = codes.union(pd.Index(dataset["households"]["village_code"].astype("string").dropna()))
    codes = codes.union(pd.Index(dir_count.index.astype("string"))).unique()
    out = pd.DataFrame({"village_code": pd.array(codes, dtype="string")})
    names = pd.Series(villages["name"].to_numpy(), index=villages["code"].astype("string").to_numpy())
    names = names[~names.index.duplicated()]
    out["name"] = pd.array(names.reindex(codes).to_numpy(), dtype="string")
    out["children_in_scope"] = counts.reindex(codes).fillna(0).astype("int64").to_numpy()
    out["directors"] = dir_count.reindex(codes).fillna(0).astype("int64").to_numpy()
    out["directors_needed"] = directors_needed(out["children_in_scope"], per_director=per_director)
    out["shortfall"] = np.maximum(0, out["directors_needed"] - out["directors"])
    out = out.sort_values(["shortfall", "children_in_scope", "village_code"],
                          ascending=[False, False, True], kind="stable").reset_index(drop=True)
    unknown = int((scope & village.isna().to_numpy()).sum())
    if unknown:
        logger.warning("staffing: %d children in scope have no known village (household missing)", unknown)
    if settings.log_summaries:
        logger.info(
            "staffing: %d villages, %d children in scope, %d directors short in %d villages",
            len(out), int(out["children_in_scope"].sum()), int(out["shortfall"].sum()),
            int((out["shortfall"] > 0).sum()),
        )
    if len(villages):
        geoms = gpd.GeoSeries(villages.geometry.to_numpy(), index=villages["code"].astype("string").to_numpy(),
                              crs=villages.crs)
        geoms = geoms[~geoms.index.duplicated()]
        return gpd.GeoDataFrame(out, geometry=geoms.reindex(out["village_code"]).to_numpy(), crs=villages.crs)
    return out
