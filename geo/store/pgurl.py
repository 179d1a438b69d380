"""The dataset URL of the PostGIS store: ``postgresql://…?schema=NAME`` (see :mod:`geo.store.postgis`).

``schema`` names one county's dataset (default ``childsafe``); ``?schema=*`` names every county
schema of the database (a partitioned dataset, :mod:`geo.distributed.partitions`). The rest of
the URL is libpq's; :func:`parse_url` splits the two and keeps a form to show without the
password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from geo.store.errors import DatasetError
from geo.store.location import redact

DEFAULT_SCHEMA = "childsafe"
#: a schema name the store makes and accepts (PostgreSQL's 63-byte identifiers, lower case).
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: ``?schema=*``: every county schema of the database (a partitioned dataset, geo.distributed).
EVERY_SCHEMA = "*"


@dataclass(frozen=True)
class Target:
    """A parsed dataset URL: what libpq gets, the schema, and the URL to show (no password)."""

    conninfo: str
    schema: str
    location: str


def schema_url(url: str, schema: str) -> str:
    """``url`` naming the schema ``schema`` instead (its other settings kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "schema"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([*query, ("schema", schema)]), ""))


def names_every_schema(url: str) -> bool:
    """Whether ``url`` asks for every county schema of its database (``?schema=*``)."""
    return ("schema", EVERY_SCHEMA) in parse_qsl(urlsplit(url).query, keep_blank_values=True)


def parse_url(url: str) -> Target:
    """Split a dataset URL into the libpq connection string and the schema (see the module doc)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = DEFAULT_SCHEMA
    rest = []
    for key, value in query:
        if key == "schema":
            schema = value
        else:
            rest.append((key, value))
    if not SCHEMA_NAME.match(schema):
        raise DatasetError(
            redact(url),
            [f"模式名 {schema!r} 无效（小写字母、数字、下划线，最多 63 个字符）/ the schema name "
             f"{schema!r} is not valid (lower-case letters, digits and _, at most 63 characters)"],
        )
    scheme = "postgresql"
    conninfo = urlunsplit((scheme, parts.netloc, parts.path, urlencode(rest), ""))
    return Target(conninfo=conninfo, schema=schema, location=redact(url))
