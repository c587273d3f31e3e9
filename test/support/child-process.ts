/**
 * Child processes for interop tests (SIPp, baresip, pulseaudio, parec/pacat, tcpdump) that never outlive
 * the test process: each is tracked, killed by its handle's kill(), by killAllChildren() in afterAll, and
 * as a last resort by a synchronous SIGKILL sweep when the test process exits.
 *
 * The only timer source is RealClock (the project's rule: setTimeout lives in src/util/clock.ts only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { RealClock } from '../../src/util/clock.js';

export const realClock = new RealClock();

/** Wait `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => realClock.setTimeout(resolve, ms));
}

/** Poll `check` every `everyMs` until it returns a value other than undefined/false, or throw after timeoutMs. */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 20,
): Promise<T> {
  const deadline = realClock.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (realClock.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(everyMs);
  }
}

export interface ExitInfo {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface TrackedChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Called for each complete line of stdout and stderr as it arrives. */
  onLine(fn: (line: string) => void): void;
  readonly exited: Promise<ExitInfo>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  kill(graceMs?: number): Promise<ExitInfo>;
}

const live = new Set<TrackedChild>();

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnOptions = {}): TrackedChild {
  installExitHook();
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let done = false;
  const lineFns: ((line: string) => void)[] = [];
  const partial = { out: '', err: '' };
  const feed = (key: 'out' | 'err', chunk: string): void => {
    const text = partial[key] + chunk;
    const lines = text.split('\n');
    partial[key] = lines.pop() ?? '';
    for (const l of lines) for (const fn of lineFns) fn(l.replace(/\r$/, ''));
  };
  proc.stdout?.setEncoding('utf8');
  proc.stderr?.setEncoding('utf8');
  proc.stdout?.on('data', (c: string) => {
    out += c;
    feed('out', c);
  });
  proc.stderr?.on('data', (c: string) => {
    err += c;
    feed('err', c);
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    let spawnError: Error | undefined;
    proc.once('error', (e) => {
      spawnError = e;
      // 'close' may never come when spawn itself failed
      if (proc.pid === undefined) {
        done = true;
        live.delete(handle);
        resolve({ code: -1, signal: null, stdout: out, stderr: err + String(spawnError) });
      }
    });
    proc.once('close', (code, signal) => {
      done = true;
      live.delete(handle);
      for (const key of ['out', 'err'] as const) {
        if (partial[key] !== '') for (const fn of lineFns) fn(partial[key]);
        partial[key] = '';
      }
      resolve({ code, signal, stdout: out, stderr: spawnError ? `${err}${String(spawnError)}` : err });
    });
  });
  const handle: TrackedChild = {
    proc,
    pid: proc.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    onLine: (fn) => {
      lineFns.push(fn);
    },
    exited,
    hasExited: () => done,
    kill: async (graceMs = 2000) => {
      if (!done) {
        proc.kill('SIGTERM');
        const t = realClock.setTimeout(() => {
          if (!done) proc.kill('SIGKILL');
        }, graceMs);
        await exited;
        t.cancel();
      }
      return exited;
    },
  };
  live.add(handle);
  return handle;
}

/** Kill every child still running that this process started through spawnTracked (for afterAll). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill(1000)));
}
