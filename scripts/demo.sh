#!/usr/bin/env bash
# Set everything up and run the main job on the synthetic demo county in data/:
# read and check the school list, propose groups under the Shandong policy (plan, report,
# metrics in out/demo/), and draw the plan as an interactive map in maps/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
.venv/bin/geogroup check data/demo_county.csv
.venv/bin/geogroup propose data/demo_county.csv --policy shandong --out out/demo
.venv/bin/geogroup map out/demo/plan.gpkg --boundary data/demo_county_boundary.geojson \
  --out maps/demo_county_shandong.html
echo "Open maps/demo_county_shandong.html in a browser (the map's scripts and tiles come from the internet)."
