#!/usr/bin/env node
// The `umphone` command. An installed package runs its compiled CLI (dist/cli/main.js, built by
// `npm pack` through "prepack"); a checkout of the repository runs its TypeScript source through tsx,
// so that a dist/ left by an earlier build never runs stale code. Either way in this same process, so
// that Ctrl-C, the terminal's raw mode and the exit code behave the same.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/cli/main.ts`;
const built = `${root}dist/cli/main.js`;

async function tsx() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) ? await tsx() : undefined;
if (register) {
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write('umphone: dist/ is missing and tsx is not installed: run `npm run build` (or npm install)\n');
  process.exit(2);
}
