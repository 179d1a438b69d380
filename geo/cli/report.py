"""``childsafe report``, ``childsafe snapshot`` and ``childsafe spot-check``: the leaders' commands."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from geo.cli.cluster import worker_options
from geo.cli.params import EXISTING_DATASET
from geo.report.indicators import LEVELS, PRESETS


def register(group: click.Group) -> None:
    group.add_command(report)
    group.add_command(snapshot)
    group.add_command(spot_check)


def _dates(paths: list[str]) -> list[str | None]:
    """The reference dates of the datasets ``paths`` (files or server URLs; ``None``: none)."""
    from geo.store.dataset import read_dataset
    from geo.store.location import is_url

    out: list[str | None] = []
    for p in paths:
        if not p or (not is_url(p) and not Path(p).is_file()):
            out.append(None)
            continue
        out.append(read_dataset(p, layers=[]).settings.get("reference_date"))
    return out


def _view_user(path: str, role: str | None, scope: str | None):
    from geo.cli.users import cli_user
    from geo.privacy.export import export_view_user

    return export_view_user(cli_user(path), role, scope)


@click.command()
@click.argument("datasets", nargs=-1, required=True)
@click.option("--year", type=int, required=True, help="The plan year reported on (e.g. 2026).")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Whose plan and targets (default: settings.visit_preset, national).")
@click.option("--level", type=click.Choice(list(LEVELS[:3])), default=None,
              help="County, city or province (default: the level that holds all the data).")
@click.option("--on", "on", default=None, help="Report date YYYY-MM-DD (default: see docs/report.md).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="report.pdf, .html, .xlsx or .json")
@click.option("--role", default=None, help="Make the report as this role sees it (an admin may choose; "
              "default: your own role).")
@click.option("--scope", default=None, help="Area code prefix of the report (default: your scope).")
@click.option("--area-name", "area_name", default=None, help="Name of the area of a roll-up (a city or province).")
@click.option("--live", is_flag=True, help="Compute the figures now even when a snapshot of that day exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the indicators as JSON (stable ids).")
@functools.partial(worker_options, what="Default: the datasets one after another in this process.")
def report(datasets: tuple[str, ...], year: int, preset: str | None, level: str | None, on: str | None,
           out: str, role: str | None, scope: str | None, area_name: str | None, live: bool,
           as_json: bool, workers: int | None, scheduler: str | None) -> None:
    """Write the yearly progress report of one county, or of a city or province from many county datasets.

    DATASETS are county GeoPackages, folders of them, or PostGIS county schemas
    (postgresql://…?schema=NAME, or ?schema=* for every county schema of the
    database). With --workers/--scheduler each dataset's figures are one Dask
    task. The report follows the role rules: a leader's report has small counts
    suppressed and no household or child.
    """
    import pandas as pd

    from geo.distributed.runner import map_tasks
    from geo.privacy.audit import log_event
    from geo.report.document import build_report
    from geo.report.indicators import check_preset
    from geo.report.render import report_json, write_report
    from geo.report.rollup import combine, infer_level, report_date, source_facts, sources_from
    from geo.report.snapshots import nearest_snapshot
    from geo.store.errors import ValidationError
    from geo.store.location import is_url

    key = check_preset(preset)
    if Path(out).suffix.lower() not in (".pdf", ".html", ".xlsx", ".json"):
        raise ValidationError(f"--out 须为 .pdf/.html/.xlsx/.json / --out must end in .pdf, .html, .xlsx or "
                              f".json, not {out!r}")
    sources = sources_from(datasets)
    user = _view_user(sources[0].location, role, scope)
    if user.scope:  # the report of a scope is computed on the scope's full data
        from dataclasses import replace

        from geo.report.rollup import scope_data

        def scoped(src):
            return replace(src, load=lambda: scope_data(user, src.load()))

        sources = [scoped(s) for s in sources]
    day = pd.Timestamp(on).date() if on else report_date(year, _dates([s.dataset for s in sources]))
    if day.year != year:
        raise ValidationError(f"报告日期 {day} 不在 {year} 年 / the report date {day} is not in {year}")
    stored = [bool(src.dataset) and (is_url(src.dataset) or Path(src.dataset).is_file()) for src in sources]
    snaps = [None if live or not keep else nearest_snapshot(src.dataset, day, preset=key)
             for src, keep in zip(sources, stored, strict=True)]
    # each dataset's facts are one task: in this process, or on Dask (--workers, --scheduler)
    parts, _, _ = map_tasks(
        source_facts, [((src,), {"on": day, "preset": key, "coverage": snap is None})
                       for src, snap in zip(sources, snaps, strict=True)],
        label="report: datasets", keys=[s.label for s in sources],
        workers=0 if workers is None and scheduler is None else workers, scheduler=scheduler,
        announce=None if as_json else (lambda line: click.echo(line, err=True)))
    notes, previous = [], []
    for src, snap, part, keep in zip(sources, snaps, parts, stored, strict=True):
        if snap is not None:
            part.facts = snap.facts
            notes.append(f"{src.label}: {snap.taken_on}")
        if keep:
            prev = nearest_snapshot(src.dataset, day.replace(year=day.year - 1), preset=key, within_days=45)
            if prev is not None:
                previous.append((part, prev))
    facts = combine(parts)
    prev_facts = None
    if previous and len(previous) == len(parts):
        import copy

        prev_parts = []
        for part, snap in previous:
            p = copy.copy(part)
            p.facts = snap.facts
            prev_parts.append(p)
        prev_facts = combine(prev_parts)
    names = {}
    if area_name:
        names[str(facts.facts.index.astype(str).str[: {"county": 6, "city": 4, "province": 2}[
            level or infer_level(facts)]][0])] = area_name
    rep = build_report(facts, user=user, year=year, level=level, lang=_lang(), area_names=names,
                       previous=prev_facts, snapshot_note="; ".join(notes),
                       sources=[s.label for s in sources])
    path = write_report(rep, out)
    for src in sources:  # in each dataset's own audit log, a file's or a server's
        if src.dataset and (is_url(src.dataset) or Path(src.dataset).is_file()):
            log_event(src.dataset, user, "report", f"{path.name}: {year} {key} {rep.meta['level']} "
                      f"role={user.role} scope={user.scope or '*'}; {len(rep.notes)} cells hidden")
    if as_json:
        click.echo(json.dumps(report_json(rep), ensure_ascii=False))
        return
    counts = rep.summary["status"].value_counts()
    click.echo(f"{rep.meta['area_name']} {year}: " + ", ".join(f"{k} {int(counts.get(k, 0))}" for k in
                                                               ("met", "close", "behind", "no_target")))
    click.echo(f"wrote {path}")


def _lang() -> str:
    from geo.store import settings

    return settings.language


@click.command()
@click.argument("dataset", type=EXISTING_DATASET)
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None, help="Whose plan (default: national).")
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD (default: the dataset's reference date, else today).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
def snapshot(dataset: str, preset: str | None, on: str | None, as_json: bool) -> None:
    """Store today's indicator values in the dataset (aggregates only, append-only) for trends."""
    import datetime as _dt

    import pandas as pd

    from geo.cli.users import cli_user
    from geo.privacy.roles import require
    from geo.report.facts import unit_facts
    from geo.report.indicators import check_preset
    from geo.report.rollup import USED_LAYERS
    from geo.report.snapshots import take_snapshot
    from geo.store.dataset import read_dataset
    from geo.store.location import shown

    user = require(cli_user(dataset), "analyse")
    if user.scope:
        from geo.store.errors import PermissionDenied

        raise PermissionDenied("快照覆盖整个数据集，须由管理员制作 / a snapshot covers the whole dataset: "
                               "an administrator takes it")
    ds = read_dataset(dataset, layers=USED_LAYERS)
    ref = ds.settings.get("reference_date")
    day = pd.Timestamp(on).date() if on else (_dt.date.fromisoformat(ref[:10]) if ref else _dt.date.today())
    facts = unit_facts(ds, on=day, preset=check_preset(preset))
    rows = take_snapshot(dataset, facts, user=user)
    summary = {"dataset": shown(dataset), "on": day.isoformat(), "preset": facts.preset, "rows": rows,
               "units": int(len(facts.facts))}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"snapshot {day} ({facts.preset}): {rows:,} rows for {len(facts.facts):,} units")


@click.command(name="spot-check")
@click.argument("dataset", type=EXISTING_DATASET)
@click.option("--year", type=int, required=True, help="The year of the check.")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None, help="Whose rule (default: national).")
@click.option("--seed", default=None, help="Reproduce an earlier draw with its recorded seed.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The list, .xlsx or .csv.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
def spot_check(dataset: str, year: int, preset: str | None, seed: str | None, out: str, as_json: bool) -> None:
    """Draw the year's spot check of child files: every township, at least 10 villages (Gaotai's rule)."""
    from geo.cli.users import cli_user
    from geo.privacy.roles import require
    from geo.privacy.tables import write_table
    from geo.report.spotcheck import draw_spot_check, record_spot_check, spot_check_table
    from geo.store.dataset import read_dataset
    from geo.store.errors import ValidationError

    path = Path(out)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise ValidationError(f"--out 须为 .xlsx 或 .csv / --out must end in .xlsx or .csv, not {out!r}")
    user = require(cli_user(dataset), "view_personal")
    ds = read_dataset(dataset, layers=["admin_units", "households", "children"])
    if user.scope:
        from geo.privacy.roles import clip_to_scope

        ds = clip_to_scope(ds, user.scope)
    check = draw_spot_check(ds, year=year, preset=preset, seed=seed)
    from geo.privacy.tables import watermark_text

    sheet = "档案抽查" if _lang() == "zh" else "spot check"
    write_table(path, {sheet: spot_check_table(check, lang=_lang())}, lang=_lang(),
                watermark=watermark_text(user, lang=_lang(), extra=f"seed {check.seed}, digest {check.digest}"))
    record_spot_check(dataset, check, user=user)
    summary = {"out": str(path), "year": year, "preset": check.preset, "seed": check.seed,
               "townships": check.townships, "villages": check.villages, "files": int(len(check.files)),
               "digest": check.digest}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"spot check {year}: {len(check.files)} files in {check.villages} villages of "
               f"{check.townships} townships; seed {check.seed} (recorded); wrote {path}")
