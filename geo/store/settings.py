"""Settings: the defaults every analysis reads at call time (osmnx ``settings`` style).

A function option left as ``None`` takes its value from here when the function runs, so the
CLI, the app and the tests are driven by one object. Change a value with plain assignment
(``settings.site_max_length_m = 300``) or, in tests, ``monkeypatch.setattr``. Each value
names its source; ``docs/`` explains them.
"""

from __future__ import annotations

import os
from pathlib import Path

# --- general ---------------------------------------------------------------------------
#: the repository's data folder; the app opens only datasets inside ``data_dir``.
package_root: Path = Path(__file__).resolve().parents[2]
data_dir: Path = package_root / "data"
#: the embedded synthetic demo county (see data/README.md).
demo_dataset: Path = data_dir / "demo_county.gpkg"
#: UI and message language: "zh" or "en".
language: str = "zh"
#: the county's time zone: times are stored in UTC and shown (and written to tables) in it.
local_timezone: str = "Asia/Shanghai"
#: division codes (geo/store/codes.py, docs/import.md "Codes"): allow synthetic county codes
#: (city part 81-89/91-99 or county part 99, never assigned officially) in every dataset; the
#: demo dataset allows them through its own setting. Off: a real county's data is checked.
allow_synthetic_codes: bool = False
#: county codes to accept besides the shipped official list (divisions created after its date).
extra_county_codes: tuple[str, ...] = ()
#: log a one-line summary at the end of public functions.
log_summaries: bool = True
#: threads for the vectorised geometry passes that release the GIL (exposure pairs).
threads: int = min(4, os.cpu_count() or 1)
#: the dashboard of our own local Dask cluster (county-by-county runs, docs/scale.md): an
#: address on this machine only; ``None``: no dashboard (the CLI's ``--dashboard off``; its
#: start costs about 0.4 s, bokeh's import).
dask_dashboard: str | None = "127.0.0.1:8787"

# --- water sites, kits and risk (docs/water-risk.md) -------------------------------------
#: longest stretch of river/canal/shoreline that counts as one site (one sign can serve it).
site_max_length_m: float = 500.0
#: a kit within this distance of a site serves it.
kit_service_distance_m: float = 100.0
#: distance-decay: full weight up to ``decay_full_m``, linear to zero at ``decay_zero_m``.
#: Source: 71.6% of drowned under-fives lived within 100 m of the water (DOMAIN.md §3).
decay_full_m: float = 100.0
decay_zero_m: float = 1000.0
#: Gi* fixed distance band between site centroids, metres.
hotspot_band_m: float = 1000.0
#: false-discovery-rate level for the Gi* bins.
hotspot_fdr: bool = True
#: a polygon with perimeter <= this x site_max_length_m is one site (a ~250 m pond); judgement.
site_small_perimeter_factor: float = 2.0
#: rural drowning mortality per 100,000 by age band (DOMAIN.md §3; 0 and 15-17 are judgement,
#: see docs/water-risk.md); vulnerability weight = rate / the 1-4 rate.
water_age_rates: dict[tuple[int, int], float] = {
    (0, 0): 9.65, (1, 4): 19.3, (5, 9): 16.8, (10, 14): 14.0, (15, 17): 7.0,
}
#: age weight when the birth year is missing (conservative: the highest band); judgement.
water_age_unknown_weight: float = 1.0
#: supervision multipliers (DOMAIN.md §3: drownings happen without adult supervision); judgement.
water_supervision_weights: dict[str, float] = {
    "left_behind": 1.5, "caregiver_grandparents": 1.3, "caregiver_none": 2.0, "lives_alone": 2.0,
    "disability": 1.5,
}
#: guardianship rating multipliers (Jilin's tiers, seeds/002 §8, ordered good < average < poor).
water_guardianship_weights: dict[str, float] = {"good": 1.0, "average": 1.2, "poor": 1.5}
#: hazard added by each missing "four ones" item (000 §14: every risky site needs all four).
water_item_hazard: dict[str, float] = {"sign": 0.25, "buoy": 0.25, "rope": 0.25, "pole": 0.25}
#: hazard multiplier of a site with an isolation barrier (000 §14); judgement.
water_barrier_factor: float = 0.5
#: hazard multiplier by water kind (DOMAIN.md §3 names ponds, canals, rivers); 1 = no difference.
water_kind_hazard: dict[str, float] = {}
#: counts of children reported per site, metres (DOMAIN.md §3: 71.6% lived within 100 m).
water_count_distances_m: tuple[float, float] = (100.0, 500.0)
#: h3 resolution of the leaders' risk hexagons (8: ~0.74 km2 cells).
water_hex_resolution: int = 8

# --- the map (docs/app.md) ------------------------------------------------------------------
#: an overview overlay with more features than this is not drawn (bench/results/map.md: 91k water
#: bodies are 72 MB of map); the user narrows the area or uses the aggregated views instead.
map_max_features: int = 25_000

# --- routing and coverage (docs/coverage-and-siting.md) ----------------------------------
#: speeds in km/h by mode.
walk_speed_kmh: float = 4.0
drive_speed_kmh: dict[str, float] = {
    "primary": 60.0,
    "secondary": 50.0,
    "tertiary": 40.0,
    "rural": 30.0,
    "track": 15.0,
    "path": 5.0,
}
#: service standards: (distance in metres, mode) per station level.
service_standard: dict[str, tuple[float, str]] = {
    "village": (2000.0, "walk"),
    "township": (15000.0, "drive"),
    "county": (60000.0, "drive"),
    "school": (3000.0, "walk"),
}
#: "network" (along roads) or "euclidean" (straight line) distances for coverage.
coverage_metric: str = "network"
#: road junctions (geo/reach/roads.py; docs/design-notes.md): how roads without a ``junctions``
#: value meet: "ends" (an end point on or within ``road_join_tolerance_m`` of another road joins
#: it; roads crossing mid-segment stay apart: over- and underpasses), "crossings" (also every
#: crossing on the same ``layer``: for layers known to be planar) or "nodes" (only shared
#: vertices, as OpenStreetMap draws junctions; OSM imports set it per road).
road_junctions: str = "ends"
#: digitising tolerance of a road end point, metres (assumption: land-survey road layers are
#: drawn to about 0.1-0.5 m; 1 m joins their near misses, not two roads a lane apart).
road_join_tolerance_m: float = 1.0
#: a road component with fewer nodes than this (and not the largest) is a fragment: points snap
#: past it to the nearest larger component (assumption: real OSM fragments have 2-11 nodes; a
#: village's own road net has more).
road_fragment_max_nodes: int = 50
#: network health: an end point within this distance of another road, but beyond the join
#: tolerance, is a near miss worth checking (assumption).
road_near_miss_m: float = 10.0
#: service areas: concave-hull ratio (shapely, 0 = tightest) and a drawing buffer, metres (assumption).
service_area_hull_ratio: float = 0.3
service_area_buffer_m: float = 100.0
#: gap areas: hexagon circumradius, metres (assumption: ~0.65 km2 cells, a village's hamlet scale).
gap_hex_size_m: float = 500.0
#: siting demand: households merged into square cells of this size when more than
#: ``siting_max_demand_points`` demand points (assumption: 100 m << 2 km standard).
siting_demand_cell_m: float = 100.0
siting_max_demand_points: int = 20_000
#: siting candidates: road nodes near uncovered children thinned to one per cell of this share
#: of the service radius (assumption: radius / 4 keeps ~1 candidate per 0.25 km2 at 2 km).
siting_candidate_spacing: float = 0.25

# --- siting / location-allocation ---------------------------------------------------------
#: exact MILP (HiGHS) up to this many candidate x demand non-zeros; greedy + LP bound above.
siting_exact_max_nonzeros: int = 5_000_000
#: time limit of one exact solve, seconds.
siting_time_limit_s: float = 60.0

# --- patrols (docs/field-work.md) ----------------------------------------------------------
#: minutes spent at each site (look, remind children, check the four ones); judgement.
patrol_stop_minutes: float = 10.0
#: OR-Tools guided-local-search time limit per plan, seconds: 2 s keeps 3 teams on the demo county
#: under 5 s in all and within 1% of a 60 s run's risk (bench/results/fieldwork.md).
patrol_solver_time_limit_s: float = 2.0
#: a GPS track passing within this distance of a site counts as a visit (phone GPS ~10-30 m).
patrol_track_pass_distance_m: float = 50.0
#: moving faster than this near a site is too fast to inspect it (perfunctory patrol); judgement.
patrol_max_inspect_speed_kmh: float = 25.0
#: faster than this between two track points is impossible for a patrol on county roads
#: (points moved by hand, tracks glued together); judgement, above the 80 km/h road limit.
patrol_max_travel_speed_kmh: float = 130.0
#: a track point this close to the planned line lies "exactly" on it (phone GPS is 3-30 m off).
patrol_replay_tolerance_m: float = 1.0
#: this share of track points exactly on the planned line marks a replayed plan.
patrol_replay_share: float = 0.8
#: travel mode of patrol teams ("drive": patrol car or motorbike on settings.drive_speed_kmh).
patrol_mode: str = "drive"
#: the riskiest this many sites are the candidates of a plan (plus pinned ones); judgement.
patrol_candidates: int = 120
#: patrol calendar (geo/field/calendar.py, docs/field-work.md): risk bands by a site's rank share among
#: sites with risk > 0, as (top share, days between patrols on an ordinary school day); judgement.
patrol_schedule_bands: tuple[tuple[float, float], ...] = ((0.10, 7.0), (0.30, 14.0), (0.60, 30.0), (1.00, 30.0))
#: day weights (patrol rate x weight, at most one patrol per site a day): summer holiday (drowning
#: peaks then, DOMAIN.md §3), flood season (000 §14 汛期), weekend/public/winter holiday (children out
#: of school and unsupervised, DOMAIN.md §3); season = the larger of summer and flood; judgement.
patrol_schedule_weights: dict[str, float] = {"summer": 7.0, "flood": 2.0, "day_off": 2.0}
#: flood season ((month, day) start, end); 000 §14 names 汛期 without dates: June-September is the
#: usual main flood season (provinces set their own; presets in geo/field/presets.py).
patrol_flood_season: tuple[tuple[int, int], tuple[int, int]] = ((6, 1), (9, 30))
#: patrol time window ("HH:MM", "HH:MM") by day kind: after school on school days, afternoon into
#: the evening on days off (most drownings of school-age rural children: afternoon, DOMAIN.md §3).
patrol_schedule_windows: dict[str, tuple[str, str]] = {
    "school_day": ("16:00", "19:30"), "day_off": ("14:00", "19:30"),
}
#: minutes of travel per stop added to patrol_stop_minutes when sizing a team's day; judgement
#: (the demo county's 3 x 4 h plan drives ~5 min per stop between clustered top sites).
patrol_schedule_travel_minutes: float = 10.0

# --- child directors and visits (DOMAIN.md §2) ----------------------------------------------
#: one more director for each further this many children in scope (000 §16, 004 §17).
children_per_director: int = 30
#: days before a due date that counts as "due soon".
due_soon_days: int = 7
#: name of the active visit preset: national, jilin, anhui, gaotai, heze.
visit_preset: str = "national"
#: Anhui's concentrated holiday visits (004 §6): school-holiday windows ((month, day) start, end).
#: Dates differ by year and province; these are typical ones (judgement, docs/field-work.md).
visit_holidays: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "winter": ((1, 15), (2, 25)), "summer": ((7, 1), (8, 31)),
}
#: in an extreme-weather alert (004 §6) each child in scope is contacted within this many days
#: of the alert's start (judgement).
visit_extreme_weather_days: int = 2

# --- leaders' indicators and report (docs/indicators.md, docs/report.md) ----------------------
#: a share is "close" to its target within this many points below it (0.10: 90% of a 100% target);
#: a count whose target is 0 is close when at most this share of its base (judgement).
report_close_margin: float = 0.10
#: the report takes the snapshot of the same preset taken within this many days of its date.
report_snapshot_days: int = 7
#: spot checks of child files (000 §8 yearly; 001 §9 every township, at least 10 villages): per
#: preset, (every township, villages at least, files drawn per village); national and the others
#: set no number, so Gaotai's rule is the default (judgement), files per village: judgement.
spot_check_rules: dict[str, tuple[bool, int, int]] = {
    "national": (True, 10, 5), "jilin": (True, 10, 5), "anhui": (True, 10, 5),
    "gaotai": (True, 10, 5), "heze": (True, 10, 5),
}

# --- privacy (docs/security.md) ---------------------------------------------------------------
#: counts below this are hidden (with complementary cells) from roles that see aggregates only.
small_count_threshold: int = 5
#: distances to homes (``nearest_child_m``) are rounded up to these edges, metres, for roles
#: that may not see households (docs/security.md); beyond the last, to a whole kilometre.
distance_bands_m: tuple[float, ...] = (100.0, 250.0, 500.0, 1000.0)
#: displacement radius for geomasked exports, metres.
geomask_radius_m: float = 200.0
#: app session timeout, minutes; failed logins before lock-out; lock-out minutes.
session_timeout_min: float = 30.0
max_failed_logins: int = 5
lockout_minutes: float = 15.0
#: donut geomask: points move at least this share of ``geomask_radius_m`` (docs/security.md).
geomask_inner_fraction: float = 0.2
#: infrastructure (waters, kits, stations, roads) within this margin of an area scope is shown.
scope_margin_m: float = 1000.0
#: H3 resolution of the hexagon counts aggregate roles see (8: cells of ~0.74 km2).
aggregate_h3_resolution: int = 8
#: largest upload the app accepts, MB (same as server.maxUploadSize in .streamlit/config.toml).
max_upload_mb: float = 50.0
#: largest uncompressed size of an uploaded archive (.xlsx, .zip), MB: checked from the zip's
#: directory before anything is unpacked (a 1.5 MB zip bomb unpacks to gigabytes).
max_uncompressed_mb: float = 300.0
#: most cells a workbook may hold (counted by streaming its sheet XML before parsing);
#: a county ledger of 100,000 rows x 40 columns is 4 million.
max_workbook_cells: int = 5_000_000
#: most members of an uploaded archive.
max_archive_members: int = 10_000
