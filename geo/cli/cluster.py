"""Options shared by the commands that run county by county (``--workers``, ``--scheduler``,
``--halo``) and the printing of a run report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo.store.errors import SettingsError


def cluster_options(func):
    """Add ``--workers``, ``--scheduler`` and ``--halo`` to a command."""
    func = click.option(
        "--halo", "halo", type=click.FloatRange(min=0), default=0.0, show_default=True,
        help="Cross-county service: stations of other counties within this many metres of the "
             "border count (distributed runs).")(func)
    return worker_options(func)


def _dashboard(ctx, param, value: str) -> str:
    """``--dashboard PORT|off``: where our local cluster's dashboard listens (this machine only)."""
    from geo.store import settings

    text = str(value).strip().lower()
    if text in ("off", "none", "no", "关"):
        settings.dask_dashboard = None
        return value
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise click.BadParameter(f"须为端口号（0-65535）或 off / must be a port (0-65535) or off, not {value!r}")
    settings.dask_dashboard = f"127.0.0.1:{port}"  # 0: a free port
    return value


def worker_options(func, *, what: str = "OUT is then a folder of county results."):
    """Add ``--workers``, ``--scheduler`` and ``--dashboard`` to a command (``what``: the
    --workers help's end)."""
    func = click.option(
        "--dashboard", default="8787", show_default=True, metavar="PORT|off", expose_value=False,
        callback=_dashboard,
        help="Port of the local cluster's Dask dashboard, on 127.0.0.1 only (0: a free port); "
             "off: none (saves about 0.5 s of CPU while the counties run). Not used "
             "with --scheduler (that cluster has its own) or --workers 0.")(func)
    func = click.option(
        "--scheduler", "scheduler", default=None, metavar="tcp://HOST:PORT",
        help="Run the counties on this Dask cluster (see docs/scale.md); DATASET and OUT must "
             "be on a file system its workers share.")(func)
    func = click.option(
        "--workers", "workers", type=click.IntRange(min=0), default=None,
        help="Run county by county on a local Dask cluster of N worker processes (0: county by "
             f"county in this process). {what}")(func)
    return func


def partitioned(dataset: str, workers: int | None, scheduler: str | None) -> bool:
    """Whether this run is county by county: asked for, or DATASET is a folder of counties."""
    from geo.distributed.partitions import is_partitioned

    return workers is not None or scheduler is not None or is_partitioned(dataset)


def run_partitioned(task: str, dataset: str, out: str, options: dict, *, workers: int | None,
                    scheduler: str | None, halo: float, as_json: bool) -> None:
    """Run ``task`` on every county of ``dataset`` into the folder ``out``; print the report.

    Exits with status 1 when a county failed (the others are written).
    """
    from geo.distributed.runner import run_counties

    user, announce = _prepare(dataset, out, as_json)
    run = run_counties(task, dataset, out, options, workers=workers, scheduler=scheduler,
                       halo_m=halo, user=user, announce=announce)
    _print(run, as_json)
    if run.failed:
        raise SystemExit(1)


def run_budget(kind: str, dataset: str, out: str, budget: int, options: dict, *,
               workers: int | None, scheduler: str | None, halo: float, as_json: bool) -> None:
    """Share ``budget`` new stations/kits between the counties of ``dataset`` (exactly)."""
    from geo.distributed.budget import shared_budget

    user, announce = _prepare(dataset, out, as_json)
    res = shared_budget(kind, dataset, out, budget, options, workers=workers, scheduler=scheduler,
                        halo_m=halo, user=user, announce=announce)
    table = res.allocation
    if as_json:
        click.echo(json.dumps({
            "out": res.sites.out, "budget": budget, "exact": res.exact,
            "allocated": int(table["new"].sum()),
            "value_before": round(float(table["value_before"].sum()), 6),
            "value_after": round(float(table["value_after"].sum()), 6),
            "counties": {r.county_code: int(r.new) for r in table.itertuples()},
            "failed_counties": {c.code: c.reason for c in res.curves.failed + res.sites.failed},
        }, ensure_ascii=False))
    else:
        what = "children covered" if kind == "stations" else "drowning risk removed"
        click.echo(f"shared {int(table['new'].sum())} of {budget} new {kind} between "
                   f"{len(table)} counties ({'exact' if res.exact else 'not proven optimal'}); "
                   f"{what}: {table['value_before'].sum():,.1f} -> {table['value_after'].sum():,.1f}")
        for r in table[table["new"] > 0].itertuples():
            click.echo(f"  {r.county_code} {r.name:<10} +{r.new:<3} {r.value_before:,.1f} -> {r.value_after:,.1f}")
        _print(res.sites, False)
        for c in res.curves.failed:
            click.echo(f"  FAILED {c.code} {c.name} (curve): {c.reason}")
    if res.curves.failed or res.sites.failed:
        raise SystemExit(1)


def _prepare(dataset: str, out: str, as_json: bool):
    """The CLI user of a county-by-county run, and the announcer of the dashboard link."""
    from geo.cli.users import cli_user

    if Path(out).suffix.lower() == ".gpkg":
        raise SettingsError(f"分县运行的 --out 须为文件夹（不是 .gpkg 文件）/ a county-by-county run "
                            f"writes a folder: --out {out} looks like a file")
    if _signed_in() and _many_account_stores(dataset):
        raise SettingsError("县文件夹或全部县模式（?schema=*）暂不支持 --user 登录：每个县有自己的账户 / "
                            "signing in (--user) is not supported on a folder of counties or on every "
                            "schema of a server (?schema=*) yet: each county keeps its own accounts; "
                            "run as the local operator, or on one county's file or schema")

    def announce(line: str) -> None:
        if not as_json:
            click.echo(line, err=True)

    return cli_user(dataset), announce


def _print(run, as_json: bool) -> None:
    from geo.distributed.runner import REPORT

    status = run.by_status()
    if as_json:
        click.echo(json.dumps({
            "out": run.out, "report": str(Path(run.out) / REPORT), "where": run.where,
            "seconds": run.seconds, "counties": len(run.counties), **status,
            "failed_counties": {c.code: c.reason for c in run.failed},
            "rows": _total_rows(run),
        }, ensure_ascii=False))
    else:
        click.echo(f"wrote {run.out}: {len(run.counties)} counties ({run.where}, {run.seconds:.1f} s): "
                   f"{status['done']} computed, {status['unchanged']} unchanged, {status['failed']} failed")
        for name, n in _total_rows(run).items():
            click.echo(f"  {name:<18} {n:>9,} rows")
        for c in run.failed:
            click.echo(f"  FAILED {c.code} {c.name}: {c.reason}")
        click.echo(f"run report {Path(run.out) / REPORT}")


def _many_account_stores(dataset: str) -> bool:
    """Whether ``dataset`` is many datasets, each with its own accounts (a folder of county
    files, or every county schema of a server)."""
    from geo.store.location import is_url
    from geo.store.pgurl import names_every_schema

    return names_every_schema(dataset) if is_url(dataset) else Path(dataset).is_dir()


def _signed_in() -> bool:
    import os

    ctx = click.get_current_context(silent=True)
    return bool((ctx.find_root().meta.get("childsafe.user") if ctx else None) or os.environ.get("CHILDSAFE_USER"))


def _total_rows(run) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in run.counties:
        for name, n in c.rows.items():
            total[name] = total.get(name, 0) + n
    return total
