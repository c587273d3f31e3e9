/**
 * The call's output on a console: progress lines, warnings and the trace scroll up; on a terminal a
 * status line stays at the bottom, erased before anything else is printed and redrawn after, so lines
 * never mix with it. Without a terminal there is no status line and no control characters at all.
 */
import { CLEAR_LINE } from './status-line.js';
import type { CliIo } from './context.js';

export class ConsoleView {
  private status: string | undefined;

  constructor(private readonly io: CliIo, private readonly options: { quiet: boolean; statusLine: boolean }) {}

  /** A progress line on stdout (not with -q). */
  line(text: string): void {
    if (this.options.quiet) return;
    this.write(() => this.io.out(`${text}\n`));
  }

  /** Raw text on stdout (trace blocks, the summary), not with -q. */
  block(text: string): void {
    if (this.options.quiet) return;
    this.write(() => this.io.out(text));
  }

  /** A line on stderr, also with -q (warnings, the final error). */
  error(text: string): void {
    this.write(() => this.io.err(`${text}\n`));
  }

  /** Replace the status line (terminal only). */
  setStatus(text: string): void {
    if (!this.options.statusLine || this.options.quiet) return;
    this.status = text;
    this.io.out(`${CLEAR_LINE}${text}`);
  }

  /** Erase the status line for good (before the summary). */
  clearStatus(): void {
    if (this.status === undefined) return;
    this.status = undefined;
    this.io.out(CLEAR_LINE);
  }

  private write(print: () => void): void {
    if (this.status !== undefined) this.io.out(CLEAR_LINE);
    print();
    if (this.status !== undefined) this.io.out(this.status);
  }
}
