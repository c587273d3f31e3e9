// Prints the plain closing line CI reads: "N passed, N failed, N skipped", over one or more vitest
// JSON reports. A test file that failed to load (no test ran in it) counts as one failed test.
import { readFileSync } from 'node:fs';
const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const broken = [];
for (const file of files.length ? files : ['.tmp/vitest.json']) {
  let r;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    failed++;
    broken.push(`${file}: ${e.message}`);
    continue;
  }
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  for (const t of r.testResults ?? []) {
    if (t.status === 'failed' && (t.assertionResults ?? []).length === 0) {
      failed++;
      broken.push(`${t.name}: ${(t.message ?? '').split('\n')[0]}`);
    }
  }
}
for (const b of broken) console.log(`did not run: ${b}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
