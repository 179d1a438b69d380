"""Row-level security of the PostGIS store: a database login limited to an area (defence in depth).

The app and the CLI apply the role rules themselves (:mod:`geo.privacy.roles`) and connect as
the dataset's owner. A county may also give a person a database login of their own (a child
director's field laptop, a QGIS user): :func:`grant_area_login` makes one whose rows are limited
*by the server* to an area scope (an admin-code prefix), so a leaked login of a child director
still sees one village.

- ``area_logins`` (login → scope) says which area each such login sees; a login sees only its
  own row of it.
- ``households``: the rows whose ``village_code`` starts with the login's scope; ``children``:
  those of visible households; ``visits``: those of visible children; ``child_directors``: the
  scope's villages. The same policy checks rows a login inserts (a visit of another village's
  child is refused).
- Such a login reads the other layers (water, kits, stations, roads, admin units), may record
  visits and inspections, and cannot read the accounts, the audit log or the settings (the
  pseudonymisation salt) at all.

The dataset's owner (the app's login) is not subject to the policies (PostgreSQL's rule for a
table's owner), nor is a superuser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.store.errors import DatasetError

#: tables whose rows a login limited to an area sees only inside it, and the policy of each
POLICIES = {
    "households": "EXISTS (SELECT 1 FROM area_logins a WHERE a.login = current_user"
                  " AND starts_with(village_code, a.scope))",
    "child_directors": "EXISTS (SELECT 1 FROM area_logins a WHERE a.login = current_user"
                       " AND starts_with(village_code, a.scope))",
    "children": "household_id IN (SELECT household_id FROM households)",
    "visits": "child_id IN (SELECT child_id FROM children)",
}
#: what an area login may read, and where it may add rows
READABLE = ("admin_units", "households", "water_bodies", "safety_kits", "stations", "roads",
            "children", "child_directors", "visits", "inspections")
INSERTABLE = ("visits", "inspections")
_LOGIN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SCOPE = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$")


@dataclass(frozen=True)
class Event:
    """An audit event (the shape of ``geo.store.writer.AuditEvent``: user, action, detail)."""

    user: str
    action: str
    detail: str = ""


def secure(con) -> None:
    """Create ``area_logins`` and the policies of :data:`POLICIES` (idempotent; in a write)."""
    from psycopg import sql

    con.execute("CREATE TABLE IF NOT EXISTS area_logins (login text PRIMARY KEY, scope text NOT NULL)")
    for table, using in {**POLICIES, "area_logins": "login = current_user"}.items():
        ident = sql.Identifier(table)
        con.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ident))
        con.execute(sql.SQL("DROP POLICY IF EXISTS childsafe_area ON {}").format(ident))
        con.execute(sql.SQL("CREATE POLICY childsafe_area ON {} USING ({})").format(ident, sql.SQL(using)))


def grant_area_login(store, login: str, scope: str, password: str, *, actor: str = "") -> None:
    """Create (or update) the database login ``login`` limited to the area ``scope``.

    Parameters
    ----------
    store
        The :class:`geo.store.postgis.PostgisStore` of the dataset (its owner connects).
    login
        A PostgreSQL role name (lower-case letters, digits, ``_``).
    scope
        An admin-code prefix of 2, 4, 6, 9 or 12 digits (a village's code for a child director).
    password
        The login's password: hashed (SCRAM-SHA-256) before it is sent, so neither the server's
        log nor this program's shows it.
    actor
        Who grants it (for the audit log).
    """
    from psycopg import sql

    where = store.location
    if not _LOGIN.match(login):
        raise DatasetError(where, [f"登录名 {login!r} 无效 / the login name {login!r} is not valid "
                                   "(lower-case letters, digits and _)"])
    if not _SCOPE.match(scope):
        raise DatasetError(where, [f"范围 {scope!r} 不是行政区划代码前缀 / the scope {scope!r} is not an "
                                   "admin-code prefix (2, 4, 6, 9 or 12 digits)"])
    if not password:
        raise DatasetError(where, ["密码不能为空 / the password cannot be empty"])
    with store.write() as w:
        con = w.con
        secure(con)
        exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
        role = sql.Identifier(login)
        verb = "ALTER" if exists else "CREATE"
        # hashed here (libpq's SCRAM), so the server, its logs and its statistics never see it
        hashed = con.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
        con.execute(sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
                            " PASSWORD {}").format(role, sql.Literal(hashed.decode())))
        schema = sql.Identifier(store.schema)
        con.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
        tables = sql.SQL(", ").join(sql.Identifier(t) for t in READABLE)
        con.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(tables, role))
        con.execute(sql.SQL("GRANT SELECT ON area_logins TO {}").format(role))
        for table in INSERTABLE:
            con.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(table), role))
            con.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                sql.Identifier(f"{table}_fid_seq"), role))
        con.execute("INSERT INTO area_logins (login, scope) VALUES (%s, %s)"
                    " ON CONFLICT (login) DO UPDATE SET scope = EXCLUDED.scope", (login, scope))
        w.set_audit(Event(actor, "user_add", f"database login {login} for area {scope}"))


def revoke_area_login(store, login: str, *, actor: str = "") -> bool:
    """Remove the area login ``login`` from this dataset (its privileges and its scope row).

    Returns whether it had one. The PostgreSQL role itself is kept when other counties' schemas
    still grant it something; it can no longer read this dataset either way.
    """
    from psycopg import sql

    with store.write() as w:
        con = w.con
        secure(con)
        gone = con.execute("DELETE FROM area_logins WHERE login = %s", (login,)).rowcount
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
            role, schema = sql.Identifier(login), sql.Identifier(store.schema)
            con.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, role))
            con.execute(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, role))
            con.execute(sql.SQL("REVOKE USAGE ON SCHEMA {} FROM {}").format(schema, role))
        if gone:
            w.set_audit(Event(actor, "user_disable", f"database login {login}"))
        return bool(gone)


def server_key(store, purpose: str, *, create: bool = True) -> bytes | None:
    """The secret key ``purpose`` (of :data:`geo.store.keys.SERVER_KEYS`) of the PostGIS dataset
    of ``store`` (a :class:`geo.store.postgis.PostgisStore`): a row of its ``dataset_settings``,
    which no area login may read. Made once, in a write of its own under the dataset's lock, so
    two first exports make one key."""
    import secrets

    from geo.store.keys import SERVER_KEYS

    name = SERVER_KEYS[purpose]
    got = store.table("dataset_settings", ["key", "value"], where={"key": [name]})
    if len(got) and got["value"].iloc[0]:
        return bytes.fromhex(str(got["value"].iloc[0]))
    if not create:
        return None
    with store.write() as w:
        row = w.con.execute("SELECT value FROM dataset_settings WHERE key = %s", (name,)).fetchone()
        value = row[0] if row and row[0] else None
        if value is None:  # not made meanwhile by another writer
            value = secrets.token_hex(32)
            w.con.execute("INSERT INTO dataset_settings (key, value) VALUES (%s, %s)", (name, value))
    return bytes.fromhex(value)
