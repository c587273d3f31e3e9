/** Running the real `umphone` CLI (through tsx) as a child process for interop tests. */
import { resolve } from 'node:path';
import { spawnTracked, type TrackedChild } from './child-process.js';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** `umphone ARGS...` from the repository root, without colours and as in CI (no sound card). */
export function umphone(args: string[]): TrackedChild {
  return spawnTracked(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
  });
}
