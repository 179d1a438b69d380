"""``childsafe user add|list|disable|enable|passwd`` and ``childsafe audit``; the CLI identity.

Passwords are asked with a hidden prompt, or read from ``--password-file`` or the environment
(``CHILDSAFE_NEW_PASSWORD`` for the account being set, ``CHILDSAFE_PASSWORD`` for the
``--user`` identity) for scripts; they are never echoed or logged.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import replace
from pathlib import Path

import click

from geo.cli.params import EXISTING_DATASET
from geo.privacy.roles import LOCAL_OPERATOR, ROLES, User, require
from geo.store.errors import PermissionDenied

_META_USER = "childsafe.user"
_META_CACHE = "childsafe.identity"


def cli_user(path: str | os.PathLike) -> User:
    """The user the CLI acts as for the dataset at ``path``.

    ``--user NAME`` (or ``CHILDSAFE_USER``) signs in as that account of the dataset with the
    password from ``CHILDSAFE_PASSWORD`` or a hidden prompt (once per command); without an
    identity the CLI acts as :data:`geo.privacy.roles.LOCAL_OPERATOR`.
    """
    ctx = click.get_current_context(silent=True)
    name = ctx.meta.get(_META_USER) if ctx is not None else None
    name = name or os.environ.get("CHILDSAFE_USER") or None
    if not name:
        return replace(LOCAL_OPERATOR, username=f"local:{getpass.getuser()}")
    from geo.store.location import is_url

    key = (name, str(path) if is_url(path) else str(Path(path).resolve()))
    cache = ctx.meta.setdefault(_META_CACHE, {}) if ctx is not None else {}
    if key not in cache:
        from geo.privacy.accounts import authenticate

        password = os.environ.get("CHILDSAFE_PASSWORD")
        if password is None:
            password = click.prompt(f"password for {name}", hide_input=True, err=True)
        cache[key] = authenticate(path, name, password, via="cli")
    return cache[key]


def _new_password(password_file: str | None, confirm: bool = True) -> str:
    if password_file:
        text = Path(password_file).read_text(encoding="utf-8")
        return text.splitlines()[0] if text else ""
    env = os.environ.get("CHILDSAFE_NEW_PASSWORD")
    if env is not None:
        return env
    return click.prompt("new password", hide_input=True, confirmation_prompt=confirm, err=True)


def _admin(dataset: str) -> User:
    """The acting user, who must be allowed to manage users."""
    return require(cli_user(dataset), "manage_users")


_password_file = click.option(
    "--password-file", type=click.Path(exists=True, dir_okay=False),
    help="Read the new password from the first line of this file (else CHILDSAFE_NEW_PASSWORD, "
    "else a hidden prompt).",
)
_dataset = click.argument("dataset", type=EXISTING_DATASET)


@click.group(name="user")
def user_group() -> None:
    """Manage the accounts of a dataset (admins only when acting with --user)."""


@user_group.command(name="add")
@_dataset
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The account's role.")
@click.option("--scope", default="", show_default=True,
              help="Admin-code prefix of the area it sees (6 county, 9 township, 12 village; "
              "empty: everything).")
@_password_file
def user_add(dataset: str, username: str, role: str, scope: str, password_file: str | None) -> None:
    """Create the account USERNAME in DATASET."""
    from geo.privacy.accounts import add_user

    actor = _admin(dataset)
    made = add_user(dataset, username, _new_password(password_file), role=role, scope=scope,
                    actor=actor)
    click.echo(f"added {username} ({role}, scope {made.scope or '*'})")  # the normalised scope


@user_group.command(name="list")
@_dataset
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
def user_list(dataset: str, as_json: bool) -> None:
    """List the accounts of DATASET (never their password hashes)."""
    from geo.privacy.accounts import list_users

    _admin(dataset)
    users = list_users(dataset)
    if as_json:
        rows = [
            {"username": r.username, "role": r.role, "scope": r.scope, "disabled": bool(r.disabled),
             "locked_until": None if r.locked_until is None or str(r.locked_until) == "NaT"
             else str(r.locked_until)}
            for r in users.itertuples()
        ]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not len(users):
        click.echo("no accounts (the app opens this dataset only in demo mode if it is the demo)")
        return
    click.echo(f"{'user':<20} {'role':<15} {'scope':<13} state")
    for r in users.itertuples():
        state = "disabled" if r.disabled else (
            f"locked until {r.locked_until:%Y-%m-%d %H:%M} UTC" if str(r.locked_until) != "NaT"
            else "active")
        click.echo(f"{r.username:<20} {r.role:<15} {r.scope or '*':<13} {state}")


@user_group.command(name="disable")
@_dataset
@click.argument("username")
def user_disable(dataset: str, username: str) -> None:
    """Disable USERNAME: it can no longer sign in."""
    from geo.privacy.accounts import disable_user

    disable_user(dataset, username, actor=_admin(dataset))
    click.echo(f"disabled {username}")


@user_group.command(name="enable")
@_dataset
@click.argument("username")
def user_enable(dataset: str, username: str) -> None:
    """Enable USERNAME again (and lift a lock-out)."""
    from geo.privacy.accounts import enable_user

    enable_user(dataset, username, actor=_admin(dataset))
    click.echo(f"enabled {username}")


@user_group.command(name="passwd")
@_dataset
@click.argument("username")
@_password_file
def user_passwd(dataset: str, username: str, password_file: str | None) -> None:
    """Set a new password for USERNAME (an admin, or the user acting as themselves)."""
    from geo.privacy.accounts import set_password

    actor = cli_user(dataset)
    if actor.username != username:
        require(actor, "manage_users")
    set_password(dataset, username, _new_password(password_file), actor=actor)
    click.echo(f"password of {username} changed")


@click.command(name="audit")
@_dataset
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write the log to this .csv or .xlsx file (the one table writer: no formulas).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
@click.option("--last", type=int, default=50, show_default=True, help="Entries shown (not --out).")
def audit(dataset: str, out: str | None, as_json: bool, last: int) -> None:
    """Show or export the audit log of DATASET (admins only when acting with --user)."""
    from geo.privacy.audit import log_event, read_audit

    actor = cli_user(dataset)
    if not actor.local and actor.role != "admin":
        raise PermissionDenied(f"{actor.username} ({actor.role}) may not view the audit log")
    log = read_audit(dataset)
    if out:
        from geo.privacy.tables import watermark_text, write_table

        write_table(out, {"audit_log": log}, watermark=watermark_text(actor))
        log_event(dataset, actor, "audit_export", f"{len(log)} entries to {Path(out).name}")
        click.echo(f"wrote {len(log)} entries to {out}")
        return
    rows = log.tail(last).fillna({"user": "", "action": "", "detail": ""})
    if as_json:
        click.echo(json.dumps([{"at": str(r.at), "user": r.user, "action": r.action,
                                "detail": r.detail} for r in rows.itertuples()],
                              ensure_ascii=False))
        return
    for r in rows.itertuples():
        click.echo(f"{r.at:%Y-%m-%d %H:%M:%S}  {r.user or '-':<16} {r.action:<14} {r.detail}")


def register(group: click.Group) -> None:
    group.add_command(user_group)
    group.add_command(audit)
