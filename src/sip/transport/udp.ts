/**
 * SIP over UDP (RFC 3261 §18): one dgram socket, one datagram = one message. Received requests get
 * their top Via stamped with received/rport (RFC 3261 §18.2.1, RFC 3581 §4) before they go up.
 *
 * Size: RFC 3261 §18.1.1 wants requests within 200 bytes of the path MTU sent over a congestion
 * controlled transport. This transport sends what it is given; `tooLargeForUdp()` (transport.ts) lets
 * the layer that picks the target decide to use TCP instead.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from '../../util/clock.js';
import { serializeMessage, tryParseMessage, type SipMessage } from '../message/index.js';
import {
  TransportEvents,
  TransportError,
  type HostPort,
  type MessageSource,
  type RemoteTarget,
  type SipTransport,
} from './transport.js';
import { normalizeAddress, stampReceived } from './via-processing.js';
import { isWildcard, LocalAddresses } from './local-address.js';

export interface UdpTransportOptions {
  clock: Clock;
  /** Local address to bind (default 0.0.0.0; use 127.0.0.1 in tests). */
  address?: string;
  /** Local port (default 0: any free port). */
  port?: number;
  /**
   * Bound to a wildcard: tells the local address each datagram arrived at (shared with the endpoint,
   * which writes it in Via). Default: one of its own.
   */
  localAddresses?: LocalAddresses;
}

export class UdpTransport extends TransportEvents implements SipTransport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private closed = false;
  private boundLocal: HostPort = { address: '0.0.0.0', port: 0 };
  /** Set when bound to a wildcard: where a datagram arrived is then asked per sender. */
  private addresses: LocalAddresses | undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly clock: Clock,
  ) {
    super();
  }

  /** Bind a socket and start receiving. */
  static async listen(options: UdpTransportOptions): Promise<UdpTransport> {
    const address = options.address ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    const t = new UdpTransport(socket, options.clock);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const a = socket.address();
    t.boundLocal = { address: a.address, port: a.port };
    if (isWildcard(a.address)) t.addresses = options.localAddresses ?? new LocalAddresses({ bind: a.address, clock: options.clock });
    socket.on('message', (buf, rinfo) => t.receive(buf, { address: normalizeAddress(rinfo.address), port: rinfo.port }));
    socket.on('error', (e) => t.errorHandlers.emit(new TransportError(`UDP socket error: ${e.message}`, 'udp', t.local, e)));
    return t;
  }

  get local(): HostPort {
    return this.boundLocal;
  }


  send(message: SipMessage | Buffer, to: RemoteTarget): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('UDP transport is closed', 'udp', to));
    let bytes: Buffer;
    try {
      bytes = Buffer.isBuffer(message) ? message : serializeMessage(message);
    } catch (e) {
      return Promise.reject(new TransportError(`Cannot serialize message: ${(e as Error).message}`, 'udp', to, e as Error));
    }
    const failed = (err: Error): TransportError =>
      new TransportError(`UDP send to ${to.address}:${to.port} failed: ${err.message}`, 'udp', to, err);
    return new Promise((resolve, reject) => {
      try {
        // dgram validates the port and address synchronously (throws) and reports I/O errors in the callback.
        this.socket.send(bytes, to.port, to.address, (err) => {
          if (err) return reject(failed(err));
          this.trace('out', to, bytes);
          resolve();
        });
      } catch (e) {
        reject(failed(e as Error));
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(buf: Buffer, from: HostPort): void {
    // A datagram of only CRLFs is a keep-alive (RFC 5626 uses STUN on UDP, but CRLF pings exist in
    // the wild): nothing to answer, nothing to parse.
    if (buf.every((b) => b === 13 || b === 10)) return;
    const at = this.addresses?.arrivedFrom(from.address);
    if (at === undefined) return this.deliver(buf, from, this.local);
    if (typeof at === 'string') return this.deliver(buf, from, { address: at, port: this.local.port });
    void at.then((address) => {
      if (!this.closed) this.deliver(buf, from, { address, port: this.local.port });
    });
  }

  /** `local`: the address the datagram arrived at (the bound one, or the one learned for a wildcard). */
  private deliver(buf: Buffer, from: HostPort, local: HostPort): void {
    this.trace('in', from, buf, local);
    const source: MessageSource = { protocol: 'udp', address: from.address, port: from.port, local };
    const parsed = tryParseMessage(buf);
    if (!parsed.ok) {
      this.parseErrorHandlers.emit({
        error: parsed.error,
        bytes: buf,
        source,
        closing: false,
        respond: (m) => this.send(m, from),
      });
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'request') stampReceived(msg, from);
    this.messageHandlers.emit(msg, source);
  }

  private trace(direction: 'in' | 'out', remote: HostPort, bytes: Buffer, arrivedAt?: HostPort): void {
    if (this.traceHandlers.size === 0) return;
    const local = arrivedAt ?? (this.addresses ? { address: this.addresses.forPeer(remote.address), port: this.local.port } : this.local);
    this.traceHandlers.emit({ direction, timestamp: this.clock.wallNow(), protocol: 'udp', local, remote, bytes });
  }
}
