"""``childsafe info``: what a dataset holds, its extent and CRS, and its problems."""

from __future__ import annotations

import json

import click

from geo.cli._main import open_dataset
from geo.store.schema import LAYERS
from geo.store.validate import dataset_problems


def register(group: click.Group) -> None:
    group.add_command(info)


@click.command()
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def info(dataset: str, as_json: bool) -> None:
    """Show the layers of DATASET with their counts, extent, CRS and a validation summary."""
    ds = open_dataset(dataset)
    counts = ds.counts()
    bounds = ds.total_bounds()
    metric = ds.metric_crs.to_string() if bounds else None
    problems = dataset_problems(ds)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "dataset": dataset,
                    "layers": counts,
                    "extent": list(bounds) if bounds else None,
                    "crs": "EPSG:4326",
                    "metric_crs": metric,
                    "problems": problems,
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"dataset   {dataset}")
    click.echo("crs       EPSG:4326 on disk" + (f"; analyses in {metric}" if metric else ""))
    if bounds:
        click.echo(f"extent    lon {bounds[0]:.5f} .. {bounds[2]:.5f}, lat {bounds[1]:.5f} .. {bounds[3]:.5f}")
    click.echo("layers")
    for name in LAYERS:
        kind = "geometry" if LAYERS[name].geometry else "table"
        click.echo(f"  {name:<16} {counts[name]:>9,}  {kind}")
    if problems:
        click.echo(f"validation: {len(problems)} problem(s)")
        for p in problems:
            click.echo(f"  - {p}")
    else:
        click.echo("validation: no problems found")
