#!/usr/bin/env bash
# Installs the Artillery that the tests of artillery-engine-umphone run (test/interop/artillery*.test.ts)
# into tools/artillery, from its own lockfile: 2.0.21, the last release for Node 20, with its cloud
# SDKs and Playwright engine about 600 MB, which is why it is kept out of the repository's own
# dependencies (docs/dependencies.md). Idempotent: does nothing when the installed tree matches the lock.
set -euo pipefail
cd "$(dirname "$0")/../tools/artillery"
if [ -x node_modules/.bin/artillery ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
# tools/artillery/.npmrc keeps Playwright from downloading a browser at install.
npm ci --no-audit --no-fund --loglevel=error
