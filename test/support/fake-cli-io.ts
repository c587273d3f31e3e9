/** A CliIo made of strings, for calling runCli and command helpers in-process. */
import type { CliIo } from '../../src/cli/context.js';

export function fakeCliIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) { io.stdout += text; },
    err(text: string) { io.stderr += text; },
    stdoutIsTTY: false,
    columns: () => 100,
    rawInput: undefined,
    env: {},
    onSignal: () => () => undefined,
    exitNow: (code: number): never => { throw new Error(`exit ${code}`); },
  };
  return io;
}
