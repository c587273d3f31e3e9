#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need on a fresh machine, then runs
# every test (unit, conformance, fuzz, interop against real SIPp and baresip) and prints
# "N passed, N failed" for CI.
#
# Two phases: everything in parallel, then the tests that need real-time audio (the virtual sound card)
# on their own, so a busy CPU cannot starve PulseAudio. Arguments go to vitest (e.g. a path filter).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-system.sh
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
./scripts/setup-artillery.sh
mkdir -p .tmp
rm -f .tmp/vitest-*.json
REALTIME_GLOB='test/interop/sound-card*.test.ts'
REALTIME_FILTER='test/interop/sound-card'
rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-main.json \
  --exclude "$REALTIME_GLOB" --exclude 'node_modules/**' "$@" || rc=1
if [ $# -eq 0 ]; then
  npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-realtime.json \
    --maxWorkers=1 --minWorkers=1 "$REALTIME_FILTER" || rc=1
fi
node scripts/summarize-tests.mjs .tmp/vitest-*.json || rc=1
exit $rc
