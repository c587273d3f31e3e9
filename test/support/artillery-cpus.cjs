// Preloaded (--require) into `artillery run` by test/support/artillery.ts. Artillery's local runner
// starts os.cpus().length - 1 worker threads and takes no setting for it (WORKERS counts only for
// the cloud runners), so on a 2-CPU machine it runs one: this makes os.cpus() report
// UMPHONE_TEST_CPUS entries, so that the tests run several workers, each with its own phone and ports.
'use strict';
const os = require('node:os');
const n = Number(process.env.UMPHONE_TEST_CPUS);
if (n > 0) {
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: n }, (_, i) => real[i % real.length]);
  };
}
