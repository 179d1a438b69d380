"""Roles and area scopes: what each user may see, enforced on the data every view and export uses.

Every face of the platform (app pages, CLI commands, exports) gets its data from
:func:`dataset_for`, which returns a *role view*: a new :class:`~geo.store.dataset.Dataset` holding only
the layers, rows and columns the user's role and area scope allow (DOMAIN.md §6):

- ``admin``: everything in scope, the audit log, user management;
- ``leader``: aggregates only (``area_counts`` per county/township/village and ``hex_counts``
  per H3 cell, small counts hidden by :mod:`geo.privacy.disclosure`), waters, kits,
  stations, roads; no household or child rows;
- ``planner``: household locations with counts of children by group (no caregiver, no child
  attributes), exact area counts, waters, kits, stations, roads;
- ``safety_officer``: waters, kits, inspections, stations, roads (the inputs of sites, risk and
  patrols); children only as counts near sites, through analysis outputs;
- ``child_director``: full records of the households, children and visits of their own village.

Analyses that need the underlying rows (a safety officer's risk ranking needs children near
sites) run inside the engine on :func:`analysis_view` (the scope-clipped full data, never shown)
and only their outputs reach the user, through :func:`filter_result`. :func:`run_analysis` does
both; docs/security.md explains the choice.

A scope is an admin-code prefix: ``""`` (everything), 6 digits (county), 9 (township) or 12
(village).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd
from shapely.geometry import Polygon

from geo.store import settings
from geo.store.dataset import Dataset
from geo.store.errors import PermissionDenied
from geo.store.projection import STORAGE_CRS
from geo.store.schema import CHILD_FLAGS, INTERNAL_LAYERS, LAYERS

logger = logging.getLogger(__name__)

ROLES = ("admin", "leader", "planner", "safety_officer", "child_director")

ROLE_LABELS = {
    "admin": ("管理员", "Administrator"),
    "leader": ("领导", "Leader"),
    "planner": ("规划人员", "Planner"),
    "safety_officer": ("安全员", "Safety officer"),
    "child_director": ("儿童主任", "Child director"),
}

#: Derived tables a role view may hold instead of personal rows.
AGGREGATE_LAYERS = ("area_counts", "hex_counts")

#: What each role sees of each layer (docs/security.md prints this table; tests walk it).
#: ``all``: every row and column in the user's scope; ``locations``: household points and
#: counts of children by group, no other attribute; ``suppressed``: aggregate counts with small
#: counts hidden (NaN, noted in a ``suppressed`` column; geo.privacy.disclosure); ``exact``: aggregate counts as they are; ``none``: the layer is absent.
ROLE_MATRIX: dict[str, dict[str, str]] = {
    "admin": {
        "admin_units": "all", "households": "all", "children": "all", "visits": "all",
        "water_bodies": "all", "safety_kits": "all", "stations": "all", "roads": "all",
        "child_directors": "all", "inspections": "all", "audit_log": "all",
        "area_counts": "exact", "hex_counts": "exact",
    },
    "leader": {
        "admin_units": "all", "households": "none", "children": "none", "visits": "none",
        "water_bodies": "all", "safety_kits": "all", "stations": "all", "roads": "all",
        "child_directors": "all", "inspections": "all", "audit_log": "none",
        "area_counts": "suppressed", "hex_counts": "suppressed",
    },
    "planner": {
        "admin_units": "all", "households": "locations", "children": "none", "visits": "none",
        "water_bodies": "all", "safety_kits": "all", "stations": "all", "roads": "all",
        "child_directors": "all", "inspections": "none", "audit_log": "none",
        "area_counts": "exact", "hex_counts": "exact",
    },
    "safety_officer": {
        "admin_units": "all", "households": "none", "children": "none", "visits": "none",
        "water_bodies": "all", "safety_kits": "all", "stations": "all", "roads": "all",
        "child_directors": "none", "inspections": "all", "audit_log": "none",
        "area_counts": "none", "hex_counts": "none",
    },
    "child_director": {
        "admin_units": "all", "households": "all", "children": "all", "visits": "all",
        "water_bodies": "all", "safety_kits": "all", "stations": "all", "roads": "all",
        "child_directors": "all", "inspections": "all", "audit_log": "none",
        "area_counts": "exact", "hex_counts": "none",
    },
}

#: What each role may do (``require(user, capability)``).
CAPABILITIES: dict[str, frozenset[str]] = {
    "admin": frozenset({
        "view_personal", "view_households", "view_aggregates", "analyse", "export", "import",
        "edit", "record_visit", "record_inspection", "manage_users", "view_audit",
    }),
    "leader": frozenset({"view_aggregates", "analyse", "export"}),
    "planner": frozenset({"view_households", "view_aggregates", "analyse", "export"}),
    "safety_officer": frozenset({"analyse", "export", "record_inspection"}),
    "child_director": frozenset({
        "view_personal", "view_households", "view_aggregates", "analyse", "export",
        "record_visit",
    }),
}

#: Columns about a child (personal attributes).
CHILD_COLUMNS = (
    "child_id", "birth_year", "sex", "left_behind", "difficulty", "guardianship", *CHILD_FLAGS,
    "last_contact", "last_home_visit",
)
#: Row keys that make a frame "one row per person or household".
PERSONAL_KEYS = ("child_id", "household_id", "visit_id")
#: Layers of people: a role view without all of their rows marks them ``withheld`` (counts of
#: people are then computed on the full data and released, ``geo.store.dataset.require_full``).
PERSONAL_LAYERS = ("households", "children", "visits")
#: Columns of the planner's households: location and counts by group.
GROUP_COUNTS = ("children", "left_behind", "in_difficulty", "under_6")
_SECRET_SETTING = re.compile(r"salt|secret|password|passwd|token|hash|geomask_key", re.I)


def check_role(role: str) -> str:
    """Return ``role`` or raise :class:`PermissionDenied` naming the valid roles."""
    if role not in ROLES:
        raise PermissionDenied(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    return role


def check_scope(scope: str) -> str:
    """Return ``scope`` (an admin-code prefix of 0, 2, 4, 6, 9 or 12 digits) or raise."""
    if scope and (not scope.isdigit() or len(scope) not in (2, 4, 6, 9, 12)):
        raise PermissionDenied(
            f"scope {scope!r} is not an admin-code prefix (2, 4, 6, 9 or 12 digits, or empty)"
        )
    return scope


@dataclass(frozen=True)
class User:
    """Who is asking: a name, a role from :data:`ROLES` and an admin-code prefix scope.

    ``demo`` marks the app's demo-mode administrator and ``local`` the CLI operator who gave no
    identity (whoever can read the file); both are admins.
    """

    username: str
    role: str
    scope: str = ""
    demo: bool = False
    local: bool = False

    def __post_init__(self) -> None:
        check_role(self.role)
        check_scope(self.scope)

    @property
    def label(self) -> str:
        """``name (role, scope)`` for headers, watermarks and the audit log."""
        where = self.scope or "*"
        return f"{self.username} ({self.role}, {where})"


#: The CLI user when no identity is given: the local operator, an admin of everything.
LOCAL_OPERATOR = User("local-operator", "admin", "", local=True)
#: The app user of the embedded demo county (a dataset without accounts).
DEMO_USER = User("demo", "admin", "", demo=True)


def can(user: User, capability: str) -> bool:
    """Whether ``user``'s role grants ``capability``."""
    return capability in CAPABILITIES[user.role]


def require(user: User | None, capability: str) -> User:
    """Return ``user`` if their role grants ``capability``, else raise :class:`PermissionDenied`."""
    if user is None:
        raise PermissionDenied("sign in first")
    if not can(user, capability):
        raise PermissionDenied(
            f"{user.username} ({user.role}) may not {capability.replace('_', ' ')}"
        )
    return user


def visible_layers(role: str) -> list[str]:
    """Names of the layers a role view of ``role`` holds (possibly empty ones)."""
    return [name for name, access in ROLE_MATRIX[check_role(role)].items() if access != "none"]


def in_scope(codes: pd.Series, scope: str) -> pd.Series:
    """Boolean mask of the admin ``codes`` inside ``scope`` (prefix match; empty scope: all)."""
    if not scope:
        return pd.Series(True, index=codes.index)
    return codes.astype("string").fillna("").str.startswith(scope).astype(bool)


# --- scope clipping ------------------------------------------------------------------------------


def _scope_area(ds: Dataset, scope: str):
    """The scope's polygons buffered by ``settings.scope_margin_m`` (in the CRS of ``ds``), or None."""
    units = ds.metric_layer("admin_units") if len(ds["admin_units"]) else ds["admin_units"]
    if not scope or not len(units):
        return None
    mine = units[in_scope(units["code"], scope).to_numpy()]
    mine = mine[mine.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    if not len(mine):
        return None
    area = gpd.GeoSeries([mine.geometry.union_all().buffer(float(settings.scope_margin_m))], crs=mine.crs)
    return area.to_crs(ds.crs or STORAGE_CRS).iloc[0]  # back to the layers it clips


def clip_to_scope(dataset: Dataset, scope: str) -> Dataset:
    """Return the rows of ``dataset`` inside the area ``scope`` (all layers, nothing hidden).

    Households by their village code, children through their household, visits through their
    child, admin units inside the scope and their ancestors (the context above), child directors
    by village code; waters, kits, stations and roads within ``settings.scope_margin_m`` of the
    scope's polygons (all of them when the scope has no polygons). Internal tables are dropped.
    """
    check_scope(scope)
    out = dataset.derive()
    for name in dataset:
        if name not in INTERNAL_LAYERS:
            out[name] = dataset[name]
    if not scope:
        return out
    units = dataset["admin_units"]
    codes = units["code"].astype("string").fillna("")
    keep = in_scope(codes, scope) | codes.map(lambda c: bool(c) and scope.startswith(c)).astype(bool)
    out["admin_units"] = units[keep.to_numpy()]
    hh = dataset["households"]
    hh = hh[in_scope(hh["village_code"], scope).to_numpy()]
    out["households"] = hh
    ch = dataset["children"]
    ch = ch[ch["household_id"].isin(hh["household_id"]).to_numpy()]
    out["children"] = ch
    vi = dataset["visits"]
    out["visits"] = vi[vi["child_id"].isin(ch["child_id"]).to_numpy()]
    cd = dataset["child_directors"]
    out["child_directors"] = cd[in_scope(cd["village_code"], scope).to_numpy()]
    area = _scope_area(dataset, scope)
    if area is not None:
        for name in ("water_bodies", "safety_kits", "stations", "roads"):
            frame = dataset[name]
            if len(frame):
                out[name] = frame[frame.intersects(area).to_numpy()]
    kits, waters = out["safety_kits"], out["water_bodies"]
    ins = dataset["inspections"]
    if len(ins):
        ok = ins["kit_id"].isin(kits["kit_id"]) | ins["water_id"].isin(waters["water_id"])
        out["inspections"] = ins[ok.to_numpy()]
    for name in [n for n in dataset if n not in LAYERS and n not in INTERNAL_LAYERS]:
        out[name] = dataset[name]  # result layers: filtered by filter_result when shown
    return out


# --- aggregates ----------------------------------------------------------------------------------


def _child_groups(ds: Dataset) -> pd.DataFrame:
    """Per household: children, left-behind, in difficulty, under 6 (Int64 counts)."""
    ch = ds["children"]
    year = date.today().year
    groups = pd.DataFrame(
        {
            "household_id": ch["household_id"].astype("string"),
            "children": 1,
            "left_behind": ch["left_behind"].astype(bool).astype(int),
            "in_difficulty": ch["difficulty"].fillna("").astype(str).str.strip().ne("").astype(int),
            "under_6": ((year - ch["birth_year"].astype("Float64")) < 6).fillna(False).astype(int),
        }
    )
    return groups.groupby("household_id", sort=False)[list(GROUP_COUNTS)].sum()


def households_with_counts(ds: Dataset) -> gpd.GeoDataFrame:
    """Household points with counts of their children by group and no other attribute.

    The contract columns stay (so readers work) with ``caregiver`` emptied.
    """
    hh = ds["households"]
    counts = _child_groups(ds)
    out = hh[["household_id", "village_code", "caregiver", hh.geometry.name]].copy()
    out["caregiver"] = pd.Series(pd.NA, index=out.index, dtype="string")
    joined = counts.reindex(out["household_id"].astype("string")).fillna(0)
    for col in GROUP_COUNTS:
        out[col] = joined[col].to_numpy().astype("int64")
        out[col] = out[col].astype("Int64")
    return out


def area_counts(ds: Dataset, *, suppress: bool = False) -> pd.DataFrame:
    """Counts of households and children by group per county, township and village.

    Units come from ``admin_units`` and from the households' village codes (a village missing
    from ``admin_units`` still counts). Computed on the full data of ``ds``; with
    ``suppress`` the table is released as a leader receives it
    (:func:`geo.privacy.disclosure.release`: hidden cells ``NaN``, the ``suppressed`` column
    names them).
    """
    from geo.privacy.disclosure import population_context, population_table, release

    table = population_table(ds)
    units = ds["admin_units"]
    names = dict(zip(units["code"].astype(str), units["name"].astype("string"), strict=True))
    levels = dict(zip(units["code"].astype(str), units["level"].astype("string"), strict=True))
    codes = table["code"].astype(str)
    out = pd.DataFrame({
        "code": table["code"].astype("string"),
        "name": pd.array([names.get(c) for c in codes], dtype="string"),
        "level": pd.array([levels.get(c) or {6: "county", 9: "township", 12: "village"}.get(
            len(c), "") for c in codes], dtype="string"),
    })
    for col in ("households", *GROUP_COUNTS):
        out[col] = table[col].astype("Int64")
    if suppress:
        return release("leader", "area_counts", out, context=population_context(ds))
    return out


def hex_counts(ds: Dataset, *, suppress: bool = False,
               resolution: int | None = None) -> gpd.GeoDataFrame:
    """Counts of households and children per H3 cell (``settings.aggregate_h3_resolution``).

    With ``suppress``, released as a leader receives it (see :func:`area_counts`).
    """
    import h3

    res = settings.aggregate_h3_resolution if resolution is None else resolution
    hh = households_with_counts(ds)
    columns = ["h3_cell", "households", *GROUP_COUNTS]
    if not len(hh):
        return gpd.GeoDataFrame({c: pd.Series([], dtype="string") for c in columns},
                                geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    pts = hh.to_crs("EPSG:4326").geometry
    cells = [h3.latlng_to_cell(y, x, res) for x, y in zip(pts.x, pts.y, strict=True)]
    hh = pd.DataFrame(hh.drop(columns=hh.geometry.name)).assign(h3_cell=cells)
    agg = hh.groupby("h3_cell").agg(households=("household_id", "count"),
                                    **{c: (c, "sum") for c in GROUP_COUNTS}).reset_index()
    geoms = [Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in agg["h3_cell"]]
    agg["h3_cell"] = agg["h3_cell"].astype("string")
    for col in ("households", *GROUP_COUNTS):
        agg[col] = agg[col].astype("Int64")
    out = gpd.GeoDataFrame(agg, geometry=geoms, crs="EPSG:4326")
    out = out.to_crs(ds.crs) if ds.crs is not None else out
    if suppress:
        from geo.privacy.disclosure import release

        return release("leader", "hex_counts", out)
    return out


# --- role views ----------------------------------------------------------------------------------


def public_settings(values: Mapping[str, str]) -> dict[str, str]:
    """Dataset settings without secrets (pseudonymisation salt, keys, hashes)."""
    return {k: v for k, v in values.items() if not _SECRET_SETTING.search(k)}


def dataset_for(user: User, dataset: Dataset) -> Dataset:
    """Return exactly what ``user`` may see of ``dataset`` (a new dataset; the input is untouched).

    The view never holds internal tables (``users``, ``dataset_settings``) or secret settings,
    and carries ``role_view`` (the user) so writers can refuse to save it over the full file.

    Parameters
    ----------
    user
        The signed-in user (role and scope).
    dataset
        The full dataset as read from disk.

    Returns
    -------
    Dataset
        The layers of :data:`ROLE_MATRIX` for the role, rows inside the user's scope.
    """
    from geo.privacy.disclosure import release

    check_role(user.role)
    scoped = clip_to_scope(dataset, user.scope)
    matrix = ROLE_MATRIX[user.role]
    out = dataset.derive(settings=public_settings(dataset.settings))
    for name, access in matrix.items():
        if access == "none":
            continue
        if name in AGGREGATE_LAYERS:  # computed on the scope's full data, then released
            build = area_counts if name == "area_counts" else hex_counts
            out[name] = release(user, name, build(scoped), context=scoped)
        elif access == "locations":
            out[name] = households_with_counts(scoped)
        else:
            out[name] = scoped[name]  # an empty frame with the contract columns if missing
    out.role_view = user  # type: ignore[attr-defined]
    out.withheld = frozenset(name for name in PERSONAL_LAYERS if matrix.get(name) != "all")
    logger.info("role view for %s: %s", user.label,
                ", ".join(f"{n} {len(f):,}" for n, f in out.items() if len(f)))
    return out


def analysis_view(user: User, dataset: Dataset) -> Dataset:
    """Return the scope-clipped full data that analyses run on inside the engine (never shown).

    Only outputs leave it, through :func:`filter_result`. Requires the ``analyse`` capability.
    """
    require(user, "analyse")
    out = clip_to_scope(dataset, user.scope)
    out.settings = public_settings(dataset.settings)
    out.analysis_for = user  # type: ignore[attr-defined]
    return out


def filter_result(user: User, name: str, frame: pd.DataFrame, *,
                  counts: list[str] | None = None, context=None) -> pd.DataFrame:
    """Return what ``user`` may see of the analysis output ``frame`` (named ``name``).

    ``frame`` must be computed on the full data of the user's scope (:func:`analysis_view`).
    Rules by the frame's columns, so every analysis is covered without registering it:

    - rows about one child (``child_id``): admin and child director only, in their scope;
    - rows about one household (``household_id``): also planners, with child attributes
      dropped; leaders and safety officers are refused;
    - any other rows (sites, villages, routes): every role; child attributes (text, flags,
      dates) are dropped for roles without ``view_personal``, counts stay counts;
    - rows with a ``village_code``/``code`` column are limited to the user's scope;
    - counts of people, the shares and scores made from them and distances to homes are then
      released by :func:`geo.privacy.disclosure.release` (``counts``: the count columns, for
      an output it does not know; ``context``: the scope's population context or dataset).

    Raises
    ------
    PermissionDenied
        The role may not see rows of this kind at all.
    """
    from geo.privacy.disclosure import TableSpec, release

    role = user.role
    out = frame.copy()
    cols = set(map(str, out.columns))
    personal = bool(cols & {"child_id", "visit_id"})
    household = "household_id" in cols
    if personal and not can(user, "view_personal"):
        raise PermissionDenied(f"{user.username} ({role}) may not see per-child rows of {name!r}")
    if household and not personal and not can(user, "view_households"):
        raise PermissionDenied(
            f"{user.username} ({role}) may not see per-household rows of {name!r}"
        )
    for code_col in ("village_code", "code"):
        if user.scope and code_col in cols:
            out = out[in_scope(out[code_col], user.scope).to_numpy()]
            break
    if not can(user, "view_personal"):
        drop = [c for c in out.columns if (c in CHILD_COLUMNS or c == "caregiver")
                and (personal or household or not _is_count(out[c]))]
        out = out.drop(columns=drop)
    if personal or household:
        return out
    spec = TableSpec(counts=tuple(counts), total=True) if counts is not None else None
    return release(user, name, out, context=context, spec=spec)


def _is_count(series: pd.Series) -> bool:
    """Whether a column holds counts (numbers, not flags): an aggregate, not an attribute."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def run_analysis(user: User, dataset: Dataset, name: str, func: Callable, *args, **kwargs):
    """Run ``func(analysis_view(user, dataset), *args, **kwargs)`` and filter its output by role.

    A frame output goes through :func:`filter_result`; a dict or tuple of frames has each
    frame filtered (other values pass unchanged).
    """
    view = analysis_view(user, dataset)
    result = func(view, *args, **kwargs)
    return filter_outputs(user, name, result, context=view)


def filter_outputs(user: User, name: str, result, *, context=None):
    """Apply :func:`filter_result` to a frame, or to each frame in a dict/tuple/list."""
    if isinstance(result, pd.DataFrame):
        return filter_result(user, name, result, context=context)
    if isinstance(result, dict):
        return {k: filter_outputs(user, f"{name}.{k}", v, context=context)
                for k, v in result.items()}
    if isinstance(result, tuple | list):
        return type(result)(filter_outputs(user, name, v, context=context) for v in result)
    return result


__all__ = [
    "AGGREGATE_LAYERS", "CAPABILITIES", "DEMO_USER", "LOCAL_OPERATOR", "ROLES", "ROLE_LABELS",
    "ROLE_MATRIX", "User", "analysis_view", "area_counts", "can", "check_role", "check_scope",
    "clip_to_scope", "dataset_for", "filter_outputs", "filter_result", "hex_counts",
    "households_with_counts", "in_scope", "public_settings", "require", "run_analysis",
    "visible_layers",
]
