/**
 * The UA core (RFC 3261 §8 and §12-§15) over a SipEndpoint: routes requests to the dialogs they belong
 * to, answers what belongs to no dialog (OPTIONS 200 whatever the Request-URI, 481 for an unknown
 * dialog, 405 for methods a UA does not take outside a dialog), hands new INVITEs to the application,
 * and sends non-INVITE requests with digest authentication.
 */
import type { Clock } from '../../util/clock.js';
import {
  createResponse, getCSeq, getCallId, getFrom, getProxyAuthenticate, getTo, getWwwAuthenticate,
  randomBranch, randomTag, type SipRequest, type SipResponse, type SipUri,
} from '../message/index.js';
import type { HostPort, MessageSource, TraceEvent, TransportProtocol } from '../transport/transport.js';
import type { IncomingRequest, SipEndpoint, Target } from '../transaction/endpoint.js';
import type { TransactionTimeoutError } from '../transaction/transaction.js';
import { digestAuthorization, type DigestCredentials } from './digest-auth.js';
import { nextHop } from './target-set.js';

/** Methods we implement, for Allow (RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY';
export const ACCEPT = 'application/sdp, application/dtmf-relay, application/dtmf, message/sipfrag, application/simple-message-summary';
export const SUPPORTED = 'timer, replaces, norefersub';

/** What a dialog-owning session does with requests of its dialog. */
export interface DialogRequestHandler {
  /** A request within the dialog (its server transaction answers through `r.transaction`). */
  onRequest(r: IncomingRequest): void;
  /** The ACK for our 2xx. */
  onAck?(ack: SipRequest): void;
}

export interface UserAgentOptions {
  endpoint: SipEndpoint;
  clock: Clock;
  /** Product token for User-Agent / Server headers. */
  userAgent?: string;
  credentials?: DigestCredentials;
  /** The address written in Contact (default: the transport's bound address). */
  advertisedAddress?: string;
  /** Diagnostics. */
  log?: (line: string) => void;
}

/** Outcome of a non-INVITE request: its final response, or why there was none. */
export type RequestOutcome =
  | { kind: 'response'; response: SipResponse }
  | { kind: 'timeout'; error: TransactionTimeoutError }
  | { kind: 'transport-error'; error: Error };

export class UserAgent {
  readonly endpoint: SipEndpoint;
  readonly clock: Clock;
  readonly userAgent: string;
  readonly credentials: DigestCredentials | undefined;
  readonly advertisedAddress: string | undefined;
  private readonly dialogs = new Map<string, DialogRequestHandler>();
  private inviteHandler: ((r: IncomingRequest) => void) | undefined;
  private outOfDialogHandler: ((r: IncomingRequest) => boolean) | undefined;
  private requestFilter: ((r: IncomingRequest) => boolean) | undefined;
  private readonly log: (line: string) => void;

  constructor(opts: UserAgentOptions) {
    this.endpoint = opts.endpoint;
    this.clock = opts.clock;
    this.userAgent = opts.userAgent ?? 'umphone';
    this.credentials = opts.credentials;
    this.advertisedAddress = opts.advertisedAddress;
    this.log = opts.log ?? (() => undefined);
    this.endpoint.onRequest((r) => this.route(r));
    this.endpoint.onAck((ack) => this.routeAck(ack));
  }

  /** New INVITEs outside any dialog (listen mode, the UM server). Without a handler: 480. */
  onInvite(handler: (r: IncomingRequest) => void): void {
    this.inviteHandler = handler;
  }

  /** Other out-of-dialog requests (NOTIFY for message-summary, REFER, ...): return true when handled. */
  onOutOfDialogRequest(handler: (r: IncomingRequest) => boolean): void {
    this.outOfDialogHandler = handler;
  }

  /**
   * Sees every new request first (in or out of a dialog, OPTIONS and CANCEL too): return false after
   * answering it yourself (e.g. 403 for a source outside an allow list) to stop it there.
   */
  onRequestFilter(filter: ((r: IncomingRequest) => boolean) | undefined): void {
    this.requestFilter = filter;
  }

  onTrace(handler: (e: TraceEvent) => void): void {
    this.endpoint.onTrace(handler);
  }

  /** Register the session that owns a dialog (key: Call-ID and both tags). */
  registerDialog(callId: string, localTag: string, remoteTag: string, handler: DialogRequestHandler): () => void {
    const key = dialogKey(callId, localTag, remoteTag);
    this.dialogs.set(key, handler);
    return () => {
      if (this.dialogs.get(key) === handler) this.dialogs.delete(key);
    };
  }

  /**
   * The local Contact for a transport: `<sip:user@ip:port;transport=tcp>`. `peer`: whom it is for (the
   * source of the request we answer, the target we call), when our address depends on it (endpoint's
   * localAddresses).
   */
  contact(protocol: TransportProtocol, user?: string, peer?: { address: string; local?: HostPort }): string {
    const t = this.endpoint.transport(protocol);
    if (!t) throw new Error(`No ${protocol.toUpperCase()} transport`);
    const addr = this.advertisedAddress ?? this.endpoint.localAddresses?.forPeer(peer?.address, peer?.local?.address) ?? t.local.address;
    const host = addr.includes(':') ? `[${addr}]` : addr;
    const userPart = user ? `${user}@` : '';
    return `<sip:${userPart}${host}:${t.local.port}${protocol === 'udp' ? '' : `;transport=${protocol}`}>`;
  }

  /** Where a request to `uri` goes (first Route if any, else the URI), by RFC 3263 without DNS. */
  targetFor(uri: SipUri, defaultProtocol: TransportProtocol, route?: SipUri): Target {
    const hop = nextHop(route ?? uri, defaultProtocol);
    return { protocol: hop.protocol, address: hop.address, port: hop.port };
  }

  /**
   * Send a non-INVITE request in a client transaction and wait for its final response; a 401/407 is
   * answered once with our credentials (RFC 3261 §22.2), with the CSeq incremented and a new branch.
   */
  async request(req: SipRequest, target: Target, onCSeqBump?: (seq: number) => void): Promise<RequestOutcome> {
    let outcome = await this.once(req, target);
    if (outcome.kind === 'response' && (outcome.response.status === 401 || outcome.response.status === 407) && this.credentials) {
      const retry = this.withAuthorization(req, outcome.response);
      if (retry) {
        onCSeqBump?.(getCSeq(retry).seq);
        outcome = await this.once(retry, target);
      }
    }
    return outcome;
  }

  /**
   * A copy of `req` carrying credentials for the challenge in `res`, CSeq + 1 and no Via (a new
   * transaction), or undefined when we have no credentials or cannot answer the challenge.
   */
  withAuthorization(req: SipRequest, res: SipResponse): SipRequest | undefined {
    if (!this.credentials) return undefined;
    const proxy = res.status === 407;
    const challenges = proxy ? getProxyAuthenticate(res) : getWwwAuthenticate(res);
    const digest = challenges.find((c) => c.scheme.toLowerCase() === 'digest');
    if (!digest) return undefined;
    const next: SipRequest = { ...req, headers: req.headers.clone() };
    next.headers.remove('Via');
    const { seq, method } = getCSeq(req);
    next.headers.set('CSeq', `${seq + 1} ${method}`);
    try {
      const value = digestAuthorization(digest, this.credentials, { method: req.method, uri: req.uri, body: req.body });
      next.headers.set(proxy ? 'Proxy-Authorization' : 'Authorization', value);
    } catch (e) {
      this.log(`cannot answer the ${res.status} challenge: ${(e as Error).message}`);
      return undefined;
    }
    return next;
  }

  private once(req: SipRequest, target: Target): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      this.endpoint.request(req, target, {
        onResponse: (response) => {
          if (response.status >= 200) resolve({ kind: 'response', response });
        },
        onTimeout: (error) => resolve({ kind: 'timeout', error }),
        onTransportError: (error) => resolve({ kind: 'transport-error', error }),
      });
    });
  }

  /** Send an ACK (for a 2xx) or another request without a transaction. */
  sendStateless(req: SipRequest, target: Target): Promise<void> {
    if (!req.headers.has('Via')) {
      req.headers.prepend('Via', `${this.endpoint.sentBy(target.protocol, target.address)};branch=${randomBranch()};rport`);
    }
    return this.endpoint.sendStateless(req, target);
  }

  /** The 200 to OPTIONS: capabilities (RFC 3261 §11.2), also inside dialogs and during calls. */
  optionsResponse(req: SipRequest): SipResponse {
    return createResponse(req, 200, 'OK', {
      toTag: getTo(req).params.get('tag') ?? randomTag(),
      headers: [['Allow', ALLOW], ['Accept', ACCEPT], ['Supported', SUPPORTED], ['Accept-Language', 'en'], ['Server', this.userAgent]],
    });
  }

  private route(r: IncomingRequest): void {
    if (this.requestFilter && !this.requestFilter(r)) return;
    const req = r.request;
    let toTag: string | null | undefined;
    let key: string;
    try {
      toTag = getTo(req).params.get('tag');
      key = dialogKey(getCallId(req), toTag ?? '', getFrom(req).params.get('tag') ?? '');
    } catch (e) {
      r.transaction.respond(createResponse(req, 400, `Bad request: ${(e as Error).message}`.slice(0, 100)));
      return;
    }
    if (r.cancels) {
      // CANCEL of an INVITE that is not yet answered: the owner of that INVITE handles it.
      const owner = this.pendingInvites.get(r.cancels);
      if (owner) return owner(r);
      r.transaction.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    if (toTag) {
      const handler = this.dialogs.get(key);
      if (handler) return handler.onRequest(r);
      // §12.2.2: "If the UAS receives a request ... [that] does not match any existing dialog ... 481"
      if (req.method === 'OPTIONS') return r.transaction.respond(this.optionsResponse(req));
      return r.transaction.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
    }
    switch (req.method) {
      case 'OPTIONS':
        // Exchange pings its gateways with OPTIONS sip:<ip>:5060;transport=TCP (no user part): always 200.
        return r.transaction.respond(this.optionsResponse(req));
      case 'INVITE':
        if (this.inviteHandler) return this.inviteHandler(r);
        return r.transaction.respond(createResponse(req, 480, 'Temporarily Unavailable', { toTag: randomTag() }));
      case 'BYE':
      case 'UPDATE':
      case 'INFO':
      case 'PRACK':
        return r.transaction.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', { toTag: randomTag() }));
      default:
        if (this.outOfDialogHandler?.(r)) return;
        return r.transaction.respond(createResponse(req, 405, 'Method Not Allowed', {
          toTag: randomTag(), headers: [['Allow', ALLOW]],
        }));
    }
  }

  /** INVITE server transactions still pending, with the function handling their CANCEL. */
  readonly pendingInvites = new Map<object, (cancel: IncomingRequest) => void>();

  private readonly ackWaiters = new Map<string, () => void>();

  /** Call `onAck` when the ACK for the 2xx of this dialog arrives (§13.3.1.4). Returns the unregister function. */
  registerAckWaiter(d: { callId: string; localTag: string; remoteTag: string }, onAck: () => void): () => void {
    const key = dialogKey(d.callId, d.localTag, d.remoteTag);
    this.ackWaiters.set(key, onAck);
    return () => {
      if (this.ackWaiters.get(key) === onAck) this.ackWaiters.delete(key);
    };
  }

  private routeAck(ack: SipRequest): void {
    try {
      const key = dialogKey(getCallId(ack), getTo(ack).params.get('tag') ?? '', getFrom(ack).params.get('tag') ?? '');
      const waiter = this.ackWaiters.get(key);
      if (waiter) waiter();
      const handler = this.dialogs.get(key);
      if (handler?.onAck) handler.onAck(ack);
      else if (waiter) return;
      else this.log(`ACK matching no dialog dropped (${ack.uri})`);
    } catch (e) {
      this.log(`unreadable ACK dropped: ${(e as Error).message}`);
    }
  }
}

/** Source of a request, for logs. */
export function describeSource(s: MessageSource): string {
  return `${s.protocol.toUpperCase()} ${s.address}:${s.port}`;
}

function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}
