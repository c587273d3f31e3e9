/**
 * What a command handler gets from the composition root: the process's streams, terminal facts,
 * environment and signals behind one small interface (main.ts builds it from `process`; a test can
 * build one from strings), plus the exit code the handler sets.
 *
 * Commands registered by other modules receive it as `argv.ctx` (yargs merges the parse context into
 * argv): `const ctx = contextOf(argv); ctx.io.out('...'); ctx.exitCode = ExitCode.ok;`.
 */
import { UmphoneError } from '../util/errors.js';

export type CliSignal = 'SIGINT' | 'SIGTERM';

export interface CliIo {
  /** Write to stdout (no newline added). */
  out(text: string): void;
  /** Write to stderr (no newline added). */
  err(text: string): void;
  /** stdout is a terminal (colours, the status line, the sound card by default). */
  readonly stdoutIsTTY: boolean;
  /** stderr is a terminal (a progress line redrawn in place); false or absent: plain lines. */
  readonly stderrIsTTY?: boolean;
  /** Terminal width in columns: COLUMNS when set, else the terminal's, else 80. */
  columns(): number;
  /** stdin, when it is a terminal that can be put in raw mode; undefined otherwise (pipes, CI). */
  readonly rawInput: RawInput | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Listen for a signal; returns the function that removes the listener. */
  onSignal(signal: CliSignal, handler: () => void): () => void;
  /** Leave at once with this code (the second Ctrl-C). */
  exitNow(code: number): never;
}

/** A terminal's input in raw mode: keys as typed, Ctrl-C as \u0003. */
export interface RawInput {
  /** Start raw mode and deliver chunks of typed text; returns the function that restores the terminal. */
  start(onData: (chunk: string) => void): () => void;
}

export interface CliContext {
  io: CliIo;
  /** The process exit code once the command returns (ExitCode in exit-codes.ts). */
  exitCode: number;
}

/** The context yargs merged into argv (see runCli). */
export function contextOf(argv: unknown): CliContext {
  const ctx = (argv as { ctx?: CliContext }).ctx;
  if (!ctx) throw new Error('umphone: command run without its CLI context (use runCli)');
  return ctx;
}

/**
 * A bad command line: one line on stderr, exit code 2. A concept of the command line only: the layers
 * below throw their own typed errors (SpellingError, CallAddressError, ...) and the commands turn
 * them into this.
 */
export class UsageError extends UmphoneError {
  constructor(message: string) {
    super(message, 'USAGE');
  }
}

/** yargs and Node messages can span lines; the CLI prints one. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
}
