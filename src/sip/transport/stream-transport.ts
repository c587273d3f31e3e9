/**
 * SIP over a stream (RFC 3261 §18): TCP, and TLS (RFC 3261 §26.2, RFC 5630) which differs only in how
 * sockets are made (tcp.ts, tls.ts). A listening server plus outgoing connections, one stream framer
 * per connection.
 *
 * Connection reuse:
 * - a response goes back on the connection its request came in on (§18.2.2), named by connectionId;
 * - one connection per remote address:port carries every request to that target (§18.1.1);
 * - a connection a peer opened to us is reused for our requests to that peer: it is indexed under its
 *   source address:port and, when the top Via of a request on it names the same IP as the source,
 *   under the Via sent-by too (the peer's listening port; the idea of RFC 5923 aliases without the
 *   `alias` parameter, limited to the address the connection really comes from).
 * Idle connections are closed after `idleTimeoutMs` of silence (via the injected Clock).
 * Bad input never takes the server down: a message that frames but does not parse is reported with
 * the connection kept; a framing error is reported (so the edge can answer 400/513) and then the
 * connection is closed, because nothing after it can be trusted to start a message.
 */
import net from 'node:net';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { serializeMessage, tryParseMessage, type SipMessage } from '../message/index.js';
import { StreamFramer, type FrameEvent } from './stream-framer.js';
import {
  TransportEvents,
  TransportError,
  type HostPort,
  type MessageSource,
  type RemoteTarget,
  type SipTransport,
  type TlsPeer,
} from './transport.js';
import { normalizeAddress, stampReceived } from './via-processing.js';

export interface StreamTransportOptions {
  clock: Clock;
  address?: string;
  port?: number;
  /** Close a connection after this long without traffic (default 5 minutes, longer than Timer C). */
  idleTimeoutMs?: number;
  /** Largest message accepted on a connection (default 64 KiB). */
  maxMessageSize?: number;
}

/** How a stream transport makes its sockets. */
export interface StreamSockets {
  protocol: 'tcp' | 'tls';
  server: net.Server;
  /** 'connection' for TCP, 'secureConnection' for TLS (after the handshake). */
  acceptEvent: 'connection' | 'secureConnection';
  /** Open a socket to a target; it emits connectEvent when ready for SIP. */
  connect(target: HostPort, localAddress: string | undefined): net.Socket;
  connectEvent: 'connect' | 'secureConnect';
  /**
   * TLS: drop an incoming connection whose handshake has not completed after this long (on the injected
   * clock), so that a peer that stalls mid-handshake holds one socket for a bounded time only.
   */
  handshakeTimeoutMs?: number;
  /** TLS: the certificate an accepted peer presented (on MessageSource.tlsPeer). */
  peerOf?(socket: net.Socket): TlsPeer | undefined;
  /** TLS: one readable line for a failed incoming handshake (what it likely was: plain SIP, garbage, a reset). */
  describeHandshakeError?(error: Error): string;
  /** TLS: why an incoming connection that closed during its handshake without an error most likely did. */
  unacceptedReason?: string;
}

interface Connection {
  id: string;
  socket: net.Socket;
  framer: StreamFramer;
  remote: HostPort;
  /** Resolved once connected (outgoing) or at once (accepted). */
  ready: Promise<void>;
  keys: Set<string>;
  idle?: TimerHandle;
  closed: boolean;
  tlsPeer?: TlsPeer;
  /** We opened it (a request of ours is what it carries first). */
  outgoing?: boolean;
}

/** node:tls keeps the TCP socket under a TLS one as `_parent` (the socket of the server's 'connection'). */
const rawOf = (socket: net.Socket): net.Socket => (socket as net.Socket & { _parent?: net.Socket })._parent ?? socket;

const key = (a: HostPort): string => `${normalizeAddress(a.address)}:${a.port}`;

export class StreamTransport extends TransportEvents implements SipTransport {
  readonly protocol: 'tcp' | 'tls';
  readonly reliable = true;
  private readonly connections = new Map<string, Connection>();
  private readonly byTarget = new Map<string, Connection>();
  private nextId = 1;
  private closed = false;
  private boundLocal: HostPort = { address: '0.0.0.0', port: 0 };
  private readonly idleTimeoutMs: number;
  /** Incoming TLS connections still in their handshake, by remote address:port, with their deadline. */
  private readonly handshaking = new Map<net.Socket, { remote: HostPort; timer: TimerHandle }>();
  /** TCP sockets under TLS whose failed handshake has been reported (one line per connection). */
  private readonly reported = new WeakSet<net.Socket>();

  private readonly server: net.Server;

  protected constructor(
    private readonly sockets: StreamSockets,
    private readonly options: StreamTransportOptions,
  ) {
    super();
    this.protocol = sockets.protocol;
    this.server = sockets.server;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  }

  /** Start listening; subclasses call this from their static listen(). */
  protected async start(): Promise<void> {
    const server = this.server;
    const name = this.protocol.toUpperCase();
    server.on(this.sockets.acceptEvent, (socket: net.Socket) => this.adopt(socket));
    if (this.sockets.handshakeTimeoutMs !== undefined) server.on('connection', (raw: net.Socket) => this.watchHandshake(raw));
    // A failed TLS handshake of an incoming connection (plain SIP or garbage on the TLS port, a reset, a
    // refused certificate) drops that connection alone, with one line; node:tls has destroyed the socket.
    server.on('tlsClientError', (e: Error, socket: net.Socket) => {
      // Reported already when its TCP socket closed (node:tls can add a reset after refusing a certificate).
      if (this.reported.has(rawOf(socket))) return;
      const from = this.settleHandshake(socket);
      const what = this.sockets.describeHandshakeError?.(e) ?? e.message;
      this.errorHandlers.emit(new TransportError(`TLS handshake from ${from ? key(from) : 'a peer'} failed: ${what}`, this.protocol, from ?? this.local, e));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.address ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.errorHandlers.emit(new TransportError(`${name} server error: ${e.message}`, this.protocol, this.local, e)));
    const a = server.address() as net.AddressInfo;
    this.boundLocal = { address: a.address, port: a.port };
  }

  get local(): HostPort {
    return this.boundLocal;
  }

  /** Open connections (for tests and diagnostics). */
  get connectionCount(): number {
    return this.connections.size;
  }


  async send(message: SipMessage | Buffer, to: RemoteTarget): Promise<void> {
    if (this.closed) throw new TransportError(`${this.protocol.toUpperCase()} transport is closed`, this.protocol, to);
    let bytes: Buffer;
    try {
      bytes = Buffer.isBuffer(message) ? message : serializeMessage(message);
    } catch (e) {
      throw new TransportError(`Cannot serialize message: ${(e as Error).message}`, this.protocol, to, e as Error);
    }
    let conn = to.connectionId !== undefined ? this.connections.get(to.connectionId) : undefined;
    if (!conn || conn.closed) {
      // §18.2.2: the request's connection is gone: open one to received/sent-by.
      const target = to.connectionId !== undefined && to.fallback ? to.fallback : to;
      conn = this.byTarget.get(key(target));
      if (!conn || conn.closed) conn = this.connect(target);
    }
    await conn.ready;
    this.write(conn, bytes);
  }

  /**
   * Close gracefully: each connection gets a FIN after what was written (so a peer reading our last
   * response or BYE sees an orderly close, not a reset), and is destroyed if it has not closed within
   * 500 ms.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const conns = [...this.connections.values()];
    await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
      if (c.socket.destroyed) return resolve();
      const timer = this.options.clock.setTimeout(() => resolve(), 500);
      c.socket.once('close', () => { timer.cancel(); resolve(); });
      c.socket.end();
    })));
    for (const c of conns) this.drop(c, undefined);
    for (const [raw, h] of this.handshaking) {
      h.timer.cancel();
      raw.destroy();
    }
    this.handshaking.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private write(conn: Connection, bytes: Buffer): void {
    if (conn.closed) throw new TransportError(`${this.protocol.toUpperCase()} connection to ${key(conn.remote)} is closed`, this.protocol, conn.remote);
    conn.socket.write(bytes);
    this.touch(conn);
    this.trace('out', conn, bytes);
  }

  private connect(target: HostPort): Connection {
    const failed = (e: Error): TransportError =>
      new TransportError(`${this.protocol.toUpperCase()} connect to ${target.address}:${target.port} failed: ${e.message}`, this.protocol, target, e);
    let socket: net.Socket;
    try {
      socket = this.sockets.connect(target, this.localBindAddress(target));
    } catch (e) {
      // net validates the port synchronously.
      throw failed(e as Error);
    }
    const conn = this.register(socket, { address: normalizeAddress(target.address), port: target.port });
    conn.outgoing = true;
    conn.ready = new Promise<void>((resolve, reject) => {
      socket.once(this.sockets.connectEvent, () => resolve());
      socket.once('error', (e) => reject(failed(e)));
    });
    conn.ready.catch(() => undefined);
    return conn;
  }

  /** Outgoing connections leave from the listening address when it is a specific one (127.0.0.1 in tests). */
  private localBindAddress(target: HostPort): string | undefined {
    const a = this.boundLocal.address;
    if (a === '0.0.0.0' || a === '::') return undefined;
    return net.isIPv6(a) === net.isIPv6(target.address) || !net.isIP(target.address) ? a : undefined;
  }

  private adopt(socket: net.Socket): void {
    this.settleHandshake(socket);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const remote = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const conn = this.register(socket, remote);
    const peer = this.sockets.peerOf?.(socket);
    if (peer) conn.tlsPeer = peer;
    conn.ready = Promise.resolve();
  }

  /** An incoming TLS connection starts its handshake: it has handshakeTimeoutMs to finish it. */
  private watchHandshake(raw: net.Socket): void {
    const remote = { address: normalizeAddress(raw.remoteAddress ?? ''), port: raw.remotePort ?? 0 };
    const ms = this.sockets.handshakeTimeoutMs!;
    const timer = this.options.clock.setTimeout(() => {
      if (!this.handshaking.delete(raw)) return;
      raw.destroy();
      this.errorHandlers.emit(new TransportError(`TLS handshake from ${key(remote)} timed out after ${ms} ms: connection dropped`, this.protocol, remote));
    }, ms);
    this.handshaking.set(raw, { remote, timer });
    raw.once('close', () => {
      const h = this.handshaking.get(raw);
      if (!h) return;
      h.timer.cancel();
      this.handshaking.delete(raw);
      // Neither accepted nor failed with an error: node:tls refused the client certificate after the
      // handshake (it verifies against `ca` then, and closes without an alert), or the peer left.
      if (!this.closed) {
        this.reported.add(raw);
        this.errorHandlers.emit(new TransportError(
          `TLS connection from ${key(remote)} closed before it was accepted: ${this.sockets.unacceptedReason ?? 'the peer closed it during the handshake'}`,
          this.protocol, remote,
        ));
      }
    });
  }

  /**
   * The handshake of this connection is over (accepted or failed): stop its clock. Returns its remote
   * end (a TLS socket's own address is gone once it has failed, the raw socket's is kept).
   */
  private settleHandshake(socket: net.Socket): HostPort | undefined {
    const raw = rawOf(socket);
    const h = this.handshaking.get(raw);
    if (h) {
      h.timer.cancel();
      this.handshaking.delete(raw);
      return h.remote;
    }
    return socket.remoteAddress === undefined ? undefined : { address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
  }

  private register(socket: net.Socket, remote: HostPort): Connection {
    const conn: Connection = {
      id: `${this.protocol}-${this.nextId++}`,
      socket,
      framer: new StreamFramer({ maxMessageSize: this.options.maxMessageSize }),
      remote,
      ready: Promise.resolve(),
      keys: new Set([key(remote)]),
      closed: false,
    };
    this.connections.set(conn.id, conn);
    this.byTarget.set(key(remote), conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('error', (e) => this.drop(conn, e));
    socket.on('close', () => {
      // A peer that closes a connection we opened, unasked, may leave our request unanswered (a TLS
      // server refusing our client certificate after the handshake does just that): say so, so that
      // a transaction waiting on it fails now rather than at Timer B.
      const byPeer = conn.outgoing && !conn.closed && !this.closed
        ? new Error(this.protocol === 'tls'
          ? 'closed by the server (with mutual TLS: it may not trust our client certificate)'
          : 'closed by the peer')
        : undefined;
      this.drop(conn, byPeer);
    });
    this.touch(conn);
    return conn;
  }

  private drop(conn: Connection, error: Error | undefined): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.idle?.cancel();
    this.connections.delete(conn.id);
    for (const k of conn.keys) if (this.byTarget.get(k) === conn) this.byTarget.delete(k);
    conn.socket.destroy();
    if (error && !this.closed) {
      this.errorHandlers.emit(
        new TransportError(`${this.protocol.toUpperCase()} connection to ${key(conn.remote)} failed: ${error.message}`, this.protocol, conn.remote, error),
      );
    }
  }

  private touch(conn: Connection): void {
    conn.idle?.cancel();
    conn.idle = this.options.clock.setTimeout(() => {
      conn.socket.end();
      this.drop(conn, undefined);
    }, this.idleTimeoutMs);
  }

  private receive(conn: Connection, chunk: Buffer): void {
    this.touch(conn);
    for (const ev of conn.framer.push(chunk)) this.frame(conn, ev);
    if (conn.framer.isBroken) {
      // Framing is lost: whatever the handlers wrote (a 400 or 513) is flushed by end().
      conn.socket.end();
      conn.closed = true;
      this.connections.delete(conn.id);
      for (const k of conn.keys) if (this.byTarget.get(k) === conn) this.byTarget.delete(k);
      conn.idle?.cancel();
      // A peer that never closes its half must not hold the socket: give the answer T4 to drain.
      this.options.clock.setTimeout(() => conn.socket.destroy(), 5000);
    }
  }

  private frame(conn: Connection, ev: FrameEvent): void {
    const source: MessageSource = {
      protocol: this.protocol,
      address: conn.remote.address,
      port: conn.remote.port,
      connectionId: conn.id,
      local: this.localOf(conn),
      ...(conn.tlsPeer ? { tlsPeer: conn.tlsPeer } : {}),
    };
    switch (ev.type) {
      case 'ping':
        // RFC 5626 §3.5.1: answer a CRLFCRLF ping with a CRLF pong.
        if (!conn.closed) conn.socket.write('\r\n');
        return;
      case 'pong':
      case 'garbage':
        return;
      case 'error':
        this.trace('in', conn, ev.error.head);
        this.parseErrorHandlers.emit({
          error: ev.error,
          bytes: ev.error.head,
          source,
          closing: true,
          respond: async (m) => this.writeRaw(conn, m),
        });
        return;
      case 'message': {
        this.trace('in', conn, ev.bytes);
        const parsed = tryParseMessage(ev.bytes);
        if (!parsed.ok) {
          this.parseErrorHandlers.emit({
            error: parsed.error,
            bytes: ev.bytes,
            source,
            closing: false,
            respond: async (m) => this.writeRaw(conn, m),
          });
          return;
        }
        const msg = parsed.message;
        if (msg.kind === 'request') {
          const via = stampReceived(msg, conn.remote);
          // Alias the connection under the Via sent-by when it names the connection's own address.
          if (via && via.port !== undefined && normalizeAddress(via.host) === conn.remote.address) {
            const alias = key({ address: via.host, port: via.port });
            if (!this.byTarget.has(alias)) {
              this.byTarget.set(alias, conn);
              conn.keys.add(alias);
            }
          }
        }
        this.messageHandlers.emit(msg, source);
        return;
      }
    }
  }

  /**
   * Our address on a connection: bound to a wildcard, the address the peer connected to (what Via,
   * Contact and SDP must carry for it); before an outgoing connect completes, the bound one. The port
   * stays the listening one (where the peer reaches us), not an outgoing connection's own.
   */
  private localOf(conn: Connection): HostPort {
    const address = conn.socket.localAddress;
    return address ? { address: normalizeAddress(address), port: this.local.port } : this.local;
  }

  /** Write on a connection even while it is being closed for a framing error (the answer goes first). */
  private writeRaw(conn: Connection, m: SipMessage | Buffer): void {
    const bytes = Buffer.isBuffer(m) ? m : serializeMessage(m);
    if (conn.socket.writable) {
      conn.socket.write(bytes);
      this.trace('out', conn, bytes);
    }
  }

  private trace(direction: 'in' | 'out', conn: Connection, bytes: Buffer): void {
    if (this.traceHandlers.size === 0) return;
    this.traceHandlers.emit({
      direction,
      timestamp: this.options.clock.wallNow(),
      protocol: this.protocol,
      local: this.localOf(conn),
      remote: conn.remote,
      connectionId: conn.id,
      bytes,
    });
  }
}
