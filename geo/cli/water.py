"""``childsafe water`` (rank water sites) and ``childsafe site kits`` (place new kits)."""

from __future__ import annotations

import json

import click

from geo.cli._main import open_dataset, role_result, site_group
from geo.cli.cluster import cluster_options, partitioned, run_budget, run_partitioned


def register(group: click.Group) -> None:
    group.add_command(water)
    site_group(group).add_command(kits)


@click.command()
@click.argument("dataset", type=click.Path())
@click.option("--out", "out", required=True, type=click.Path(),
              help="Result GeoPackage to write (a folder of county results with --workers).")
@click.option("--max-length", type=click.FloatRange(min=1), default=None,
              help="Longest site in metres (default: settings.site_max_length_m, 500).")
@click.option("--band", type=click.FloatRange(min=1), default=None,
              help="Gi* distance band in metres (default: settings.hotspot_band_m, 1000).")
@click.option("--hexagons/--no-hexagons", default=True, show_default=True,
              help="Also write layer risk_hexagons (risk summed on H3 cells).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=0),
              help="How many of the riskiest sites to print.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@cluster_options
def water(dataset: str, out: str, max_length: float | None, band: float | None, hexagons: bool,
          top: int, as_json: bool, workers: int | None, scheduler: str | None, halo: float) -> None:
    """Cut the waters of DATASET into sites, check their kits, rank them by drowning risk and
    find hot spots; write layer ``water_sites`` (and ``risk_hexagons``) to OUT.

    DATASET may hold many counties (or be a folder of county GeoPackages): with ``--workers N``
    or ``--scheduler`` each county is one task and OUT a folder of county results."""
    from geo.distributed.tasks import water_layers
    from geo.privacy.disclosure import MARK, figure
    from geo.store.dataset import write_layers
    from geo.water.pipeline import USED_LAYERS

    options: dict = {"max_length": max_length, "band": band, "hexagons": hexagons}
    if partitioned(dataset, workers, scheduler):
        run_partitioned("water", dataset, out, options, workers=workers, scheduler=scheduler,
                        halo=halo, as_json=as_json)
        return
    ds = open_dataset(dataset, analysis=True, layers=USED_LAYERS)
    layers = water_layers(ds, **options)
    layers = role_result(dataset, "water", layers, ds)  # what the CLI user's role may see
    sites = layers["water_sites"]
    write_layers(out, layers)
    visible = sites  # every figure below comes from what the role receives
    status = visible["kit_status"].value_counts()
    near = figure(visible, "children_100m")  # NaN when a site's count is hidden
    summary = {
        "out": out,
        "sites": len(visible),
        "kit_status": {s: int(status.get(s, 0)) for s in ("complete", "partial", "none")},
        "children_100m": None if near != near else int(near),
        "total_risk": round(float(visible["risk"].sum()), 4),
        "hot_spots": int((visible["gi_bin"] > 0).sum()),
        "cold_spots": int((visible["gi_bin"] < 0).sum()),
        "top": visible["site_id"].head(top).astype(str).tolist(),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"wrote {out}: {len(visible):,} water sites")
    click.echo("kits      " + ", ".join(f"{k} {v:,}" for k, v in summary["kit_status"].items()))
    click.echo(f"hot spots {summary['hot_spots']:,} sites (Gi*, FDR), cold spots {summary['cold_spots']:,}")
    if top and len(sites):
        click.echo(f"{'rank':>4}  {'site':<16} {'kind':<9} {'kit':<8} {'<100m':>5} {'<500m':>5} {'risk':>8}")
        for r in sites.head(top).itertuples():
            click.echo(f"{r.risk_rank:>4}  {str(r.site_id):<16} {str(r.kind):<9} {str(r.kit_status):<8} "
                       f"{_n(r.children_100m, MARK):>5} {_n(r.children_500m, MARK):>5} {r.risk:>8.2f}")


@click.command(name="kits")
@click.argument("dataset", type=click.Path())
@click.option("--new", "new", type=click.IntRange(min=0), default=None,
              help="Number of new kits (per county when county by county).")
@click.option("--province-new", "province_new", type=click.IntRange(min=1), default=None,
              help="County by county: share this many new kits between all counties, exactly, "
                   "from each county's marginal-gain curve.")
@click.option("--barriers", default=0, show_default=True, type=click.IntRange(min=0),
              help="Number of new barriers, chosen after the kits.")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Result GeoPackage to write (a folder of county results with --workers).")
@click.option("--method", type=click.Choice(["auto", "exact", "greedy"]), default="auto", show_default=True,
              help="exact: MILP (HiGHS); greedy: fast with its gap to the LP bound; auto: by size.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Seconds for the exact solver (default: settings.siting_time_limit_s).")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary.")
@cluster_options
def kits(dataset: str, new: int | None, province_new: int | None, barriers: int, out: str,
         method: str, time_limit: float | None, as_json: bool, workers: int | None,
         scheduler: str | None, halo: float) -> None:
    """Choose the sites of DATASET where NEW complete kits lower drowning risk the most;
    write layer ``proposed_kits`` (site_id, order, risk_reduced) to OUT."""
    from geo.store.dataset import write_layers
    from geo.water.kitplacement import place_kits
    from geo.water.pipeline import USED_LAYERS, water_sites

    if (new is None) == (province_new is None):
        raise click.UsageError("give exactly one of --new K or --province-new K")
    options: dict = {"method": method, "time_limit": time_limit}
    if province_new is not None:
        run_budget("kits", dataset, out, province_new, {**options, "barriers": barriers},
                   workers=workers, scheduler=scheduler, halo=halo, as_json=as_json)
        return
    if partitioned(dataset, workers, scheduler):
        run_partitioned("site_kits", dataset, out, {**options, "new": new, "barriers": barriers},
                        workers=workers, scheduler=scheduler, halo=halo, as_json=as_json)
        return
    assert new is not None
    ds = open_dataset(dataset, analysis=True, layers=USED_LAYERS)
    sites = water_sites(ds)
    plan = place_kits(sites, new, barriers=barriers, method=method, time_limit=time_limit)
    write_layers(out, {"proposed_kits": role_result(dataset, "proposed_kits", plan.proposed, ds)})
    summary = {"out": out, **plan.summary()}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"wrote {out}: {summary['kits']} kits, {summary['barriers']} barriers")
    click.echo(f"risk {plan.risk_before:.2f} -> {plan.risk_after:.2f} "
               f"({plan.status}, gap to bound {100 * plan.gap:.2f}%)")
    for r in plan.proposed.itertuples():
        click.echo(f"  {r.measure:<8} {r.order:>3}  {r.site_id:<16} risk reduced {r.risk_reduced:.3f}")


def _n(value, mark: str) -> str:
    """A count for the terminal; a hidden one reads ``mark``."""
    return mark if value != value or value is None else str(int(value))
