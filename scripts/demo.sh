#!/usr/bin/env bash
# Set everything up and run the main job on the synthetic demo county in data/:
# read and check the school list, propose groups under the Shandong policy (plan, report,
# metrics in out/demo/), and draw the plan as an interactive map in maps/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
# The maps' scripts (Leaflet and its plugins), once, from the npm registry: every map made
# afterwards carries them inside its file and opens without the internet (tiles aside).
if .venv/bin/geogroup assets >/dev/null; then
  where="its scripts are inside the file; the basemap tiles come from the internet"
else
  where="could not download the maps' scripts: the map links them, and its tiles, from the internet"
fi
.venv/bin/geogroup check data/demo_county.csv
.venv/bin/geogroup propose data/demo_county.csv --policy shandong --out out/demo
.venv/bin/geogroup map out/demo/plan.gpkg --boundary data/demo_county_boundary.geojson \
  --out maps/demo_county_shandong.html
echo "Open maps/demo_county_shandong.html in a browser ($where)."
