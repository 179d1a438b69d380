"""``childsafe coverage`` (who the stations reach) and ``childsafe site stations`` (new sites)."""

from __future__ import annotations

import json

import click

from geo.cli._main import open_dataset, role_result, site_group
from geo.cli.cluster import cluster_options, partitioned, run_budget, run_partitioned
from geo.distributed.tasks import COVERAGE_LAYERS as _USED_LAYERS  # what coverage and siting read
from geo.privacy.disclosure import scope_totals

_LEVELS = ("village", "township", "county", "school")


def register(group: click.Group) -> None:
    group.add_command(coverage)
    site_group(group).add_command(stations)


@click.command()
@click.argument("dataset", type=click.Path())
@click.option("--out", "out", required=True, type=click.Path(),
              help="Result GeoPackage to write (a folder of county results with --workers).")
@click.option("--metric", type=click.Choice(["network", "euclidean"]), default=None,
              help="Distances along roads or straight (default: settings.coverage_metric, network).")
@click.option("--level", "levels", multiple=True, type=click.Choice(_LEVELS),
              help="Station level(s) to assess (repeatable; default: all with a service standard).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@cluster_options
def coverage(dataset: str, out: str, metric: str | None, levels: tuple[str, ...], as_json: bool,
             workers: int | None, scheduler: str | None, halo: float) -> None:
    """Measure every child's distance to the nearest station of each level in DATASET; write
    layers ``child_access``, ``coverage_by_unit``, ``service_areas`` and ``gap_areas`` to OUT.

    DATASET may hold many counties (or be a folder of county GeoPackages): with ``--workers N``
    or ``--scheduler`` each county is one task and OUT a folder of county results."""
    from geo.distributed.tasks import coverage_layers
    from geo.reach.coverage import coverage_summary
    from geo.store.dataset import write_layers
    from geo.store.errors import PermissionDenied

    options: dict = {"metric": metric, "levels": list(levels) or None}
    if partitioned(dataset, workers, scheduler):
        run_partitioned("coverage", dataset, out, options, workers=workers, scheduler=scheduler,
                        halo=halo, as_json=as_json)
        return
    ds = open_dataset(dataset, analysis=True, layers=_USED_LAYERS)
    layers = coverage_layers(ds, **options)
    access, table, gaps = layers["child_access"], layers["coverage_by_unit"], layers["gap_areas"]
    areas = layers["service_areas"]
    # what the CLI user's role may see (per-child rows only for roles that see children)
    shown = {}
    for name, frame in layers.items():
        try:
            shown[name] = role_result(dataset, name, frame, ds)
        except PermissionDenied:
            continue
    write_layers(out, shown)
    summary = coverage_summary(access)
    if "coverage_by_unit" in shown and shown["coverage_by_unit"] is not table:
        summary = scope_totals(shown["coverage_by_unit"])  # only from the cells the role sees
    by_level: dict[str, dict[str, int | float | None]] = {
        r.station_level: {"covered": _count(r.covered), "children": _count(r.children),
                          "share": None if r.covered_share != r.covered_share
                          else round(float(r.covered_share), 4)}
        for r in summary.itertuples()
    }
    children = by_level[next(iter(by_level))]["children"] if by_level else len(ds["children"])
    result = {
        "out": out,
        "metric": metric or _default_metric(),
        "children": children,
        "levels": by_level,
        "gap_areas": int(len(gaps)),
        "layers": sorted(shown),
        "service_areas": int(len(areas)),
        "households_snap": access.attrs.get("households_snap"),
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"wrote {out}: {_shown(result['children'])} children, {result['metric']} distances")
    for lv, v in by_level.items():
        share = "-" if v["share"] is None else f"{100 * v['share']:.1f}%"
        click.echo(f"  {lv:<9} covered {_shown(v['covered']):>8} of {_shown(v['children'])}  ({share})")
    click.echo(f"  gap areas {len(gaps):,}; service areas {len(areas):,}")
    past = result["households_snap"]
    if past and past["past_fragment"]:
        click.echo(f"  住户 {past['past_fragment']:,} of {past['points']:,} households were nearest a road "
                   f"fragment (connected to nothing) and joined a larger road net instead, median "
                   f"{past['past_median_m']:,.0f} m, max {past['past_max_m']:,.0f} m further "
                   "(childsafe info lists the fragments)")


@click.command(name="stations")
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--level", required=True, type=click.Choice(_LEVELS), help="Level of the new stations.")
@click.option("--new", "new", type=click.IntRange(min=1), default=None,
              help="Choose this many new stations covering the most children.")
@click.option("--target", type=click.FloatRange(min=0, max=1, min_open=True), default=None,
              help="Choose the fewest new stations bringing covered children to this share (0-1).")
@click.option("--candidates", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Vector file of candidate points (default: village centres and road nodes near gaps).")
@click.option("--radius", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Service distance in metres (default: the level's service standard).")
@click.option("--metric", type=click.Choice(["network", "euclidean"]), default=None,
              help="Distances along roads or straight (default: settings.coverage_metric).")
@click.option("--capacity", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Children one new station can serve (with --new).")
@click.option("--method", type=click.Choice(["auto", "exact", "greedy"]), default="auto", show_default=True,
              help="exact: MILP (HiGHS); greedy: fast with its gap to the LP bound; auto: by size.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Seconds for the exact solver (default: settings.siting_time_limit_s).")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Result GeoPackage to write (a folder of county results with --workers).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@click.option("--province-new", "province_new", type=click.IntRange(min=1), default=None,
              help="County by county: share this many new stations between all counties, "
                   "exactly, from each county's marginal-gain curve (instead of --new per county).")
@cluster_options
def stations(dataset: str, level: str, new: int | None, target: float | None, candidates: str | None,
             radius: float | None, metric: str | None, capacity: float | None, method: str,
             time_limit: float | None, out: str, as_json: bool, province_new: int | None,
             workers: int | None, scheduler: str | None, halo: float) -> None:
    """Choose sites for new stations of LEVEL in DATASET (--new K or --target SHARE); write
    layer ``proposed_stations`` (order, children_newly_covered) to OUT.

    County by county (``--workers``/``--scheduler``, or DATASET a folder): --new K per county,
    or --province-new K shared between the counties."""
    from geo.reach.siting import read_candidates, site_stations
    from geo.store.dataset import write_layers
    from geo.store.errors import SettingsError

    if [new, target, province_new].count(None) != 2:
        raise click.UsageError("give exactly one of --new K, --target SHARE or --province-new K")
    if capacity is not None and new is None:
        raise SettingsError("--capacity works with --new")
    options: dict = {"level": level, "candidates": str(candidates) if candidates else None,
                     "radius": radius, "metric": metric, "method": method, "time_limit": time_limit}
    if province_new is not None:
        run_budget("stations", dataset, out, province_new, options, workers=workers,
                   scheduler=scheduler, halo=halo, as_json=as_json)
        return
    if partitioned(dataset, workers, scheduler):
        run_partitioned("site_stations", dataset, out,
                        {**options, "new": new, "target": target, "capacity": capacity},
                        workers=workers, scheduler=scheduler, halo=halo, as_json=as_json)
        return
    ds = open_dataset(dataset, analysis=True, layers=_USED_LAYERS)
    cand = read_candidates(candidates) if candidates else None
    res = site_stations(ds, level=level, new=new, target=target,
                        candidates=cand, radius=radius, metric=metric, capacity=capacity,
                        method=method, time_limit=time_limit)
    write_layers(out, {"proposed_stations": role_result(dataset, "proposed_stations", res.proposed, ds)})
    summary = {"out": out, **res.summary()}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, default=float))
        return
    click.echo(f"wrote {out}: {len(res.proposed)} new {level} stations "
               f"(from {res.n_candidates:,} candidates, {res.n_demand:,} demand points)")
    click.echo(f"covered before {res.covered_before:,.0f} of {res.children:,} ({100 * res.share_before:.1f}%)")
    click.echo(f"covered after  {res.covered_after:,.0f} of {res.children:,} ({100 * res.share_after:.1f}%)")
    click.echo(f"objective {res.objective:,.1f}  bound {res.bound:,.1f}  gap {100 * res.gap:.2f}%  "
               f"status {res.status} ({res.method})")
    from geo.store.labels import place_names, place_text

    names = place_names(ds["admin_units"])
    for r in res.proposed.itertuples():
        click.echo(f"  {r.order:>3}  {place_text(r.village_code, names):<20} road {r.nearest_road} "
                   f"({r.road_distance_m:,.0f} m)  {r.lon:.6f},{r.lat:.6f}  "
                   f"+{r.children_newly_covered:,.0f} children")


def _count(value) -> int | None:
    """A count for JSON: ``None`` when hidden."""
    return None if value != value or value is None else int(value)


def _shown(value) -> str:
    from geo.privacy.disclosure import MARK

    return MARK if value is None else f"{value:,}"


def _default_metric() -> str:
    from geo.store import settings

    return settings.coverage_metric
