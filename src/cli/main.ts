/**
 * The umphone executable: binds the real process (argv, stdout/stderr, stdin in raw mode, signals,
 * exit) to runCli. The only file that reads `process`.
 */
import { runCli } from './cli.js';
import type { CliIo, CliSignal, RawInput } from './context.js';
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

// UMPHONE_RESOURCES_FILE: every 10 s (UMPHONE_RESOURCES_EVERY_MS), one JSON line with the counts of the
// event loop's live resources (timers, sockets, file requests), the heap, and how late the event loop
// ran since the last line, so that a soak run (scripts/load-soak.sh) sees a timer or socket leak that
// open file descriptors do not show, and a load run the stalls that make its callers miss audio ticks.
// Under `node --expose-gc` it collects first, so the heap figure is what is alive, not garbage the
// collector has not reached yet. Unref'd: it never keeps the process alive.
const resourcesFile = process.env.UMPHONE_RESOURCES_FILE;
if (resourcesFile) {
  const t0 = Date.now();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  setInterval(() => {
    const loopDelayMs = { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
    delay.reset();
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const m = process.memoryUsage();
    const line = { t_s: Math.round((Date.now() - t0) / 1000), collected: gc !== undefined, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, loopDelayMs, resources: counts };
    try {
      appendFileSync(resourcesFile, `${JSON.stringify(line)}\n`);
    } catch {
      // a debugging aid: a file that cannot be written is no reason to disturb the run
    }
  }, Number(process.env.UMPHONE_RESOURCES_EVERY_MS) || 10_000).unref();
}

const code = await runCli(process.argv.slice(2), io);
// Sockets and timers are closed by then; exit anyway so that nothing left behind (a DNS lookup, a
// device thread) keeps the process alive. stdout/stderr writes to files and pipes are synchronous on Linux.
process.stdout.write('', () => process.exit(code));
