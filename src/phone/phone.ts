/**
 * The phone: a SIP user agent over the transports it is given, and one RTP pacer for all its calls.
 * `Phone.create()` opens real sockets (real-transports.ts); the CLI and the tests build the transports
 * themselves (real ones, or the in-memory network) and pass them to the constructor.
 *
 *   const phone = await Phone.create({ localIp: '127.0.0.1' });
 *   const call = await phone.call('sip:680@um.example.com;transport=tcp', { from: '111', diversion: ['613'] });
 *   await call.sendDtmf('#');
 *   await call.hangup();
 *   await phone.close();
 */
import { createRequire } from 'node:module';
import type { Clock } from '../util/clock.js';
import { SipEndpoint } from '../sip/transaction/endpoint.js';
import { LocalAddresses, localAddressFor } from '../sip/transport/local-address.js';
import type { MessageSource, TraceEvent, TransportProtocol } from '../sip/transport/transport.js';
import { UserAgent } from '../sip/dialog/user-agent.js';
import type { Pacer } from '../rtp/pacer.js';
import type { RtpEngineMode } from '../rtp/rtp-transport.js';
import type { MediaSocket } from './media-session.js';
import { Call, type CallOptions } from './call.js';
import { parseTarget } from './call-headers.js';
import { CallCapture, fileNameFor as recordPathFor } from './call-capture.js';
import { callInternals, type CallCore } from './call-core.js';
import { CallEvidence } from './call-evidence.js';
import { openRealTransports, type PhoneTransports } from './real-transports.js';

export type { MediaTransport, PhoneTransports } from './real-transports.js';

/**
 * The package's version, read from package.json at run time so it is written in one place; the path
 * holds from src/phone (tsx) and from dist/phone (the build) alike.
 */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

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
  transport?: TransportProtocol;
  /** RTP port range. Default 16384-32767. */
  rtpPortRange?: { min: number; max: number };
  /** The User-Agent header. Default "umphone/<version>". */
  userAgent?: string;
  /** Digest credentials for 401/407 challenges. */
  credentials?: { username: string; password: string };
  /** Every SIP message in and out (for -v). */
  onTrace?: (e: TraceEvent) => void;
  /** Diagnostics from the SIP stack. */
  log?: (line: string) => void;
  /**
   * How RTP is paced and carried (rtp-transport.ts): 'native' (the C++ I/O thread; the default where it
   * is built, else the RTP transport's `fallback` says why not) or 'main'; UMPHONE_RTP_ENGINE when not given.
   */
  rtpEngine?: RtpEngineMode;
  /** How far ahead the native engine produces payloads (ms; default 100, io-engine.ts DEFAULT_LEAD_MS): LIVE_INPUT_LEAD_MS for a microphone. */
  rtpLeadMs?: number;
  /** SCHED_FIFO priority for the native RTP I/O thread. */
  rtpRealtimePriority?: number;
}

/** What the phone's own layers (the listener, the CLI) reach that a library user does not. */
export interface PhoneInternals {
  readonly ua: UserAgent;
  readonly endpoint: SipEndpoint;
  readonly clock: Clock;
  readonly pacer: Pacer;
  /** Which of our addresses each peer sees. */
  readonly addresses: LocalAddresses;
  /** Our address for the SDP c=/o= of a call with the peer that sent a request (Contact's, too). */
  addressFor(source: Pick<MessageSource, 'address' | 'local'>): string;
  /** An RTP/RTCP socket pair for a call of this phone (its address, its port range). */
  openMediaSocket(): Promise<MediaSocket>;
  /** Keep a short history of SIP messages from now on, for captures of calls not yet created (listen). */
  keepTraceHistory(): void;
  /** A pcap of one call (call-capture.ts): fed the trace (history first) until the call ends. */
  captureCall(call: CallCore, path: (callId: string) => string, mediaAddress: string): CallCapture;
  /** Feeds a call's evidence the call's SIP (history first); resolves once it is complete (the BYE answered). */
  collectEvidence(call: CallCore, evidence: CallEvidence): Promise<void>;
}

let internals: (phone: Phone) => PhoneInternals;

/** The internals of a phone (not part of the public API). */
export function phoneInternals(phone: Phone): PhoneInternals {
  return internals(phone);
}

/** SIP messages kept for a capture that starts after them (an incoming call's INVITE). */
const TRACE_HISTORY = 32;
/** Longest wait after a captured call's end for its BYE's answer before the file closes. */
const CAPTURE_GRACE_MS = 2000;

export class Phone {
  /** The address we bind (and, unless it is a wildcard or `advertise` is given, advertise). */
  readonly localIp: string;
  readonly #ua: UserAgent;
  readonly #endpoint: SipEndpoint;
  readonly #addresses: LocalAddresses;
  readonly #transports: PhoneTransports;
  readonly #transport: TransportProtocol;
  readonly #portRange: { min: number; max: number } | undefined;
  readonly #calls = new Set<Call>();
  /** What the SIP trace feeds: the captures and evidence of calls in progress. */
  readonly #captures = new Set<{ sip(e: TraceEvent): void }>();
  readonly #capturesClosing = new Set<Promise<void>>();
  #traceHistory: TraceEvent[] | undefined;
  #tracing = false;

  static {
    internals = (p) => ({
      ua: p.#ua,
      endpoint: p.#endpoint,
      clock: p.#transports.clock,
      pacer: p.#transports.media.pacer,
      addresses: p.#addresses,
      addressFor: (source) => p.#addresses.forPeer(source.address, source.local.address),
      openMediaSocket: () => p.#openMediaSocket(),
      keepTraceHistory: () => p.#keepTraceHistory(),
      captureCall: (call, path, mediaAddress) => p.#captureCall(call, path, mediaAddress),
      collectEvidence: (call, evidence) => p.#follow(call, evidence, () => undefined),
    });
  }

  /** A phone over transports already open (the phone closes them with `close()`). */
  constructor(transports: PhoneTransports, options: Omit<PhoneOptions, 'advertise' | 'localPort' | 'rtpEngine' | 'rtpLeadMs' | 'rtpRealtimePriority'> = {}) {
    const clock = transports.clock;
    this.localIp = options.localIp ?? '127.0.0.1';
    this.#transports = transports;
    this.#transport = options.transport ?? 'tcp';
    this.#portRange = options.rtpPortRange;
    this.#addresses = transports.addresses ?? new LocalAddresses({ bind: this.localIp, clock });
    const endpointOpts: ConstructorParameters<typeof SipEndpoint>[0] = {
      clock,
      transports: transports.sip,
      validation: { supported: ['timer', 'replaces', 'norefersub'], acceptTypes: ['application/sdp', 'application/dtmf-relay', 'application/dtmf', 'message/sipfrag', 'application/simple-message-summary'] },
      localAddresses: this.#addresses,
    };
    if (options.log) endpointOpts.log = options.log;
    this.#endpoint = new SipEndpoint(endpointOpts);
    const uaOpts: ConstructorParameters<typeof UserAgent>[0] = {
      endpoint: this.#endpoint, clock, userAgent: options.userAgent ?? `umphone/${VERSION}`,
    };
    if (options.credentials) uaOpts.credentials = options.credentials;
    if (options.log) uaOpts.log = options.log;
    this.#ua = new UserAgent(uaOpts);
    if (options.onTrace) this.#ua.onTrace(options.onTrace);
  }

  /** A phone on real sockets: TCP and UDP on `localPort`, and the RTP engine. */
  static async create(options: PhoneOptions = {}): Promise<Phone> {
    const localIp = options.localIp ?? '127.0.0.1';
    const transports = await openRealTransports({
      localIp,
      ...(options.advertise !== undefined ? { advertise: options.advertise } : {}),
      ...(options.localPort !== undefined ? { localPort: options.localPort } : {}),
      ...(options.rtpEngine ? { rtpEngine: options.rtpEngine } : {}),
      ...(options.rtpLeadMs !== undefined ? { rtpLeadMs: options.rtpLeadMs } : {}),
      ...(options.rtpRealtimePriority !== undefined ? { rtpRealtimePriority: options.rtpRealtimePriority } : {}),
    });
    return new Phone(transports, { ...options, localIp });
  }

  /** The local address to use for calls to `host` (what the kernel routes from). */
  static localIpFor(host: string): Promise<string> {
    return localAddressFor(host);
  }

  /**
   * Start a call and return it at once (for progress, or to cancel it): `call.answered` resolves when
   * it is answered or rejects with CallFailedError; `call.ended` resolves with the summary.
   */
  dial(target: string, options: CallOptions = {}): Call {
    const uri = parseTarget(target, this.#transport);
    const mediaAddress = this.#addresses.forPeer(uri.params.get('maddr') ?? uri.host);
    let capture: CallCapture | undefined;
    const evidence = options.evidence ? new CallEvidence(this.#transports.clock, () => call.callId) : undefined;
    const call: Call = new Call({
      ua: this.#ua,
      clock: this.#transports.clock,
      pacer: this.#transports.media.pacer,
      protocol: this.#transport,
      mediaAddress,
      openSocket: async (wrap) => {
        const raw = await this.#openMediaSocket();
        // SRTP below the capture: the pcap holds the decrypted RTP (issue 17).
        const socket = wrap ? wrap(raw) : raw;
        return capture ? capture.wrapSocket(socket) : socket;
      },
      ...(evidence ? { evidence } : {}),
    }, uri, options);
    if (evidence) void this.#follow(call, evidence, () => undefined);
    const pcap = options.pcap;
    if (pcap !== undefined) capture = this.#captureCall(call, (id) => recordPathFor(pcap, 1, id), mediaAddress);
    this.#calls.add(call);
    void call.ended.then(() => this.#calls.delete(call));
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
    await Promise.all([...this.#calls].map((c) => c.hangup().catch(() => undefined)));
    // A capture's last messages (the BYE's answer) come before the transports close.
    await Promise.all([...this.#capturesClosing]);
    await this.#endpoint.close();
    await this.#transports.media.close();
  }

  #keepTraceHistory(): void {
    this.#traceHistory ??= [];
    this.#startTracing();
  }

  #startTracing(): void {
    if (this.#tracing) return;
    this.#tracing = true;
    this.#ua.onTrace((e) => {
      for (const c of this.#captures) c.sip(e);
      const h = this.#traceHistory;
      if (!h) return;
      // An incoming INVITE and what answered it before the call object existed: a few messages suffice.
      h.push(e);
      if (h.length > TRACE_HISTORY) h.shift();
    });
  }

  #captureCall(call: CallCore, path: (callId: string) => string, mediaAddress: string): CallCapture {
    const clock = this.#transports.clock;
    const internals = callInternals(call);
    // A write error (disk full, no permission) is one warning line; the call goes on without the capture.
    const capture = new CallCapture({
      clock, path, callId: () => call.callId, mediaAddress, warn: (line) => internals.warn(line),
      native: this.#transports.media.mode === 'native',
    });
    internals.captureFile = () => capture.file;
    this.#follow(call, capture, () => capture.close());
    return capture;
  }

  /** Feeds `sink` the call's SIP (history first) until the call has ended and its BYE has its answer. */
  #follow(call: CallCore, sink: { sip(e: TraceEvent): void }, close: () => void | Promise<void>): Promise<void> {
    const clock = this.#transports.clock;
    this.#startTracing();
    if (call.callId !== '') for (const e of this.#traceHistory ?? []) sink.sip(e);
    this.#captures.add(sink);
    // The call ends before its BYE goes out: the file closes once the BYE has its answer, or a grace after.
    const done = new Promise<void>((resolve) => {
      void call.ended.then(() => {
        const stop = (): void => {
          timer.cancel();
          if (!this.#captures.delete(sink)) return;
          // Resolved once the sink is done (a capture: its file on disk): Phone.close() awaits it before the CLI exits.
          void Promise.resolve(close()).then(() => resolve());
        };
        const timer = clock.setTimeout(stop, CAPTURE_GRACE_MS);
        void callInternals(call).settled.then(stop);
      });
    });
    this.#capturesClosing.add(done);
    void done.then(() => this.#capturesClosing.delete(done));
    return done;
  }

  #openMediaSocket(): Promise<MediaSocket> {
    return this.#transports.media.openSocketPair({ address: this.localIp, ...(this.#portRange ? { portRange: this.#portRange } : {}) });
  }
}
