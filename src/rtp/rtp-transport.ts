/**
 * Choosing how RTP is paced and carried, for a process that places calls (the phone, the UM server):
 *   - 'native' (the default where the addon is built): the RTP I/O engine (io-engine.ts), a C++ thread
 *     owning the sockets and every packet's deadline, payloads produced on the main thread `leadMs`
 *     ahead. The best pacing from one call to a thousand (docs/measurements/rtp-pacing.md).
 *   - 'main': the Pacer on the main thread with a precise wake (pacer-wake.ts) and the sockets on the
 *     main thread (socket.ts). No lookahead, no addon; the fallback where the addon is not built.
 * `UMPHONE_RTP_ENGINE=main|native` picks one. With a ManualClock (tests) only 'main' makes sense and is
 * always used.
 */
import { RealClock, type Clock } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { RtpIoEngine, type NativeIoSettings } from './io-engine.js';
import { nativeRtpIoUnavailable } from './io-native.js';
import type { EngineSocketPair } from './io-socket.js';
import { Pacer, type PacerOptions } from './pacer.js';
import { preciseWake } from './pacer-wake.js';
import { RtpSocketPair, type RtpSocketPairOptions } from './socket.js';

export type RtpEngineMode = 'main' | 'native';

export const RTP_ENGINE_MODES: readonly RtpEngineMode[] = ['main', 'native'];

/**
 * The lead for a call whose audio comes from a live microphone (ms): the microphone's frame reaches the
 * wire this much later than on the main-thread engine. Half a frame still covers a main-thread timer
 * that fires a few milliseconds late; the default 40 ms would add a noticeable 40 ms mouth-to-ear.
 */
export const LIVE_INPUT_LEAD_MS = 10;

export class RtpEngineModeError extends UmphoneError {
  constructor(value: string) {
    super(`UMPHONE_RTP_ENGINE must be "main" or "native", got "${value}".`, 'RTP_ENGINE_MODE');
  }
}

/** A mode's name (case and spaces ignored), or undefined for an empty one; throws on anything else. */
export function parseRtpEngineMode(value: string): RtpEngineMode | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if ((RTP_ENGINE_MODES as readonly string[]).includes(v)) return v as RtpEngineMode;
  throw new RtpEngineModeError(v);
}

/** The mode asked for by `UMPHONE_RTP_ENGINE`; undefined when it is not set (the default applies). */
export function rtpEngineMode(env: Record<string, string | undefined> = process.env): RtpEngineMode | undefined {
  return parseRtpEngineMode(env.UMPHONE_RTP_ENGINE ?? '');
}

/** The engine used when none is asked for: native where the addon loads, else main and why. */
export function defaultRtpEngine(unavailable: string | undefined = nativeRtpIoUnavailable()): { mode: RtpEngineMode; fallback?: string } {
  return unavailable ? { mode: 'main', fallback: unavailable } : { mode: 'native' };
}

export interface RtpTransportOptions {
  clock: Clock;
  /** Default: `rtpEngineMode()`, else `defaultRtpEngine()`; forced to 'main' when the clock is not a RealClock. */
  mode?: RtpEngineMode;
  /** Native mode: how far ahead payloads are produced (ms). Default DEFAULT_LEAD_MS (100); LIVE_INPUT_LEAD_MS for a microphone. */
  leadMs?: number;
  settings?: Partial<NativeIoSettings>;
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
  /** The I/O engine in 'native' mode. */
  readonly engine: RtpIoEngine | undefined;
  openSocketPair(options?: RtpSocketPairOptions): Promise<RtpSockets>;
  /** Why `realtimePriority` could not be applied to the I/O thread (undefined: applied, or not asked). */
  readonly realtimeRefused?: string | undefined;
  /** Why the default native engine could not be used and 'main' paces instead (undefined: it could, or a mode was asked for). */
  readonly fallback?: string | undefined;
  /** Stops the pacer and, in 'native' mode, the I/O thread and its sockets. */
  close(): Promise<void>;
}

export async function createRtpTransport(options: RtpTransportOptions): Promise<RtpTransport> {
  const clock = options.clock;
  const real = clock instanceof RealClock;
  const chosen = real ? (options.mode ?? rtpEngineMode()) : 'main';
  const { mode, fallback } = chosen ? { mode: chosen, fallback: undefined } : defaultRtpEngine();
  if (mode === 'main') {
    const pacer = new Pacer({ ...options.pacer, clock, ...(real ? { wake: preciseWake({ clock }) } : {}) });
    return {
      mode,
      pacer,
      engine: undefined,
      fallback,
      openSocketPair: (o) => RtpSocketPair.open(o),
      close: async () => pacer.close(),
    };
  }
  const engine = await RtpIoEngine.start({
    clock,
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
