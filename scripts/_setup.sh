# Sourced by demo.sh and test.sh: a virtual environment in .venv with geogroup installed.
# Works on a fresh Debian machine with Python 3.11 as root (installs python3-venv if needed).
# Usage: source scripts/_setup.sh [extra]   e.g. extra = "dev" for the test tools.
set -euo pipefail
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
  echo "geogroup: installing Debian's python3-venv (needed to create .venv)" >&2
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
# A font with Chinese glyphs for the summary page and the charts (matplotlib draws them);
# without one they still draw, with a warning, and Chinese shows as empty boxes.
if command -v apt-get >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -qiE "cjk|wenquanyi|wqy"; then
  echo "geogroup: installing Debian's fonts-noto-cjk (Chinese text on the summary page)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null) \
    || echo "geogroup: could not install fonts-noto-cjk; Chinese text will show as boxes" >&2
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
