"""``childsafe info``: what a dataset holds, its extent and CRS, and its problems."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo.cli._main import open_dataset
from geo.privacy.audit import verify_audit
from geo.store.location import is_url, shown
from geo.store.pgurl import parse_url
from geo.store.schema import LAYERS
from geo.store.validate import dataset_problems


def register(group: click.Group) -> None:
    group.add_command(info)


@click.command()
@click.argument("dataset", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def info(dataset: str, as_json: bool) -> None:
    """Show the layers of DATASET with their counts, extent, CRS and a validation summary,
    and its county partitions (DATASET may be a folder of county GeoPackages)."""
    from geo.distributed.partitions import is_partitioned, outside_counties, partitions

    if is_partitioned(dataset):
        _folder(dataset, partitions(dataset), as_json)
        return
    ds = open_dataset(dataset)  # first: its errors name what is wrong with the file
    parts = partitions(dataset)
    counts = ds.counts()
    bounds = ds.total_bounds()
    metric = ds.metric_crs.to_string() if bounds else None
    problems = dataset_problems(ds)
    roads = _road_health(ds)
    audit = verify_audit(dataset) if is_url(dataset) or Path(dataset).exists() else None
    for name, ids in outside_counties(ds).items():
        problems.append(f"{len(ids)} {name} outside every county boundary, in no county partition "
                        f"({', '.join(ids[:5])}{'...' if len(ids) > 5 else ''})")
    listed = [{"code": p.code, "name": p.name, "kind": p.kind} for p in parts]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "dataset": shown(dataset),
                    "layers": counts,
                    "extent": list(bounds) if bounds else None,
                    "crs": "EPSG:4326",
                    "metric_crs": metric,
                    "problems": problems,
                    "road_network": roads,
                    "audit": None if audit is None else {
                        "ok": audit.ok, "events": audit.events, "chained": audit.chained,
                        "legacy": audit.legacy, "text": audit.text("en"),
                    },
                    "partitions": listed,
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"dataset   {shown(dataset)}")
    click.echo("crs       EPSG:4326 on disk" + (f"; analyses in {metric}" if metric else ""))
    if bounds:
        click.echo(f"extent    lon {bounds[0]:.5f} .. {bounds[2]:.5f}, lat {bounds[1]:.5f} .. {bounds[3]:.5f}")
    click.echo("layers")
    for name in LAYERS:
        kind = "geometry" if LAYERS[name].geometry else "table"
        click.echo(f"  {name:<16} {counts[name]:>9,}  {kind}")
    if len(parts) > 1:
        click.echo(f"partitions {len(parts)} counties, split from this file by county code "
                   "(--workers N runs one task per county)")
        for part in parts:
            click.echo(f"  {part.code}  {part.name}")
    if problems:
        click.echo(f"validation: {len(problems)} problem(s)")
        for p in problems:
            click.echo(f"  - {p}")
    else:
        click.echo("validation: no problems found")
    if audit is not None:
        click.echo(audit.text("en") if audit.ok else "WARNING: " + audit.text("en"))
    if roads:
        click.echo(_road_text(roads))


def _road_health(ds) -> dict | None:
    """The road network's health (geo.reach.health), or None without roads."""
    if "roads" not in ds or not len(ds["roads"]):
        return None
    from geo.reach.health import network_health
    from geo.reach.roads import network_for_dataset

    homes = ds.metric()["households"].geometry if "households" in ds and len(ds["households"]) else None
    return network_health(network_for_dataset(ds), homes)


def _road_text(h: dict) -> str:
    lines = [
        f"道路网络 road network: {h['nodes']:,} nodes, {h['edges']:,} edges, {h['length_km']:,.1f} km",
        f"  连通片 components {h['components']:,} (largest {100 * h['largest_share']:.1f}% of nodes; "
        f"sizes {', '.join(f'{s:,}' for s in h['component_sizes'])})",
        f"  碎片 fragments {h['fragments']:,} ({h['fragment_nodes']:,} nodes); "
        f"断头 dead ends {h['dead_ends']:,}",
        f"  近接未连 near misses {h['near_misses']:,} ({h['near_misses_unconnected']:,} to roads not "
        f"connected at all)",
    ]
    j = h.get("junctions") or {}
    if j:
        lines.append(f"  路口 junctions made: {j.get('moved_ends', 0):,} end points joined within "
                     f"{j.get('tolerance_m', 0):g} m, {j.get('split_points', 0):,} edges split, "
                     f"{j.get('joined_crossings', 0):,} crossings joined")
    if "households" in h:
        lines.append(f"  住户 homes nearest a fragment {h['homes_on_fragments']:,} of {h['households']:,}"
                     f" (joined to a larger road net, median {h['homes_past_median_m']:,.0f} m, "
                     f"max {h['homes_past_max_m']:,.0f} m further)")
    return "\n".join(lines)


def _folder(dataset: str, parts, as_json: bool) -> None:
    """A folder of county GeoPackages or a server's county schemas: its partitions."""
    server = is_url(dataset)
    rows = [{"code": part.code, "name": part.name, "kind": part.kind,
             ("schema" if server else "file"): (parse_url(part.source).schema if server
                                                else Path(part.source).name)}
            for part in parts]
    if as_json:
        click.echo(json.dumps({"dataset": shown(dataset), "partitions": rows}, ensure_ascii=False))
        return
    what = "the county schemas of a PostGIS database" if server else "a folder of county GeoPackages"
    one = "childsafe info URL?schema=NAME" if server else "childsafe info FILE"
    click.echo(f"dataset   {shown(dataset)} ({what})")
    click.echo(f"partitions {len(parts)} counties, one {'schema' if server else 'file'} each ({one} for one)")
    for r in rows:
        click.echo(f"  {r['code']}  {r['name']:<12} {r['schema' if server else 'file']}")
