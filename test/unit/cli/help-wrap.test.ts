import { describe, expect, it } from 'vitest';
import { helpWidth, MAX_HELP_WIDTH, terminalColumns, wrapHelp } from '../../../src/cli/help-wrap.js';
import { buildParser } from '../../../src/cli/cli.js';
import { fakeCliIo } from '../../support/fake-cli-io.js';

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

/** yargs' own text for these arguments: one line per entry (cli.ts turns its wrapping off). */
async function unwrappedHelp(argv: string[]): Promise<string> {
  let out = '';
  await buildParser().parseAsync(argv, { ctx: { io: fakeCliIo(), exitCode: 0 } }, (_e, _a, o) => {
    out = o;
  });
  return out;
}

const COMMANDS = [[], ['call'], ['run', 'x.yaml'], ['listen'], ['serve'], ['demo'], ['devices']];
const WIDTHS = [20, 40, 60, 80, 100, 200];

describe('wrapHelp', () => {
  it.each(COMMANDS.flatMap((c) => WIDTHS.map((w) => [c.join(' ') || '(top)', w, c] as const)))(
    '%s --help at %i columns: the same words in the same order, no line too long but a lone long word',
    async (_name, width, command) => {
      const text = await unwrappedHelp([...command, '--help']);
      const wrapped = wrapHelp(text, width);
      expect(words(wrapped)).toEqual(words(text));
      for (const line of wrapped.split('\n')) {
        if ([...line].length > width) expect(words(line), `line too long: ${JSON.stringify(line)}`).toHaveLength(1);
      }
    },
  );

  it('keeps lines that fit, indents wrapped table text under its column, or under the name when narrow', () => {
    const table = '  --realtime-priority  SCHED_FIFO priority for --realtime (1-99)  [number] [default: 20]';
    expect(wrapHelp(table, 200)).toBe('  --realtime-priority  SCHED_FIFO priority for --realtime (1-99) [number] [default: 20]');
    expect(wrapHelp(table, 50)).toBe([
      '  --realtime-priority  SCHED_FIFO priority for',
      '                       --realtime (1-99) [number]',
      '                       [default: 20]',
    ].join('\n'));
    expect(wrapHelp(table, 40)).toBe([
      '  --realtime-priority',
      '      SCHED_FIFO priority for --realtime',
      '      (1-99) [number] [default: 20]',
    ].join('\n'));
  });

  it('wraps prose at its indentation, an indented line\'s continuation two deeper; a word too long stands alone', () => {
    expect(wrapHelp('Sound: the sound card is used when stdout is a terminal', 20)).toBe('Sound: the sound\ncard is used when\nstdout is a terminal');
    expect(wrapHelp('    umphone call sip:680@um.example.com --duration 20', 30)).toBe('    umphone call\n      sip:680@um.example.com\n      --duration 20');
    expect(wrapHelp('  target  sip:680@10.0.0.5:5060;transport=tcp, 680@host', 40)).toBe('  target  sip:680@10.0.0.5:5060;transport=tcp,\n          680@host');
  });
});

describe('help width', () => {
  it.each([
    [undefined, {}, 80],
    [132, {}, 132],
    [132, { COLUMNS: '40' }, 40],
    [undefined, { COLUMNS: '200' }, 200],
    [undefined, { COLUMNS: 'wide' }, 80],
    [undefined, { COLUMNS: '0' }, 80],
  ] as const)('terminal %s, env %j → %i columns', (tty, env, columns) => {
    expect(terminalColumns(tty, env)).toBe(columns);
  });

  it.each([[40, 40], [80, 80], [200, MAX_HELP_WIDTH], [5, 20]])('%i columns → help %i wide', (columns, width) => {
    expect(helpWidth(columns)).toBe(width);
  });
});
