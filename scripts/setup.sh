#!/usr/bin/env bash
# One-time setup on a fresh machine (Debian/Ubuntu): Node packages, the Chromium the UI tests drive
# and libfaketime for the clock-step test.
# The Electron binary is not downloaded (not needed for the engine, the daemon or the tests).
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium for the window tests; faketime (libfaketime) for the wall-clock-step test.
APT_PACKAGES=()
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then APT_PACKAGES+=(chromium); fi
if ! command -v faketime >/dev/null 2>&1; then APT_PACKAGES+=(faketime); fi
if [ "${#APT_PACKAGES[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "Installing Debian's ${APT_PACKAGES[*]} for the tests..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
fi

ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
