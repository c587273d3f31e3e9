/**
 * The native RTP I/O thread (native/, a C++ addon), typed: it binds RTP/RTCP socket pairs, takes
 * batches of packets with their deadlines (io-batch.ts) and sends each one at its deadline, and hands
 * back what the sockets receive in batches. io-engine.ts builds the RTP engine on it; this file only
 * speaks to the addon.
 *
 * The addon is built by `npm install` (scripts/build-native.mjs, node-gyp). Where it is missing the
 * thread is not available: `nativeRtpIoUnavailable()` says why in one line, and the phone paces RTP on
 * its main thread instead (rtp-transport.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bindFromRange } from './socket.js';
import type { EngineSrtpConfig } from './srtp/engine-keys.js';

/** Tuning of the thread, fixed when it starts. */
export interface NativeIoSettings {
  /** Received datagrams wait at most this long before going to JavaScript in one batch (ms). */
  flushMs: number;
  /** With few streams, the thread wakes this long before a deadline and spins to it (ms). */
  spinMs: number;
  /** While the thread carries 1 to this many socket pairs, a second thread races it for every packet (the hedge); 0: off. */
  hedgePairs: number;
  /** The hedge thread's spin before a deadline (ms). */
  hedgeSpinMs: number;
  /** SO_RCVBUF / SO_SNDBUF of each socket (bytes). */
  recvBufferSize: number;
  sendBufferSize: number;
}

/** The thread's counters since it started. */
export interface NativeIoStats {
  /** Packets sent at (or after) their deadline. */
  delivered: number;
  /** Packets sent more than 1 ms after their deadline (the thread's clock). */
  late: number;
  maxLateMs: number;
  /** Packets that reached the thread after their deadline (produced late by the main thread). */
  arrivedLate: number;
  /** Datagrams received by the thread's sockets. */
  received: number;
  /** Packets waiting for their deadline. */
  queued: number;
  /** Socket pairs open. */
  sockets: number;
  /** Packets the hedge thread sent (it reached their deadline first). */
  hedged: number;
}

export interface OpenPairRequest {
  address: string;
  /** An exact port (0: any, RTCP then on any port too); else one from portRange. */
  port: number | undefined;
  portRange: { min: number; max: number };
  attempts: number;
  rtcpMux: boolean;
  /** Uniform [0, 1): where in the range to start looking. */
  random: number;
}

export interface OpenedPair {
  /** The thread's number for the pair (in batches and events). */
  id: number;
  rtpPort: number;
  /** The RTCP port (the RTP port when multiplexed). */
  rtcpPort: number;
}

export interface NativeIoHandlers {
  /** A batch of received datagrams (io-batch.ts), in arrival order. */
  received(batch: ArrayBuffer): void;
  /** A send error of pair `id`, once per pair and kind of error. */
  error(id: number, error: NodeJS.ErrnoException): void;
}

/** Received datagrams dropped by the native SRTP session, by reason (src/rtp/srtp/policy.ts's names, camel-cased). */
export interface NativeSrtpKindCounters {
  ok: number;
  tooShort: number;
  malformed: number;
  mki: number;
  auth: number;
  replay: number;
  tooOld: number;
  streams: number;
}

/** One pair's SRTP counters on the native thread. */
export interface NativeSrtpCounters {
  rtpProtected: number;
  rtcpProtected: number;
  /** Outgoing datagrams that could not be protected (not RTP/RTCP, or the index ran out): not sent. */
  protectErrors: number;
  /** Keys set after the first. */
  rekeys: number;
  rtp: NativeSrtpKindCounters;
  rtcp: NativeSrtpKindCounters;
}

/** The native SRTP session without sockets (the code the thread runs), for tests: see binding.cc. */
export interface NativeSrtpContext {
  configure(config: EngineSrtpConfig): void;
  /** A new protected buffer, or null when it cannot be protected. */
  protectRtp(packet: Buffer): Buffer | null;
  protectRtcp(packet: Buffer): Buffer | null;
  /** The plain packet (a new buffer), or null when dropped (counted in stats()). */
  unprotectRtp(packet: Buffer): Buffer | null;
  unprotectRtcp(packet: Buffer): Buffer | null;
  stats(): NativeSrtpCounters;
  rolloverCounter(ssrc: number, sending: boolean): number;
  /** Protects and unprotects `packet` `count` times in C++ (sequence 0, 1, …): the bench's timing loop. Both directions must share one key. */
  loop(packet: Buffer, count: number): number;
}

/** What native/binding.cc exports. */
interface RtpIoAddon {
  IoThread: new (settings: NativeIoSettings, onEvent: AddonEventHandler) => AddonIoThread;
  SrtpContext: new (config: EngineSrtpConfig) => NativeSrtpContext;
  PcapFile: new (path: string, options: NativePcapOptions) => AddonPcapFile;
  /** CLOCK_MONOTONIC in ms: the clock of the deadlines. */
  now(): number;
}
type AddonEventHandler = (kind: 'recv' | 'closed' | 'error', payload: ArrayBuffer | number, message?: string, code?: string) => void;
interface AddonIoThread {
  bind(address: string, port: number, rtcpMux: boolean): [id: number, rtpPort: number, rtcpPort: number];
  send(batch: ArrayBuffer): void;
  close(id: number): void;
  capture(id: number, file: AddonPcapFile | null, address: string, rtpPort: number, rtcpPort: number): void;
  stats(): NativeIoStats;
  srtp(id: number, config: EngineSrtpConfig): void;
  srtpStats(id: number): NativeSrtpCounters | null;
  srtpForget(id: number): void;
  realtime(priority: number): number;
  ref(on: boolean): void;
  stop(): void;
}

/** A pcap file written by the addon (native/pcap-sink.h): native-pcap.ts is its face. */
export interface NativePcapOptions {
  /** Bytes not yet on disk beyond which records are dropped and counted. */
  maxQueuedBytes: number;
  /** A record waits at most about this long before the disk thread writes it (ms). */
  flushMs: number;
  snaplen: number;
}
export interface NativePcapStats {
  /** Records accepted (on disk or queued). */
  records: number;
  /** Records dropped because the disk was behind by maxQueuedBytes. */
  dropped: number;
  /** Bytes on disk, header included. */
  written: number;
  /** Bytes accepted and not yet on disk. */
  buffered: number;
  /** The write error that stopped the capture, '' if none. */
  error: string;
}
export interface AddonPcapFile {
  /** One whole Ethernet frame at `wallMs` (ms since the epoch). */
  write(wallMs: number, frame: Uint8Array): void;
  /** Resolves once everything added so far is on disk (written on a libuv pool thread). */
  flush(): Promise<void>;
  /** Writes the rest and closes the file (a pool thread); later records are ignored. */
  close(): Promise<void>;
  /** The same, before returning: the process is exiting. */
  finishSync(): void;
  stats(): NativePcapStats;
}

/** Opens a pcap file in the addon; throws when the addon is not available or the file cannot be created. */
export function openNativePcap(path: string, options: NativePcapOptions): AddonPcapFile {
  const addon = load();
  if (addon instanceof Error) throw addon;
  return new addon.PcapFile(path, options);
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

/** undefined when the native thread can run here, else why not (one line). */
export function nativeRtpIoUnavailable(): string | undefined {
  const a = load();
  return a instanceof Error ? a.message : undefined;
}

/** The native SRTP session on this thread, for tests; throws when the addon is not available. */
export function nativeSrtpContext(config: EngineSrtpConfig): NativeSrtpContext {
  const addon = load();
  if (addon instanceof Error) throw addon;
  return new addon.SrtpContext(config);
}

export class NativeIoThread {
  private stopped = false;
  /** Pairs open, and closes waiting for the thread to have closed the sockets: both keep Node running. */
  private readonly open = new Set<number>();
  private readonly closing = new Map<number, () => void>();
  /** A threadsafe function starts out keeping Node running. */
  private refed = true;

  private constructor(
    private readonly addon: RtpIoAddon,
    private readonly thread: AddonIoThread,
  ) {}

  /** Starts a thread; throws when the addon is not available (see nativeRtpIoUnavailable). */
  static start(settings: NativeIoSettings, handlers: NativeIoHandlers): NativeIoThread {
    const addon = load();
    if (addon instanceof Error) throw addon;
    let self: NativeIoThread | undefined;
    const thread = new addon.IoThread(settings, (kind, payload, message, code) => {
      if (kind === 'recv') handlers.received(payload as ArrayBuffer);
      else if (kind === 'closed') self?.closed(payload as number);
      else handlers.error(payload as number, Object.assign(new Error(message ?? ''), { code: code ?? '' }));
    });
    self = new NativeIoThread(addon, thread);
    self.updateRef();
    return self;
  }

  /** The thread's clock (ms). */
  now(): number {
    return this.addon.now();
  }

  /** Binds RTP on an even port and RTCP on the next (RFC 3550 §11), from a range with retries as socket.ts does. */
  async openPair(r: OpenPairRequest): Promise<OpenedPair> {
    if (this.stopped) throw new Error('The native RTP I/O thread has stopped.');
    const bind = (port: number): OpenedPair => {
      const [id, rtpPort, rtcpPort] = this.thread.bind(r.address, port, r.rtcpMux);
      return { id, rtpPort, rtcpPort };
    };
    const pair = r.port !== undefined ? bind(r.port) : await bindFromRange(r.portRange, r.attempts, r.random, r.address, bind);
    this.open.add(pair.id);
    this.updateRef();
    return pair;
  }

  /** Packets for the thread (io-batch.ts); each leaves at its deadline, or at once when it has none. */
  send(batch: ArrayBuffer): void {
    if (!this.stopped) this.thread.send(batch);
  }

  /** Closes a pair after everything sent before; resolves when its ports are free. */
  closePair(id: number): Promise<void> {
    if (this.stopped || !this.open.delete(id)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.closing.set(id, resolve);
      this.thread.close(id);
      this.updateRef();
    });
  }

  /**
   * From now on the thread also writes every datagram pair `id` sends (at its send time) or receives (as
   * it reads it) into `file`, with `address`:rtpPort / rtcpPort as the local end; null stops it.
   */
  capture(id: number, file: AddonPcapFile | null, address: string, rtpPort: number, rtcpPort: number): void {
    if (!this.stopped && this.open.has(id)) this.thread.capture(id, file, address, rtpPort, rtcpPort);
  }

  stats(): NativeIoStats {
    return this.thread.stats();
  }

  /** SRTP for pair `id` from now on (first keys or a rekey): applied after what was sent before. */
  srtp(id: number, config: EngineSrtpConfig): void {
    if (!this.stopped) this.thread.srtp(id, config);
  }

  /** The pair's SRTP counters (undefined when it never had keys); still there after it closed, until srtpForget. */
  srtpStats(id: number): NativeSrtpCounters | undefined {
    return this.thread.srtpStats(id) ?? undefined;
  }

  srtpForget(id: number): void {
    this.thread.srtpForget(id);
  }

  /** SCHED_FIFO at `priority` for the I/O thread and its hedge thread alone: 0 or the errno of the refusal. */
  realtime(priority: number): number {
    return this.stopped ? 22 : this.thread.realtime(priority);
  }

  /**
   * Flushes what was received, closes every socket and joins the thread. Resolves once the last batch
   * received has been handed to `received` (it is already queued for this thread).
   */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.thread.stop();
    for (const resolve of this.closing.values()) resolve();
    this.closing.clear();
    this.open.clear();
    return new Promise((resolve) => setImmediate(resolve));
  }

  private closed(id: number): void {
    this.closing.get(id)?.();
    this.closing.delete(id);
    this.updateRef();
  }

  private updateRef(): void {
    const want = this.open.size > 0 || this.closing.size > 0;
    if (want === this.refed || this.stopped) return;
    this.refed = want;
    this.thread.ref(want);
  }
}
