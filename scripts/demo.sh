#!/usr/bin/env bash
# Quick start, command 1: the main job on the bundled Dropbox emulator, from a fresh clone.
# Sets up what is missing (bash scripts/setup.sh, idempotent), builds, then runs the headless
# demo (npm run demo: emulator, sample logger files, the real daemon, a per-file check).
# Extra arguments go to the demo (e.g. --files 50 --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
npm run demo -- "$@"
