"""``childsafe import``: bring a ledger or map file into a dataset, quarantining bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo.ingest.headers import extend_mapping, read_mapping
from geo.ingest.imports import KINDS, import_file
from geo.store import settings
from geo.store.errors import ValidationError


def register(group: click.Group) -> None:
    group.add_command(import_)


def _parse_maps(maps: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in maps:
        header, sep, column = item.partition("=")
        if not sep or not header.strip():
            raise ValidationError(f"--map {item!r}: write HEADER=COLUMN, e.g. --map 照护人=caregiver "
                                  f"/ 请写作 表头=列名")
        out[header.strip()] = column.strip()
    return out


@click.command(name="import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False),
              help="Dataset GeoPackage to import into (created if missing).")
@click.option("--coords", default="wgs84", show_default=True,
              help="Coordinate system of the file: wgs84, cgcs2000, gcj02 (AMap/Tencent), "
                   "bd09 (Baidu) or EPSG:xxxx.")
@click.option("--sheet", default=None, help="XLSX sheet or GeoPackage layer (default: the first).")
@click.option("--quarantine", "quarantine", default=None, type=click.Path(dir_okay=False),
              help="File for the rows not imported (default: FILE.quarantine.csv beside FILE).")
@click.option("--replace", "mode", flag_value="replace",
              help="Replace the layer with the file's rows.")
@click.option("--append", "mode", flag_value="append", default=True,
              help="Add rows; a known id replaces the stored row (default).")
@click.option("--mapping", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Extra header/value map (.toml, .json or .csv; see docs/import.md).")
@click.option("--map", "maps", multiple=True, metavar="HEADER=COLUMN",
              help="Map one header of FILE to a dataset column (repeatable); HEADER=- leaves "
                   "that column out. Columns that look like dataset columns but match nothing "
                   "stop the import until mapped.")
@click.option("--lang", "lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of the problems and reasons (default: settings.language).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--max-problems", default=50, show_default=True, type=int,
              help="Problems to list (all are in the quarantine file).")
@click.option("--force", is_flag=True,
              help="Write the quarantine file even over another ChildSafe dataset.")
def import_(kind: str, file: str, into: str, coords: str, sheet: str | None,
            quarantine: str | None, mode: str, mapping: str | None, maps: tuple[str, ...],
            lang: str | None, as_json: bool, max_problems: int, force: bool) -> None:
    """Import FILE (CSV, XLSX, GeoJSON, Shapefile, GeoPackage, OSM) into layer KIND of a dataset.

    Prints `read N, imported M, quarantined Q`; bad rows go, unchanged with a `reason`
    column, to the quarantine file. Fix them there and import that file again.
    """
    from geo.cli.users import cli_user
    from geo.privacy.roles import require

    lang = lang or settings.language
    user = None
    if Path(into).exists():
        user = require(cli_user(into), "import")  # before reading, so a refusal costs nothing
    table = extend_mapping(read_mapping(mapping), _parse_maps(maps))
    # the import reads what it checks against inside its own write (geo.store.writer)
    result = import_file(kind, file, into=into, coords=coords, sheet=sheet, quarantine=quarantine,
                         mode=mode, mapping=table, lang=lang, user=user, force=force,
                         unmatched="ask")
    if as_json:
        click.echo(json.dumps({
            "kind": kind, "file": file, "into": into,
            "read": result.rows_read, "imported": result.imported,
            "quarantined": result.quarantined, "added": result.added,
            "updated": result.updated, "unchanged": result.unchanged,
            "quarantine_file": str(result.quarantine_path) if result.quarantine_path else None,
            "notices": result.notice_texts(lang),
            "problems": [{"row": p.row, "column": p.column, "severity": p.severity,
                          "reason": p.message(lang)} for p in result.problems],
        }, ensure_ascii=False))
        return
    click.echo(result.summary(lang))
    zh = lang == "zh"
    if result.added or result.updated or result.unchanged:
        click.echo(f"  新增 {result.added}，更新 {result.updated}，已存在 {result.unchanged}" if zh else
                   f"  new {result.added}, updated {result.updated}, already present {result.unchanged}")
    for text in result.notice_texts(lang):
        click.echo(f"{'提示' if zh else 'notice'}: {text}")
    shown = result.problems[:max_problems]
    for p in shown:
        label = ("错误" if p.severity == "error" else "警告") if zh else p.severity
        row = f"第 {p.row} 行" if zh else f"row {p.row}"
        click.echo(f"  {label} {row}, {p.column}: {p.message(lang)}")
    if len(result.problems) > len(shown):
        more = len(result.problems) - len(shown)
        click.echo(f"  …另有 {more} 个问题" if zh else f"  ... and {more} more problem(s)")
    if result.quarantine_path:
        click.echo(f"隔离文件：{result.quarantine_path}" if zh else
                   f"quarantined rows: {result.quarantine_path}")
