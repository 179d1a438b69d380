#!/usr/bin/env bash
# Set up (first time) and open ChildSafe Map on the embedded demo county.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
echo "ChildSafe Map: open http://127.0.0.1:${PORT:-8501} in a browser (Ctrl-C stops it)"
exec .venv/bin/streamlit run app.py --server.port "${PORT:-8501}" "$@"
