/**
 * The umphone executable: binds the real process (argv, stdout/stderr, stdin in raw mode, signals,
 * exit) to runCli. The only file that reads `process`.
 */
import { runCli } from './cli.js';
import type { CliIo, CliSignal, RawInput } from './context.js';
import { appendFileSync } from 'node:fs';
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

// UMPHONE_RESOURCES_FILE: every 10 s, one JSON line with the counts of the event loop's live resources
// (timers, sockets, file requests) and the heap, so that a soak run (scripts/load-soak.sh) sees a timer
// or socket leak that open file descriptors do not show. Unref'd: it never keeps the process alive.
const resourcesFile = process.env.UMPHONE_RESOURCES_FILE;
if (resourcesFile) {
  const t0 = Date.now();
  setInterval(() => {
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
    const m = process.memoryUsage();
    const line = { t_s: Math.round((Date.now() - t0) / 1000), rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, resources: counts };
    try {
      appendFileSync(resourcesFile, `${JSON.stringify(line)}\n`);
    } catch {
      // a debugging aid: a file that cannot be written is no reason to disturb the run
    }
  }, 10_000).unref();
}

const code = await runCli(process.argv.slice(2), io);
// Sockets and timers are closed by then; exit anyway so that nothing left behind (a DNS lookup, a
// device thread) keeps the process alive. stdout/stderr writes to files and pipes are synchronous on Linux.
process.stdout.write('', () => process.exit(code));
