#!/usr/bin/env bash
# Installs the Debian 12 packages halhub needs to build, test, package and run
# (dpkg-dev and file for `make package`, systemd for systemd-analyze), then the
# JavaScript that Debian does not package, from the npm registry at the versions
# pinned by each folder's package-lock.json (scripts/install-npm.sh).
# Only what is missing is installed; a machine that has everything is left alone.
set -euo pipefail

packages=(
    cmake g++ make pkg-config
    qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-serialport-dev
    qt6-serialbus-dev libqt6svg6
    qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-translations-l10n
    libxkbcommon-dev libgl-dev libmsgpack-cxx-dev zlib1g-dev
    socat xvfb python3-pymodbus python3-serial-asyncio python3-msgpack
    libjwt-dev libssl-dev openssl clang libclang-rt-14-dev
    dpkg-dev file binutils systemd
    libhiredis-dev redis-server
    libhdf5-dev hdf5-tools python3-h5py python3-numpy
    nodejs chromium python3-websockets
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exec "$(dirname "$0")/install-npm.sh"
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or with sudo) to install them" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
exec "$(dirname "$0")/install-npm.sh"
