"""Progress reporting for long work, shared by the CLI (stderr) and the app (a callback)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger("geo.progress")

#: called as ``reporter(label, done, total)``; the CLI and app install their own.
Reporter = Callable[[str, int, int], None]
_reporter: Reporter | None = None


def set_reporter(reporter: Reporter | None) -> None:
    """Install the function that shows progress (``None``: log only)."""
    global _reporter
    _reporter = reporter


def report(label: str, done: int, total: int) -> None:
    """Tell the user that ``done`` of ``total`` steps of ``label`` are finished."""
    if _reporter is not None:
        _reporter(label, done, total)
    else:
        logger.debug("%s: %d/%d", label, done, total)


@contextmanager
def stage(label: str, step: int, steps: int) -> Iterator[None]:
    """Mark one stage of a multi-stage task; logs its duration."""
    report(label, step - 1, steps)
    t0 = time.perf_counter()
    yield
    report(label, step, steps)
    logger.debug("%s took %.2f s", label, time.perf_counter() - t0)
