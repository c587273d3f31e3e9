/**
 * `--help` laid out for the width at hand, never cutting a word. yargs' ES module build lays out with
 * cliui's minimal wrap, which breaks a line every `width` characters wherever that falls ("need / s
 * root", "--no-audi / o"), whatever width it is given. So yargs is told not to wrap at all (one line
 * per option, command or paragraph) and that text is re-flowed here:
 *
 *   - a table row (indented, then a name, two or more spaces, then its text: options, commands, the
 *     exit codes) wraps its text under the text's column, or, when that column leaves too little room,
 *     under the name, one level deeper; yargs' type and default ("[number] [default: 5]") follow the
 *     text after one space, and a short bracketed note is not split;
 *   - any other line is kept when it fits, else wraps at its own indentation (two deeper for an
 *     indented one, so that a long example command reads as one).
 *
 * A word longer than the room it has gets a line of its own and overflows: a cut word cannot be read or
 * copied back.
 */

/** Narrower than this, a table's text moves under its name. */
const MIN_TEXT_COLUMN = 24;
/** A bracketed note up to this long ("[default: 5]") stays on one line. */
const MAX_KEPT_NOTE = 24;
/** Wider help is hard to read, whatever the terminal. */
export const MAX_HELP_WIDTH = 120;
const MIN_HELP_WIDTH = 20;

/**
 * The width to lay out for: COLUMNS when set (the convention shells and `ls` follow), else the
 * terminal's, else 80 (a pipe, CI).
 */
export function terminalColumns(ttyColumns: number | undefined, env: Readonly<Record<string, string | undefined>>): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return ttyColumns !== undefined && ttyColumns > 0 ? ttyColumns : 80;
}

/** The width help is wrapped at for a terminal this wide. */
export function helpWidth(columns: number): number {
  return Math.max(MIN_HELP_WIDTH, Math.min(MAX_HELP_WIDTH, columns));
}

/** Re-flow unwrapped help text (see the file comment) to lines of at most `width` characters. */
export function wrapHelp(text: string, width: number): string {
  return text.split('\n').flatMap((line) => wrapLine(line.trimEnd(), width)).join('\n');
}

const TABLE_ROW = /^( +)(\S+(?: \S+)*?)( {2,})(\S.*)$/;

function wrapLine(line: string, width: number): string[] {
  const row = TABLE_ROW.exec(line);
  if (row) {
    const [, indent, name, gap, rest] = row as unknown as [string, string, string, string, string];
    const column = indent.length + name.length + gap.length;
    if (column + length(words(rest).join(' ')) <= width) return [`${indent}${name}${gap}${words(rest).join(' ')}`];
    if (width - column >= MIN_TEXT_COLUMN) {
      const lines = fill(rest, width - column);
      return lines.map((l, i) => (i === 0 ? `${indent}${name}${gap}${l}` : `${' '.repeat(column)}${l}`));
    }
    const under = indent.length + 4;
    return [...fill(name, width - indent.length).map((l) => `${indent}${l}`), ...fill(rest, width - under).map((l) => `${' '.repeat(under)}${l}`)];
  }
  if (length(line) <= width) return [line];
  const indent = /^ */.exec(line)![0].length;
  const next = indent === 0 ? 0 : indent + 2;
  const first = fill(line.slice(indent), width - indent);
  const head = first[0]!;
  const tail = fill(first.slice(1).join(' '), width - next);
  return [`${' '.repeat(indent)}${head}`, ...(first.length > 1 ? tail.map((l) => `${' '.repeat(next)}${l}`) : [])];
}

const length = (s: string): number => [...s].length;

/** The words of a text, a short bracketed note ("[default: 5]") counting as one. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const w of text.split(/ +/).filter((x) => x !== '')) {
    const last = out[out.length - 1];
    if (last !== undefined && last.startsWith('[') && !last.endsWith(']') && length(last) + 1 + length(w) <= MAX_KEPT_NOTE) out[out.length - 1] = `${last} ${w}`;
    else out.push(w);
  }
  return out;
}

/** Greedy fill of words into lines of at most `room` characters; a longer word stands alone. */
function fill(text: string, room: number): string[] {
  const lines: string[] = [];
  let current = '';
  // A kept note wider than the room is split after all: only single words may overflow.
  for (const word of words(text).flatMap((w) => (length(w) > room ? w.split(' ') : [w]))) {
    if (current === '') current = word;
    else if (length(current) + 1 + length(word) <= room) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current !== '' || lines.length === 0) lines.push(current);
  return lines;
}
