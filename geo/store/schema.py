"""The dataset contract (SCHEMA.md) as data: layers, columns, their kinds and allowed values.

Every reader, writer, importer and validator takes its rules from here, so the contract is
written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# column kinds: "text", "bool", "int", "float", "date", "timestamp"
CAREGIVERS = ("parents", "one_parent", "grandparents", "relatives", "entrusted_other", "none")
WATER_KINDS = ("river", "canal", "ditch", "pond", "reservoir", "lake", "cistern", "other")
STATION_KINDS = (
    "rescue_protection_institution",
    "child_welfare_institution",
    "minor_protection_workstation",
    "social_work_station",
    "day_care_centre",
    "childrens_home",
    "child_heart_harbour",
    "sunshine_station",
    "love_station",
    "school",
    "kindergarten",
    "boarding_school",
    "school_care_room",
)
STATION_LEVELS = ("county", "township", "village", "school")
ADMIN_LEVELS = ("county", "township", "village")
ROAD_CLASSES = ("primary", "secondary", "tertiary", "rural", "track", "path")
SEXES = ("M", "F")
DIFFICULTY_CLASSES = ("family", "self", "guardianship")
GUARDIANSHIP = ("good", "average", "poor")
VISIT_KINDS = ("contact", "home_visit")
KIT_ITEMS = ("sign", "buoy", "rope", "pole")
CHILD_FLAGS = ("disability", "serious_illness", "psych_concern", "lives_alone", "single_parent")

# The usual level of each station kind (DOMAIN.md §4).
STATION_KIND_LEVEL = {
    "rescue_protection_institution": "county",
    "child_welfare_institution": "county",
    "minor_protection_workstation": "township",
    "social_work_station": "township",
    "day_care_centre": "township",
    "childrens_home": "village",
    "child_heart_harbour": "village",
    "sunshine_station": "village",
    "love_station": "village",
    "school": "school",
    "kindergarten": "school",
    "boarding_school": "school",
    "school_care_room": "school",
}

LINE = ("LineString", "MultiLineString")
POLYGON = ("Polygon", "MultiPolygon")
POINT = ("Point",)


@dataclass(frozen=True)
class Column:
    """One column of a layer: its name, kind, whether it may be empty, and allowed values."""

    name: str
    kind: str
    required: bool = False  # a value must be present in every row
    choices: tuple[str, ...] | None = None
    multi: bool = False  # ";"-joined values of ``choices``


@dataclass(frozen=True)
class Layer:
    """One layer or table of a dataset."""

    name: str
    columns: tuple[Column, ...]
    geometry: tuple[str, ...] | None = None  # allowed geometry types; None = table
    key: str | None = None  # unique id column
    append_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: str = "text", **kw) -> Column:
    return Column(name, kind, **kw)


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "admin_units",
            (
                _c("code", required=True),
                _c("name"),
                _c("level", required=True, choices=ADMIN_LEVELS),
                _c("parent_code"),
            ),
            geometry=POLYGON + POINT,
            key="code",
        ),
        Layer(
            "households",
            (
                _c("household_id", required=True),
                _c("village_code", required=True),
                _c("caregiver", choices=CAREGIVERS),
            ),
            geometry=POINT,
            key="household_id",
        ),
        Layer(
            "water_bodies",
            (
                _c("water_id", required=True),
                _c("kind", required=True, choices=WATER_KINDS),
                _c("name"),
                _c("responsible_unit"),
                _c("barrier", "bool"),
            ),
            geometry=LINE + POLYGON,
            key="water_id",
        ),
        Layer(
            "safety_kits",
            (
                _c("kit_id", required=True),
                _c("water_id"),
                _c("sign", "bool"),
                _c("buoy", "bool"),
                _c("rope", "bool"),
                _c("pole", "bool"),
                _c("inspected_on", "date"),
            ),
            geometry=POINT,
            key="kit_id",
        ),
        Layer(
            "stations",
            (
                _c("station_id", required=True),
                _c("kind", required=True, choices=STATION_KINDS),
                _c("name"),
                _c("level", required=True, choices=STATION_LEVELS),
                _c("capacity", "int"),
            ),
            geometry=POINT,
            key="station_id",
        ),
        Layer(
            "roads",
            (
                _c("road_id", required=True),
                _c("road_class", required=True, choices=ROAD_CLASSES),
                _c("oneway", "bool"),
            ),
            geometry=LINE,
            key="road_id",
        ),
        Layer(
            "children",
            (
                _c("child_id", required=True),
                _c("household_id", required=True),
                _c("birth_year", "int"),
                _c("sex", choices=SEXES),
                _c("left_behind", "bool"),
                _c("difficulty", choices=DIFFICULTY_CLASSES, multi=True),
                _c("guardianship", choices=GUARDIANSHIP),
                *(_c(flag, "bool") for flag in CHILD_FLAGS),
                _c("last_contact", "date"),
                _c("last_home_visit", "date"),
            ),
            key="child_id",
        ),
        Layer(
            "child_directors",
            (_c("village_code", required=True), _c("directors", "int", required=True)),
            key="village_code",
        ),
        Layer(
            "visits",
            (
                _c("visit_id", required=True),
                _c("child_id", required=True),
                _c("visited_on", "date", required=True),
                _c("kind", required=True, choices=VISIT_KINDS),
                _c("recorded_by"),
                _c("note"),
            ),
            key="visit_id",
            append_only=True,
        ),
        Layer(
            "inspections",
            (
                _c("inspection_id", required=True),
                _c("kit_id"),
                _c("water_id"),
                _c("inspected_on", "date", required=True),
                *(_c(item, "bool") for item in KIT_ITEMS),
                _c("barrier", "bool"),
                _c("recorded_by"),
                _c("note"),
            ),
            key="inspection_id",
            append_only=True,
        ),
        Layer(
            "audit_log",
            (
                _c("at", "timestamp", required=True),
                _c("user"),
                _c("action", required=True),
                _c("detail"),
                _c("prev_hash"),
                _c("hash"),
            ),
            append_only=True,
        ),
    )
}

# Tables of the system itself, kept in the dataset file but never shown or exported:
# key/value settings (pseudonymisation salt, preset) and, later, user accounts.
INTERNAL_LAYERS: dict[str, Layer] = {
    "dataset_settings": Layer(
        "dataset_settings", (_c("key", required=True), _c("value")), key="key"
    ),
    # local accounts (geo/privacy/accounts.py); password hashes are secrets, never shown or exported
    "users": Layer(
        "users",
        (
            _c("username", required=True), _c("role", required=True), _c("scope"),
            _c("password_hash", required=True), _c("disabled", "bool"), _c("failed_count", "int"),
            _c("locked_until", "timestamp"), _c("created_at", "timestamp"),
        ),
        key="username",
    ),
    # proof of patrol: stops of checked GPS tracks (childsafe patrol-check --record), append-only
    "patrol_checks": Layer(
        "patrol_checks",
        (
            _c("check_id", required=True),
            _c("site_id", required=True),
            _c("team", "int"),
            _c("checked_on", "date", required=True),
            _c("status", required=True, choices=("ok", "too_fast", "skipped")),
            _c("recorded_by"),
        ),
        key="check_id",
        append_only=True,
    ),
    # the leaders' indicator snapshots (geo/report/snapshots.py): aggregates only, append-only
    "indicator_snapshots": Layer(
        "indicator_snapshots",
        (
            _c("taken_on", "date", required=True), _c("taken_at", "timestamp", required=True),
            _c("taken_by"), _c("preset", required=True), _c("code", required=True), _c("level"),
            _c("kind", required=True, choices=("leaf", "total")), _c("indicator", required=True),
            _c("numerator", "float"), _c("denominator", "float"), _c("value", "float"),
        ),
        append_only=True,
    ),
    # the yearly spot checks of child files (geo/report/spotcheck.py): the draw, not the files
    "spot_checks": Layer(
        "spot_checks",
        (
            _c("drawn_at", "timestamp", required=True), _c("drawn_by"), _c("year", "int", required=True),
            _c("preset"), _c("seed", required=True), _c("townships", "int"), _c("villages", "int"),
            _c("files", "int"), _c("village_codes"), _c("digest"),
        ),
        append_only=True,
    ),
}

ALL_LAYERS: dict[str, Layer] = {**LAYERS, **INTERNAL_LAYERS}

SPATIAL_LAYERS = tuple(n for n, spec in LAYERS.items() if spec.geometry)
TABLES = tuple(n for n, spec in LAYERS.items() if not spec.geometry)

# Column headers that would hold personal data; never stored (see geo/privacy and importers).
FORBIDDEN_COLUMN_HINTS = (
    "name_of_child", "child_name", "person_name", "full_name", "guardian_name",
    "phone", "mobile", "tel", "id_card", "id_number", "idcard", "identity",
    "姓名", "名字", "电话", "手机", "联系方式", "身份证",
)
