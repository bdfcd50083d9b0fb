# Sourced by demo.sh and test.sh: a virtual environment in .venv with geogroup installed.
# Works on a fresh Debian machine with Python 3.11 as root (installs python3-venv if needed).
# Usage: source scripts/_setup.sh [extra]   e.g. extra = "dev" for the test tools.
set -euo pipefail
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
  echo "geogroup: installing Debian's python3-venv (needed to create .venv)" >&2
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
if [ -n "${1:-}" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$1]"
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
