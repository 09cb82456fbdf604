#!/usr/bin/env bash
# Fetches the JavaScript halhub uses that has no Debian package, exactly as each
# folder's package-lock.json pins it: the web monitor's plotting library
# (resources/web) and the peers the tests drive (tests/js). A folder whose
# node_modules already matches its lockfile is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

for dir in resources/web tests/js; do
    [ -f "$root/$dir/package-lock.json" ] || continue
    stamp="$root/$dir/node_modules/.package-lock.json"
    if [ -f "$stamp" ] && [ "$stamp" -nt "$root/$dir/package-lock.json" ]; then
        continue
    fi
    echo "install-npm: fetching $dir (npm ci)"
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
