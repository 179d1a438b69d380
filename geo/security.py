"""Hardening helpers: dataset paths confined to the data folder, upload size and type checks.

The app never opens a file the user names unless :func:`safe_dataset_path` accepts it, and
never reads an upload that :func:`check_upload` refuses (docs/security.md).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from geo import settings
from geo.errors import PermissionDenied, ValidationError

#: Upload types the app accepts and how their first bytes look (``None``: text).
UPLOAD_KINDS: dict[str, bytes | None] = {
    ".csv": None,
    ".txt": None,
    ".geojson": None,
    ".json": None,
    ".gpx": None,
    ".osm": None,
    ".xlsx": b"PK\x03\x04",
    ".zip": b"PK\x03\x04",
    ".gpkg": b"SQLite format 3\x00",
    ".pbf": None,
}


def safe_dataset_path(name: str | os.PathLike, *, data_dir: str | os.PathLike | None = None,
                      allow: Iterable[str | os.PathLike] = ()) -> Path:
    """Return the dataset ``name`` resolved inside ``data_dir``, or raise.

    Parameters
    ----------
    name
        A file name or path; a relative one is taken inside ``data_dir``.
    data_dir
        The folder datasets must be in (default ``settings.data_dir``).
    allow
        Further exact files allowed (the dataset the server was started with).

    Raises
    ------
    PermissionDenied
        The name is not a ``.gpkg``, climbs out of the folder (``..``, an absolute path
        elsewhere) or is a symbolic link that points outside it.
    """
    base = Path(settings.data_dir if data_dir is None else data_dir).resolve()
    text = str(name)
    if not text or "\x00" in text:
        raise PermissionDenied("empty or malformed dataset name")
    raw = Path(text)
    if raw.suffix.lower() != ".gpkg":
        raise PermissionDenied(f"{raw.name!r} is not a GeoPackage (.gpkg) dataset")
    candidate = raw if raw.is_absolute() else base / raw
    resolved = candidate.resolve()
    allowed = {Path(a).resolve() for a in allow}
    if resolved in allowed:
        return resolved
    if not resolved.is_relative_to(base):
        raise PermissionDenied(
            f"{text!r} is outside the data folder {base}; datasets must be inside it"
        )
    return resolved


def check_upload(name: str, data: bytes, *, kinds: Iterable[str] | None = None,
                 max_mb: float | None = None) -> str:
    """Check an uploaded file's size and type; return its lower-case suffix.

    Parameters
    ----------
    name
        The file name the browser sent (only its suffix is used; never a path).
    data
        The file's bytes.
    kinds
        Suffixes accepted here (default: every key of :data:`UPLOAD_KINDS`).
    max_mb
        Largest size, MB (default ``settings.max_upload_mb``).

    Raises
    ------
    ValidationError
        Too large, a type not accepted, or content that does not match the suffix.
    """
    limit = float(settings.max_upload_mb if max_mb is None else max_mb)
    accepted = [k.lower() if k.startswith(".") else f".{k.lower()}" for k in (kinds or UPLOAD_KINDS)]
    suffix = Path(str(name).replace("\\", "/")).suffix.lower()
    problems = []
    if len(data) > limit * 1024 * 1024:
        problems.append(f"the file is {len(data) / 1048576:.1f} MB; the limit is {limit:g} MB")
    if suffix not in accepted or suffix not in UPLOAD_KINDS:
        problems.append(f"files of type {suffix or '(none)'} are not accepted; "
                        f"accepted: {', '.join(accepted)}")
    else:
        magic = UPLOAD_KINDS[suffix]
        if magic is not None and not data.startswith(magic):
            problems.append(f"the content is not a {suffix} file")
        elif magic == b"PK\x03\x04":
            try:
                zipfile.ZipFile(BytesIO(data)).testzip()
            except (zipfile.BadZipFile, OSError):
                problems.append(f"the {suffix} file is damaged")
        elif magic is None and suffix != ".pbf" and b"\x00" in data[:4096]:
            problems.append(f"the content is binary, not a {suffix} text file")
    if problems:
        raise ValidationError(f"upload {Path(name).name!r} refused: " + "; ".join(problems))
    return suffix
