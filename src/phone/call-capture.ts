/**
 * `pcap`: one call's packets written by the phone itself (no root, no tcpdump). Two taps feed one
 * PacketCapture: the SIP trace (every message the transports sent or read, with both addresses), kept
 * when its Call-ID is the call's; and the call's RTP/RTCP socket pair, wrapped so each datagram sent or
 * received is written once, between the real addresses and ports, at the time it went or came.
 *
 * With the native RTP engine (`native`), the file is the addon's (NativePcapFile): the I/O thread writes
 * the call's datagrams itself, as it sends and reads them, and only the SIP frames are built here; a
 * socket that cannot be captured there (JavaScript SRTP above the engine) is wrapped as below, into the
 * same file. Otherwise PcapWriter, and every datagram is framed here.
 *
 * The file opens at the first packet that belongs to the call, so a `{callid}` in its name can be
 * filled in; messages the phone saw before the call object existed (an incoming INVITE) come from the
 * phone's short trace history (TraceHistory).
 */
import type { Clock } from '../util/clock.js';
import type { TraceEvent } from '../sip/transport/transport.js';
import type { DatagramHandler } from '../rtp/socket.js';
import type { RtpSendSocket } from '../rtp/sender.js';
import { PacketCapture, type Endpoint } from '../capture/packet-capture.js';
import { PcapWriter, fileSink } from '../capture/pcap-writer.js';
import { NativePcapFile } from '../rtp/native-pcap.js';
import type { MediaSocket } from './media-types.js';

/** The Call-ID header's value in a SIP message's header section (full or compact name). */
export function traceCallId(bytes: Buffer): string | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, end < 0 ? bytes.length : end).toString('latin1');
  const m = /(?:^|\r?\n)(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(head);
  return m ? m[1]!.trim() : undefined;
}

/** `{n}` → call number, `{callid}` → the Call-ID (file-name safe): one file per call (--record, --pcap). */
export function fileNameFor(template: string, n: number, callId: string): string {
  return template.replace(/\{n\}/g, String(n)).replace(/\{call-?id\}/gi, callId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

export interface CallCaptureOptions {
  clock: Clock;
  /** The file, from the Call-ID (known once the first message is sent or received). */
  path: (callId: string) => string;
  /** The call's Call-ID, or '' while it is not known yet. */
  callId: () => string;
  /** Our media address, for a socket bound to a wildcard. */
  mediaAddress: string;
  /** A write error: the capture stops, the call goes on. */
  warn?: (line: string) => void;
  /** The call's media is in the native RTP engine: the addon writes the file and records the datagrams. */
  native?: boolean;
}

/** What CallCapture writes into and closes: either kind of file. */
type CaptureFile = PcapWriter | NativePcapFile;

export class CallCapture {
  private writer: CaptureFile | undefined;
  /** Native pairs waiting for the file to open: the I/O thread records them from then on. */
  private readonly nativePairs: Array<{ socket: MediaSocket; address: string }> = [];
  private capture: PacketCapture | undefined;
  private closed = false;
  private failed = false;
  private opened: string | undefined;

  constructor(private readonly o: CallCaptureOptions) {}

  /** One SIP message from the trace: written when it is this call's. */
  sip(e: TraceEvent): void {
    const id = this.o.callId();
    if (id === '' || traceCallId(e.bytes) !== id) return;
    const cap = this.open();
    if (!cap) return;
    if (e.protocol === 'udp') {
      if (e.direction === 'out') cap.udp(e.timestamp, e.local, e.remote, e.bytes);
      else cap.udp(e.timestamp, e.remote, e.local, e.bytes);
    } else {
      // TCP and TLS: the bytes as written and read, on a synthesized TCP connection (TLS as its plaintext).
      cap.tcpData(e.timestamp, e.local, e.remote, e.direction === 'out' ? 'local' : 'remote', e.bytes);
    }
  }

  /** The call's socket pair, with every datagram in and out also written to the capture. */
  wrapSocket(inner: MediaSocket): MediaSocket {
    const address = isWildcard(inner.address) ? this.o.mediaAddress : inner.address;
    if (this.o.native && inner.captureNative) {
      // The I/O thread records this pair into the file (at once when it is open, else when it opens).
      this.nativePairs.push({ socket: inner, address });
      if (this.writer instanceof NativePcapFile) inner.captureNative(this.writer.handle, address);
      else if (this.o.callId() !== '') this.open();
      return inner;
    }
    const rtp: Endpoint = { address, port: inner.rtpPort };
    const rtcpPort = (inner as { rtcpPort?: number }).rtcpPort ?? inner.rtpPort + 1;
    const rtcp: Endpoint = { address, port: rtcpPort };
    const clock = this.o.clock;
    let rtpHandler: DatagramHandler | undefined;
    let rtcpHandler: DatagramHandler | undefined;
    // A packet's time in the file is its arrival when the transport measured it, not when we got to it.
    const arrival = (atMs: number | undefined): number => clock.wallNow() - (atMs === undefined ? 0 : Math.max(0, clock.now() - atMs));
    inner.onRtp((d, from, atMs) => {
      this.udp(arrival(atMs), { address: from.address, port: from.port }, rtp, d);
      rtpHandler?.(d, from, atMs);
    });
    inner.onRtcp((d, from, atMs) => {
      this.udp(arrival(atMs), { address: from.address, port: from.port }, rtcp, d);
      rtcpHandler?.(d, from, atMs);
    });
    const send = inner.rtpSendSocket;
    const rtpSendSocket: RtpSendSocket = {
      send: (packet, port, to) => {
        this.udp(clock.wallNow(), rtp, { address: to, port }, packet);
        send.send(packet, port, to);
      },
      ...(send.leadMs !== undefined ? { leadMs: send.leadMs } : {}),
      ...(send.sendAt ? {
        // The engine sends it at its deadline (the pacer's clock, the same injected clock): that instant is its time.
        sendAt: (packet: Buffer, port: number, to: string, due: number) => {
          this.udp(clock.wallNow() + Math.max(0, due - clock.now()), rtp, { address: to, port }, packet);
          send.sendAt!(packet, port, to, due);
        },
      } : {}),
    };
    const wrapped: MediaSocket = {
      address: inner.address,
      rtpPort: inner.rtpPort,
      rtpSendSocket,
      onRtp: (h) => { rtpHandler = h; },
      onRtcp: (h) => { rtcpHandler = h; },
      close: () => inner.close(),
    };
    if (inner.sendRtcp) {
      wrapped.sendRtcp = (d, to, port) => {
        this.udp(clock.wallNow(), rtcp, { address: to, port }, d);
        inner.sendRtcp!(d, to, port);
      };
    }
    return wrapped;
  }

  /** The file written (once the first packet opened it); undefined before, or when it could not be opened. */
  get file(): string | undefined {
    return this.opened;
  }

  /** Resolves once what was flushed so far is on disk (a simulation running faster than real time waits on it). */
  whenWritten(): Promise<void> {
    return this.writer?.whenWritten() ?? Promise.resolve();
  }

  /**
   * Writes what is buffered and closes the file: resolves once it is all on disk (the CLI exits right
   * after the phone closes, and the phone awaits this).
   */
  async close(): Promise<void> {
    this.closed = true;
    const writer = this.writer;
    if (!writer) return;
    // The call closed its pair when it ended; the pair sends what was produced until the last deadline
    // (the engine's lead) and the I/O thread records it: the file stays open until then (close is idempotent).
    if (writer instanceof NativePcapFile) await Promise.all(this.nativePairs.map((p) => p.socket.close()));
    await writer.close();
    // The native file reports a write error here (PcapWriter did through onError, as it happened).
    const error = writer instanceof NativePcapFile ? writer.error : undefined;
    if (error) this.fail(error);
    // The disk fell behind by the writer's bound: said once, with the count, as tcpdump reports its drops.
    if (writer.dropped > 0 && !this.failed) {
      this.o.warn?.(`pcap: ${writer.dropped} packets not written (the disk did not keep up)`);
    }
  }

  private udp(wallMs: number, from: Endpoint, to: Endpoint, payload: Buffer): void {
    // RTP before the Call-ID is known cannot happen (the INVITE goes first); a stray one waits for nothing.
    if (this.o.callId() === '') return;
    this.open()?.udp(wallMs, from, to, payload);
  }

  private open(): PacketCapture | undefined {
    if (this.closed || this.failed) return undefined;
    if (this.capture) return this.capture;
    const path = this.o.path(this.o.callId());
    try {
      // Writes are asynchronous: an error (disk full) arrives later, once (PcapWriter: through onError).
      this.writer = this.o.native ? NativePcapFile.open(path) : new PcapWriter(fileSink(path), { clock: this.o.clock, onError: (e) => this.fail(e) });
      this.opened = path;
    } catch (e) {
      this.fail(e as Error);
      return undefined;
    }
    this.capture = new PacketCapture(this.writer);
    const file = this.writer;
    if (file instanceof NativePcapFile) for (const p of this.nativePairs) p.socket.captureNative!(file.handle, p.address);
    return this.capture;
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.o.warn?.(`pcap: ${e.message}; the call goes on without a capture`);
  }
}
