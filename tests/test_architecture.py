"""The house rules of the code, read from the imports (docs/architecture.md).

- The engine's packages depend on each other one way only, as :data:`ALLOWED` says (the store at
  the bottom); the engine never imports the screen (Streamlit, folium, ``views``, ``layers``).
- The map (``layers``) never imports the app (``views``, Streamlit).
- No module imports itself through others (no circles), in any of ``geo``, ``layers``, ``views``.
- Each package's ``__init__`` names public functions that exist; no engine module is over 700
  lines.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package -> the packages of ``geo`` it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "store": set(),
    "privacy": {"store"},
    "ingest": {"store", "privacy"},
    "reach": {"store"},
    "water": {"store", "reach"},
    "field": {"store", "privacy", "reach", "water"},
    "demo": {"store"},
    "report": {"store", "privacy", "reach", "water", "field"},
    "distributed": {"store", "privacy", "reach", "water", "field", "demo", "report"},
    "cli": {"store", "privacy", "ingest", "reach", "water", "field", "demo", "report", "distributed"},
}
SCREEN = ("streamlit", "streamlit_folium", "folium", "branca", "views", "layers")
MAX_LINES = 700


def _modules(top: str) -> dict[str, Path]:
    """Module name -> file, for every .py file under ``top`` (a folder of the repository)."""
    out = {}
    for path in sorted((ROOT / top).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; the project imports absolutely"
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from geo.x import mod`
    return found


def _project_graph(*tops: str) -> dict[str, set[str]]:
    mods: dict[str, Path] = {}
    for top in tops:
        mods.update(_modules(top))
    return {name: {m for m in _imports(path) if m in mods and m != name} for name, path in mods.items()}


def _package(module: str) -> str | None:
    """The engine package a module name belongs to (``geo.water.risk`` -> ``water``), if any."""
    parts = module.split(".")
    if parts[0] == "geo" and len(parts) > 1 and (ROOT / "geo" / parts[1] / "__init__.py").exists():
        return parts[1]
    return None


def test_every_engine_package_has_a_rule():
    packages = {p.name for p in (ROOT / "geo").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(ALLOWED), "add the new package to ALLOWED and docs/architecture.md"
    assert not [p for p in (ROOT / "geo").glob("*.py") if p.name != "__init__.py"], \
        "every engine module lives in a domain package"


def test_engine_packages_import_one_way_only():
    wrong = []
    for name, path in _modules("geo").items():
        here = _package(name)
        for imported in _imports(path):
            there = _package(imported)
            if here and there and there != here and there not in ALLOWED[here]:
                wrong.append(f"{path.relative_to(ROOT)} imports {imported} ({here} -> {there})")
    assert not wrong, "imports against the direction of docs/architecture.md:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("top", "forbidden"), [
    ("geo", SCREEN),
    ("layers", ("streamlit", "streamlit_folium", "views")),
])
def test_lower_floors_never_import_the_screen(top, forbidden):
    wrong = [f"{path.relative_to(ROOT)} imports {m}"
             for path in _modules(top).values() for m in _imports(path)
             if m.split(".")[0] in forbidden]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_through_others():
    graph = _project_graph("geo", "layers", "views")
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_package_faces_name_functions_that_exist():
    missing = []
    for pkg in ALLOWED:
        if pkg == "cli":
            continue
        doc = importlib.import_module(f"geo.{pkg}").__doc__ or ""
        assert doc.strip() and "\n" in doc, f"geo.{pkg} needs a one-line summary and its modules"
        listed = re.findall(r"^- ``(\w+)``:(.*)$", doc, flags=re.M)
        on_disk = {p.stem for p in (ROOT / "geo" / pkg).glob("*.py")} - {"__init__"}
        public = {m for m in on_disk if not m.startswith("_")}
        assert public <= {m for m, _ in listed}, f"geo.{pkg}: modules not named in __init__"
        for module, names in listed:
            mod = importlib.import_module(f"geo.{pkg}.{module}")
            missing += [f"geo.{pkg}.{module}.{n}" for n in re.findall(r"``(\w+)``", names)
                        if not hasattr(mod, n)]
    assert not missing, "named in a package's __init__ but not defined: " + ", ".join(missing)


def test_no_engine_module_is_over_700_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules("geo").values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"
