#!/usr/bin/env bash
# Set everything up and run the main job on the synthetic demo county in data/:
# read and check the school list, propose groups under the Shandong policy, write the plan.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
.venv/bin/geogroup check data/demo_county.csv
.venv/bin/geogroup propose data/demo_county.csv --policy shandong --out out/demo
