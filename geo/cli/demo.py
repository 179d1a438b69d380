"""``childsafe demo``: generate the synthetic demo county (or a province-size instance)."""

from __future__ import annotations

import json

import click


def register(group: click.Group) -> None:
    group.add_command(demo)


@click.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="GeoPackage to write.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same file).")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0.01),
              help="1 = one county (~9k households); 50 = a province-size instance.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
def demo(out: str, seed: int, scale: float, as_json: bool) -> None:
    """Generate a synthetic (not real) rural county dataset and write it to OUT."""
    from geo.demo.make import make_demo, write_demo

    ds = make_demo(seed=seed, scale=scale)
    write_demo(ds, out)
    counts = ds.counts()
    if as_json:
        click.echo(json.dumps({"out": out, "seed": seed, "scale": scale, "layers": counts}))
    else:
        click.echo(f"wrote {out} (synthetic demo, seed {seed}, scale {scale:g})")
        for name, n in counts.items():
            click.echo(f"  {name:<16} {n:>9,}")
