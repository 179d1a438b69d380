#!/usr/bin/env bash
# Create .venv and install ChildSafe Map into it (idempotent).
#   bash scripts/setup.sh        the app and the CLI
#   bash scripts/setup.sh test   plus the test and benchmark tools, and Debian's chromium
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-app}

py=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 14) else 1)'; then
    py=$candidate; break
  fi
done
[ -n "$py" ] || { echo "setup: Python 3.11-3.13 is needed" >&2; exit 1; }

[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
# system parts of the report: a CJK font for Chinese in the PDF and maps, Pango for WeasyPrint
need_apt=""
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt="$need_apt fonts-noto-cjk"
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need_apt="$need_apt libpango-1.0-0 libpangoft2-1.0-0"
if [ "$want" = test ] && ! command -v pdftotext >/dev/null 2>&1; then need_apt="$need_apt poppler-utils"; fi
if [ -n "$need_apt" ]; then
  echo "setup: installing Debian's$need_apt" >&2
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $need_apt >/dev/null
fi
if [ "$want" = test ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  # GDAL's validate_gpkg.py for the store tests (pure Python; its GDAL bindings are not needed)
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "gdal-utils>=3.8"
  # the PostGIS store's tests start a throwaway PostgreSQL cluster (tests/pg.py)
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
     ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
    echo "setup: installing Debian's postgresql and postgis for the PostGIS store's tests" >&2
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
      postgresql postgresql-postgis >/dev/null
  fi
  if [ ! -x /usr/bin/chromium ]; then
    echo "setup: installing Debian's chromium for the browser tests" >&2
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
