"""``childsafe visits`` and ``childsafe staffing``: visit schedules and child-director staffing."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from geo.cli._main import open_dataset, role_result
from geo.cli.cluster import cluster_options, partitioned, run_partitioned
from geo.cli.users import cli_user
from geo.field.presets import PRESETS
from geo.store.errors import ValidationError


def register(group: click.Group) -> None:
    group.add_command(visits)
    group.add_command(staffing)


def write_table(frame: pd.DataFrame, out: str, *, sheet: str, user, places=None) -> Path:
    """Write ``frame`` to ``out`` (.csv or .xlsx) with the one table writer, watermarked.

    In the CLI's language (``--lang``): headers and values in words, with the names of the
    places in ``places`` (the dataset's admin units) next to their codes."""
    from geo.privacy.tables import watermark_text
    from geo.privacy.tables import write_table as write

    path = Path(out)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError(f"--out must end in .csv or .xlsx, not {path.name!r}")
    table = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return write(path, {sheet: table}, watermark=watermark_text(user), places=places)


def _alerts(values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for v in values:
        start, _, end = v.partition(":")
        out.append((start, end or start))
    return out


@click.command()
@click.argument("dataset", type=click.Path())
@click.option("--on", "on", default=None, help="Date of the schedule, YYYY-MM-DD (default: today).")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Visit rules (default: settings.visit_preset, national).")
@click.option("--weather-alert", "alerts", multiple=True, metavar="START[:END]",
              help="An extreme-weather alert period (Anhui preset: extra contacts). Repeatable.")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Output table, .csv or .xlsx (a folder of county tables with --workers).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@cluster_options
def visits(dataset: str, on: str | None, preset: str | None, alerts: tuple[str, ...], out: str,
           as_json: bool, workers: int | None, scheduler: str | None, halo: float) -> None:
    """Write each child's tier, next contact and home-visit due dates, status and flags."""
    from geo.field.visits import EXPORT_COLUMNS, visit_schedule

    if partitioned(dataset, workers, scheduler):
        run_partitioned("visits", dataset, out, {"on": on, "preset": preset, "alerts": _alerts(alerts)},
                        workers=workers, scheduler=scheduler, halo=halo, as_json=as_json)
        return
    ds = open_dataset(dataset, analysis=True)
    kids = ds["children"]
    if len(kids) and not (kids[["last_contact", "last_home_visit"]].notna().any().any() or len(ds["visits"])):
        # a children layer from another tool without contact dates, and no recorded visits
        click.echo("注意：children 表没有 last_contact / last_home_visit（缺列或全空），也没有走访记录，"
                   "所有儿童将显示为“从未联系”；请导入这两列或走访记录。/ note: children have no "
                   "last_contact or last_home_visit (absent or empty) and no visits are recorded, "
                   "so every child shows as never contacted; import those columns or the visits.",
                   err=True)
    sched = visit_schedule(ds, on=on, preset=preset, alerts=_alerts(alerts))
    sched = role_result(dataset, "visit_schedule", sched, ds)
    path = write_table(sched[EXPORT_COLUMNS], out, sheet="visit_schedule", user=cli_user(dataset),
                       places=ds["admin_units"])
    counts = sched["status"].value_counts()
    summary = {
        "out": str(path),
        "preset": preset or "default",
        "on": str(pd.Timestamp(on).date()) if on else None,
        "children": int(len(sched)),
        "overdue": int(counts.get("overdue", 0)),
        "due_soon": int(counts.get("due_soon", 0)),
        "ok": int(counts.get("ok", 0)),
        "report_police": int(sched["report_police"].sum()),
        "tiers": {str(k): int(v) for k, v in sched["tier"].value_counts().items()},
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"{summary['children']:,} children in scope: {summary['overdue']:,} overdue, "
               f"{summary['due_soon']:,} due soon, {summary['ok']:,} ok; "
               f"{summary['report_police']:,} to report to the police at once")
    click.echo(f"wrote {path}")


@click.command()
@click.argument("dataset", type=click.Path())
@click.option("--out", "out", required=True, type=click.Path(),
              help="Output table, .csv or .xlsx (a folder of county tables with --workers).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@cluster_options
def staffing(dataset: str, out: str, as_json: bool, workers: int | None, scheduler: str | None,
             halo: float) -> None:
    """Write child-director staffing per village (the >30 children rule, 000 §16)."""
    from geo.field.staffing import COLUMNS, village_staffing
    from geo.privacy.disclosure import SUPPRESSED, figure

    if partitioned(dataset, workers, scheduler):
        run_partitioned("staffing", dataset, out, {}, workers=workers, scheduler=scheduler,
                        halo=halo, as_json=as_json)
        return
    ds = open_dataset(dataset, analysis=True)  # computed on the scope's full data, then released
    table = village_staffing(ds)
    table = role_result(dataset, "staffing", table, ds)
    path = write_table(table[[c for c in COLUMNS + [SUPPRESSED] if c in table.columns]], out,
                       sheet="staffing", user=cli_user(dataset), places=ds["admin_units"])
    summary = {
        "out": str(path),
        "villages": int(len(table)),
        "villages_short": int((table["shortfall"] > 0).sum()) if "shortfall" in table else None,
        "directors_short": _whole(figure(table, "shortfall")) if "shortfall" in table else None,
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    short = summary["directors_short"]
    click.echo(f"{summary['villages']:,} villages, {summary['villages_short']:,} short of "
               f"{'*' if short is None else format(short, ',')} child directors")
    click.echo(f"wrote {path}")


def _whole(value: float) -> int | None:
    """An integer figure, ``None`` when hidden."""
    return None if value != value else int(value)
