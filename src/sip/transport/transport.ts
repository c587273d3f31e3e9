/**
 * The contract between a SIP transport (UDP, TCP, TLS, or the in-memory network of the tests) and
 * the transaction layer above it. A transport moves whole messages: framing, connection management and
 * the RFC 3261 §18 / RFC 3581 rules about where responses go live below this line; transactions and
 * matching live above it.
 */
import { UmphoneError } from '../../util/errors.js';
import type { SipMessage } from '../message/types.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

export interface HostPort {
  address: string;
  port: number;
}

/** Where to send a message. */
export interface RemoteTarget extends HostPort {
  /**
   * Send on this connection if it is still open (a response goes back on the connection its request
   * came in on, RFC 3261 §18.2.2). Ignored by datagram transports.
   */
  connectionId?: string;
  /**
   * Where to go when that connection has closed (RFC 3261 §18.2.2: "the server SHOULD open a
   * connection to the IP address in the "received" parameter ... using the port in the "sent-by"").
   */
  fallback?: HostPort;
}

/** Where a received message came from. */
export interface MessageSource extends HostPort {
  protocol: TransportProtocol;
  /** The connection it arrived on (stream transports only). */
  connectionId?: string;
  /** The local address it arrived at. */
  local: HostPort;
  /** TLS only: the certificate the peer presented (mutual TLS), for trust by name (Exchange's gateways). */
  tlsPeer?: TlsPeer;
}

/** The client certificate of a TLS connection, as far as trust by name needs it. */
export interface TlsPeer {
  /** The subject CN, then every subjectAltName DNS and IP entry (lower case, no duplicates). */
  names: string[];
  /** True when the certificate chain verified against the trusted CAs. */
  verified: boolean;
}

export type MessageHandler = (message: SipMessage, source: MessageSource) => void;

/** Bytes that arrived but are not a SIP message; the handler may answer (e.g. 400) with respond(). */
export interface InboundParseError {
  /** The parser's or framer's error: has `status` (400, 505, 513...) and a readable `message`. */
  error: Error & { status?: number; reason?: string };
  /** The offending bytes (the whole datagram, or the header section read from a stream). */
  bytes: Buffer;
  source: MessageSource;
  /**
   * True when the stream's framing is lost: the transport closes the connection after the handlers
   * ran (a response passed to respond() synchronously is written first).
   */
  closing: boolean;
  /** Send an answer back to the source (on the same connection for streams). */
  respond(message: SipMessage | Buffer): Promise<void>;
}

/** One message crossing the transport, for sngrep-like traces (`-v`). */
export interface TraceEvent {
  direction: 'in' | 'out';
  /** Wall-clock milliseconds (Clock.wallNow()). */
  timestamp: number;
  protocol: TransportProtocol;
  local: HostPort;
  remote: HostPort;
  connectionId?: string;
  bytes: Buffer;
}

/** A connection or send failure towards one remote target (RFC 3261 §18.4). */
export class TransportError extends UmphoneError {
  constructor(
    message: string,
    readonly protocol: TransportProtocol,
    readonly target: HostPort,
    override readonly cause?: Error,
  ) {
    super(message, 'SIP_TRANSPORT');
  }
}

export interface SipTransport {
  readonly protocol: TransportProtocol;
  /** Reliable transports (TCP, TLS) get no retransmissions and zero D/I/J/K (RFC 3261 §17). */
  readonly reliable: boolean;
  /** The address and port actually bound (valid after listen()). */
  readonly local: HostPort;
  /** Serialize (if needed) and send; rejects with TransportError when it cannot be delivered. */
  send(message: SipMessage | Buffer, to: RemoteTarget): Promise<void>;
  onMessage(handler: MessageHandler): void;
  onParseError(handler: (e: InboundParseError) => void): void;
  /** Failures not tied to a send() call: a connection reset, a failed background connect. */
  onError(handler: (e: TransportError) => void): void;
  onTrace(handler: (e: TraceEvent) => void): void;
  close(): Promise<void>;
}

/** RFC 3261 §18.1.1: a request within 200 bytes of the path MTU (1500) must go over a congestion-controlled transport. */
export const UDP_SIZE_LIMIT = 1300;

/**
 * True when a message of this size should not be sent over UDP (RFC 3261 §18.1.1). The transport
 * only reports it; the layer that chooses the target decides whether to switch to TCP.
 */
export function tooLargeForUdp(size: number, limit = UDP_SIZE_LIMIT): boolean {
  return size > limit;
}

/** A small fan-out of typed handlers (no EventEmitter strings). */
export class Handlers<A extends unknown[]> {
  private readonly list: Array<(...args: A) => void> = [];
  add(h: (...args: A) => void): void {
    this.list.push(h);
  }
  get size(): number {
    return this.list.length;
  }
  emit(...args: A): void {
    for (const h of this.list) h(...args);
  }
}

/**
 * The handler registrations every transport offers (SipTransport's on* methods): a transport extends
 * this and emits through the protected fan-outs.
 */
export abstract class TransportEvents {
  protected readonly messageHandlers = new Handlers<Parameters<MessageHandler>>();
  protected readonly parseErrorHandlers = new Handlers<[InboundParseError]>();
  protected readonly errorHandlers = new Handlers<[TransportError]>();
  protected readonly traceHandlers = new Handlers<[TraceEvent]>();

  onMessage(handler: MessageHandler): void {
    this.messageHandlers.add(handler);
  }
  onParseError(handler: (e: InboundParseError) => void): void {
    this.parseErrorHandlers.add(handler);
  }
  onError(handler: (e: TransportError) => void): void {
    this.errorHandlers.add(handler);
  }
  onTrace(handler: (e: TraceEvent) => void): void {
    this.traceHandlers.add(handler);
  }
}
