"""What one county task computes: the analysis of each command, on one dataset.

The single-file commands (``childsafe water DATASET``...) and the county tasks of a distributed
run call the same functions here, so a county computed on a worker is computed exactly as the
same county in one process. Each task is a :class:`Task`: the layers it reads, the function
``run(dataset, **options) -> {layer: frame}`` and how its outputs are released by role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from geo.store.dataset import Dataset

Layers = dict[str, pd.DataFrame]


def water_layers(ds: Dataset, *, max_length: float | None = None, band: float | None = None,
                 hexagons: bool = True) -> Layers:
    """``water_sites`` (sites ranked by drowning risk) and ``risk_hexagons``."""
    from geo.water.hotspots import risk_to_hexagons
    from geo.water.pipeline import water_sites

    full = water_sites(ds, max_length=max_length, band=band)
    layers = {"water_sites": full}
    if hexagons:
        layers["risk_hexagons"] = risk_to_hexagons(full)
    return layers


def coverage_layers(ds: Dataset, *, metric: str | None = None,
                    levels: list[str] | None = None) -> Layers:
    """``child_access``, ``coverage_by_unit``, ``service_areas`` and ``gap_areas``."""
    from geo.reach.access import child_access
    from geo.reach.coverage import coverage_by_unit, service_areas
    from geo.reach.gaps import gap_areas
    from geo.reach.roads import network_for_dataset
    from geo.store import settings

    net = network_for_dataset(ds) if (metric or settings.coverage_metric) == "network" else None
    access = child_access(ds, levels=levels, metric=metric, network=net)
    return {
        "child_access": access.drop(columns="household_id"),
        "coverage_by_unit": coverage_by_unit(ds, access),
        "service_areas": service_areas(ds, net, levels=levels, metric=metric),
        "gap_areas": gap_areas(ds, access),
    }


@dataclass(frozen=True)
class Task:
    """A command as county tasks: the layers it reads, its analysis, how outputs are released.

    ``per_layer``: each output layer is released under its own name and a layer the role may
    not see is left out (else the outputs are released together under the task's name).
    """

    name: str
    used: Callable[[], tuple[str, ...]]
    run: Callable[..., Layers]
    per_layer: bool = False

    @property
    def layers(self) -> tuple[str, ...]:
        return self.used()


def _water_used() -> tuple[str, ...]:
    from geo.water.pipeline import USED_LAYERS

    return tuple(USED_LAYERS)


COVERAGE_LAYERS = ("admin_units", "households", "children", "stations", "roads")

TASKS: dict[str, Task] = {
    "water": Task("water", _water_used, water_layers),
    "coverage": Task("coverage", lambda: COVERAGE_LAYERS, coverage_layers, per_layer=True),
}


def release(user, task: Task, layers: Mapping[str, pd.DataFrame], ds: Dataset) -> Layers:
    """What ``user`` may see of a task's outputs, through ``geo.privacy.roles.filter_outputs``."""
    from geo.privacy.roles import filter_outputs
    from geo.store.errors import PermissionDenied

    if user is None or user.local:
        return dict(layers)
    if not task.per_layer:
        return dict(filter_outputs(user, task.name, dict(layers), context=ds))
    shown: Layers = {}
    for name, frame in layers.items():
        try:
            shown[name] = filter_outputs(user, name, frame, context=ds)
        except PermissionDenied:
            continue
    return shown
