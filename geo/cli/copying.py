"""``childsafe copy SRC DST``: copy a dataset between GeoPackage and PostGIS, losing nothing."""

from __future__ import annotations

import json

import click


def register(group: click.Group) -> None:
    group.add_command(copy)


def _log(source: str, user, detail: str) -> None:
    """Record the copy in the source's audit log (before copying, so the copy holds it too)."""
    from geo.privacy.audit import log_event

    log_event(source, user, "export", detail)  # one write of the source's store, either kind


@click.command()
@click.argument("source")
@click.argument("target")
@click.option("--force", is_flag=True, help="Replace what TARGET holds (default: refuse).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def copy(source: str, target: str, force: bool, as_json: bool) -> None:
    """Copy the dataset SOURCE to TARGET: a GeoPackage path or a postgresql:// URL, either way.

    Every table comes along (accounts, audit log and settings too), so ``childsafe info`` of
    both is equal; the copy is read back and compared before this says it is done. Use it to
    move a county onto a server and for backups of the server (see docs/dataset.md).
    Copying accounts is an administrator's task (with --user, an admin of the whole dataset).
    """
    from geo.cli.users import cli_user
    from geo.privacy.roles import require
    from geo.store.copying import copy_dataset, holds_dataset
    from geo.store.errors import PermissionDenied
    from geo.store.location import shown

    user = require(cli_user(source), "manage_users")
    if user.scope:
        raise PermissionDenied("只有全域管理员可复制数据集 / only an administrator of the whole dataset can copy it")
    if not force and holds_dataset(target):  # refuse before anything is logged
        copy_dataset(source, target)  # raises the one clear message
    _log(source, user, f"copy to {shown(target)}")
    result = copy_dataset(source, target, force=force)
    if as_json:
        click.echo(json.dumps({"source": result.source, "target": result.target, "rows": result.rows},
                              ensure_ascii=False))
        return
    click.echo(f"copied {result.total:,} rows in {len(result.rows)} tables to {result.target}; "
               "read back: equal to the source")
