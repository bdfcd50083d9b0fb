#!/usr/bin/env bash
# Set everything up and run the whole test suite (extra arguments go to pytest): lint,
# formatting, the layout check, the tests and the mutation check.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh dev
# The browser tests (tests/test_browser.py) drive Debian's Chromium through Playwright, which
# never downloads a browser of its own; a CJK font makes their screenshots legible. The map
# libraries come from the npm registry into tests/browser/assets (tests/browser/setup.sh
# runs `geogroup assets`: no Node.js needed).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "geogroup: installing Debian's ${missing[*]} for the browser tests" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash tests/browser/setup.sh
# Lint, formatting and the package layout (imports one way, no cycle, no module over 600
# lines) first: they take seconds. The mutation check runs inside pytest
# (tests/test_mutation.py, a few minutes).
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python scripts/check_layout.py
# On every core (pytest-xdist); the mutation check, the longest test, starts first.
.venv/bin/python -m pytest -n auto "$@"
