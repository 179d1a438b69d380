"""ChildSafe Map engine: dataset store, imports, analyses and exports (no Streamlit here)."""

from __future__ import annotations

__version__ = "0.1.0"
