#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): sets up what is missing (bash scripts/setup.sh,
# idempotent), then type-check, lint, format check and every test, the Electron ones included
# (the test Electron is prepared on first use; see README, "Which Electron the tests use").
# Arguments go to the test runner (e.g. test/electron to run only those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck"
npm run typecheck
echo "== lint"
npm run lint
echo "== format"
npm run format:check
echo "== test"
npm test -- "$@"
