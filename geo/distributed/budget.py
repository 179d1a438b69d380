"""A province-wide budget (new stations, new kits) shared between counties, exactly.

Each county computes its curve ``f_c(k)``: the value (children covered, risk removed) of its
best ``k`` new sites, ``k = 0..K``, each point an exact solve (a county task). The allocation
``k_c`` maximising ``sum f_c(k_c)`` subject to ``sum k_c <= K`` is then found by dynamic
programming over the counties (a multiple-choice knapsack): exact for any curves, concave or
not, in ``O(counties * K^2)``. With every curve point proven optimal, the allocation is the
optimum of the province problem whose sites each serve their own county.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from geo.distributed.runner import RunReport
from geo.store.errors import SettingsError


def allocate(curves: Mapping[str, Sequence[float]], budget: int) -> dict[str, int]:
    """Share ``budget`` new sites between areas to maximise the summed value.

    Parameters
    ----------
    curves
        Per area (in a fixed order, e.g. by code), ``curve[k]`` = value with ``k`` new sites,
        for ``k = 0..K`` (at least ``budget + 1`` points, or fewer when the area has no more
        candidate sites: it then gets at most ``len(curve) - 1``).
    budget
        Number of new sites in all.

    Returns
    -------
    dict
        Sites per area; they add up to at most ``budget`` (fewer only when no more site adds
        value). Among equally good allocations, the one giving earlier areas fewer sites.
    """
    if budget < 0:
        raise SettingsError(f"预算不能为负 / the budget must not be negative, not {budget}")
    codes = list(curves)
    k_top = int(budget)
    neg = -np.inf
    best = np.full(k_top + 1, neg)  # best[b]: best value of the areas so far using exactly b
    best[0] = 0.0
    choice = np.zeros((len(codes), k_top + 1), dtype=np.int64)
    for i, code in enumerate(codes):
        f = np.asarray(curves[code], dtype=float)
        if f.ndim != 1 or len(f) == 0 or not np.isfinite(f).all():
            raise SettingsError(f"县 {code} 的收益曲线无效 / the curve of {code} is empty or not finite")
        ks = np.arange(min(len(f) - 1, k_top) + 1)
        new = np.full(k_top + 1, neg)
        for b in range(k_top + 1):
            fit = ks[ks <= b]
            vals = best[b - fit] + f[fit]
            j = int(np.argmax(vals))  # the first maximum: the fewest sites here
            new[b] = vals[j]
            choice[i, b] = fit[j]
        best = new
    b = int(np.argmax(best))  # the fewest sites reaching the best value
    out: dict[str, int] = {}
    for i in range(len(codes) - 1, -1, -1):
        n = int(choice[i, b])
        out[codes[i]] = n
        b -= n
    return {c: out[c] for c in codes}


def brute_force(curves: Mapping[str, Sequence[float]], budget: int) -> float:
    """The best summed value by trying every allocation (for checking :func:`allocate`)."""
    from itertools import product

    codes = list(curves)
    ranges = [range(min(len(curves[c]) - 1, budget) + 1) for c in codes]
    return max((sum(float(curves[c][k]) for c, k in zip(codes, ks, strict=True))
                for ks in product(*ranges) if sum(ks) <= budget), default=0.0)


#: kind -> (curve task, its layer, siting task)
KINDS = {"stations": ("station_curve", "station_curve", "site_stations"),
         "kits": ("kit_curve", "kit_curve", "site_kits")}


@dataclass
class BudgetRun:
    """A shared budget: the curves' run, the allocation and the siting run."""

    curves: RunReport
    allocation: pd.DataFrame  # county_code, name, new, value_before, value_after, exact
    sites: RunReport
    budget: int

    @property
    def exact(self) -> bool:
        return bool(self.allocation["exact"].all()) and not self.curves.failed


def read_curve(path: str | os.PathLike, layer: str) -> pd.DataFrame:
    """One county's curve as written by its curve task."""
    frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    return frame.sort_values("k").reset_index(drop=True)


def shared_budget(kind: str, source: str | os.PathLike, out_dir: str | os.PathLike, budget: int,
                  options: Mapping | None = None, *, workers: int | None = None,
                  scheduler: str | None = None, client=None, **run) -> BudgetRun:
    """Share ``budget`` new stations or kits (``kind``) between the counties of ``source``.

    Runs the curve of every county (``OUT/curves/``), allocates the budget exactly
    (:func:`allocate`), then sites each county's share (``OUT/<code>.gpkg``) and writes the
    allocation table ``OUT/allocation.csv``. A county whose curve fails gets none (it is in
    the curves' run report); the others share the budget.
    """
    from geo.distributed.runner import _client, run_counties

    if kind not in KINDS:
        raise SettingsError(f"没有此预算类型 / no budget kind {kind!r} (have {', '.join(KINDS)})")
    curve_task, layer, site_task = KINDS[kind]
    opts = dict(options or {})
    if opts.get("capacity") is not None or opts.get("barriers"):
        raise SettingsError("全省预算不支持容量或护栏 / a province budget takes neither --capacity "
                            "nor --barriers")
    opts.pop("capacity", None)
    opts.pop("barriers", None)
    out = Path(out_dir)
    curve_opts = {**opts, "k_max": int(budget)}
    if curve_opts.get("method", "auto") == "auto":
        curve_opts["method"] = "exact"
    site_opts = {**opts, "method": curve_opts["method"]}
    in_process = workers == 0 and not scheduler and client is None
    with contextlib.ExitStack() as stack:
        if not in_process:
            client = stack.enter_context(_client(client, workers, scheduler, run.pop("dashboard", None)))
        curves_run = run_counties(curve_task, source, out / "curves", curve_opts, workers=workers,
                                  scheduler=scheduler, client=client, **run)
        curves, rows = {}, []
        for c in curves_run.counties:
            if c.status == "failed":
                continue
            curve = read_curve(c.out, layer)
            values = curve["value"].astype(float).to_numpy()
            if not np.isfinite(values).all():
                raise SettingsError(f"县 {c.code} 的收益曲线被隐藏，无法分配 / the curve of {c.code} is "
                                    "withheld for this role; a shared budget cannot be allocated")
            curves[c.code] = values
            rows.append((c.code, c.name, bool((curve["status"].astype(str) == "optimal").all())))
        share = allocate(curves, int(budget))
        site_run = run_counties(site_task, source, out, site_opts, workers=workers,
                                scheduler=scheduler, client=client, codes=list(share),
                                per_county={code: {"new": k} for code, k in share.items()}, **run)
    table = pd.DataFrame(
        [(code, name, share[code], float(curves[code][0]), float(curves[code][share[code]]), exact)
         for code, name, exact in rows],
        columns=["county_code", "name", "new", "value_before", "value_after", "exact"])
    from geo.privacy.roles import LOCAL_OPERATOR
    from geo.privacy.tables import watermark_text, write_table

    write_table(out / "allocation.csv", {"allocation": table},
                watermark=watermark_text(run.get("user") or LOCAL_OPERATOR))
    return BudgetRun(curves_run, table, site_run, int(budget))
