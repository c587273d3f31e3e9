#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need on a fresh machine, then runs
# every test (unit, conformance, fuzz, interop against real SIPp and baresip) and prints
# "N passed, N failed" for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-system.sh
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
mkdir -p .tmp
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@"
rc=$?
set -e
node scripts/summarize-tests.mjs .tmp/vitest.json || rc=1
exit $rc
