/**
 * The UM worker (Exchange's UMWorkerProcess, TCP 5065/5067, TLS 5066/5068): takes the INVITE the front
 * redirected, answers it with an SDP answer (the first offered of PCMU/PCMA, and telephone-event) and
 * runs the menus on it. A called number listed under `forwards:` is redirected (302) before answering
 * instead. Over TLS a caller whose certificate is not a configured gateway's gets 403; in Secured mode
 * an offer without usable SRTP gets 488 with a Warning (security.ts).
 */
import type { Clock } from '../util/clock.js';
import { SipEndpoint } from '../sip/transaction/endpoint.js';
import type { SipTransport } from '../sip/transport/transport.js';
import { UserAgent } from '../sip/dialog/user-agent.js';
import { createResponse, parseUri, randomTag, type SipRequest } from '../sip/message/index.js';
import type { IncomingRequest } from '../sip/transaction/endpoint.js';
import type { Pacer } from '../rtp/pacer.js';
import { IncomingCall } from '../phone/incoming-call.js';
import type { MediaTransport } from '../phone/phone.js';
import { callInternals } from '../phone/call-core.js';
import type { MenuConfig } from './menu-config.js';
import type { MenuKind, MenuState } from './menu-engine.js';
import type { MailboxStore } from './mailbox-store.js';
import type { PromptLibrary } from './prompt-library.js';
import { EXCHANGE_SERVER, exchangeContact, exchangeStyle } from './exchange-style.js';
import { refuseGateway } from './redirector.js';
import { gatewayRefusal, securedOfferRefusal, type UmSecurity } from './security.js';
import { traceEntry, type UmLogSink } from './sip-log.js';
import { UmCall } from './um-call.js';

export interface WorkerOptions {
  clock: Clock;
  /** Our address (Via, Contact, SDP). */
  address: string;
  /** The SIP transport it listens on (TCP, as Exchange's worker) and the RTP side of its calls. */
  sip: SipTransport;
  media: MediaTransport;
  config: MenuConfig;
  store: MailboxStore;
  prompts: PromptLibrary;
  rtpPortRange?: { min: number; max: number };
  /** Exchange's dial plan security (default unsecured); `sip` is TLS for the other two. */
  security?: UmSecurity;
  /** TLS: the gateways' certificate names (security.ts gatewayRefusal). */
  peerNames?: readonly string[];
  log?: UmLogSink;
}

/** A call the worker handled, once it has ended (for tests and the log). */
export interface HandledCall {
  callId: string;
  kind: MenuKind | undefined;
  path: MenuState[];
}

export class UmWorker {
  readonly handled: HandledCall[] = [];
  private readonly active = new Set<IncomingCall>();
  private readonly endWaiters: Array<(c: HandledCall) => void> = [];

  private readonly endpoint: SipEndpoint;
  private readonly ua: UserAgent;
  /** The port callers are redirected to. */
  readonly port: number;

  /** A worker on transports already open (it closes them with `close()`). */
  constructor(private readonly o: WorkerOptions) {
    this.port = o.sip.local.port;
    this.endpoint = new SipEndpoint({
      clock: o.clock,
      transports: [o.sip],
      viaHost: o.address,
      validation: {
        supported: ['timer', 'replaces', 'norefersub'],
        acceptTypes: ['application/sdp', 'application/dtmf-relay', 'application/dtmf', 'message/sipfrag'],
      },
      ...(o.log ? { log: (line: string) => o.log!({ kind: 'info', role: 'worker', line }) } : {}),
    });
    this.ua = new UserAgent({ endpoint: this.endpoint, clock: o.clock, userAgent: EXCHANGE_SERVER, advertisedAddress: o.address });
    if (o.log) this.ua.onTrace((e) => o.log!(traceEntry('worker', e)));
    this.ua.onInvite((r) => void this.onInvite(r));
  }

  private get pacer(): Pacer {
    return this.o.media.pacer;
  }

  /** Resolves with the next call that ends. */
  nextCallEnded(): Promise<HandledCall> {
    return new Promise((r) => this.endWaiters.push(r));
  }

  private async onInvite(r: IncomingRequest): Promise<void> {
    const req = r.request;
    const refused = gatewayRefusal(r.source, this.o.peerNames);
    if (refused !== undefined) return refuseGateway(r, this.o.address, 'worker', refused, this.o.log);
    if (this.o.security === 'secured') {
      const bad = securedOfferRefusal(req, this.o.address);
      if (bad) return this.refuseOffer(r, bad.warning, bad.why);
    }
    const called = userOf(req);
    const forward = called !== undefined ? this.o.config.forwards.get(called) : undefined;
    if (forward !== undefined) return this.forward(r, called!, forward);
    const call = new IncomingCall({
      ua: this.ua,
      clock: this.o.clock,
      pacer: this.pacer,
      mediaAddress: this.o.address,
      openSocket: async (wrap) => {
        const socket = await this.o.media.openSocketPair({ address: this.o.address, ...(this.o.rtpPortRange ? { portRange: this.o.rtpPortRange } : {}) });
        return wrap ? wrap(socket) : socket;
      },
    }, r, { codecs: ['PCMU', 'PCMA'], ...(this.o.security === 'secured' ? { srtp: 'mandatory' as const } : {}) });
    // The menus run their own voice activity detector: no listener for waits on the server's calls.
    callInternals(call).configureEar({ fromStart: false });
    this.active.add(call);
    const umCall = new UmCall({
      call, config: this.o.config, clock: this.o.clock, store: this.o.store, prompts: this.o.prompts, address: this.o.address,
      ...(this.o.log ? { log: this.o.log } : {}),
    });
    void call.ended.then(() => {
      this.active.delete(call);
      const h: HandledCall = { callId: call.callId, kind: umCall.engine.kind, path: [...umCall.engine.path] };
      this.handled.push(h);
      for (const w of this.endWaiters.splice(0)) w(h);
    });
    try {
      await call.answer({ rtpTimeout: 60_000 });
    } catch (e) {
      this.o.log?.({ kind: 'call', role: 'worker', line: `call ${call.callId.slice(0, 8)} not answered: ${(e as Error).message}` });
      return;
    }
    if (callInternals(call).media) return umCall.start();
    // Delayed offer: media starts with the ACK's answer.
    const off = call.onEvent((e) => {
      if (e.type === 'answered') {
        off();
        umCall.start();
      }
    });
  }

  /** Secured mode: 488 Not Acceptable Here with the Warning saying what the offer lacks. */
  private refuseOffer(r: IncomingRequest, warning: string, why: string): void {
    this.o.log?.({ kind: 'call', role: 'worker', line: `refused INVITE from ${r.source.address}:${r.source.port} with 488: ${why}` });
    const res = createResponse(r.request, 488, 'Not Acceptable Here', { toTag: randomTag(), headers: [['Warning', warning], ['Server', EXCHANGE_SERVER]] });
    r.transaction.respond(exchangeStyle(res));
  }

  /** `forwards:` 302 before answering, to an extension at the caller's host or to a SIP URI. */
  private forward(r: IncomingRequest, called: string, to: string): void {
    let contact: string;
    if (/^sips?:/i.test(to)) {
      contact = `<${to}>`;
    } else {
      const host = r.source.address;
      contact = exchangeContact(to, host.includes(':') ? `[${host}]` : host, r.source.port, false, r.source.protocol === 'tls' ? 'tls' : 'tcp');
    }
    this.o.log?.({ kind: 'call', role: 'worker', line: `forwarding ${called} to ${to} (302 before answering)` });
    const res = createResponse(r.request, 302, 'Moved Temporarily', { toTag: randomTag(), headers: [['Contact', contact], ['Server', EXCHANGE_SERVER]] });
    r.transaction.respond(exchangeStyle(res));
  }

  async close(): Promise<void> {
    await Promise.all([...this.active].map((c) => c.hangup().catch(() => undefined)));
    await this.endpoint.close();
    await this.o.media.close();
  }
}

function userOf(req: SipRequest): string | undefined {
  try {
    return parseUri(req.uri).user;
  } catch {
    return undefined;
  }
}
