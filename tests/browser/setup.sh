#!/usr/bin/env bash
# Fill tests/browser/assets/ with the JavaScript and CSS that folium's maps link from CDNs,
# from the npm registry at the versions folium 0.20 names (package.json, package-lock.json),
# flat by file name, so that geogroup.present can inline them (assets=DIR) and the browser
# tests run with no internet. Idempotent and quiet; needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/browser/setup.sh: npm not found; install Node.js and npm" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null 2> >(grep -v "Unknown user config" >&2)
fi
mkdir -p assets
n=node_modules
# copy SOURCE [TARGET-NAME]: the target is the file name in the URL that folium links.
copy() { cp -f "$n/$1" "assets/${2:-$(basename "$1")}"; }

# folium.folium._default_js / _default_css (the glyphicons and icon-rotation stylesheets are
# not linked by geogroup maps: Bootstrap 3.0.0 and folium's GitHub-hosted CSS are not on npm)
copy leaflet/dist/leaflet.js
copy leaflet/dist/leaflet.css
for f in layers.png layers-2x.png marker-icon.png marker-icon-2x.png marker-shadow.png; do
  copy "leaflet/dist/images/$f"
done
copy jquery/dist/jquery.min.js jquery-3.7.1.min.js
copy bootstrap/dist/js/bootstrap.bundle.min.js
copy bootstrap/dist/css/bootstrap.min.css
copy leaflet.awesome-markers/dist/leaflet.awesome-markers.js
copy leaflet.awesome-markers/dist/leaflet.awesome-markers.css
for f in markers-soft.png markers-soft@2x.png markers-shadow.png markers-shadow@2x.png; do
  copy "leaflet.awesome-markers/dist/images/$f"
done
copy @fortawesome/fontawesome-free/css/all.min.css
for f in fa-brands-400 fa-regular-400 fa-solid-900 fa-v4compatibility; do
  copy "@fortawesome/fontawesome-free/webfonts/$f.woff2"
done

# plugins: Fullscreen (jsDelivr minifies Control.FullScreen.js on the fly; npm has the source)
copy leaflet.fullscreen/Control.FullScreen.js Control.FullScreen.min.js
copy leaflet.fullscreen/Control.FullScreen.css
copy leaflet.fullscreen/icon-fullscreen.svg
# MiniMap (cdnjs serves the unminified files of src/)
copy leaflet-minimap/src/Control.MiniMap.js
copy leaflet-minimap/src/Control.MiniMap.css
copy leaflet-minimap/src/images/toggle.png
copy leaflet-minimap/src/images/toggle.svg
# Search
copy leaflet-search/dist/leaflet-search.min.js
copy leaflet-search/dist/leaflet-search.min.css
copy leaflet-search/images/search-icon.png
copy leaflet-search/images/loader.gif
# MarkerCluster / FastMarkerCluster
copy leaflet.markercluster/dist/leaflet.markercluster.js
copy leaflet.markercluster/dist/MarkerCluster.css
copy leaflet.markercluster/dist/MarkerCluster.Default.css
