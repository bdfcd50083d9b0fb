#!/usr/bin/env bash
# Fill tests/browser/assets/ with the JavaScript and CSS that folium's maps link from CDNs,
# so that the browser tests inline them (assets=DIR) and run with no internet: `geogroup
# assets` downloads the npm packages pinned in geogroup/present/static/assets.toml over
# HTTPS, checks each tarball's SHA-512 and keeps the files the maps use. No Node.js or npm.
# Idempotent (a filled folder is left as it is) and quiet.
set -euo pipefail
cd "$(dirname "$0")"
../../.venv/bin/geogroup assets --dir assets >/dev/null
