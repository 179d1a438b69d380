"""A throwaway PostgreSQL + PostGIS cluster for the PostGIS store's tests (no mock database).

``pg_server`` (session scope) runs ``initdb`` in a fresh temporary folder, starts ``postgres`` on
a free port of 127.0.0.1 only (no Unix socket outside the folder), creates the ``postgis``
extension and stops and removes the cluster at the end of the session. Run as root, the
server runs as the ``postgres`` system user (PostgreSQL refuses root). Password
authentication (SCRAM) is on, so the tests see what a county server does.

Each test gets its own schema (one county) from ``pg_url``. When PostgreSQL or PostGIS is not
installed (``bash scripts/setup.sh test`` installs Debian's ``postgresql`` and
``postgresql-postgis``) the tests that use them are skipped with that reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPER_PASSWORD = "pg-test-Secret-7"  # the throwaway cluster's superuser password


@dataclass(frozen=True)
class PgServer:
    """A running throwaway cluster: where it listens and how to reach it."""

    host: str
    port: int
    user: str
    password: str
    database: str
    folder: Path

    def url(self, schema: str | None = None, *, with_password: bool = True) -> str:
        auth = f"{self.user}:{self.password}" if with_password else self.user
        tail = f"?schema={schema}" if schema else ""
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}{tail}"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _has_postgis() -> bool:
    return bool(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(_as_server_user(cmd), check=True, capture_output=True, text=True, **kw)


@contextlib.contextmanager
def running_cluster(*, durable: bool = False) -> Iterator[PgServer]:
    """Start a throwaway cluster (see the module docstring); stop and remove it on exit.

    ``durable`` keeps PostgreSQL's fsync on (benchmarks); tests run without it.
    """
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (bash scripts/setup.sh test installs Debian's postgresql)")
    if not _has_postgis():
        pytest.skip("PostGIS is not installed (bash scripts/setup.sh test installs Debian's postgresql-postgis)")
    folder = Path(tempfile.mkdtemp(prefix="childsafe-pg-"))
    data = folder / "data"
    pwfile = folder / "pw"
    pwfile.write_text(SUPER_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    pwfile.chmod(0o600)
    port = _free_port()
    log = folder / "server.log"
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
          "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
          "--no-sync"])
    opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
            f"-c fsync={'on' if durable else 'off'} -c max_connections=60 -c shared_buffers=128MB")
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "30", "start"])
    server = PgServer("127.0.0.1", port, "postgres", SUPER_PASSWORD, "childsafe", folder)
    try:
        import psycopg

        with psycopg.connect(server.url().rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE childsafe")
        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"])
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's throwaway PostgreSQL + PostGIS cluster."""
    with running_cluster() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A ``postgresql://`` dataset URL of a fresh schema (one county) on the session's cluster."""
    return pg_server.url(f"county_{uuid.uuid4().hex[:10]}")
