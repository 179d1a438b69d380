"""Command-line interface ``childsafe``: thin commands over the ``geo`` functions."""

from __future__ import annotations

from geo.cli._main import main

__all__ = ["main"]
