/**
 * Debian's Chromium for the report's browser test (scripts/setup-system.sh installs it), driven by
 * playwright-core: Playwright's own browser download is not reachable from these machines. The flags
 * keep it from reaching for the network (updates, sync, QUIC) and let it run as root without a GPU.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];
