#!/usr/bin/env bash
# Renders the README's pictures of the monitor window, with simulated devices,
# a supply whose port is missing and a few subscribed clients, drawn offscreen
# (no display needed) at 1280x800, the smallest size the layout is made for:
#   docs/screenshot.png     English
#   docs/screenshot-de.png  German
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
for lang in en de; do
    file="$root/docs/screenshot.png"
    [ "$lang" = en ] || file="$root/docs/screenshot-$lang.png"
    QT_QPA_PLATFORM=offscreen "$build/bin/halhub-screenshot" --lang "$lang" --size 1280x800 \
        "$@" "$file"
    echo "wrote $file"
done
