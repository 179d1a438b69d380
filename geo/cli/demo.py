"""``childsafe demo``: generate the synthetic demo county (or a province-size instance)."""

from __future__ import annotations

import functools
import json

import click

from geo.cli.cluster import worker_options


def register(group: click.Group) -> None:
    group.add_command(demo)


@click.command()
@click.option("--out", "out", required=True, type=click.Path(),
              help="GeoPackage to write (a folder of county GeoPackages with --workers/--scheduler).")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same file).")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0.01),
              help="1 = one county (~9k households); 50 = a province-size instance; "
                   "up to 3000 (national) county by county.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@functools.partial(worker_options, what="OUT is then a folder of county GeoPackages, drawn in the "
                                         "memory of one county.")
def demo(out: str, seed: int, scale: float, workers: int | None, scheduler: str | None,
         as_json: bool) -> None:
    """Generate a synthetic (not real) rural county dataset and write it to OUT."""
    from geo.demo.make import make_demo, write_demo

    if workers is not None or scheduler is not None:
        _by_county(out, seed, scale, workers, scheduler, as_json)
        return

    ds = make_demo(seed=seed, scale=scale)
    write_demo(ds, out)
    counts = ds.counts()
    if as_json:
        click.echo(json.dumps({"out": out, "seed": seed, "scale": scale, "layers": counts}))
    else:
        click.echo(f"wrote {out} (synthetic demo, seed {seed}, scale {scale:g})")
        for name, n in counts.items():
            click.echo(f"  {name:<16} {n:>9,}")


def _by_county(out: str, seed: int, scale: float, workers: int | None, scheduler: str | None,
               as_json: bool) -> None:
    from geo.distributed.demo import run_demo

    def announce(line: str) -> None:
        if not as_json:
            click.echo(line, err=True)

    run = run_demo(out, seed=seed, scale=scale, workers=workers, scheduler=scheduler,
                   announce=announce)
    total: dict[str, int] = {}
    for c in run.counties:
        for k, v in c.rows.items():
            total[k] = total.get(k, 0) + v
    status = run.by_status()
    peak = max((c.peak_mb for c in run.counties), default=0.0)
    if as_json:
        click.echo(json.dumps({"out": run.out, "seed": seed, "scale": scale, "counties": len(run.counties),
                               **status, "layers": total, "peak_worker_mb": peak,
                               "seconds": run.seconds,
                               "failed_counties": {c.code: c.reason for c in run.failed}},
                              ensure_ascii=False))
    else:
        click.echo(f"wrote {run.out}: {len(run.counties)} county GeoPackages (synthetic demo, seed "
                   f"{seed}, scale {scale:g}; {run.where}, {run.seconds:.1f} s, peak {peak:,.0f} MB "
                   f"per worker): {status['done']} drawn, {status['unchanged']} unchanged, "
                   f"{status['failed']} failed")
        for name, n in total.items():
            click.echo(f"  {name:<16} {n:>11,}")
        for c in run.failed:
            click.echo(f"  FAILED {c.code}: {c.reason}")
    if run.failed:
        raise SystemExit(1)
