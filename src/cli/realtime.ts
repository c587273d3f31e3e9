/**
 * `--realtime`: real-time scheduling for the thread that paces RTP (the process's main thread, and the
 * native engine's I/O thread with `--rtp-engine native`); `--rtp-engine`: which engine that is.
 *
 * Why. On a busy or virtualised machine a thread that wakes up for its next packet sometimes waits a
 * scheduler slice (1–7 ms measured on the 2-vCPU CI VM, a kernel with `preempt=none`) for a CPU: that
 * is what sets the pacing p99, not the pacer. Under SCHED_FIFO the wake-up preempts ordinary work at
 * once (bench/rtp-pacing.bench.ts, 1 call: p99 ≈ 0.3 ms instead of 1.5–3.6 ms). Audio software does the
 * same (PulseAudio and JACK through rtkit or an `rtprio` limit).
 *
 * How. `chrt -f -p PRIO PID` (util-linux) changes the thread whose id is PID: the main thread only. V8's
 * helper threads (GC, compiler) stay at normal priority, which matters: with the whole process at one
 * FIFO priority a helper thread running on our CPU could not be preempted by the pacer (measured: p99
 * 0.4–1.9 ms whole-process, 0.27–0.34 ms main thread only). libuv's thread pool is started first, so
 * its threads do not inherit the policy either.
 *
 * Safety. The main thread blocks (epoll, futex) between packets; the kernel's RT throttling keeps 5 %
 * of every CPU for normal tasks in any case, and only one thread is raised.
 *
 * Not permitted (no root, no CAP_SYS_NICE, no `rtprio` limit in /etc/security/limits.conf) or no chrt:
 * one line on stderr and the call goes on at normal priority.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { UsageError, type CliIo } from './context.js';
import { nativeRtpIoUnavailable } from '../rtp/io-native.js';
import { rtpEngineMode, type RtpEngineMode } from '../rtp/rtp-transport.js';

export const REALTIME_GROUP = 'Real-time pacing';

/** yargs options shared by the commands that carry RTP (call, listen, serve, run). */
export const REALTIME_OPTIONS = {
  realtime: {
    group: REALTIME_GROUP,
    type: 'boolean',
    describe: 'Pace RTP under real-time scheduling (SCHED_FIFO for the main thread; needs root, CAP_SYS_NICE or an rtprio limit)',
  },
  'realtime-priority': {
    group: REALTIME_GROUP,
    type: 'number',
    default: 20,
    describe: 'SCHED_FIFO priority for --realtime (1-99)',
  },
  'rtp-engine': {
    group: REALTIME_GROUP,
    type: 'string',
    describe:
      'Who paces and carries RTP: main (the main thread; default, or UMPHONE_RTP_ENGINE), worker (a JavaScript worker thread) or native (a C++ I/O thread: hundreds of calls in one process; with --realtime it is raised too)',
  },
} as const;

export interface RealtimeArgv {
  realtime?: boolean;
  'realtime-priority'?: number;
  'rtp-engine'?: string;
}

/** What Phone.create / UmServer.start take from these options. */
export interface RtpEngineChoice {
  rtpEngine?: RtpEngineMode;
  rtpRealtimePriority?: number;
}

/**
 * --rtp-engine (else UMPHONE_RTP_ENGINE, else main), checked: a bad name, or 'native' where the addon
 * was not built, is a usage error (one line, exit code 2), and so is a bad --realtime-priority, with
 * --realtime or without. With --realtime and 'native', the engine gets the main thread's priority (its
 * I/O threads run one above it, see RtpIoEngine.realtime).
 */
export function rtpEngineChoice(argv: RealtimeArgv, env: Record<string, string | undefined> = process.env): RtpEngineChoice {
  const priority = realtimePriority(argv['realtime-priority'] ?? 20);
  let mode: RtpEngineMode;
  try {
    mode = rtpEngineMode(argv['rtp-engine'] !== undefined ? { UMPHONE_RTP_ENGINE: argv['rtp-engine'] || 'main' } : env);
  } catch (e) {
    throw new UsageError(argv['rtp-engine'] !== undefined ? `--rtp-engine must be main, worker or native, got ${argv['rtp-engine']}` : (e as Error).message);
  }
  if (mode === 'native') {
    const why = nativeRtpIoUnavailable();
    if (why) throw new UsageError(`--rtp-engine native: ${why}`);
  }
  return {
    rtpEngine: mode,
    ...(argv.realtime && mode === 'native' ? { rtpRealtimePriority: priority } : {}),
  };
}

/** One line on stderr when the native I/O thread could not be raised (the call goes on). */
export function reportRtpRealtime(rtp: { realtimeRefused?: string | undefined }, io: CliIo): void {
  if (rtp.realtimeRefused) io.err(`umphone: --realtime: the RTP I/O thread: ${rtp.realtimeRefused}; it runs at normal priority\n`);
}

export interface RealtimeDeps {
  /** Runs a program; resolves with its exit status and stderr. */
  run(file: string, args: string[]): Promise<{ code: number | null; stderr: string; missing?: boolean }>;
  /** Starts libuv's thread pool before the policy changes, so its threads keep the normal one. */
  warmThreadPool(): Promise<void>;
  pid: number;
}

const defaultDeps: RealtimeDeps = {
  run: (file, args) =>
    new Promise((resolve) => {
      execFile(file, args, { timeout: 5000 }, (error, _stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (err && err.code === 'ENOENT') resolve({ code: null, stderr: '', missing: true });
        else resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
      });
    }),
  warmThreadPool: async () => {
    await stat('.').catch(() => undefined);
  },
  pid: process.pid,
};

/** The priority asked for, checked: an integer 1..99, else a usage error (exit code 2). */
export function realtimePriority(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 99) {
    throw new UsageError(`--realtime-priority must be an integer from 1 to 99, got ${String(value)}`);
  }
  return n;
}

/**
 * Puts the main thread under SCHED_FIFO at `priority`. Resolves with undefined on success, else with
 * the one-line reason (the caller prints it and goes on).
 */
export async function requestRealtime(priority: number, deps: RealtimeDeps = defaultDeps): Promise<string | undefined> {
  await deps.warmThreadPool();
  const r = await deps.run('chrt', ['-f', '-p', String(priority), String(deps.pid)]);
  if (r.missing) return 'chrt (util-linux) is not installed';
  if (r.code === 0) return undefined;
  const why = r.stderr.trim().split('\n').pop() ?? '';
  if (/not permitted|EPERM/i.test(why)) {
    return 'not permitted (needs root, CAP_SYS_NICE or an rtprio limit in /etc/security/limits.conf)';
  }
  return why ? `chrt failed: ${why.replace(/^chrt:\s*/, '')}` : `chrt exited with ${r.code}`;
}

/** The commands' entry: validates, applies, and reports a refusal on stderr without failing. */
export async function applyRealtime(argv: RealtimeArgv, io: CliIo, deps: RealtimeDeps = defaultDeps): Promise<boolean> {
  if (!argv.realtime) return false;
  const priority = realtimePriority(argv['realtime-priority'] ?? 20);
  const refused = await requestRealtime(priority, deps);
  if (refused) {
    io.err(`umphone: --realtime: ${refused}; RTP is paced at normal priority\n`);
    return false;
  }
  return true;
}
