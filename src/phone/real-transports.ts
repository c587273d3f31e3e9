/**
 * What a phone runs on, injected (PhoneTransports), and the real ones for the composition roots (the
 * CLI, `Phone.create`): SIP over TCP and UDP on one port number, and the process's RTP engine. Tests
 * build the same shapes on the in-memory network instead.
 */
import { RealClock, type Clock } from '../util/clock.js';
import { TcpTransport } from '../sip/transport/tcp.js';
import { TlsTransport } from '../sip/transport/tls.js';
import { UdpTransport } from '../sip/transport/udp.js';
import { isWildcard, LocalAddresses, localAddressFor } from '../sip/transport/local-address.js';
import type { SipTransport } from '../sip/transport/transport.js';
import { createRtpTransport, type RtpEngineMode, type RtpTransport } from '../rtp/rtp-transport.js';
import type { Pacer } from '../rtp/pacer.js';
import type { MediaSocket } from './media-types.js';

/** Where RTP goes: the pacer of every call and their sockets (rtp-transport.ts's RtpTransport fits). */
export interface MediaTransport {
  readonly pacer: Pacer;
  /** 'native': the sockets live in the native RTP engine's I/O thread (which also writes --pcap captures). */
  readonly mode?: 'main' | 'native';
  openSocketPair(options: { address: string; portRange?: { min: number; max: number } }): Promise<MediaSocket>;
  close(): Promise<void>;
}

/** What a phone runs on, injected: the clock, listening SIP transports, the RTP side. */
export interface PhoneTransports {
  clock: Clock;
  sip: SipTransport[];
  media: MediaTransport;
  /**
   * Which of our addresses each peer sees (a wildcard bind, an advertised address: local-address.ts),
   * decided with the sockets. Default: the phone's localIp for every peer.
   */
  addresses?: LocalAddresses;
}

export interface RealTransportOptions {
  /** Address to bind (a wildcard binds every interface: each peer then sees the address it reached). */
  localIp: string;
  /** Advertise this address instead (a NAT's public address, a container's host). */
  advertise?: string;
  /** SIP port (TCP and UDP). Default 0: any free port, and UDP takes the same number when free. */
  localPort?: number;
  /** Default a RealClock. */
  clock?: Clock;
  /** How RTP is paced and carried (rtp-transport.ts); default UMPHONE_RTP_ENGINE, else native where it is built. */
  rtpEngine?: RtpEngineMode;
  /** The native engine's lookahead (ms; default 100, io-engine.ts DEFAULT_LEAD_MS): LIVE_INPUT_LEAD_MS for a live microphone. */
  rtpLeadMs?: number;
  /** SCHED_FIFO priority for the native RTP I/O thread (see `RtpTransport.realtimeRefused`). */
  rtpRealtimePriority?: number;
  /** Also open SIP over TLS (on any free port, or tls.port) with these certificates (tls.ts). */
  tls?: RealTlsOptions;
  /** SIP over TLS only (a TLS listener: `listen --transport tls`): no TCP or UDP. Needs `tls`. */
  tlsOnly?: boolean;
}

/** PEM texts for TLS: trusted CAs (default Node's roots), our certificate and key (mutual TLS). */
export interface RealTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** False: accept any server certificate (--tls-insecure). */
  rejectUnauthorized?: boolean;
  /** The TLS listening port (default 0: any free port). */
  port?: number;
  /** Mutual TLS: callers must present a certificate `ca` verifies (else the handshake fails). */
  requestClientCert?: boolean;
}

/** The transports a Phone takes, with the RTP engine's own face (its mode, a refused priority). */
export interface RealTransports extends PhoneTransports {
  media: RtpTransport;
  addresses: LocalAddresses;
}

/** Open TCP and UDP (same port number when we chose it: SIP's habit) and the RTP engine. */
export async function openRealTransports(o: RealTransportOptions): Promise<RealTransports> {
  const clock = o.clock ?? new RealClock();
  const addresses = new LocalAddresses({
    bind: o.localIp, clock,
    ...(o.advertise !== undefined ? { advertise: o.advertise } : {}),
    ...(isWildcard(o.localIp) && o.advertise === undefined ? { fallback: await defaultRouteAddress(o.localIp) } : {}),
  });
  if (o.tlsOnly && !o.tls) throw new Error('tlsOnly needs tls options');
  const sip = o.tlsOnly ? [] : await openSipTransports(clock, o.localIp, o.localPort ?? 0, addresses);
  try {
    if (o.tls) sip.push(await TlsTransport.listen({ clock, address: o.localIp, ...o.tls, port: o.tls.port ?? 0 }));
    const media = await createRtpTransport({
      clock,
      ...(o.rtpEngine ? { mode: o.rtpEngine } : {}),
      ...(o.rtpLeadMs !== undefined ? { leadMs: o.rtpLeadMs } : {}),
      ...(o.rtpRealtimePriority !== undefined ? { realtimePriority: o.rtpRealtimePriority } : {}),
    });
    return { clock, sip, media, addresses };
  } catch (e) {
    await Promise.all(sip.map((t) => t.close()));
    throw e;
  }
}

async function openSipTransports(clock: Clock, address: string, port: number, localAddresses: LocalAddresses): Promise<SipTransport[]> {
  const tcp = await TcpTransport.listen({ clock, address, port });
  try {
    const same = port !== 0 ? port : tcp.local.port;
    const listen = (p: number) => UdpTransport.listen({ clock, address, port: p, localAddresses });
    const udp = await listen(same).catch(() => listen(0));
    return [tcp, udp];
  } catch (e) {
    await tcp.close();
    throw e;
  }
}

/**
 * Our address for peers not heard from yet, when bound to a wildcard: the one routing to the default
 * gateway (a documentation address stands for "anywhere"), else loopback.
 */
async function defaultRouteAddress(wildcard: string): Promise<string> {
  const v6 = wildcard.includes(':');
  try {
    return await localAddressFor(v6 ? '2001:db8::1' : '192.0.2.1');
  } catch {
    return v6 ? '::1' : '127.0.0.1';
  }
}
