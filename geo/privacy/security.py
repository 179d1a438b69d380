"""Hardening helpers: dataset paths confined to the data folder, upload size and type checks.

The app never opens a file the user names unless :func:`safe_dataset_path` accepts it, and
never reads an upload that :func:`check_upload` refuses (docs/security.md).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from geo.store import settings
from geo.store.errors import PermissionDenied, ValidationError

#: Upload types the app accepts and how their first bytes look (``None``: text; ``b""``: binary
#: with no fixed signature).
UPLOAD_KINDS: dict[str, bytes | None] = {
    ".csv": None,
    ".txt": None,
    ".geojson": None,
    ".json": None,
    ".gpx": None,
    ".osm": None,
    ".prj": None,  # shapefile sidecars
    ".cpg": None,
    ".xlsx": b"PK\x03\x04",
    ".xlsm": b"PK\x03\x04",
    ".zip": b"PK\x03\x04",
    ".gpkg": b"SQLite format 3\x00",
    ".shp": b"\x00\x00\x27\x0a",  # ESRI file code 9994, big-endian (ESRI shapefile white paper)
    ".shx": b"\x00\x00\x27\x0a",
    ".dbf": b"",
    ".pbf": b"",
}

#: bilingual text of each upload problem code (see :func:`upload_problems`).
_PROBLEM_TEXT: dict[str, tuple[str, str]] = {
    "too_large": ("文件 {name} 大小为 {mb:.1f} MB，超过上限 {limit:g} MB",
                  "{name} is {mb:.1f} MB; the limit is {limit:g} MB"),
    "type": ("不接受 {suffix} 类型的文件 {name}；可接受：{accepted}",
             "files of type {suffix} ({name}) are not accepted; accepted: {accepted}"),
    "not_kind": ("文件 {name} 的内容不是 {suffix} 文件", "the content of {name} is not a {suffix} file"),
    "damaged": ("文件 {name} 已损坏（{suffix}）", "the {suffix} file {name} is damaged"),
    "binary": ("文件 {name} 是二进制内容，不是 {suffix} 文本文件",
               "the content of {name} is binary, not a {suffix} text file"),
    "unpacks_too_large": ("文件 {name} 解压后为 {mb:,.0f} MB，超过上限 {limit:g} MB（可能是压缩炸弹）",
                          "{name} unpacks to {mb:,.0f} MB, over the limit of {limit:g} MB "
                          "(possibly a zip bomb)"),
    "too_many_members": ("压缩文件 {name} 含 {n:,} 个文件，超过上限 {limit:,}",
                         "the archive {name} holds {n:,} files, over the limit of {limit:,}"),
    "too_many_cells": ("工作簿 {name} 含 {n:,} 个以上单元格，超过上限 {limit:,}；请拆分文件",
                       "the workbook {name} holds over {n:,} cells, over the limit of {limit:,}; "
                       "split the file"),
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
            f"数据集 {raw.name!r} 不在数据目录中。/ {raw.name!r} is outside the data folder; "
            "datasets must be inside it"
        )
    return resolved


def upload_problems(name: str, data: bytes, *, kinds: Iterable[str] | None = None,
                    max_mb: float | None = None) -> list[tuple[str, dict]]:
    """Every problem of one upload as ``(code, details)``; empty when it may be read.

    Same checks and arguments as :func:`check_upload`. Codes: ``too_large`` (details ``mb``,
    ``limit``), ``type`` (``accepted``), ``not_kind``, ``damaged``, ``binary``; every details
    dict also holds ``name`` (the base name) and ``suffix``. :func:`upload_problem_text` words
    them in Chinese or English.
    """
    limit = float(settings.max_upload_mb if max_mb is None else max_mb)
    accepted = [k.lower() if k.startswith(".") else f".{k.lower()}" for k in (kinds or UPLOAD_KINDS)]
    base = Path(str(name).replace("\\", "/")).name
    suffix = Path(base).suffix.lower()
    info = {"name": base, "suffix": suffix or "(none)"}
    problems: list[tuple[str, dict]] = []
    if len(data) > limit * 1024 * 1024:
        problems.append(("too_large", {**info, "mb": len(data) / 1048576, "limit": limit}))
    if suffix not in accepted or suffix not in UPLOAD_KINDS:
        problems.append(("type", {**info, "accepted": ", ".join(accepted)}))
    else:
        magic = UPLOAD_KINDS[suffix]
        if magic is not None and not data.startswith(magic):
            problems.append(("not_kind", info))
        elif magic == b"PK\x03\x04":
            problems += [(code, {**info, **d}) for code, d in archive_problems(BytesIO(data), suffix)]
        elif magic is None and b"\x00" in data[:4096]:
            problems.append(("binary", info))
    return problems


_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")


def archive_problems(source, suffix: str = ".zip") -> list[tuple[str, dict]]:
    """Problems of a zip archive (``.xlsx`` is one) found without unpacking it into memory.

    ``source`` is a path or a binary file object. Checked: the archive opens (``damaged``); its
    directory's members (``too_many_members``, ``settings.max_archive_members``) and their
    declared uncompressed sizes (``unpacks_too_large``, ``settings.max_uncompressed_mb``;
    a member is never read past its declared size, so a lying directory gains nothing); for a
    workbook, the cells of its sheets counted by streaming their XML in 1 MB pieces
    (``too_many_cells``, ``settings.max_workbook_cells``). Details of each problem as in
    :func:`upload_problems` (without ``name``/``suffix``).
    """
    limit_mb = float(settings.max_uncompressed_mb)
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if len(members) > int(settings.max_archive_members):
                return [("too_many_members", {"n": len(members),
                                              "limit": int(settings.max_archive_members)})]
            total = sum(m.file_size for m in members)
            if total > limit_mb * 1024 * 1024:
                return [("unpacks_too_large", {"mb": total / 1048576, "limit": limit_mb})]
            if suffix not in (".xlsx", ".xlsm"):
                return []
            cells, cap = 0, int(settings.max_workbook_cells)
            for member in members:
                if not member.filename.startswith("xl/worksheets/") or not member.filename.endswith(".xml"):
                    continue
                with archive.open(member) as fh:
                    buf = b""
                    while chunk := fh.read(1 << 20):
                        buf += chunk
                        cut = max(0, len(buf) - 16)  # a tag cut at the end is counted next time
                        cells += sum(1 for m in _CELL.finditer(buf) if m.start() < cut)
                        buf = buf[cut:]
                        if cells > cap:
                            return [("too_many_cells", {"n": cap, "limit": cap})]
                    cells += len(_CELL.findall(buf))
            if cells > cap:
                return [("too_many_cells", {"n": cap, "limit": cap})]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError):
        return [("damaged", {})]
    return []


def check_archive(path: str | os.PathLike) -> None:
    """Raise :class:`ValidationError` if the archive at ``path`` is too big to unpack.

    The size checks of :func:`archive_problems`; a damaged archive is left to the parser,
    whose message says more.

    Call before any parser opens a workbook or zip (``geo.ingest.readers.read_table`` does).
    """
    path = Path(path)
    info = {"name": path.name, "suffix": path.suffix.lower()}
    problems = [(c, {**info, **d}) for c, d in archive_problems(path, path.suffix.lower())
                if c != "damaged"]  # a damaged file: the parser says what is wrong with it
    if problems:
        raise ValidationError(
            "；".join(upload_problem_text(c, d, "zh") for c, d in problems) + " / "
            + "; ".join(upload_problem_text(c, d) for c, d in problems),
            [(path.name, c, upload_problem_text(c, d)) for c, d in problems],
        )


def upload_problem_text(code: str, details: dict, lang: str = "en") -> str:
    """One problem from :func:`upload_problems` as a sentence in ``lang`` (``"zh"`` or ``"en"``)."""
    zh, en = _PROBLEM_TEXT[code]
    return (zh if lang == "zh" else en).format(**details)


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
    problems = upload_problems(name, data, kinds=kinds, max_mb=max_mb)
    base = Path(str(name).replace("\\", "/")).name
    if problems:
        raise ValidationError(
            f"upload {base!r} refused: " + "; ".join(upload_problem_text(c, d) for c, d in problems),
            [(base, code, upload_problem_text(code, d)) for code, d in problems],
        )
    return Path(base).suffix.lower()
