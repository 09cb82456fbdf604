#!/usr/bin/env bash
# Renders docs/web-monitor.png: the web monitor (open http://127.0.0.1:8001/)
# in headless Chromium against simulated devices. Needs node, chromium and
# tests/js/node_modules (scripts/install-npm.sh).
#
#   scripts/screenshot-web.sh [BUILD_DIR]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
# halhub and the device plugins it loads from beside it.
cmake --build "$build" -j2 --target halhub

mkdir -p "$root/docs"
HALHUB_PLUGIN_PATH="${HALHUB_PLUGIN_PATH:-$build/bin/plugins}" \
    node "$root/scripts/screenshot-web.mjs" "$build/bin/halhub" "$root/docs/web-monitor.png"
