/**
 * docs/cli.md is the reference of every command: each option a command's --help lists must be named in
 * that command's section (or in the shared "Real-time pacing options" section), so the page cannot fall
 * behind the CLI again.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildParser } from '../../src/cli/cli.js';
import { fakeCliIo } from '../support/fake-cli-io.js';

const page = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');

/** The text under `## heading` up to the next `## `. */
function section(heading: string): string {
  const start = page.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

async function helpOf(argv: string[]): Promise<string> {
  let out = '';
  await buildParser().parseAsync([...argv, '--help'], { ctx: { io: fakeCliIo(), exitCode: 0 } }, (_e, _a, o) => {
    out = o;
  });
  return out;
}

/** Option names from yargs' option table (lines starting with the option, after an optional alias). */
function optionsIn(help: string): string[] {
  const names = new Set<string>();
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)/.exec(line);
    if (m && m[1] !== '--help' && m[1] !== '--version') names.add(m[1]);
  }
  return [...names];
}

const COMMANDS: Array<[string, string[]]> = [
  ['call', ['call']], ['run', ['run', 'x.yaml']], ['load', ['load', 'x.yaml']], ['listen', ['listen']], ['serve', ['serve']],
  ['demo', ['demo']], ['devices', ['devices']], ['report', ['report', 'x.json']],
];

describe('docs/cli.md', () => {
  it.each(COMMANDS)('names every option of umphone %s', async (name, argv) => {
    const options = optionsIn(await helpOf(argv));
    if (name !== 'devices') expect(options.length).toBeGreaterThan(0);
    const text = section(`\`umphone ${name}\``) + section('Real-time pacing options');
    const missing = options.filter((o) => !text.includes(`\`${o}`) && !text.includes(`\`--no-${o.slice(2)}`));
    expect(missing, `options of "umphone ${name}" missing from docs/cli.md`).toEqual([]);
  });
});
