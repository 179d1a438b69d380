"""``childsafe db-login``: a county server's database login limited to one area (row-level security)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    group.add_command(db_login)


@click.command(name="db-login")
@click.argument("dataset")
@click.argument("login")
@click.option("--scope", default=None,
              help="Admin-code prefix of the area the login sees (12 digits: a village).")
@click.option("--revoke", is_flag=True, help="Take the login's access to this dataset away.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False),
              help="Read the password from the first line of this file (else CHILDSAFE_NEW_PASSWORD, "
              "else a hidden prompt).")
def db_login(dataset: str, login: str, scope: str | None, revoke: bool, password_file: str | None) -> None:
    """Give LOGIN a database login to the PostGIS DATASET that sees one area only.

    The server itself limits its rows (PostgreSQL row-level security): households, children,
    visits and child directors of the area only; no accounts, audit log or settings. For a
    person who reaches the database directly (QGIS, a field laptop); the app's own accounts
    are `childsafe user`. See docs/dataset.md.
    """
    from geo.cli.users import _admin, _new_password
    from geo.store.errors import ChildSafeError
    from geo.store.location import is_url
    from geo.store.pg_security import grant_area_login, revoke_area_login
    from geo.store.postgis import PostgisStore

    if not is_url(dataset):
        raise ChildSafeError("数据库登录只适用于 PostGIS 数据集（postgresql:// 网址）/ database logins are for a "
                             "PostGIS dataset (a postgresql:// URL)")
    actor = _admin(dataset)
    store = PostgisStore(dataset)
    if revoke:
        done = revoke_area_login(store, login, actor=actor.username)
        click.echo(f"revoked {login}" if done else f"{login} had no access to this dataset")
        return
    if not scope:
        raise click.UsageError("--scope is needed (the admin code of the area the login sees)")
    grant_area_login(store, login, scope, _new_password(password_file), actor=actor.username)
    click.echo(f"database login {login} sees area {scope} of {store.location}")
