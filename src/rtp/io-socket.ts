/**
 * An RTP/RTCP socket pair that lives in the native I/O thread (io-engine.ts), seen from the main thread
 * with the same surface as RtpSocketPair (socket.ts), so a MediaSession takes either.
 *
 * Its `rtpSendSocket` has `sendAt` and `leadMs`: an RtpSender on it asks the pacer to tick `leadMs`
 * ahead and passes each packet's deadline, which the thread keeps. `send`/`sendRtcp` (RTCP, anything
 * without a deadline) go out as soon as the thread reads them.
 *
 * SRTP: `useSrtp` hands the thread the session keys; from then on the thread protects what goes out and
 * unprotects what comes in, so the main thread sends and receives plain RTP (call-srtp.ts).
 */
import { RtpPairEvents } from './socket.js';
import type { RemoteAddress } from './receiver.js';
import type { RtpSendSocket } from './sender.js';
import { CHANNEL_RTCP, CHANNEL_RTP } from './io-batch.js';
import type { AddonPcapFile, NativeSrtpCounters } from './io-native.js';
import type { EngineSrtpConfig } from './srtp/engine-keys.js';

/** What the pair needs from its engine. */
export interface EngineLink {
  send(channel: 0 | 1, datagram: Uint8Array, address: string, port: number, due: number | undefined): void;
  /** Resolves once the engine's clock has passed `at` (ms). */
  waitUntil(at: number): Promise<void>;
  close(): Promise<void>;
  srtp(config: EngineSrtpConfig): void;
  srtpStats(): NativeSrtpCounters | undefined;
  capture(file: AddonPcapFile | null, address: string): void;
}

export class EngineSocketPair extends RtpPairEvents {
  private closed = false;
  /** The close under way: a second close() resolves with the first (a capture waits for the last packets). */
  private closing: Promise<void> | undefined;
  /** The latest deadline handed to the thread: close() lets it pass first. */
  private lastDue: number | undefined;
  /** Keys were handed to the thread: only what it unprotected is delivered from then on. */
  private srtpKeyed = false;
  /** The SRTP counters as they were when the pair closed. */
  private srtpFinal: NativeSrtpCounters | undefined;
  /** Datagrams read before the thread had the keys (still SRTP): dropped here. */
  srtpBeforeKeys = 0;
  readonly rtpSendSocket: RtpSendSocket;

  constructor(
    /** The engine's number for this pair. */
    readonly id: number,
    readonly address: string,
    readonly rtpPort: number,
    /** The RTCP port (the RTP port when multiplexed, RFC 5761). */
    readonly rtcpPort: number,
    readonly leadMs: number,
    private readonly link: EngineLink,
  ) {
    super();
    this.rtpSendSocket = {
      leadMs,
      send: (packet, port, addr) => this.send(packet, addr, port),
      sendAt: (packet, port, addr, due) => {
        if (this.closed) return;
        if (this.lastDue === undefined || due > this.lastDue) this.lastDue = due;
        link.send(CHANNEL_RTP, packet, addr, port, due);
      },
    };
  }

  send(datagram: Buffer, address: string, port: number): void {
    if (!this.closed) this.link.send(CHANNEL_RTP, datagram, address, port, undefined);
  }

  sendRtcp(datagram: Buffer, address: string, port: number): void {
    if (!this.closed) this.link.send(CHANNEL_RTCP, datagram, address, port, undefined);
  }

  /** The thread writes this pair's datagrams into `file` from now on (null: stops); `address` is our end. */
  captureNative(file: AddonPcapFile | null, address: string): void {
    if (!this.closed) this.link.capture(file, address);
  }

  /**
   * Closes the pair once what was produced has gone out: the thread drops what is still queued when its
   * pair closes, while the call's figures (and RTCP) count every produced packet as sent. So a hang-up
   * waits up to `leadMs` for the last frames' deadlines. `dropQueued`: close at once, what is queued unsent.
   */
  close(o: { dropQueued?: boolean } = {}): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.closing = (async () => {
      if (this.lastDue !== undefined && !o.dropQueued) await this.link.waitUntil(this.lastDue);
      await this.link.close();
    })();
    return this.closing;
  }

  /**
   * SRTP on the I/O thread from now on (first keys, or new ones on a re-INVITE): what is sent after this
   * call is protected there, what it receives is authenticated and decrypted there.
   */
  useSrtp(config: EngineSrtpConfig): void {
    if (this.closed) return;
    this.srtpKeyed = true;
    this.link.srtp(config);
  }

  /** The thread's SRTP counters for this pair (undefined before the first keys). */
  srtpCounters(): NativeSrtpCounters | undefined {
    return this.srtpFinal ?? this.link.srtpStats();
  }

  /** The engine keeps the last counters when the pair closes (the thread lets go of them). */
  keepSrtpCounters(final: NativeSrtpCounters | undefined): void {
    if (final) this.srtpFinal = final;
  }

  /**
   * Called by the engine for each received datagram (in arrival order), `atMs` when the thread read it
   * (our clock). `unprotected`: the thread's SRTP session decrypted it. Once keyed, a datagram that was not is one read before the keys reached the
   * thread: still encrypted, so it is dropped (the JavaScript SRTP drops those too, uncounted).
   */
  deliverRtp(datagram: Buffer, from: RemoteAddress, atMs?: number, unprotected = false): void {
    if (this.closed) return;
    if (this.srtpKeyed && !unprotected) {
      this.srtpBeforeKeys++;
      return;
    }
    this.rtpHandler?.(datagram, from, atMs);
  }

  deliverRtcp(datagram: Buffer, from: RemoteAddress, atMs?: number, unprotected = false): void {
    if (this.closed) return;
    if (this.srtpKeyed && !unprotected) {
      this.srtpBeforeKeys++;
      return;
    }
    this.rtcpHandler?.(datagram, from, atMs);
  }

  /** A send error reported by the thread (onError); the pair stays usable. */
  deliverError(error: Error): void {
    this.errorHandler?.(error);
  }

  /** The engine shut down. */
  markClosed(): void {
    this.closed = true;
  }
}
