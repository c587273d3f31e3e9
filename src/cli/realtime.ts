/**
 * `--realtime`: real-time scheduling for the threads that pace RTP (the process's main thread, and the
 * native engine's I/O threads); `--rtp-engine`: which engine paces (native where it is built, else main).
 *
 * Why. On a busy or virtualised machine a thread that wakes up for its next packet sometimes waits a
 * scheduler slice for a CPU: that is what sets the pacing p99, not the pacer. Under SCHED_FIFO the
 * wake-up preempts ordinary work at once (figures: docs/measurements/rtp-pacing.md). Audio software does
 * the same (PulseAudio and JACK through rtkit or an `rtprio` limit).
 *
 * How. `chrt -f -p PRIO PID` (util-linux) changes the thread whose id is PID: the main thread only. V8's
 * helper threads (GC, compiler) stay at normal priority, which matters: with the whole process at one
 * FIFO priority a helper thread running on our CPU could not be preempted by the pacer. libuv's thread
 * pool is started first, so its threads do not inherit the policy either.
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
import { nativeRtpIoUnavailable, type NativeIoStats } from '../rtp/io-native.js';
import { parseRtpEngineMode, rtpEngineMode, type RtpEngineMode } from '../rtp/rtp-transport.js';

export const REALTIME_GROUP = 'Real-time pacing';

/** yargs options shared by the commands that carry RTP (call, listen, serve, run). */
export const REALTIME_OPTIONS = {
  realtime: {
    group: REALTIME_GROUP,
    type: 'boolean',
    describe: 'Pace RTP under real-time scheduling (SCHED_FIFO for the main thread and the native I/O threads; needs root, CAP_SYS_NICE or an rtprio limit)',
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
      'Who paces and carries RTP: native (a C++ I/O thread; the default where it is built; with --realtime it is raised too) or main (the main thread); or UMPHONE_RTP_ENGINE',
  },
} as const;

export interface RealtimeArgv {
  realtime?: boolean;
  'realtime-priority'?: number;
  'rtp-engine'?: string;
}

/** What Phone.create / UmServer.start take from these options. */
export interface RtpEngineChoice {
  /** Absent: the default (native where the addon is built, else main: rtp-transport.ts). */
  rtpEngine?: RtpEngineMode;
  rtpRealtimePriority?: number;
}

/**
 * --rtp-engine (else UMPHONE_RTP_ENGINE, else the default), checked: a bad name, or 'native' asked for
 * where the addon was not built, is a usage error (one line, exit code 2), and so is a bad
 * --realtime-priority, with --realtime or without. With --realtime, an engine that may be native gets
 * the main thread's priority (its I/O threads run one above it, see RtpIoEngine.realtime).
 */
export function rtpEngineChoice(argv: RealtimeArgv, env: Record<string, string | undefined> = process.env): RtpEngineChoice {
  const priority = realtimePriority(argv['realtime-priority'] ?? 20);
  const option = argv['rtp-engine'];
  let mode: RtpEngineMode | undefined;
  try {
    mode = option !== undefined ? parseRtpEngineMode(option) : rtpEngineMode(env);
  } catch (e) {
    throw new UsageError(option !== undefined ? `--rtp-engine must be main or native, got ${option}` : (e as Error).message);
  }
  if (mode === 'native') {
    const why = nativeRtpIoUnavailable();
    if (why) throw new UsageError(`--rtp-engine native: ${why}`);
  }
  return {
    ...(mode ? { rtpEngine: mode } : {}),
    ...(argv.realtime && mode !== 'main' ? { rtpRealtimePriority: priority } : {}),
  };
}

let fallbackTold = false;

/**
 * One line on stderr for what the RTP engine could not do as asked, and the call goes on: the native
 * engine not built here (said once per process: the main thread paces instead), or an I/O thread that
 * could not be raised under --realtime.
 */
export function reportRtpRealtime(rtp: { realtimeRefused?: string | undefined; fallback?: string | undefined }, io: CliIo): void {
  if (rtp.fallback && !fallbackTold) {
    fallbackTold = true;
    io.err(`umphone: RTP is paced on the main thread: ${rtp.fallback}\n`);
  }
  if (rtp.realtimeRefused) io.err(`umphone: --realtime: the RTP I/O thread: ${rtp.realtimeRefused}; it runs at normal priority\n`);
}

/**
 * How the native engine's sends went, for the end of a `load` or `serve` run: a load generator (or a
 * server) that could not keep its own pace must say so, or its callers' jitter and MOS would be blamed
 * on the far end. "Produced late": the main thread handed the packet over after its deadline.
 */
export function engineLine(s: NativeIoStats): string | undefined {
  if (s.delivered === 0) return undefined;
  const pct = (n: number): string => `${((100 * n) / s.delivered).toFixed(2)} %`;
  return `RTP sent ${s.delivered} packets: ${pct(s.late)} more than 1 ms late (max ${s.maxLateMs.toFixed(1)} ms), ` +
    `${pct(s.arrivedLate)} produced late by the main thread`;
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
