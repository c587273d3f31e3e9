/**
 * A TCP connection synthesized from what the application saw: the SIP stack knows the bytes it wrote and
 * read on a stream, not the segments the kernel exchanged. This makes segments a reader like Wireshark
 * reassembles as if captured: a three-way handshake at first sight (RFC 9293 §3.5), sequence numbers that
 * advance by the bytes each side sent, every segment acknowledging all the other side sent so far, data
 * cut into segments of at most the MSS, and FIN/FIN/ACK at close. Pure: sides and bytes in, segments out.
 *
 * Our choices where a real stack would decide: no window scaling and a constant 65535-byte window; a pure
 * ACK from the receiver once half a window is unacknowledged (a capture without it shows "window full");
 * data after close opens a new connection on the same ports with fresh initial sequence numbers.
 */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, type TcpSegment } from './ip-frames.js';

export type TcpSide = 'local' | 'remote';

export interface SideSegment {
  from: TcpSide;
  segment: TcpSegment;
}

export interface TcpFlowOptions {
  /** Largest payload per segment (default 1460: Ethernet MTU minus IPv4 and TCP headers). */
  mss?: number;
  /** Initial sequence numbers (default derived from the ports, so two flows differ). */
  localIsn?: number;
  remoteIsn?: number;
}

const WINDOW = 65535;

function other(side: TcpSide): TcpSide {
  return side === 'local' ? 'remote' : 'local';
}

export type TcpFlowState = 'new' | 'open' | 'closed';

export class TcpFlow {
  private stateNow: TcpFlowState = 'new';
  private readonly mss: number;
  private isn: Record<TcpSide, number>;
  /** Next sequence number each side sends. */
  private next: Record<TcpSide, number> = { local: 0, remote: 0 };
  /** Highest acknowledgement the other side has sent for each side's bytes. */
  private ackedUpTo: Record<TcpSide, number> = { local: 0, remote: 0 };

  constructor(opts: TcpFlowOptions = {}) {
    this.mss = opts.mss ?? 1460;
    if (!(this.mss >= 1)) throw new RangeError(`MSS ${this.mss} is not a positive size`);
    this.isn = { local: (opts.localIsn ?? 0x1000_0000) >>> 0, remote: (opts.remoteIsn ?? 0x2000_0000) >>> 0 };
  }

  get state(): TcpFlowState {
    return this.stateNow;
  }

  /** SYN from the initiator, SYN-ACK, ACK: the connection as a capture from its first packet shows it. */
  open(initiator: TcpSide): SideSegment[] {
    if (this.stateNow === 'open') return [];
    if (this.stateNow === 'closed') this.freshIsns();
    const responder = other(initiator);
    const a = this.isn[initiator];
    const b = this.isn[responder];
    this.next[initiator] = (a + 1) >>> 0;
    this.next[responder] = (b + 1) >>> 0;
    this.ackedUpTo[initiator] = this.next[initiator];
    this.ackedUpTo[responder] = this.next[responder];
    this.stateNow = 'open';
    return [
      { from: initiator, segment: { seq: a, ack: 0, flags: TCP_SYN, window: WINDOW, mss: this.mss, payload: Buffer.alloc(0) } },
      { from: responder, segment: { seq: b, ack: this.next[initiator], flags: TCP_SYN | TCP_ACK, window: WINDOW, mss: this.mss, payload: Buffer.alloc(0) } },
      { from: initiator, segment: this.pureAck(initiator) },
    ];
  }

  /**
   * Joins a connection already running (no handshake written): numbering starts at the initial sequence
   * numbers and stays consistent from there, which is how a capture started mid-call looks.
   */
  resume(): void {
    if (this.stateNow === 'open') return;
    if (this.stateNow === 'closed') this.freshIsns();
    this.next = { ...this.isn };
    this.ackedUpTo = { ...this.isn };
    this.stateNow = 'open';
  }

  /** Bytes one side wrote (or, for TLS, the plaintext it wrote), as segments; opens the flow first if new. */
  data(from: TcpSide, bytes: Buffer): SideSegment[] {
    const out = this.stateNow === 'open' ? [] : this.open(from);
    const to = other(from);
    for (let off = 0; off < bytes.length; off += this.mss) {
      const payload = bytes.subarray(off, Math.min(bytes.length, off + this.mss));
      const last = off + this.mss >= bytes.length;
      out.push({ from, segment: { seq: this.next[from], ack: this.next[to], flags: TCP_ACK | (last ? TCP_PSH : 0), window: WINDOW, payload } });
      this.next[from] = (this.next[from] + payload.length) >>> 0;
      // Sending acknowledges everything the other side sent.
      this.ackedUpTo[to] = this.next[to];
      if (((this.next[from] - this.ackedUpTo[from]) >>> 0) > WINDOW / 2) out.push({ from: to, segment: this.pureAck(to) });
    }
    return out;
  }

  /** FIN from the side that closed, FIN from the other, the last ACK; nothing when never opened. */
  close(by: TcpSide): SideSegment[] {
    if (this.stateNow !== 'open') return [];
    const peer = other(by);
    const out: SideSegment[] = [];
    out.push({ from: by, segment: { seq: this.next[by], ack: this.next[peer], flags: TCP_FIN | TCP_ACK, window: WINDOW, payload: Buffer.alloc(0) } });
    this.next[by] = (this.next[by] + 1) >>> 0;
    out.push({ from: peer, segment: { seq: this.next[peer], ack: this.next[by], flags: TCP_FIN | TCP_ACK, window: WINDOW, payload: Buffer.alloc(0) } });
    this.next[peer] = (this.next[peer] + 1) >>> 0;
    out.push({ from: by, segment: this.pureAck(by) });
    this.stateNow = 'closed';
    return out;
  }

  private pureAck(from: TcpSide): TcpSegment {
    const to = other(from);
    this.ackedUpTo[to] = this.next[to];
    return { seq: this.next[from], ack: this.next[to], flags: TCP_ACK, window: WINDOW, payload: Buffer.alloc(0) };
  }

  /** A new connection on the same ports must not reuse sequence space still in flight (RFC 9293 §3.4.1). */
  private freshIsns(): void {
    this.isn = { local: (this.next.local + 0x0100_0000) >>> 0, remote: (this.next.remote + 0x0100_0000) >>> 0 };
  }
}
