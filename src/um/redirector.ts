/**
 * The front of the UM server: Exchange's "UM service" (2007/2010, TCP 5060) or "call router"
 * (2013+, TCP 5060 → UM service 5062). It answers OPTIONS 200 (the gateways' keep-alive) and every
 * INVITE with `302 Moved Temporarily` whose Contact names the next hop, keeping the called user:
 * `<sip:6000@host:5065;transport=Tcp;maddr=host>`. Exchange redirects each call to the worker
 * process that will take it; the caller sends the INVITE again there (RFC 3261 §8.1.3.4). The 302 is
 * sent by the INVITE server transaction, which takes the caller's ACK (§17.2.1).
 *
 * TCP, or mutual TLS for SIP Secured and Secured dial plans (then the 302 says `transport=TLS` and a
 * caller whose certificate names no configured gateway gets 403, security.ts), never UDP, as Exchange.
 */
import type { Clock } from '../util/clock.js';
import { SipEndpoint } from '../sip/transaction/endpoint.js';
import type { SipTransport } from '../sip/transport/transport.js';
import { UserAgent } from '../sip/dialog/user-agent.js';
import { createResponse, parseUri, randomTag, getTo } from '../sip/message/index.js';
import type { IncomingRequest } from '../sip/transaction/endpoint.js';
import { EXCHANGE_SERVER, exchangeContact, exchangeStyle, exchangeWarning } from './exchange-style.js';
import { gatewayRefusal } from './security.js';
import { traceEntry, type UmLogSink } from './sip-log.js';

export interface RedirectorOptions {
  clock: Clock;
  /** Our address (Via, and Contact/maddr of the OPTIONS answer). */
  address: string;
  /** The transport it listens on (TCP, or TLS in the secured modes, as Exchange). */
  sip: SipTransport;
  /** Where the 302 sends the caller (the worker's TLS port when `sip` is TLS). */
  next: { host: string; port: number };
  /** TLS: the gateways' certificate names (security.ts gatewayRefusal); others get 403. */
  peerNames?: readonly string[];
  /** For the log: 'UM service' or 'call router'. */
  role: string;
  log?: UmLogSink;
}

export class Redirector {
  /** INVITEs redirected so far. */
  redirected = 0;

  private readonly endpoint: SipEndpoint;
  private readonly ua: UserAgent;
  /** The port it listens on. */
  readonly port: number;

  /** A front on a transport already open (it closes it with `close()`). */
  constructor(private readonly opts: RedirectorOptions) {
    this.port = opts.sip.local.port;
    this.endpoint = new SipEndpoint({
      clock: opts.clock,
      transports: [opts.sip],
      viaHost: opts.address,
      validation: { supported: [], acceptTypes: ['application/sdp'] },
      ...(opts.log ? { log: (line: string) => opts.log!({ kind: 'info', role: opts.role, line }) } : {}),
    });
    this.ua = new UserAgent({ endpoint: this.endpoint, clock: opts.clock, userAgent: EXCHANGE_SERVER, advertisedAddress: opts.address });
    if (opts.log) this.ua.onTrace((e) => opts.log!(traceEntry(opts.role, e)));
    // The redirector keeps no dialogs: it takes the requests itself (replacing the UA core's router),
    // and uses the UA core for the capabilities of its OPTIONS answer.
    this.endpoint.onRequest((req) => this.onRequest(req));
  }

  private onRequest(r: IncomingRequest): void {
    const method = r.request.method;
    if (method === 'ACK') return;
    const refused = gatewayRefusal(r.source, this.opts.peerNames);
    if (refused !== undefined) return refuseGateway(r, this.opts.address, this.opts.role, refused, this.opts.log);
    if (method === 'OPTIONS') {
      const res = this.ua.optionsResponse(r.request);
      res.headers.set('Server', EXCHANGE_SERVER);
      res.headers.remove('Accept-Language');
      return r.transaction.respond(exchangeStyle(res));
    }
    if (method === 'INVITE' && !getToTag(r)) return this.redirect(r);
    // A CANCEL of an INVITE already redirected never reaches us: the endpoint answers it 200 (§9.2).
    // There are no dialogs here: in-dialog requests get 481 (§12.2.2), other methods 405 (§8.2.1).
    const inDialog = getToTag(r) !== undefined || ['BYE', 'INFO', 'UPDATE', 'PRACK', 'CANCEL'].includes(method);
    const res = inDialog
      ? createResponse(r.request, 481, 'Call/Transaction Does Not Exist', { toTag: randomTag(), headers: [['Server', EXCHANGE_SERVER]] })
      : createResponse(r.request, 405, 'Method Not Allowed', { toTag: randomTag(), headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS'], ['Server', EXCHANGE_SERVER]] });
    r.transaction.respond(exchangeStyle(res));
  }

  private redirect(r: IncomingRequest): void {
    const req = r.request;
    let user: string | undefined;
    let userPhone = false;
    try {
      const uri = parseUri(req.uri);
      user = uri.user;
      userPhone = uri.params.get('user') === 'phone';
    } catch {
      user = undefined;
    }
    const contact = exchangeContact(user, this.opts.next.host, this.opts.next.port, userPhone, this.opts.sip.protocol === 'tls' ? 'tls' : 'tcp');
    const res = createResponse(req, 302, 'Moved Temporarily', {
      toTag: randomTag(),
      headers: [['Contact', contact], ['Server', EXCHANGE_SERVER]],
    });
    this.redirected++;
    const tls = this.opts.sip.protocol === 'tls' ? ' over TLS' : '';
    this.opts.log?.({ kind: 'call', role: this.opts.role, line: `redirecting ${user ?? req.uri} to ${this.opts.next.host}:${this.opts.next.port}${tls} (302)` });
    r.transaction.respond(exchangeStyle(res));
  }

  async close(): Promise<void> {
    await this.endpoint.close();
  }
}

function getToTag(r: IncomingRequest): string | undefined {
  try {
    return getTo(r.request).params.get('tag') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * 403 Forbidden to a TLS caller whose certificate is not a configured gateway's, with a Warning and one
 * log line (the UM service and the worker both check: the worker's port is reachable directly too).
 */
export function refuseGateway(r: IncomingRequest, agent: string, role: string, why: string, log: UmLogSink | undefined): void {
  const from = `${r.source.address}:${r.source.port}`;
  log?.({ kind: 'call', role, line: `refused ${r.request.method} from ${from} with 403: ${why}` });
  const res = createResponse(r.request, 403, 'Forbidden', {
    toTag: randomTag(),
    headers: [['Warning', exchangeWarning(agent, `TLS peer is not a configured IP gateway: ${why}`)], ['Server', EXCHANGE_SERVER]],
  });
  r.transaction.respond(exchangeStyle(res));
}
