/**
 * The RTP I/O engine: the native I/O thread (io-native.ts) owns the RTP/RTCP sockets and sends every
 * packet at its deadline, while the main thread keeps everything else (SIP, payload production, jitter
 * buffers, DTMF, recording, analysis). On the main thread precise waits compete with receiving, SIP and
 * the payload sources; on a thread of their own they do not (docs/rtp-engines.md).
 *
 * How a packet travels. The main thread's Pacer ticks each RtpSender `leadMs` before its deadline; the
 * sender builds the packet and calls `sendAt(packet, ..., due)` on this engine's socket pair; the packets
 * of one pass of the pacer go to the thread in one batch (io-batch.ts) with their deadlines on the
 * thread's clock, and it sends each at its deadline. Received datagrams come back in batches every
 * `flushMs` and are handed to the pair's `onRtp`/`onRtcp` handlers in order.
 *
 * The price of the lookahead: what the payload source decides (a DTMF key, a playback starting, mute,
 * the microphone's frame) reaches the wire `leadMs` later than on the main-thread engine, and stopping a
 * stream lets the packets already produced go out. The default (DEFAULT_LEAD_MS) absorbs a main thread
 * held up by call set-up or a garbage collection under load and stays below what a caller or an IVR
 * notices; a call with a live microphone asks for less (rtp-transport.ts, LIVE_INPUT_LEAD_MS).
 *
 * Clocks. The offset between the main thread's clock and the thread's is measured at start (the fastest
 * of a few readings) and every deadline is shifted by it; an error in it moves every packet by the same
 * amount, so the gaps between packets stay exact. The `clock` given must therefore run on real time.
 */
import type { Clock } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { BatchReader, BatchWriter, CHANNEL_RTCP, CHANNEL_RTP, FLAG_UNPROTECTED } from './io-batch.js';
import { NativeIoThread, type NativeIoSettings, type NativeIoStats } from './io-native.js';
import { EngineSocketPair } from './io-socket.js';
import type { RtpSocketPairOptions } from './socket.js';
import { RtpSocketError } from './socket.js';

/**
 * How far ahead of its deadline a packet is produced by default (ms). A main thread carrying a hundred
 * calls and their set-ups stalls 35–80 ms at times (measured in `umphone serve` under `umphone load`,
 * docs/measurements/load.md): with 40 ms of lead a quarter of its packets reached the thread after their
 * deadline and left in bursts that the callers' jitter buffers discarded as late. Five frames cover
 * those stalls; a prompt stopped by barge-in or a DTMF key reaches the wire at most this much later.
 */
export const DEFAULT_LEAD_MS = 100;

export type { NativeIoSettings, NativeIoStats } from './io-native.js';

export class RtpIoEngineError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTP_IO_ENGINE');
  }
}

export interface RtpIoEngineOptions {
  /** The main thread's clock: must follow real time (deadlines are converted to the thread's clock). */
  clock: Clock;
  /** Ticks run this long before their deadline (ms). Default 40 (two 20 ms frames). */
  leadMs?: number;
  /** Thread tuning (see NativeIoSettings). */
  settings?: Partial<NativeIoSettings>;
}

/**
 * With few streams the thread spins the last 0.15 ms before a packet, and up to 4 pairs (a test phone's
 * call or two) the hedge thread races it, waking 0.5 ms early: its wake-up is later than the I/O
 * thread's. docs/rtp-engines.md says why these values.
 */
const DEFAULT_SETTINGS: NativeIoSettings = {
  flushMs: 2,
  spinMs: 0.15,
  hedgePairs: 4,
  hedgeSpinMs: 0.5,
  recvBufferSize: 1 << 20,
  sendBufferSize: 1 << 20,
};

export class RtpIoEngine {
  readonly leadMs: number;
  private readonly outgoing = new BatchWriter();
  private readonly incoming = new BatchReader();
  private readonly pairs = new Map<number, EngineSocketPair>();
  private readonly thread: NativeIoThread;
  private flushQueued = false;
  private offsetMs = 0;
  private closing: Promise<void> | undefined;
  /** Pairs closing once their last packets have left (EngineSocketPair.close): the engine's close waits for them. */
  private readonly draining = new Set<Promise<void>>();

  private constructor(
    private readonly clock: Clock,
    settings: NativeIoSettings,
    leadMs: number,
  ) {
    this.leadMs = leadMs;
    this.thread = NativeIoThread.start(settings, {
      received: (batch) => this.received(batch),
      error: (id, error) => this.pairs.get(id)?.deliverError(error),
    });
    this.syncClocks();
  }

  /** Starts the I/O thread; throws when the addon is not available (nativeRtpIoUnavailable says why). */
  static async start(options: RtpIoEngineOptions): Promise<RtpIoEngine> {
    const leadMs = options.leadMs ?? DEFAULT_LEAD_MS;
    if (!(leadMs >= 0) || !Number.isFinite(leadMs)) throw new RtpIoEngineError(`The lead must be zero or more milliseconds, got ${leadMs}.`);
    return new RtpIoEngine(options.clock, { ...DEFAULT_SETTINGS, ...options.settings }, leadMs);
  }

  /**
   * Raises the I/O thread (and its hedge thread) alone to SCHED_FIFO, one above `priority` (at most 99),
   * the main thread's under --realtime: while hedging the I/O thread is kept off one CPU, and a main
   * thread at the same priority busy on the other would hold it back there. undefined when done, else
   * why not.
   */
  realtime(priority: number): string | undefined {
    const errno = this.thread.realtime(Math.min(priority + 1, 99));
    if (errno === 0) return undefined;
    return errno === 1 ? 'not permitted (EPERM: needs root, CAP_SYS_NICE or an rtprio limit)' : `refused (errno ${errno})`;
  }

  /** The thread's clock minus ours (ms), as measured at start. */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /** Binds an RTP/RTCP pair on the thread (even RTP port, RTCP = RTP + 1, RFC 3550 §11). */
  async open(opts: RtpSocketPairOptions = {}): Promise<EngineSocketPair> {
    if (this.closing) throw new RtpIoEngineError('The RTP I/O engine is closed.');
    const address = opts.address ?? '0.0.0.0';
    if (opts.port !== undefined && opts.port !== 0 && opts.port % 2 !== 0) {
      throw new RtpSocketError(`RTP port ${opts.port} is odd; RFC 3550 §11 wants an even port.`);
    }
    const portRange = opts.portRange ?? { min: 16384, max: 32767 };
    let opened;
    try {
      opened = await this.thread.openPair({
        address,
        port: opts.port,
        portRange,
        attempts: opts.attempts ?? 50,
        rtcpMux: opts.rtcpMux ?? false,
        random: (opts.random ?? Math.random)(),
      });
    } catch (e) {
      throw e instanceof RtpSocketError ? e : new RtpSocketError((e as Error).message);
    }
    const { id } = opened;
    const pair = new EngineSocketPair(id, address, opened.rtpPort, opened.rtcpPort, this.leadMs, {
      send: (channel, datagram, addr, port, due) => this.enqueue(id, channel, datagram, addr, port, due),
      waitUntil: (at) => {
        const wait = at - this.clock.now();
        if (wait <= 0 || this.closing) return Promise.resolve();
        const done = new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait + 1));
        this.draining.add(done);
        void done.then(() => this.draining.delete(done));
        return done;
      },
      close: () => this.closePair(id),
      srtp: (config) => {
        this.flush(); // what was produced under the old keys (or none) goes first, in order
        this.thread.srtp(id, config);
      },
      srtpStats: () => this.thread.srtpStats(id),
      capture: (file, addr) => this.thread.capture(id, file, addr, opened.rtpPort, opened.rtcpPort),
    });
    this.pairs.set(id, pair);
    return pair;
  }

  /** The thread's counters (packets sent late on its clock, received, queued, hedged). */
  stats(): NativeIoStats {
    return this.thread.stats();
  }

  /** Closes every socket and stops the thread. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // A call that just ended is still sending what it produced (at most the lead): a process that closes
      // its phone right after (the CLI) must not drop those, which the call counted as sent.
      await Promise.all([...this.draining]);
      this.flush();
      await this.thread.stop();
      for (const p of this.pairs.values()) {
        p.keepSrtpCounters(this.thread.srtpStats(p.id));
        p.markClosed();
      }
      this.pairs.clear();
    })();
    return this.closing;
  }

  private enqueue(id: number, channel: 0 | 1, datagram: Uint8Array, address: string, port: number, due: number | undefined): void {
    if (this.closing) return;
    this.outgoing.add(id, channel, address, port, due === undefined ? NaN : due + this.offsetMs, datagram);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush()); // one batch per pass of the pacer
    }
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.outgoing.take();
    if (batch) this.thread.send(batch);
  }

  private async closePair(id: number): Promise<void> {
    const pair = this.pairs.get(id);
    if (!pair || !this.pairs.delete(id)) return;
    this.flush(); // what was sent before the close goes first
    if (!this.closing) await this.thread.closePair(id);
    // The sockets are closed: the SRTP counters are final, and the thread may let go of them.
    pair.keepSrtpCounters(this.thread.srtpStats(id));
    this.thread.srtpForget(id);
  }

  /** The fastest of a few readings of both clocks gives the offset between them. */
  private syncClocks(rounds = 5): void {
    let best = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t0 = this.clock.now();
      const theirs = this.thread.now();
      const t1 = this.clock.now();
      if (t1 - t0 < best) {
        best = t1 - t0;
        this.offsetMs = theirs - (t0 + t1) / 2;
      }
    }
  }

  private received(batch: ArrayBuffer): void {
    this.incoming.read(batch, (r) => {
      const pair = this.pairs.get(r.socket);
      if (!pair) return;
      // The thread's arrival time, on our clock: a busy main thread must not look like network jitter.
      const at = Number.isFinite(r.due) ? Math.min(r.due - this.offsetMs, this.clock.now()) : undefined;
      const unprotected = (r.flags & FLAG_UNPROTECTED) !== 0;
      if (r.channel === CHANNEL_RTCP) pair.deliverRtcp(r.datagram, { address: r.address, port: r.port }, at, unprotected);
      else if (r.channel === CHANNEL_RTP) pair.deliverRtp(r.datagram, { address: r.address, port: r.port }, at, unprotected);
    });
  }
}
