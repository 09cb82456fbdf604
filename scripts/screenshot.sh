#!/usr/bin/env bash
# Renders docs/screenshot.png: the monitor window with simulated devices and
# a few subscribed clients, drawn offscreen (no display needed).
#
#   scripts/screenshot.sh [BUILD_DIR] [-- extra halhub-screenshot options]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j2 --target halhub-screenshot

mkdir -p "$root/docs"
QT_QPA_PLATFORM=offscreen "$build/bin/halhub-screenshot" "$@" "$root/docs/screenshot.png"
echo "wrote $root/docs/screenshot.png"
