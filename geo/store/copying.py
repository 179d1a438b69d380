"""Copy a dataset between stores (GeoPackage ↔ PostGIS, either way), losing nothing.

``childsafe copy`` uses this for backups of a county server (PostGIS → GeoPackage) and for moving
a county onto a server (GeoPackage → PostGIS). Every table is copied: the layers of SCHEMA.md and
the internal ones (accounts with their password hashes, the audit log, settings, snapshots), so
the copy is the same dataset: ``childsafe info`` of both is equal. The dataset's secrets go with
it (:func:`secrets_of`): a GeoPackage's key file (beside it) and a server's ``dataset_settings``
hold the audit chain's key and head and the pseudonym key, so the copy's chain checks and its
next import gives the same ids. The copy is written in one
transaction (PostGIS) or renamed into place when complete (GeoPackage), then read back and
compared, layer by layer, with the source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from geo.store.auditlog import KEY_SETTING, public_settings
from geo.store.dataset import Dataset, read_dataset, write_dataset
from geo.store.errors import DatasetError
from geo.store.keys import SERVER_KEYS
from geo.store.location import is_url, shown
from geo.store.schema import ALL_LAYERS

#: the secrets of a dataset a copy carries: key-file name -> the server setting that holds it
SERVER_SECRETS = {"audit": KEY_SETTING, "audit_head": "audit_head", "audit_count": "audit_count",
                  "pseudonym": "pseudonym_salt", **SERVER_KEYS}
SALT_SETTING = SERVER_SECRETS["pseudonym"]


@dataclass(frozen=True)
class CopyResult:
    """What a copy wrote: rows per table (equal in source and copy)."""

    source: str
    target: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def holds_dataset(target: str | os.PathLike) -> bool:
    """Whether ``target`` already holds something a copy would overwrite."""
    if is_url(target):
        from geo.store.postgis import PostgisStore

        return PostgisStore(str(target)).exists()
    return os.path.exists(target)


def _rows(ds: Dataset) -> dict[str, int]:
    return {name: len(ds[name]) for name in ALL_LAYERS if ds.holds(name)}


def copy_dataset(source: str | os.PathLike, target: str | os.PathLike, *, force: bool = False) -> CopyResult:
    """Copy every table of the dataset ``source`` to ``target`` (a path or a ``postgresql://`` URL).

    Raises
    ------
    DatasetError
        ``target`` is ``source``, or already holds a dataset and ``force`` is not set (nothing is
        written), or the copy read back differs from the source.
    """
    src, dst = str(source), str(target)
    if _same_place(src, dst):
        raise DatasetError(shown(dst), ["目标就是源数据集 / the target is the source dataset itself"])
    if not force and holds_dataset(dst):
        raise DatasetError(shown(dst), [
            "目标已有数据，未覆盖（确认覆盖请加 --force）/ the target already holds data and was not "
            "overwritten (add --force to replace it)",
        ])
    ds = read_dataset(src)
    kept = secrets_of(src)
    expected = dict(ds.settings)
    if is_url(dst):
        from geo.store.postgis import PostgisStore

        server = {SERVER_SECRETS[k]: v for k, v in kept.items()}
        PostgisStore(dst).write_dataset(ds, settings=server, replace_all=True)
        expected.update(public_settings(server.items()))  # the server's secrets stay hidden
    else:
        if "pseudonym" not in kept and ds.settings.get(SALT_SETTING):
            kept["pseudonym"] = ds.settings[SALT_SETTING]  # a server's salt goes to the key file
        if "pseudonym" in kept:
            expected.pop(SALT_SETTING, None)
            ds = ds.derive(ds._layers, settings={k: v for k, v in ds.settings.items() if k != SALT_SETTING})
        write_dataset(ds, dst)
        if kept:
            from geo.store.keys import update_keys

            update_keys(dst, **{k: int(v) if k == "audit_count" else v for k, v in kept.items()})
    back = read_dataset(dst)
    before, after = _rows(ds), _rows(back)
    lost = {n: (c, after.get(n, 0)) for n, c in before.items() if after.get(n, 0) != c}
    if lost or back.settings != expected:
        detail = ", ".join(f"{n} {a} of {b}" for n, (b, a) in lost.items()) or "settings differ"
        raise DatasetError(shown(dst), [f"副本与源不一致 / the copy differs from the source: {detail}"])
    return CopyResult(shown(src), shown(dst), before)


def secrets_of(dataset: str | os.PathLike) -> dict[str, str]:
    """The secrets a copy carries, by their key-file names (:data:`SERVER_SECRETS`): the audit
    chain's key and head and the pseudonym key, from a GeoPackage's key file or a server's
    ``dataset_settings``. Without them a copy's audit chain could not be checked and new imports
    would give the same child another pseudonymous id."""
    if is_url(dataset):
        from geo.store.postgis import PostgisStore

        rows = PostgisStore(str(dataset)).table("dataset_settings", ["key", "value"],
                                               where={"key": list(SERVER_SECRETS.values())})
        found = dict(zip(rows["key"].astype(str), rows["value"].fillna("").astype(str), strict=True))
        return {k: found[v] for k, v in SERVER_SECRETS.items() if found.get(v)}
    from geo.store.keys import read_keys

    keys = read_keys(dataset) if os.path.exists(dataset) else {}
    return {k: str(keys[k]) for k in SERVER_SECRETS if keys.get(k) not in (None, "")}


def _same_place(src: str, dst: str) -> bool:
    if is_url(src) or is_url(dst):
        if not (is_url(src) and is_url(dst)):
            return False
        from geo.store.pgurl import parse_url

        a, b = parse_url(src), parse_url(dst)
        return a.schema == b.schema and a.location.split("?")[0] == b.location.split("?")[0]
    try:
        return os.path.samefile(src, dst)
    except OSError:
        return os.path.abspath(src) == os.path.abspath(dst)
