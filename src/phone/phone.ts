/**
 * The phone: a SIP user agent on TCP and UDP with one RTP pacer for all its calls. The programmatic
 * face of umphone (scripts, tests, the CLI):
 *
 *   const phone = await Phone.create({ localIp: '127.0.0.1' });
 *   const call = await phone.call('sip:680@um.example.com;transport=tcp', { from: '111', diversion: ['613'] });
 *   await call.sendDtmf('#');
 *   await call.hangup();
 *   await phone.close();
 */
import { RealClock, type Clock } from '../util/clock.js';
import { SipEndpoint } from '../sip/transaction/endpoint.js';
import { TcpTransport } from '../sip/transport/tcp.js';
import { UdpTransport } from '../sip/transport/udp.js';
import { isWildcard, LocalAddresses, localAddressFor } from '../sip/transport/local-address.js';
import type { MessageSource, SipTransport, TraceEvent } from '../sip/transport/transport.js';
import { UserAgent } from '../sip/dialog/user-agent.js';
import type { Pacer } from '../rtp/pacer.js';
import { createRtpTransport, type RtpEngineMode, type RtpSockets, type RtpTransport } from '../rtp/rtp-transport.js';
import { Call, type CallOptions } from './call.js';
import { parseTarget } from './call-headers.js';

export const VERSION = '0.1.0';

export interface PhoneOptions {
  /**
   * Address to bind and to advertise (Via, Contact, SDP). Default 127.0.0.1. A wildcard (0.0.0.0, ::)
   * binds every interface and each peer sees the address it reached us on (local-address.ts).
   */
  localIp?: string;
  /** Advertise this address instead (a NAT's public address, a container's host). */
  advertise?: string;
  /** SIP port (TCP and UDP). Default 0: any free port. */
  localPort?: number;
  /** Default transport for targets without transport=. Default tcp (Exchange UM speaks TCP). */
  transport?: 'tcp' | 'udp';
  /** RTP port range. Default 16384-32767. */
  rtpPortRange?: { min: number; max: number };
  userAgent?: string;
  credentials?: { username: string; password: string };
  clock?: Clock;
  /** Every SIP message in and out (for -v). */
  onTrace?: (e: TraceEvent) => void;
  /** Diagnostics from the SIP stack. */
  log?: (line: string) => void;
  /**
   * How RTP is paced and carried (rtp-transport.ts): 'main' (default, or UMPHONE_RTP_ENGINE), 'worker'
   * or 'native' (the C++ I/O thread: hundreds of calls in one process). Tests with a ManualClock always
   * get 'main'.
   */
  rtpEngine?: RtpEngineMode;
  /** SCHED_FIFO priority for the RTP I/O thread ('native', which runs one above it); see `rtp.realtimeRefused`. */
  rtpRealtimePriority?: number;
}

export class Phone {
  private readonly calls = new Set<Call>();

  private constructor(
    readonly ua: UserAgent,
    readonly endpoint: SipEndpoint,
    /** The process's RTP engine: its pacer, its sockets, its I/O thread if any. */
    readonly rtp: RtpTransport,
    readonly clock: Clock,
    readonly localIp: string,
    readonly transport: 'tcp' | 'udp',
    private readonly options: PhoneOptions,
  ) {}

  static async create(options: PhoneOptions = {}): Promise<Phone> {
    const clock = options.clock ?? new RealClock();
    const localIp = options.localIp ?? '127.0.0.1';
    const addresses = new LocalAddresses({
      bind: localIp, clock,
      ...(options.advertise !== undefined ? { advertise: options.advertise } : {}),
      ...(isWildcard(localIp) && options.advertise === undefined ? { fallback: await defaultRouteAddress(localIp) } : {}),
    });
    const transports: SipTransport[] = [];
    try {
      transports.push(await TcpTransport.listen({ clock, address: localIp, port: options.localPort ?? 0 }));
      // UDP on the same port number as TCP when we chose it (SIP's habit: one port for both).
      const port = options.localPort ?? transports[0]!.local.port;
      const udp = (p: number) => UdpTransport.listen({ clock, address: localIp, port: p, localAddresses: addresses });
      transports.push(await udp(port).catch(() => udp(0)));
    } catch (e) {
      await Promise.all(transports.map((t) => t.close()));
      throw e;
    }
    const endpointOpts: ConstructorParameters<typeof SipEndpoint>[0] = {
      clock,
      transports,
      validation: { supported: ['timer', 'replaces', 'norefersub'], acceptTypes: ['application/sdp', 'application/dtmf-relay', 'application/dtmf', 'message/sipfrag', 'application/simple-message-summary'] },
      localAddresses: addresses,
    };
    if (options.log) endpointOpts.log = options.log;
    const endpoint = new SipEndpoint(endpointOpts);
    const uaOpts: ConstructorParameters<typeof UserAgent>[0] = {
      endpoint, clock, userAgent: options.userAgent ?? `umphone/${VERSION}`,
    };
    if (options.credentials) uaOpts.credentials = options.credentials;
    if (options.log) uaOpts.log = options.log;
    const ua = new UserAgent(uaOpts);
    if (options.onTrace) ua.onTrace(options.onTrace);
    let rtp: RtpTransport;
    try {
      rtp = await createRtpTransport({
        clock,
        ...(options.rtpEngine ? { mode: options.rtpEngine } : {}),
        ...(options.rtpRealtimePriority !== undefined ? { realtimePriority: options.rtpRealtimePriority } : {}),
      });
    } catch (e) {
      await endpoint.close();
      throw e;
    }
    return new Phone(ua, endpoint, rtp, clock, localIp, options.transport ?? 'tcp', options);
  }

  /** Which of our addresses each peer sees: the one Via and Contact carry (local-address.ts). */
  get addresses(): LocalAddresses {
    return this.endpoint.localAddresses!;
  }

  /** Our address for the SDP c=/o= of a call with the peer that sent a request (Contact's, too). */
  addressFor(source: Pick<MessageSource, 'address' | 'local'>): string {
    return this.addresses.forPeer(source.address, source.local.address);
  }

  /** The one pacer of every call of this phone. */
  get pacer(): Pacer {
    return this.rtp.pacer;
  }

  /** An RTP/RTCP socket pair for a call of this phone (its address, its port range, its engine). */
  openMediaSocket(): Promise<RtpSockets> {
    return this.rtp.openSocketPair({ address: this.localIp, ...(this.options.rtpPortRange ? { portRange: this.options.rtpPortRange } : {}) });
  }

  /** The local address to use for calls to `host` (what the kernel routes from). */
  static localIpFor(host: string): Promise<string> {
    return localAddressFor(host);
  }

  /**
   * Start a call and return it at once (for progress, Ctrl-C → CANCEL): `call.answered` resolves when it
   * is answered or rejects with CallFailedError; `call.ended` resolves with the summary.
   */
  dial(target: string, options: CallOptions = {}): Call {
    const uri = parseTarget(target, this.transport);
    const call = new Call({
      ua: this.ua,
      clock: this.clock,
      pacer: this.pacer,
      protocol: this.transport,
      mediaAddress: this.addresses.forPeer(uri.params.get('maddr') ?? uri.host),
      openSocket: () => this.openMediaSocket(),
    }, uri, options);
    this.calls.add(call);
    void call.ended.then(() => this.calls.delete(call));
    return call;
  }

  /** Place a call and wait until it is answered (throws CallFailedError otherwise). */
  async call(target: string, options: CallOptions = {}): Promise<Call> {
    const call = this.dial(target, options);
    await call.answered;
    return call;
  }

  /** Hang up every call and close the transports and the RTP engine. */
  async close(): Promise<void> {
    await Promise.all([...this.calls].map((c) => c.hangup().catch(() => undefined)));
    await this.endpoint.close();
    await this.rtp.close();
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
