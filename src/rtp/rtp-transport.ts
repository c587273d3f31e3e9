/**
 * Choosing how RTP is paced and carried, for a process that places calls (the phone, the UM server):
 *   - 'main': the Pacer on the main thread with a precise wake (pacer-wake.ts) and the sockets on the
 *     main thread (socket.ts). No thread, sends exactly when the source is polled; enough for a few
 *     hundred calls on a quiet machine.
 *   - 'worker': the RTP I/O engine (io-engine.ts): sockets and send timing in a worker thread, payloads
 *     produced on the main thread `leadMs` ahead.
 *   - 'native': the same engine with a C++ thread (io-native.ts, native/rtp_io.cc) owning the sockets:
 *     about half the CPU per packet of the JavaScript paths; what holds 1000 calls both ways here.
 * `UMPHONE_RTP_ENGINE=main|worker|native` picks one; the default stays 'main' (what the phone has used so far)
 * until the benchmark (bench/rtp-pacing.bench.ts, both side by side) shows the worker ahead on the
 * machines that matter. With a ManualClock (tests) only 'main' makes sense and is always used.
 */
import { RealClock, type Clock } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { RtpIoEngine } from './io-engine.js';
import type { EngineSocketPair } from './io-socket.js';
import type { EngineSettings } from './io-protocol.js';
import { Pacer, type PacerOptions } from './pacer.js';
import { preciseWake } from './pacer-wake.js';
import { RtpSocketPair, type RtpSocketPairOptions } from './socket.js';

export type RtpEngineMode = 'main' | 'worker' | 'native';

export class RtpEngineModeError extends UmphoneError {
  constructor(value: string) {
    super(`UMPHONE_RTP_ENGINE must be "main", "worker" or "native", got "${value}".`, 'RTP_ENGINE_MODE');
  }
}

/** The mode asked for by `UMPHONE_RTP_ENGINE` (default 'main'). */
export function rtpEngineMode(env: Record<string, string | undefined> = process.env): RtpEngineMode {
  const v = (env.UMPHONE_RTP_ENGINE ?? '').trim().toLowerCase();
  if (v === '') return 'main';
  if (v === 'main' || v === 'worker' || v === 'native') return v;
  throw new RtpEngineModeError(v);
}

export interface RtpTransportOptions {
  clock: Clock;
  /** Default: `rtpEngineMode()`; forced to 'main' when the clock is not a RealClock. */
  mode?: RtpEngineMode;
  /** Worker mode: how far ahead payloads are produced (ms). Default 40. */
  leadMs?: number;
  settings?: Partial<EngineSettings>;
  /** Passed on to the Pacer (aheadMs, maxLateMs, phaseSlots, onError...). */
  pacer?: Omit<PacerOptions, 'clock' | 'wake'>;
  /**
   * SCHED_FIFO priority for the native I/O thread (`--realtime`; the main thread is raised by the CLI
   * itself). A refusal does not fail: it is in `realtimeRefused`.
   */
  realtimePriority?: number;
}

/** The socket pair either mode opens: what MediaSession's MediaSocket wants, plus onError. */
export type RtpSockets = RtpSocketPair | EngineSocketPair;

export interface RtpTransport {
  readonly mode: RtpEngineMode;
  /** The process's one pacer: give it to every MediaSession. */
  readonly pacer: Pacer;
  /** The I/O engine in 'worker' and 'native' mode. */
  readonly engine: RtpIoEngine | undefined;
  openSocketPair(options?: RtpSocketPairOptions): Promise<RtpSockets>;
  /** Why `realtimePriority` could not be applied to the I/O thread (undefined: applied, or not asked). */
  readonly realtimeRefused?: string | undefined;
  /** Stops the pacer and, in 'worker'/'native' mode, the I/O thread and its sockets. */
  close(): Promise<void>;
}

export async function createRtpTransport(options: RtpTransportOptions): Promise<RtpTransport> {
  const clock = options.clock;
  const real = clock instanceof RealClock;
  const mode: RtpEngineMode = real ? (options.mode ?? rtpEngineMode()) : 'main';
  if (mode === 'main') {
    const pacer = new Pacer({ ...options.pacer, clock, ...(real ? { wake: preciseWake({ clock }) } : {}) });
    return {
      mode,
      pacer,
      engine: undefined,
      openSocketPair: (o) => RtpSocketPair.open(o),
      close: async () => pacer.close(),
    };
  }
  const engine = await RtpIoEngine.start({
    clock,
    thread: mode === 'native' ? 'native' : 'worker',
    ...(options.leadMs !== undefined ? { leadMs: options.leadMs } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  // The main thread's pacer only produces payloads ahead of time: its plain 1 ms timers are enough.
  const pacer = new Pacer({ ...options.pacer, clock });
  const realtimeRefused = options.realtimePriority !== undefined ? engine.realtime(options.realtimePriority) : undefined;
  return {
    mode,
    pacer,
    engine,
    realtimeRefused,
    openSocketPair: (o) => engine.open(o),
    close: async () => {
      pacer.close();
      await engine.close();
    },
  };
}
