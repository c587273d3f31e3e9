/**
 * The umphone executable: binds the real process (argv, stdout/stderr, stdin in raw mode, signals,
 * exit) to runCli. The only file that reads `process`.
 */
import { runCli } from './cli.js';
import type { CliIo, CliSignal, RawInput } from './context.js';
import { terminalColumns } from './help-wrap.js';

function rawInput(): RawInput | undefined {
  const stdin = process.stdin;
  // Without a terminal (pipes, CI) setRawMode does not exist: no keys, digits come from --dtmf-sequence.
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return undefined;
  return {
    start(onData) {
      stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      const listener = (chunk: string | Buffer) => onData(String(chunk));
      stdin.on('data', listener);
      stdin.resume();
      let restored = false;
      const restore = () => {
        if (restored) return;
        restored = true;
        stdin.off('data', listener);
        try {
          stdin.setRawMode(false);
        } catch {
          // the terminal is gone
        }
        stdin.pause();
        process.off('exit', restore);
      };
      // Whatever ends the process, the terminal is given back as it was.
      process.on('exit', restore);
      return restore;
    },
  };
}

const io: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  columns: () => terminalColumns(process.stdout.columns, process.env),
  rawInput: rawInput(),
  env: process.env,
  onSignal(signal: CliSignal, handler: () => void) {
    process.on(signal, handler);
    return () => void process.off(signal, handler);
  },
  exitNow(code: number): never {
    process.exit(code);
  },
};

const code = await runCli(process.argv.slice(2), io);
// Sockets and timers are closed by then; exit anyway so that nothing left behind (a DNS lookup, a
// device thread) keeps the process alive. stdout/stderr writes to files and pipes are synchronous on Linux.
process.stdout.write('', () => process.exit(code));
