"""Helpers of the distributed-run tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio

from geo.store.dataset import list_layers


def same_results(a: Path, b: Path) -> None:
    """Every county result file of the folder ``a`` equals that of ``b`` (numbers to 1e-9)."""
    files = sorted(p.name for p in a.glob("*.gpkg"))
    assert files and files == sorted(p.name for p in b.glob("*.gpkg"))
    for name in files:
        layers = list_layers(a / name)
        assert layers == list_layers(b / name)
        for layer in layers:
            fa = pyogrio.read_dataframe(a / name, layer=layer)
            fb = pyogrio.read_dataframe(b / name, layer=layer)
            assert len(fa) == len(fb)
            pd.testing.assert_frame_equal(fa, fb, check_exact=False, rtol=1e-9, atol=1e-9)
