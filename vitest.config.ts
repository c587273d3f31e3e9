import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Interop tests start real peers on loopback; each picks free ports, but keep parallelism modest
    // on a 2-core machine so pacing-sensitive media tests are not starved.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
