/**
 * An in-memory network joining SIP stacks in tests, driven by the injected clock: every message is
 * serialized on send and parsed on delivery (so the wire format is exercised), delivered after
 * `latencyMs` on the clock, and logged. Faults: dropNext(), duplicateNext(), setLoss(pattern).
 */
import type { Clock } from '../../src/util/clock.js';
import { serializeMessage, tryParseMessage, type SipMessage } from '../../src/sip/message/index.js';
import {
  TransportEvents,
  TransportError,
  type HostPort,
  type RemoteTarget,
  type SipTransport,
  type TransportProtocol,
} from '../../src/sip/transport/transport.js';
import { stampReceived } from '../../src/sip/transport/via-processing.js';

export interface Packet {
  /** Send time on the clock. */
  at: number;
  protocol: TransportProtocol;
  from: HostPort;
  to: HostPort;
  bytes: Buffer;
  /** Parsed view, for assertions ('INVITE', '486', ...). */
  summary: string;
  dropped: boolean;
  duplicated: boolean;
}

export interface MemoryNetworkOptions {
  latencyMs?: number;
}

const key = (a: HostPort): string => `${a.address}:${a.port}`;

export class MemoryNetwork {
  readonly log: Packet[] = [];
  private readonly nodes = new Map<string, MemoryTransport>();
  private dropCount = 0;
  private duplicateCount = 0;
  private loss: ((p: Packet, index: number) => boolean) | undefined;
  private sentCount = 0;

  constructor(
    readonly clock: Clock,
    private readonly options: MemoryNetworkOptions = {},
  ) {}

  /** A transport bound at address:port; `protocol: 'tcp'` makes it reliable (no retransmissions). */
  createTransport(address: string, port: number, protocol: TransportProtocol = 'udp'): MemoryTransport {
    const t = new MemoryTransport(this, { address, port }, protocol);
    this.nodes.set(key(t.local), t);
    return t;
  }

  /** Lose the next n messages sent by anyone. */
  dropNext(n = 1): void {
    this.dropCount += n;
  }
  /** Deliver the next n messages twice. */
  duplicateNext(n = 1): void {
    this.duplicateCount += n;
  }
  /** Lose every message for which the pattern returns true (index counts every message sent). */
  setLoss(pattern: ((p: Packet, index: number) => boolean) | undefined): void {
    this.loss = pattern;
  }

  /** Summaries of the packets sent ('INVITE', '100', 'ACK' ...), optionally only the delivered ones. */
  summaries(opts: { deliveredOnly?: boolean } = {}): string[] {
    return this.log.filter((p) => !opts.deliveredOnly || !p.dropped).map((p) => p.summary);
  }

  /** @internal */
  transmit(from: MemoryTransport, bytes: Buffer, to: RemoteTarget): void {
    const parsed = tryParseMessage(bytes);
    const summary = parsed.ok ? (parsed.message.kind === 'request' ? parsed.message.method : String(parsed.message.status)) : 'unparseable';
    const packet: Packet = {
      at: this.clock.now(),
      protocol: from.protocol,
      from: from.local,
      to: { address: to.address, port: to.port },
      bytes,
      summary,
      dropped: false,
      duplicated: false,
    };
    const index = this.sentCount++;
    if (this.dropCount > 0) {
      this.dropCount--;
      packet.dropped = true;
    } else if (this.loss?.(packet, index)) packet.dropped = true;
    if (!packet.dropped && this.duplicateCount > 0) {
      this.duplicateCount--;
      packet.duplicated = true;
    }
    this.log.push(packet);
    if (packet.dropped) return;
    const deliver = (): void => this.nodes.get(key(packet.to))?.deliver(bytes, from.local);
    const latency = this.options.latencyMs ?? 0;
    this.clock.setTimeout(deliver, latency);
    if (packet.duplicated) this.clock.setTimeout(deliver, latency);
  }

  /** @internal */
  exists(to: HostPort): boolean {
    return this.nodes.has(key(to));
  }

  /** @internal */
  detach(t: MemoryTransport): void {
    this.nodes.delete(key(t.local));
  }
}

export class MemoryTransport extends TransportEvents implements SipTransport {
  readonly reliable: boolean;
  private closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    readonly local: HostPort,
    readonly protocol: TransportProtocol,
  ) {
    super();
    this.reliable = protocol !== 'udp';
  }


  send(message: SipMessage | Buffer, to: RemoteTarget): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('Memory transport is closed', this.protocol, to));
    // A reliable transport knows at once that nobody listens (connection refused).
    if (this.reliable && !this.network.exists(to)) {
      return Promise.reject(new TransportError(`Connection refused by ${to.address}:${to.port}`, this.protocol, to));
    }
    const bytes = Buffer.isBuffer(message) ? message : serializeMessage(message);
    this.traceHandlers.emit({ direction: 'out', timestamp: this.network.clock.wallNow(), protocol: this.protocol, local: this.local, remote: to, bytes });
    this.network.transmit(this, bytes, to);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.detach(this);
    return Promise.resolve();
  }

  /** @internal */
  deliver(bytes: Buffer, from: HostPort): void {
    if (this.closed) return;
    this.traceHandlers.emit({ direction: 'in', timestamp: this.network.clock.wallNow(), protocol: this.protocol, local: this.local, remote: from, bytes });
    const source = {
      protocol: this.protocol,
      address: from.address,
      port: from.port,
      local: this.local,
      ...(this.reliable ? { connectionId: `mem-${key(from)}` } : {}),
    };
    const parsed = tryParseMessage(bytes);
    if (!parsed.ok) {
      this.parseErrorHandlers.emit({ error: parsed.error, bytes, source, closing: false, respond: (m) => this.send(m, from) });
      return;
    }
    if (parsed.message.kind === 'request') stampReceived(parsed.message, from);
    this.messageHandlers.emit(parsed.message, source);
  }
}
