"""The dataset's secret keys, kept beside the dataset file, never in it.

Whoever holds a copy of the ``.gpkg`` reads everything in it (docs/security.md), so the
secrets that must survive such a copy live in a key file next to it: ``.NAME.gpkg.keys``,
mode ``0600``, one JSON object of hex keys created once with :mod:`secrets`:

- ``audit``: the HMAC key of the audit log's hash chain (:mod:`geo.privacy.audit`), and the
  chain's last link (``audit_head``, ``audit_count``) so that deleting the newest events is
  seen too;
- ``geomask``: the mask key of exports (:mod:`geo.privacy.export`): one per dataset, so every
  export moves a household the same way and averaging exports gives nothing back;
- ``pseudonym``: the key of the pseudonymous ids made from ID-card numbers
  (:mod:`geo.ingest.pseudonym`): without it a copy of the file does not let anyone recompute
  an id from an ID number (before, the salt was in the file: under 1 s per child). A salt
  found in an older file's ``dataset_settings`` moves here on the next import.

Or a server secret: ``CHILDSAFE_KEY_DIR`` names a folder (outside the data folder, e.g. on
another volume) where the key files are kept instead, as ``NAME.gpkg.keys``.

Back the key file up with the dataset (encrypted): a dataset without it keeps its data but
its audit chain can no longer be checked and exports get a new mask (a new key is made).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from pathlib import Path

from geo.store.errors import DatasetError

#: environment variable naming a folder for the key files (a server secret store).
KEY_DIR_ENV = "CHILDSAFE_KEY_DIR"
#: the keys a dataset has (each 32 random bytes, hex).
PURPOSES = ("audit", "geomask", "pseudonym")


def key_path(dataset: str | os.PathLike) -> Path:
    """Where the key file of ``dataset`` is: beside it, or in ``$CHILDSAFE_KEY_DIR``."""
    from geo.store.location import is_url

    if is_url(dataset):  # a server dataset has no file to keep a key file beside
        raise ValueError("a PostGIS dataset has no key file")
    dataset = Path(dataset)
    folder = os.environ.get(KEY_DIR_ENV)
    if folder:
        return Path(folder) / f"{dataset.name}.keys"
    return dataset.with_name(f".{dataset.name}.keys")


def read_keys(dataset: str | os.PathLike) -> dict:
    """The key file's contents (``{}`` when there is none yet)."""
    path = key_path(dataset)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(path.name, [f"the key file cannot be read ({exc})"]) from exc
    if not isinstance(data, dict):
        raise DatasetError(path.name, ["the key file is not a JSON object"])
    return data


def _write(path: Path, data: dict) -> None:
    """Write the key file atomically with mode 0600 (never readable by others, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def _keys_lock(dataset: str | os.PathLike):
    """Hold the key file's own lock (``….keys.lock``): every change of the key file is a
    read-modify-write under it. It is never held while waiting for the dataset's lock, so a
    key made inside a write of the dataset (the first audit event, the first pseudonym) cannot
    deadlock with it."""
    lock = key_path(dataset).with_name(key_path(dataset).name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def update_keys(dataset: str | os.PathLike, **values) -> dict:
    """Set entries of the key file; return the new contents."""
    with _keys_lock(dataset):
        data = {**read_keys(dataset), **values}
        _write(key_path(dataset), data)
    return data


def has_key(dataset: str | os.PathLike, purpose: str) -> bool:
    """Whether the key ``purpose`` of ``dataset`` exists already."""
    return bool(read_keys(dataset).get(purpose))


def dataset_secret(dataset: str | os.PathLike, purpose: str, *, adopt: str | None = None) -> str:
    """The secret ``purpose`` of ``dataset`` as stored (text), made once or ``adopt``-ed.

    ``adopt``: a secret to keep when none is stored yet (an older file's salt, so the ids it
    made stay the same).
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    value = read_keys(dataset).get(purpose)
    if not value:
        with _keys_lock(dataset):
            data = read_keys(dataset)
            value = data.get(purpose)
            if not value:  # not made meanwhile by another writer
                value = adopt or secrets.token_hex(32)
                _write(key_path(dataset), {**data, purpose: value})
    return str(value)


#: the keys a PostGIS dataset keeps itself, as rows of its ``dataset_settings`` (a table no area
#: login may read, geo.store.pg_security; never handed out with the dataset's settings): a server
#: has no file to keep a key file beside (geo.store.pg_security.server_key; its audit chain's
#: key: geo.store.auditlog).
SERVER_KEYS = {"geomask": "geomask_key"}


def dataset_key(dataset: str | os.PathLike, purpose: str, *, create: bool = True) -> bytes | None:
    """The secret key ``purpose`` (one of :data:`PURPOSES`) of ``dataset``, made once.

    ``create=False`` returns ``None`` when there is none (for checks that must not invent one).
    A PostGIS dataset keeps its :data:`SERVER_KEYS` itself (:func:`geo.store.pg_security.server_key`).
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    value = read_keys(dataset).get(purpose)
    if not value and create:
        value = dataset_secret(dataset, purpose)
    return bytes.fromhex(value) if value else None
