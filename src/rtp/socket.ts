/**
 * The UDP sockets of one RTP session (RFC 3550 §11): RTP on an even port, RTCP on the next odd one,
 * picked from a range with retries (two calls, or another program, may want the same port), bound to a
 * given address. The only file of the RTP layer that touches node:dgram.
 */
import { createSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Socket } from 'node:dgram';
import { UmphoneError } from '../util/errors.js';
import type { RemoteAddress } from './receiver.js';
import type { RtpSendSocket } from './sender.js';

export class RtpSocketError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTP_SOCKET');
  }
}

/**
 * A received datagram. `atMs`: when it arrived, on the phone's clock, if the transport knows better than
 * the moment the handler runs (the native engine's I/O thread reads it while the main thread may be
 * busy); absent, the handler's own clock reading is the arrival.
 */
export type DatagramHandler = (datagram: Buffer, from: RemoteAddress, atMs?: number) => void;

export interface RtpSocketPairOptions {
  /** Local address to bind, e.g. 127.0.0.1 or ::1. Default 0.0.0.0. */
  address?: string;
  /** An exact even RTP port; otherwise one is chosen from portRange. 0 lets the system choose (RTCP then on any port). */
  port?: number;
  /** Default 16384..32767 (the customary RTP range). */
  portRange?: { min: number; max: number };
  /** Ports tried before giving up. Default 50. */
  attempts?: number;
  /** Uniform [0, 1) for port choice; injectable for tests. */
  random?: () => number;
  /** RFC 5761: no RTCP socket, RTCP travels on the RTP port. */
  rtcpMux?: boolean;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves every destination through dns.lookup, which answers even an IP literal on the next
 * tick: each RTP packet would leave after the pacer's pass instead of at its deadline, and cost an
 * extra closure and tick. SDP gives IP literals: answer those at
 * once; a host name (legal in c=, rare) still goes through the resolver.
 */
export function literalFirstLookup(hostname: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

function bind(type: 'udp4' | 'udp6', address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type, reuseAddr: false, lookup: literalFirstLookup as never });
    const onError = (e: Error) => {
      s.close();
      reject(e);
    };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

/** The handler registrations every RTP socket pair has (this one, and the I/O engine's). */
export abstract class RtpPairEvents {
  protected rtpHandler: DatagramHandler | undefined;
  protected rtcpHandler: DatagramHandler | undefined;
  protected errorHandler: ((e: Error) => void) | undefined;

  onRtp(handler: DatagramHandler): void {
    this.rtpHandler = handler;
  }

  onRtcp(handler: DatagramHandler): void {
    this.rtcpHandler = handler;
  }

  /** Socket errors after bind (e.g. ICMP port unreachable surfaced by the OS); the pair stays open. */
  onError(handler: (e: Error) => void): void {
    this.errorHandler = handler;
  }
}

/**
 * Tries even RTP ports of [min, max] (RTCP on the next, RFC 3550 §11), from a random start and at most
 * `attempts` of them, going on while a port is taken (EADDRINUSE); what every engine's open shares.
 * `random` is uniform in [0, 1).
 */
export async function bindFromRange<T>(
  range: { min: number; max: number },
  attempts: number,
  random: number,
  address: string,
  tryPort: (port: number) => Promise<T> | T,
): Promise<T> {
  const { min, max } = range;
  const evens = Math.floor((max - 1 - min) / 2) + 1;
  if (evens <= 0) throw new RtpSocketError(`The RTP port range ${min}-${max} holds no even/odd pair.`);
  const start = Math.floor(random * evens);
  const base = min + (min % 2);
  const tried = Math.min(attempts, evens);
  let lastError: unknown;
  for (let i = 0; i < tried; i++) {
    const port = base + 2 * ((start + i) % evens);
    if (port + 1 > max) continue;
    try {
      return await tryPort(port);
    } catch (e) {
      lastError = e;
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  throw new RtpSocketError(
    `No free RTP/RTCP port pair in ${min}-${max} on ${address} after ${tried} attempts (${(lastError as Error)?.message ?? 'none tried'}).`,
  );
}

export class RtpSocketPair extends RtpPairEvents {
  private closed = false;
  /** The same RTP socket in the shape the paced sender wants (dgram's argument order). */
  readonly rtpSendSocket: RtpSendSocket;

  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket | undefined,
    readonly address: string,
  ) {
    super();
    rtp.on('message', (msg, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      // RFC 5761 §4: on a muxed port, payload type octets 192..223 are RTCP.
      if (!this.rtcp && msg.length >= 2 && msg[1]! >= 192 && msg[1]! <= 223 && this.rtcpHandler) this.rtcpHandler(msg, from);
      else this.rtpHandler?.(msg, from);
    });
    rtcp?.on('message', (msg, rinfo) => this.rtcpHandler?.(msg, { address: rinfo.address, port: rinfo.port }));
    for (const s of [rtp, rtcp]) s?.on('error', (e) => this.errorHandler?.(e));
    this.rtpSendSocket = { send: (packet, port, addr) => this.send(packet, addr, port) };
  }

  /** Binds an RTP/RTCP pair: RTP even, RTCP = RTP + 1 (RFC 3550 §11), retrying other ports if taken. */
  static async open(opts: RtpSocketPairOptions = {}): Promise<RtpSocketPair> {
    const address = opts.address ?? '0.0.0.0';
    const type = address.includes(':') ? 'udp6' : 'udp4';
    const mux = opts.rtcpMux ?? false;
    if (opts.port !== undefined) {
      if (opts.port === 0) {
        const rtp = await bind(type, address, 0);
        const rtcp = mux ? undefined : await bind(type, address, 0).catch((e) => { rtp.close(); throw e; });
        return new RtpSocketPair(rtp, rtcp, address);
      }
      if (opts.port % 2 !== 0) throw new RtpSocketError(`RTP port ${opts.port} is odd; RFC 3550 §11 wants an even port.`);
      return RtpSocketPair.tryPair(type, address, opts.port, mux);
    }
    return bindFromRange(opts.portRange ?? { min: 16384, max: 32767 }, opts.attempts ?? 50, (opts.random ?? Math.random)(), address, (port) =>
      RtpSocketPair.tryPair(type, address, port, mux),
    );
  }

  private static async tryPair(type: 'udp4' | 'udp6', address: string, port: number, mux: boolean): Promise<RtpSocketPair> {
    const rtp = await bind(type, address, port);
    if (mux) return new RtpSocketPair(rtp, undefined, address);
    try {
      const rtcp = await bind(type, address, port + 1);
      return new RtpSocketPair(rtp, rtcp, address);
    } catch (e) {
      rtp.close();
      throw e;
    }
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  /** The RTCP port (the RTP port when multiplexed). */
  get rtcpPort(): number {
    return (this.rtcp ?? this.rtp).address().port;
  }

  send(datagram: Buffer, address: string, port: number): void {
    if (this.closed) return;
    this.rtp.send(datagram, port, address);
  }

  sendRtcp(datagram: Buffer, address: string, port: number): void {
    if (this.closed) return;
    (this.rtcp ?? this.rtp).send(datagram, port, address);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [this.rtp, this.rtcp].filter((s): s is Socket => s !== undefined).map((s) => new Promise<void>((r) => s.close(() => r()))),
    );
  }
}
