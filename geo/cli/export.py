"""``childsafe export``: write what one role may see to a GeoPackage or Excel file."""

from __future__ import annotations

import json

import click

from geo.cli.params import EXISTING_DATASET
from geo.privacy.roles import ROLES


def register(group: click.Group) -> None:
    group.add_command(export)


@click.command()
@click.argument("dataset", type=EXISTING_DATASET)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="File to write: .gpkg (opens in QGIS) or .xlsx.")
@click.option("--role", type=click.Choice(ROLES), default=None,
              help="Role whose view is exported (default: the acting user's role).")
@click.option("--scope", default=None,
              help="Admin-code prefix of the area (default: the acting user's scope).")
@click.option("--geomask", "geomask", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="M", help="Move household points by a donut displacement of up to M metres.")
@click.option("--geomask-seed", default=None, hidden=True,
              help="Refused: the displacement comes from the dataset's secret mask key.")
@click.option("--user", "user", default=None,
              help="Act as this account (same as the global --user; password from "
              "CHILDSAFE_PASSWORD or a prompt).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
def export(dataset: str, out: str, role: str | None, scope: str | None, geomask: float | None,
           geomask_seed: str | None, user: str | None, as_json: bool) -> None:
    """Export from DATASET exactly what ROLE in SCOPE may see (watermarked, in the audit log)."""
    from geo.cli.users import cli_user
    from geo.privacy.export import export_dataset
    from geo.store.dataset import read_dataset

    if geomask_seed is not None:
        raise click.UsageError(
            "不接受 --geomask-seed：位移来自数据集的秘密掩蔽密钥，每次导出相同（不同种子的多次导出取平均"
            "可还原住址）。/ --geomask-seed is not accepted: the displacement comes from the "
            "dataset's secret mask key, the same in every export (exports with different seeds "
            "could be averaged back to the homes)")
    if user:
        click.get_current_context().meta["childsafe.user"] = user
    elif not click.get_current_context().meta.get("childsafe.user") and role is None:
        raise click.UsageError("give --role (the view to export) or act as a user with --user")
    actor = cli_user(dataset)
    # the full file is read here and narrowed by export_dataset (dataset_for of the role/scope,
    # checked against what the actor may give out) - never written out unfiltered
    full = read_dataset(dataset)
    path = export_dataset(full, out, actor=actor, role=role, scope=scope, geomask_m=geomask,
                          source=dataset)
    if as_json:
        click.echo(json.dumps({"out": str(path), "role": role or actor.role,
                               "scope": scope if scope is not None else actor.scope,
                               "geomask_m": geomask}))
    else:
        click.echo(f"wrote {path} ({role or actor.role}, scope {scope or actor.scope or '*'}"
                   f"{f', geomask {geomask:g} m' if geomask else ''})")
