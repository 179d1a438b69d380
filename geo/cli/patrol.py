"""``childsafe patrol`` and ``childsafe patrol-check``: patrol plans and proof of patrol."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from geo.cli._main import open_dataset
from geo.cli.cluster import cluster_options, partitioned, run_partitioned


def register(group: click.Group) -> None:
    group.add_command(patrol)
    group.add_command(patrol_check)
    group.add_command(patrol_schedule_cmd)


@click.command()
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--teams", type=int, default=1, show_default=True, help="Number of patrol teams.")
@click.option("--shift-hours", type=float, required=True, help="Longest route per team, hours.")
@click.option("--base", "bases", multiple=True, metavar="STATION_ID|LON,LAT",
              help="Base of each team (repeat; fewer than teams are reused). Default: the station "
                   "nearest the risk-weighted centre of the candidate sites.")
@click.option("--pin", "pinned", multiple=True, metavar="SITE_ID", help="A site that must be visited (repeat).")
@click.option("--method", type=click.Choice(["auto", "ortools", "greedy"]), default="auto", show_default=True,
              help="Solver: OR-Tools guided local search, or greedy insertion + 2-opt (fast).")
@click.option("--time-limit", type=float, default=None, help="Solver time limit, s (settings.patrol_solver_time_limit_s).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Result GeoPackage.")
@click.option("--gpx", "gpx_dir", type=click.Path(file_okay=False), default=None,
              help="Also write one GPX file per team into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
def patrol(dataset: str, teams: int, shift_hours: float, bases: tuple[str, ...], pinned: tuple[str, ...],
           method: str, time_limit: float | None, out: str, gpx_dir: str | None, as_json: bool) -> None:
    """Plan patrol routes through the riskiest water sites; write patrol_routes and patrol_stops."""
    from geo.field.patrols import plan_patrols, routes_to_gpx
    from geo.store.dataset import write_layers
    from geo.store.files import check_output

    ds = open_dataset(dataset, analysis=True)
    routes, stops, plan = plan_patrols(ds, teams=teams, shift_hours=shift_hours, bases=list(bases),
                                       pinned=list(pinned), method=method, time_limit=time_limit)
    path = write_layers(out, {"patrol_routes": routes, "patrol_stops": stops})
    files = []
    if gpx_dir:
        folder = Path(gpx_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for t in routes["team"]:
            f = check_output(folder / f"team_{int(t)}.gpx", datasets=[dataset], what="--gpx")
            f.write_text(routes_to_gpx(routes, stops, team=int(t)), encoding="utf-8")
            files.append(str(f))
    summary = {
        "out": str(path), "method": plan.method, "teams": int(teams), "shift_hours": float(shift_hours),
        "sites_visited": len(plan.visited), "risk_collected": round(plan.collected, 3),
        "missed_pinned": len(plan.missed_pinned), "gpx": files,
        "routes": [{"team": int(r.team), "base": str(r.base), "stops": int(r.stops),
                    "length_m": round(float(r.length_m), 1), "duration_min": round(float(r.duration_min), 1)}
                   for r in routes.itertuples()],
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    for r in summary["routes"]:
        click.echo(f"team {r['team']} from {r['base']}: {r['stops']} sites, {r['length_m'] / 1000:.1f} km, "
                   f"{r['duration_min']:.0f} min")
    click.echo(f"{summary['sites_visited']} sites, risk {summary['risk_collected']:.1f} ({plan.method}); wrote {path}")
    if plan.missed_pinned:
        click.echo(f"warning: {len(plan.missed_pinned)} pinned site(s) do not fit in any shift", err=True)


@click.command(name="patrol-check")
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A result GeoPackage of `childsafe patrol`.")
@click.option("--track", required=True, type=click.Path(exists=True, dir_okay=False), help="GPX track of the patrol.")
@click.option("--team", type=int, default=None, help="The team that walked the track (default: all stops).")
@click.option("--record", is_flag=True, help="Store the checked stops in the dataset (proof of patrol for the "
              "leaders' indicators); refused when the track is flagged.")
@click.option("--coords", default="wgs84", show_default=True,
              help="Coordinate system of the track: wgs84 (GPS), gcj02 (AMap, Tencent, most phone "
              "apps) or bd09 (Baidu), as for import.")
@click.option("--day", default=None, metavar="YYYY-MM-DD",
              help="The planned day (county local time); the track's times must lie in it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def patrol_check(dataset: str, plan_path: str, track: str, team: int | None, record: bool,
                 coords: str, day: str | None, as_json: bool) -> None:
    """Check a GPS track against a patrol plan: passed, skipped and too-fast sites, and whether
    the track can prove the patrol (times, day, speeds, a replayed plan, coordinates)."""
    import geopandas as gpd
    import pyogrio

    from geo.field.patrolcheck import check_summary, check_track, read_gpx_track
    from geo.field.trackproof import track_flags, track_in
    from geo.store import settings
    from geo.store.coords import normalize_system
    from geo.store.errors import ValidationError

    open_dataset(dataset)  # the user must be able to open the dataset the plan belongs to
    system = normalize_system(coords)
    if day is not None:
        try:
            day = str(pd.Timestamp(day).date())
        except ValueError as exc:
            raise ValidationError(f"--day {day!r}：请用 YYYY-MM-DD / use YYYY-MM-DD") from exc
    try:
        stops = gpd.read_file(plan_path, layer="patrol_stops")
    except Exception as exc:
        raise ValidationError(f"{plan_path} has no patrol_stops layer (write it with `childsafe patrol`)") from exc
    routes = None
    if "patrol_routes" in {name for name, _ in pyogrio.list_layers(plan_path)}:
        routes = gpd.read_file(plan_path, layer="patrol_routes")
    raw = read_gpx_track(track)
    moved = track_in(raw, system)
    result = check_track(stops, moved, team=team)
    flags = track_flags(stops, moved, routes=routes, team=team, day=day, coords=system,
                        raw_track=raw)
    summary = check_summary(result, flags)
    if record:
        from geo.cli.users import cli_user
        from geo.field.patrolcheck import store_checks

        summary["recorded"] = store_checks(dataset, result, user=cli_user(dataset), flags=flags)
    if as_json:
        rows = result.assign(passed_at=result["passed_at"].astype("string"),
                             passed_at_local=result["passed_at_local"].astype("string"))
        summary["stops"] = json.loads(rows.to_json(orient="records"))
        summary["timezone"] = str(settings.local_timezone)
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    for r in result.itertuples():
        at = r.passed_at_local
        when = "" if at is None or str(at) == "NaT" else f" at {at:%H:%M}"
        click.echo(f"team {r.team} #{r.order} {r.site_id}: {r.status}{when}, {r.distance_m:.0f} m")
    click.echo(f"{summary['planned']} planned: {summary['ok']} ok, {summary['skipped']} skipped, "
               f"{summary['too_fast']} too fast (times in {settings.local_timezone})")
    for f in summary["flags"]:
        click.echo(f"{'note' if f['code'] == 'shifted' else 'NOT PROOF'}: {f['zh']} / {f['en']}")


@click.command(name="patrol-schedule")
@click.argument("dataset", type=click.Path())
@click.option("--from", "start", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--teams", type=int, default=1, show_default=True, help="Number of patrol teams.")
@click.option("--preset", default=None, help="Patrol preset: national, jilin, anhui, gaotai, heze "
              "(default settings.visit_preset).")
@click.option("--top", type=int, default=None, help="Schedule only the N riskiest sites (default: all with risk > 0).")
@click.option("--weather-alert", "alerts", multiple=True, metavar="START:END",
              help="Extreme-weather alert days, weighted like the flood season (repeat).")
@click.option("--per", type=click.Choice(["team", "site", "visit"]), default="team", show_default=True,
              help="One row per team and day, per site, or per visit.")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Result .csv or .xlsx (a folder of county tables with --workers).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@cluster_options
def patrol_schedule_cmd(dataset: str, start: str, end: str, teams: int, preset: str | None, top: int | None,
                        alerts: tuple[str, ...], per: str, out: str, as_json: bool,
                        workers: int | None, scheduler: str | None, halo: float) -> None:
    """Patrol calendar: which sites each team patrols on which day, weighted to high-risk times.

    County by county (``--workers``/``--scheduler``, or DATASET a folder): TEAMS teams per county."""
    from geo.field.calendar import patrol_schedule, schedule_summary, to_date
    from geo.store.errors import ValidationError
    from geo.water.pipeline import water_sites

    pairs = []
    for a in alerts:
        if ":" not in a:
            raise ValidationError(f"--weather-alert {a!r}: use START:END (YYYY-MM-DD:YYYY-MM-DD)")
        pairs.append(tuple(a.split(":", 1)))
    if partitioned(dataset, workers, scheduler):
        run_partitioned("patrol_schedule", dataset, out,
                        {"start": start, "end": end, "teams": teams, "preset": preset,
                         "alerts": pairs, "per": per, "top": top},
                        workers=workers, scheduler=scheduler, halo=halo, as_json=as_json)
        return
    suffix = Path(out).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(f"--out must end in .csv or .xlsx, not {out!r}")
    ds = open_dataset(dataset, analysis=True)
    sites = water_sites(ds)
    table = patrol_schedule(sites, start=start, end=end, teams=teams, preset=preset, alerts=pairs, per=per, top=top)
    from geo.cli.users import cli_user
    from geo.privacy.tables import watermark_text, write_table

    path = write_table(out, {f"patrol_{per}": table}, watermark=watermark_text(cli_user(dataset)),
                       places=ds["admin_units"])
    summary = {"out": str(path), "per": per, "rows": int(len(table)), "teams": int(teams),
               "sites": int(table["site_id"].nunique()) if "site_id" in table else None}
    if per == "team":
        summary.update(schedule_summary(table))
        summary["sites"] = int(len({s for ids in table["site_ids"] for s in str(ids).split(";") if s}))
    from geo.field.holidays import estimated_years
    from geo.store.labels import label

    guessed = estimated_years(range(to_date(start).year, to_date(end).year + 1))
    if guessed:
        summary["holidays_estimated"] = guessed
        click.echo(f"提示：{'、'.join(map(str, guessed))} 年{label('holiday_estimated', 'zh')} / note: "
                   f"{', '.join(map(str, guessed))}: {label('holiday_estimated', 'en').lower()}", err=True)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"{summary['rows']} rows ({per}), {summary['sites']} sites; wrote {path}")
    if per == "team" and summary["over_capacity_days"]:
        click.echo(f"warning: {summary['over_capacity_days']} team-days hold more stops than fit a window; "
                   f"the busiest day ({summary['busiest_day']}) needs {summary['teams_needed']} teams", err=True)
