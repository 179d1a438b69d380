#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: lint, types, unit, CLI, app and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check geo layers views app.py tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
