// Prints the plain closing line CI reads: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';
const file = process.argv[2] ?? '.tmp/vitest.json';
let r;
try {
  r = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log('0 passed, 1 failed');
  console.error(`summarize-tests: cannot read ${file}: ${e.message}`);
  process.exit(1);
}
const failed = r.numFailedTests + (r.numFailedTestSuites ?? 0) - 0;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
if (r.numFailedTestSuites > 0) console.log(`(${r.numFailedTestSuites} test files failed to run)`);
process.exit(failed > 0 || r.numPassedTests === 0 ? 1 : 0);
