/**
 * `umphone --help` from the real executable, piped (no terminal, as in CI) and with COLUMNS set:
 * every word of yargs' unwrapped text comes out whole and in order ("needs root", "--no-audio",
 * "ring" were cut at 100 columns before), and no line is wider than the width unless it is one word.
 */
import { describe, expect, it } from 'vitest';
import { buildParser } from '../../src/cli/cli.js';
import { spawnTracked } from '../support/child-process.js';
import { fakeCliIo } from '../support/fake-cli-io.js';
import { ROOT } from '../support/umphone-cli.js';

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

async function unwrappedHelp(argv: string[]): Promise<string> {
  let out = '';
  await buildParser().parseAsync(argv, { ctx: { io: fakeCliIo(), exitCode: 0 } }, (_e, _a, o) => {
    out = o;
  });
  return out;
}

async function helpFromProcess(argv: string[], columns: string | undefined): Promise<{ code: number | null; stdout: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1' };
  delete env.COLUMNS;
  if (columns !== undefined) env.COLUMNS = columns;
  const child = spawnTracked(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], { cwd: ROOT, env });
  const r = await child.exited;
  return { code: r.code, stdout: r.stdout };
}

describe('umphone --help wraps at word boundaries', () => {
  it.each([
    [['call', '--help'], undefined, 80],
    [['call', '--help'], '40', 40],
    [['call', '--help'], '80', 80],
    [['call', '--help'], '200', 120],
    [['listen', '--help'], '40', 40],
    [['--help'], undefined, 80],
  ] as const)('%j with COLUMNS=%s: whole words, lines of at most %i columns', async (argv, columns, width) => {
    const [unwrapped, r] = await Promise.all([unwrappedHelp([...argv]), helpFromProcess([...argv], columns)]);
    expect(r.code).toBe(0);
    expect(words(r.stdout)).toEqual(words(unwrapped));
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines) {
      if ([...line].length > width) expect(words(line), `too wide: ${JSON.stringify(line)}`).toHaveLength(1);
    }
    // The text did get wrapped to that width, not merely printed narrower.
    expect(Math.max(...lines.map((l) => [...l].length))).toBeGreaterThan(width - 15);
    if (argv[0] === 'call') {
      for (const w of ['needs', 'root,', '--no-audio:', 'UMPHONE_RTP_ENGINE']) expect(words(r.stdout)).toContain(w);
    }
  });
});
