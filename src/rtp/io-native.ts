/**
 * The native RTP I/O thread (native/rtp_io.cc) behind the worker's face: it takes the requests of
 * io-protocol.ts and answers with its events, so io-engine.ts drives it exactly as it drives the
 * JavaScript worker (io-worker.ts). Only the sockets and the send timing move to C++; the main thread
 * still builds every packet and handles everything received.
 *
 * The addon is built by `npm install` (scripts/build-native.mjs, node-gyp). When it is missing, the
 * engine is simply not available: `nativeRtpIoAvailable()` says why, and the phone keeps the other
 * engines.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bindFromRange } from './socket.js';
import type { EngineRequest, EngineSettings, OpenRequest, WorkerEvent } from './io-protocol.js';

/** The addon's functions (see rtp_io.cc). */
interface RtpIoAddon {
  create(settings: Partial<EngineSettings>, onEvent: (kind: string, a: unknown, b?: string, c?: string) => void): object;
  now(): number;
  bind(handle: object, address: string, port: number, rtcpMux: boolean): [number, number, number];
  send(handle: object, batch: ArrayBuffer): void;
  close(handle: object, id: number): void;
  stats(handle: object): { delivered: number; late: number; maxLateMs: number; arrivedLate: number; received: number; queued: number; sockets: number; hedged: number };
  realtime(handle: object, priority: number): number;
  ref(handle: object, on: boolean): void;
  stop(handle: object): void;
}

/** Where node-gyp puts the addon; the same path from src/rtp (tsx) and dist/rtp (compiled). */
const ADDON = fileURLToPath(new URL('../../src/rtp/native/build/Release/umphone_rtp_io.node', import.meta.url));

let loaded: RtpIoAddon | Error | undefined;

function load(): RtpIoAddon | Error {
  if (loaded) return loaded;
  if (!existsSync(ADDON)) {
    loaded = new Error(`the native RTP I/O addon is not built (${ADDON} is missing: run npm install, which needs g++ and make)`);
    return loaded;
  }
  try {
    loaded = createRequire(import.meta.url)(ADDON) as RtpIoAddon;
  } catch (e) {
    loaded = new Error(`the native RTP I/O addon does not load: ${(e as Error).message}`);
  }
  return loaded;
}

/** undefined when the native engine can run here, else why not (one line). */
export function nativeRtpIoUnavailable(): string | undefined {
  const a = load();
  return a instanceof Error ? a.message : undefined;
}

/** The thread, with the surface of a `Worker` that io-engine.ts uses. */
export class NativeIoThread extends EventEmitter {
  private readonly addon: RtpIoAddon;
  private readonly handle: object;
  private stopped = false;
  /** Pair id → the close request waiting for the thread to have closed its sockets. */
  private readonly closing = new Map<number, number>();

  constructor(settings: EngineSettings) {
    super();
    const a = load();
    if (a instanceof Error) throw a;
    this.addon = a;
    this.handle = a.create(settings, (kind, x, message, code) => {
      if (kind === 'recv') this.emitEvent({ t: 'recv', batch: x as ArrayBuffer });
      else if (kind === 'closed') this.closedPair(x as number);
      else if (kind === 'error') this.emitEvent({ t: 'error', socket: x as number, message: message ?? '', code: code ?? '' });
    });
    queueMicrotask(() => this.emitEvent({ t: 'ready' }));
  }

  /** SCHED_FIFO at `priority` for the I/O thread alone; 0 or the errno of the refusal. */
  realtime(priority: number): number {
    return this.stopped ? 22 : this.addon.realtime(this.handle, priority);
  }

  postMessage(m: EngineRequest): void {
    if (this.stopped) return;
    switch (m.t) {
      case 'send':
        this.addon.send(this.handle, m.batch);
        break;
      case 'sync':
        this.later({ t: 'sync', id: m.id, workerNow: this.addon.now() });
        break;
      case 'open':
        void this.open(m).then((e) => this.emitEvent(e));
        break;
      case 'close':
        this.closing.set(m.socket, m.req);
        this.addon.close(this.handle, m.socket);
        break;
      case 'stats': {
        const s = this.addon.stats(this.handle);
        this.later({ t: 'stats', req: m.req, stats: s });
        break;
      }
      case 'shutdown':
        this.stopped = true;
        this.addon.stop(this.handle); // flushes what was received, closes the sockets, joins the thread
        for (const socket of [...this.closing.keys()]) this.closedPair(socket);
        // The last received batch is already queued for this thread: 'down' after it.
        setImmediate(() => this.emitEvent({ t: 'down' }));
        break;
    }
  }

  ref(): void {
    if (!this.stopped) this.addon.ref(this.handle, true);
  }

  unref(): void {
    if (!this.stopped) this.addon.ref(this.handle, false);
  }

  async terminate(): Promise<number> {
    if (!this.stopped) this.postMessage({ t: 'shutdown' });
    return 0;
  }

  /** RTP on an even port, RTCP on the next (RFC 3550 §11), from a range with retries: as socket.ts does. */
  private async open(r: OpenRequest): Promise<WorkerEvent> {
    const bind = (p: number): WorkerEvent => {
      const [socket, rtpPort, rtcpPort] = this.addon.bind(this.handle, r.address, p, r.rtcpMux);
      return { t: 'opened', req: r.req, socket, rtpPort, rtcpPort };
    };
    try {
      return r.port !== undefined ? bind(r.port) : await bindFromRange(r.portRange, r.attempts, r.random, r.address, bind);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { t: 'failed', req: r.req, message: err.message, code: err.code ?? '' };
    }
  }

  private closedPair(socket: number): void {
    const req = this.closing.get(socket);
    this.closing.delete(socket);
    if (req !== undefined) this.emitEvent({ t: 'closed', req });
  }

  private later(m: WorkerEvent): void {
    queueMicrotask(() => this.emitEvent(m));
  }

  private emitEvent(m: WorkerEvent): void {
    this.emit('message', m);
  }
}
