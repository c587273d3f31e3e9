/**
 * The RTP I/O engine: a worker thread that owns the RTP/RTCP sockets and sends every RTP packet at its
 * deadline, while the main thread keeps everything else (SIP, payload production, jitter buffers, DTMF,
 * recording, analysis). The design shared/recipes/rtp-pacing.md found to hold sub-millisecond pacing at
 * 500 and 1000 calls on this machine; the main-thread pacer (pacer-wake.ts) cannot, because there the
 * precise waits compete with receiving, SIP and the payload sources on one thread.
 *
 * How a packet travels. The main thread's Pacer ticks each RtpSender `leadMs` (default 40 ms = two
 * 20 ms frames) before its deadline; the sender builds the packet and calls `sendAt(packet, ..., due)`
 * on this engine's socket pair; packets of one pass go to the worker in one transferred batch
 * (io-batch.ts) with their deadlines converted to the worker's clock; the worker (io-worker.ts) holds
 * them in one min-heap and sends each at its deadline with a precise wake. Received datagrams come back
 * in batches every `flushMs` (2 ms) and are handed to the pair's `onRtp`/`onRtcp` handlers in order.
 *
 * The price of the lookahead: what the payload source decides (a DTMF key, the start or end of a
 * playback, mute) reaches the wire `leadMs` later than on the main-thread engine, and stopping a stream
 * may still let the packets already produced go out. 40 ms keeps that below what a caller or an IVR
 * can notice (an RFC 4733 event is 100 ms or more) while absorbing a main thread that is a few
 * milliseconds late. Received RTP reaches the jitter buffer up to `flushMs` later, well inside its
 * depth.
 *
 * Clocks. Each thread reads its own monotonic clock; the offset between them is measured at start
 * (round trip, the fastest of several) and every deadline is shifted by it. An error in the offset moves
 * every packet by the same amount, so the gaps between packets — what pacing is about — stay exact.
 * The `clock` given must therefore run on real time (RealClock).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { BatchReader, BatchWriter, CHANNEL_RTCP, CHANNEL_RTP } from './io-batch.js';
import type { EngineRequest, EngineSettings, EngineStats, WorkerEvent } from './io-protocol.js';
import { NativeIoThread } from './io-native.js';
import { EngineSocketPair } from './io-socket.js';
import type { RtpSocketPairOptions } from './socket.js';
import { RtpSocketError } from './socket.js';

export type { EngineStats } from './io-protocol.js';

export class RtpIoEngineError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTP_IO_ENGINE');
  }
}

export interface RtpIoEngineOptions {
  /** The main thread's clock: must follow real time (deadlines are converted to the worker's clock). */
  clock: Clock;
  /** Ticks run this long before their deadline (ms). Default 40 (two 20 ms frames). */
  leadMs?: number;
  /** Worker tuning (see EngineSettings). */
  settings?: Partial<EngineSettings>;
  /**
   * Which thread owns the sockets: 'worker' (io-worker.ts, a JavaScript worker thread) or 'native'
   * (io-native.ts, a C++ thread: the cheapest per packet). Default 'worker'.
   */
  thread?: 'worker' | 'native';
}

/** What the engine needs of its I/O thread: the part of `Worker` it uses, which NativeIoThread also has. */
export interface IoThread {
  postMessage(m: EngineRequest, transfer?: ArrayBuffer[]): void;
  on(event: 'message', h: (m: WorkerEvent) => void): unknown;
  on(event: 'error', h: (e: Error) => void): unknown;
  on(event: 'exit', h: (code: number) => void): unknown;
  once(event: 'error', h: (e: Error) => void): unknown;
  once(event: 'exit', h: (code: number) => void): unknown;
  off(event: 'message', h: (m: WorkerEvent) => void): unknown;
  off(event: 'error', h: (e: Error) => void): unknown;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
  /** SCHED_FIFO for the I/O thread alone (native only): 0 or an errno. */
  realtime?(priority: number): number;
}

const DEFAULT_SETTINGS: EngineSettings = {
  flushMs: 2,
  maxPassMs: 1,
  coarseMs: 2,
  spinMs: 0,
  hedgePairs: 0,
  hedgeSpinMs: 0,
  maxBlockMs: 4,
  aheadMs: 0.03,
  holdMs: 1,
  recvBufferSize: 1 << 20,
  sendBufferSize: 1 << 20,
};

/**
 * The native thread spins the last 0.15 ms before a packet when it carries few streams (1 call on the
 * wire: p99 0.12 ms instead of 0.21, measured over 60 s); the worker's spin stays off. Up to 4 pairs (a
 * test phone's call or two) a second thread on another CPU races it for every packet, waking 0.5 ms early
 * (rtp_io.cc, "the hedge"; 1 call p99 0.02-0.11 ms instead of 0.12-0.76): ~2.5 % of a CPU a call.
 */
const NATIVE_SETTINGS: Partial<EngineSettings> = { spinMs: 0.15, hedgePairs: 4, hedgeSpinMs: 0.5 };

/** The worker's entry: compiled JavaScript next to this file, else the TypeScript source through tsx. */
function spawnWorker(settings: EngineSettings): Worker {
  const js = new URL('./io-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: settings });
  const ts = new URL('./io-worker.ts', import.meta.url);
  // Running from source (tsx, vitest): register tsx's loader inside the worker before importing it.
  // require.resolve finds the CommonJS build; its ES module twin sits next to it.
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then(async (m) => { m.register(); await import(${JSON.stringify(ts.href)}); })`;
  return new Worker(code, { eval: true, workerData: settings });
}

interface Pending {
  resolve(value: WorkerEvent): void;
  reject(error: Error): void;
}

export class RtpIoEngine {
  readonly leadMs: number;
  private readonly outgoing = new BatchWriter();
  private readonly incoming = new BatchReader();
  private readonly pairs = new Map<number, EngineSocketPair>();
  private readonly pending = new Map<number, Pending>();
  private nextReq = 1;
  private flushQueued = false;
  private offsetMs = 0;
  private dead: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly clock: Clock,
    private readonly worker: IoThread,
    leadMs: number,
  ) {
    this.leadMs = leadMs;
    worker.on('message', (m: WorkerEvent) => this.onMessage(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new RtpIoEngineError(`The RTP I/O worker exited (code ${code}).`)));
    worker.unref();
  }

  /** Starts the worker and measures the clock offset; resolves when the engine can open sockets. */
  static async start(options: RtpIoEngineOptions): Promise<RtpIoEngine> {
    const leadMs = options.leadMs ?? 40;
    if (!(leadMs >= 0) || !Number.isFinite(leadMs)) throw new RtpIoEngineError(`The lead must be zero or more milliseconds, got ${leadMs}.`);
    const settings = { ...DEFAULT_SETTINGS, ...(options.thread === 'native' ? NATIVE_SETTINGS : {}), ...options.settings };
    const worker: IoThread = options.thread === 'native' ? new NativeIoThread(settings) : spawnWorker(settings);
    worker.ref();
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerEvent): void => {
        if (m.t !== 'ready') return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    const engine = new RtpIoEngine(options.clock, worker, leadMs);
    await engine.syncClocks();
    return engine;
  }

  /**
   * Raises the I/O thread (and its hedge thread) alone to SCHED_FIFO, one above `priority` (at most 99),
   * the main thread's under --realtime: while hedging the I/O thread is kept off one CPU, and a main
   * thread at the same FIFO priority busy on the other (a scavenge, 20-40 ms under FIFO) would hold it
   * back there. Native thread only (a JavaScript worker shares its process's policy). undefined when
   * done, else why not.
   */
  realtime(priority: number): string | undefined {
    if (!this.worker.realtime) return 'the JavaScript worker thread cannot be raised on its own (the native engine\'s thread can)';
    const errno = this.worker.realtime(Math.min(priority + 1, 99));
    if (errno === 0) return undefined;
    return errno === 1 ? 'not permitted (EPERM: needs root, CAP_SYS_NICE or an rtprio limit)' : `refused (errno ${errno})`;
  }

  /** The worker's clock minus ours (ms), as measured at start. */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /** Binds an RTP/RTCP pair in the worker (even RTP port, RTCP = RTP + 1, RFC 3550 §11). */
  async open(opts: RtpSocketPairOptions = {}): Promise<EngineSocketPair> {
    const address = opts.address ?? '0.0.0.0';
    if (opts.port !== undefined && opts.port !== 0 && opts.port % 2 !== 0) {
      throw new RtpSocketError(`RTP port ${opts.port} is odd; RFC 3550 §11 wants an even port.`);
    }
    const { min, max } = opts.portRange ?? { min: 16384, max: 32767 };
    if (opts.port === undefined && Math.floor((max - 1 - min) / 2) + 1 <= 0) {
      throw new RtpSocketError(`The RTP port range ${min}-${max} holds no even/odd pair.`);
    }
    const reply = await this.request((req) => ({
      t: 'open',
      req,
      address,
      port: opts.port,
      portRange: { min, max },
      attempts: opts.attempts ?? 50,
      rtcpMux: opts.rtcpMux ?? false,
      random: (opts.random ?? Math.random)(),
    }));
    if (reply.t === 'failed') throw new RtpSocketError(reply.message);
    if (reply.t !== 'opened') throw new RtpIoEngineError(`The RTP I/O worker answered ${reply.t} to open.`);
    const pair = new EngineSocketPair(reply.socket, address, reply.rtpPort, reply.rtcpPort, this.leadMs, {
      send: (channel, datagram, addr, port, due) => this.enqueue(reply.socket, channel, datagram, addr, port, due),
      close: () => this.closePair(reply.socket),
    });
    this.pairs.set(reply.socket, pair);
    this.worker.ref();
    return pair;
  }

  /** The worker's counters (packets sent late on its clock, received, queued). */
  async stats(): Promise<EngineStats> {
    const reply = await this.request((req) => ({ t: 'stats', req }));
    if (reply.t !== 'stats') throw new RtpIoEngineError(`The RTP I/O worker answered ${reply.t} to stats.`);
    return reply.stats;
  }

  /** Closes every socket and stops the worker. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.flush();
      if (!this.dead) {
        this.worker.ref();
        const down = new Promise<void>((resolve) => {
          const h = (m: WorkerEvent): void => {
            if (m.t === 'down') resolve();
          };
          this.worker.on('message', h);
          this.worker.once('exit', () => resolve());
        });
        this.post({ t: 'shutdown' });
        await down;
        await this.worker.terminate();
      }
      for (const p of this.pairs.values()) p.markClosed();
      this.pairs.clear();
    })();
    return this.closing;
  }

  private enqueue(socket: number, channel: 0 | 1, datagram: Uint8Array, address: string, port: number, due: number | undefined): void {
    if (this.dead || this.closing) return;
    this.outgoing.add(socket, channel, address, port, due === undefined ? NaN : due + this.offsetMs, datagram);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush()); // one batch per pass of the pacer
    }
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.outgoing.take();
    if (batch && !this.dead) this.post({ t: 'send', batch }, [batch]);
  }

  private async closePair(socket: number): Promise<void> {
    if (!this.pairs.delete(socket)) return;
    this.flush();
    if (!this.dead && !this.closing) await this.request((req) => ({ t: 'close', req, socket }));
    if (this.pairs.size === 0 && this.pending.size === 0) this.worker.unref();
  }

  /** Round trips with the worker; the fastest gives the offset between the two clocks. */
  private async syncClocks(rounds = 5): Promise<void> {
    let best = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t0 = this.clock.now();
      const reply = await this.request((id) => ({ t: 'sync', id }));
      const t1 = this.clock.now();
      if (reply.t === 'sync' && t1 - t0 < best) {
        best = t1 - t0;
        this.offsetMs = reply.workerNow - (t0 + t1) / 2;
      }
    }
  }

  private request(build: (req: number) => EngineRequest): Promise<WorkerEvent> {
    if (this.dead) return Promise.reject(this.dead);
    const req = this.nextReq++;
    this.worker.ref();
    return new Promise<WorkerEvent>((resolve, reject) => {
      this.pending.set(req, { resolve, reject });
      this.flush(); // packets queued before a request go first
      this.post(build(req));
    }).finally(() => {
      if (this.pairs.size === 0 && this.pending.size === 0 && !this.closing) this.worker.unref();
    });
  }

  private post(m: EngineRequest, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(m, transfer);
  }

  private onMessage(m: WorkerEvent): void {
    switch (m.t) {
      case 'recv':
        this.incoming.read(m.batch, (r) => {
          const pair = this.pairs.get(r.socket);
          if (!pair) return;
          if (r.channel === CHANNEL_RTCP) pair.deliverRtcp(r.datagram, { address: r.address, port: r.port });
          else if (r.channel === CHANNEL_RTP) pair.deliverRtp(r.datagram, { address: r.address, port: r.port });
        });
        break;
      case 'error':
        this.pairs.get(m.socket)?.deliverError(Object.assign(new Error(m.message), { code: m.code }));
        break;
      case 'sync':
      case 'opened':
      case 'failed':
      case 'closed':
      case 'stats': {
        const id = m.t === 'sync' ? m.id : m.req;
        const p = this.pending.get(id);
        this.pending.delete(id);
        p?.resolve(m);
        break;
      }
      default:
        break;
    }
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    if (!this.closing) for (const pair of this.pairs.values()) pair.deliverError(error);
  }
}
