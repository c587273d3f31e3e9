#!/usr/bin/env node
// The `umphone` command: runs the compiled CLI (dist/cli/main.js, from `npm run build`) when it exists,
// else the TypeScript source through tsx (a development checkout), in this same process so that Ctrl-C,
// the terminal's raw mode and the exit code behave the same either way.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/cli/main.js`;

if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('umphone: dist/ is missing and tsx is not installed: run `npm run build` (or npm install)\n');
    process.exit(2);
  }
  register();
  await import(pathToFileURL(`${root}src/cli/main.ts`).href);
}
