/**
 * An in-memory network joining SIP stacks in tests, driven by the injected clock: every message is
 * serialized on send and parsed on delivery (so the wire format is exercised), delivered after
 * `latencyMs` on the clock, and logged. Faults: dropNext(), duplicateNext(), setLoss(pattern).
 *
 * RTP rides on it too: createMediaTransport() gives what a Phone takes for its media (a Pacer on the
 * same clock, and socket pairs whose datagrams reach the pair bound at their destination after
 * `latencyMs`), with setMediaLoss(pattern) to make RTP vanish. phoneTransports() bundles both.
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
import { Pacer } from '../../src/rtp/pacer.js';
import type { RtpSendSocket } from '../../src/rtp/sender.js';
import type { RemoteAddress } from '../../src/rtp/receiver.js';
import type { MediaSocket } from '../../src/phone/media-session.js';
import type { MediaTransport, PhoneTransports } from '../../src/phone/phone.js';

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

/** An RTP or RTCP datagram on the memory network. */
export interface Datagram {
  from: HostPort;
  to: HostPort;
  bytes: Buffer;
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
  private readonly mediaNodes = new Map<string, MemoryMediaSocket>();
  private readonly nextMediaPort = new Map<string, number>();
  private mediaLoss: ((d: Datagram) => boolean) | undefined;
  /** Datagrams sent (RTP and RTCP) and how many of them were lost. */
  readonly media = { sent: 0, lost: 0 };

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

  /** A media transport for a phone at `address`: the pacer of its calls and their RTP socket pairs. */
  createMediaTransport(address: string): MediaTransport {
    const pacer = new Pacer({ clock: this.clock });
    return {
      pacer,
      openSocketPair: () => Promise.resolve(this.openMediaSocket(address)),
      close: async () => pacer.close(),
    };
  }

  /** Everything a Phone at `address` runs on: a SIP transport on `port` and the media. */
  phoneTransports(address: string, port = 5060, protocol: TransportProtocol = 'tcp'): PhoneTransports {
    return { clock: this.clock, sip: [this.createTransport(address, port, protocol)], media: this.createMediaTransport(address) };
  }

  /** Lose every datagram (RTP, RTCP) for which the pattern returns true; undefined: lose none. */
  setMediaLoss(pattern: ((d: Datagram) => boolean) | undefined): void {
    this.mediaLoss = pattern;
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

  /** @internal An RTP/RTCP pair on the next free even port of `address`. */
  openMediaSocket(address: string): MemoryMediaSocket {
    const port = this.nextMediaPort.get(address) ?? 40000;
    this.nextMediaPort.set(address, port + 2);
    const socket = new MemoryMediaSocket(this, address, port);
    this.mediaNodes.set(key({ address, port }), socket);
    this.mediaNodes.set(key({ address, port: port + 1 }), socket);
    return socket;
  }

  /** @internal */
  sendDatagram(d: Datagram): void {
    this.media.sent++;
    if (this.mediaLoss?.(d)) {
      this.media.lost++;
      return;
    }
    this.clock.setTimeout(() => this.mediaNodes.get(key(d.to))?.deliver(d), this.options.latencyMs ?? 0);
  }

  /** @internal */
  closeMediaSocket(s: MemoryMediaSocket): void {
    for (const port of [s.rtpPort, s.rtpPort + 1]) {
      if (this.mediaNodes.get(key({ address: s.address, port })) === s) this.mediaNodes.delete(key({ address: s.address, port }));
    }
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

/** An RTP/RTCP socket pair on the memory network (RTCP on the RTP port + 1). */
export class MemoryMediaSocket implements MediaSocket {
  readonly rtpSendSocket: RtpSendSocket;
  private rtpHandler: ((datagram: Buffer, from: RemoteAddress) => void) | undefined;
  private rtcpHandler: ((datagram: Buffer, from: RemoteAddress) => void) | undefined;
  private closed = false;

  constructor(private readonly network: MemoryNetwork, readonly address: string, readonly rtpPort: number) {
    this.rtpSendSocket = { send: (packet, port, to) => this.send(this.rtpPort, packet, to, port) };
  }

  onRtp(handler: (datagram: Buffer, from: RemoteAddress) => void): void {
    this.rtpHandler = handler;
  }

  onRtcp(handler: (datagram: Buffer, from: RemoteAddress) => void): void {
    this.rtcpHandler = handler;
  }

  sendRtcp(datagram: Buffer, address: string, port: number): void {
    this.send(this.rtpPort + 1, datagram, address, port);
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.closeMediaSocket(this);
    return Promise.resolve();
  }

  /** @internal */
  deliver(d: Datagram): void {
    if (this.closed) return;
    const handler = d.to.port === this.rtpPort ? this.rtpHandler : this.rtcpHandler;
    handler?.(d.bytes, { address: d.from.address, port: d.from.port });
  }

  private send(fromPort: number, bytes: Buffer, address: string, port: number): void {
    if (this.closed) return;
    // The sender may reuse its buffer: the network carries a copy, as a socket would.
    this.network.sendDatagram({ from: { address: this.address, port: fromPort }, to: { address, port }, bytes: Buffer.from(bytes) });
  }
}
