/**
 * SipEndpoint: transports + transaction layer + the server edge. The one object a UA core (dialog,
 * phone, the UM server) talks to:
 * - request(req, target, tu) starts a client transaction (adding our Via with a fresh branch when the
 *   request has none);
 * - onRequest(handler) receives each new server transaction; ACKs for 2xx (and any ACK matching no
 *   transaction) come through onAck (RFC 3261 §17.2.3: "the ACK ... is passed to the TU");
 * - the server edge: bytes that do not parse are answered 400 (or the parse error's status, e.g. 505,
 *   513) with the parser's reason as Reason-Phrase whenever Via, Call-ID and CSeq can still be read;
 *   requests that parse but fail validateRequest get its response; a CANCEL matching nothing gets 481
 *   (§9.2). No input takes a socket or connection down (the TCP transport closes only connections
 *   whose framing is lost).
 * - onTrace(handler) sees every message sent and received (sngrep-like `-v` output).
 */
import type { Clock } from '../../util/clock.js';
import {
  Headers,
  createResponse,
  getTopVia,
  randomBranch,
  randomTag,
  serializeMessage,
  validateRequest,
  validateResponse,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type ValidateOptions,
} from '../message/index.js';
import {
  tooLargeForUdp,
  type HostPort,
  type InboundParseError,
  type MessageSource,
  type SipTransport,
  type TraceEvent,
  type TransportError,
  type TransportProtocol,
} from '../transport/transport.js';
import { responseTarget, viaNamesUs, type ResponseRoutingOptions } from '../transport/via-processing.js';
import type { LocalAddresses } from '../transport/local-address.js';
import { salvageHeaders } from './header-values.js';
import { InviteServerTransaction } from './invite-server.js';
import { TransactionLayer, type ClientTransaction, type ServerTransaction } from './layer.js';
import type { TimerConfig } from './timers.js';
import type { ClientTransactionUser } from './transaction.js';

export interface SipEndpointOptions extends ResponseRoutingOptions {
  clock: Clock;
  transports: SipTransport[];
  timers?: Partial<TimerConfig>;
  /** What validateRequest checks new requests against (supported option tags, body types, methods). */
  validation?: ValidateOptions;
  /** Host written in our Via sent-by (default: the one localAddresses picks, else the transport's bound address). */
  viaHost?: string;
  /**
   * Which of our addresses each peer sees (sockets bound to a wildcard, or an advertised address): the
   * Via of each request takes the one for its target; every message received teaches it where that
   * peer reaches us. The UA's Contact reads it too.
   */
  localAddresses?: LocalAddresses;
  /** RFC 3261 §18.1.1: send a UDP request above 1300 bytes over TCP when a TCP transport exists (default true). */
  udpSizeFallback?: boolean;
  /** Diagnostics (dropped messages and why). */
  log?: (line: string) => void;
}

export interface Target extends HostPort {
  protocol: TransportProtocol;
}

export interface IncomingRequest {
  request: SipRequest;
  source: MessageSource;
  transaction: ServerTransaction;
  /** For a CANCEL: the INVITE server transaction it cancels (§9.2). The TU answers both (200, 487). */
  cancels?: InviteServerTransaction;
}

export class SipEndpoint {
  readonly layer: TransactionLayer;
  private requestHandler: ((r: IncomingRequest) => void) | undefined;
  private readonly ackHandlers: Array<(ack: SipRequest, source: MessageSource) => void> = [];
  private readonly strayHandlers: Array<(res: SipResponse, source: MessageSource) => void> = [];
  private readonly traceHandlers: Array<(e: TraceEvent) => void> = [];
  private readonly transportErrorHandlers: Array<(e: TransportError) => void> = [];

  constructor(private readonly options: SipEndpointOptions) {
    this.layer = new TransactionLayer({ clock: options.clock, timers: options.timers });
    for (const t of options.transports) {
      t.onMessage((m, source) => this.receive(t, m, source));
      t.onParseError((e) => this.answerUnparseable(e));
      t.onTrace((e) => {
        for (const h of this.traceHandlers) h(e);
      });
      t.onError((e) => {
        for (const h of this.transportErrorHandlers) h(e);
      });
    }
  }

  /** The transport for a protocol (the first one registered). */
  transport(protocol: TransportProtocol): SipTransport | undefined {
    return this.options.transports.find((t) => t.protocol === protocol);
  }

  get localAddresses(): LocalAddresses | undefined {
    return this.options.localAddresses;
  }

  /** `SIP/2.0/UDP host:port`: the Via sent-protocol and sent-by we insert for a transport (towards `peer`). */
  sentBy(protocol: TransportProtocol, peer?: string): string {
    const t = this.requireTransport(protocol);
    return `SIP/2.0/${protocol.toUpperCase()} ${this.ourHost(t.local.address, peer)}:${t.local.port}`;
  }

  onRequest(handler: (r: IncomingRequest) => void): void {
    this.requestHandler = handler;
  }
  onAck(handler: (ack: SipRequest, source: MessageSource) => void): void {
    this.ackHandlers.push(handler);
  }
  /** Responses matching no client transaction (e.g. a 2xx retransmitted after Timer M). */
  onStrayResponse(handler: (res: SipResponse, source: MessageSource) => void): void {
    this.strayHandlers.push(handler);
  }
  onTrace(handler: (e: TraceEvent) => void): void {
    this.traceHandlers.push(handler);
  }
  /** Connection failures not tied to a send (a reset, a TLS alert after the handshake); returns a remover. */
  onTransportError(handler: (e: TransportError) => void): () => void {
    this.transportErrorHandlers.push(handler);
    return () => {
      const i = this.transportErrorHandlers.indexOf(handler);
      if (i >= 0) this.transportErrorHandlers.splice(i, 1);
    };
  }

  /**
   * Send a request in a new client transaction. Without a Via, ours is added (branch, rport).
   * §18.1.1: a UDP request larger than 1300 bytes goes over TCP when we have a TCP transport.
   */
  request(req: SipRequest, target: Target, tu: ClientTransactionUser): ClientTransaction {
    let protocol = target.protocol;
    if (protocol === 'udp' && this.options.udpSizeFallback !== false && this.transport('tcp')) {
      const size = serializeMessage(req).length + (req.headers.has('Via') ? 0 : 80);
      if (tooLargeForUdp(size)) protocol = 'tcp';
    }
    const transport = this.requireTransport(protocol);
    if (!req.headers.has('Via')) {
      req.headers.prepend('Via', `${this.sentBy(protocol, target.address)};branch=${randomBranch()};rport`);
    }
    const to = { address: target.address, port: target.port };
    return this.layer.createClient(req, { reliable: transport.reliable, send: (m) => transport.send(m, to) }, tu);
  }

  /** Send without a transaction: the ACK for a 2xx (§13.2.2.4) or a stateless forward. */
  sendStateless(message: SipMessage, target: Target): Promise<void> {
    const transport = this.requireTransport(target.protocol);
    if (message.kind === 'request' && !message.headers.has('Via')) {
      message.headers.prepend('Via', `${this.sentBy(target.protocol, target.address)};branch=${randomBranch()};rport`);
    }
    return transport.send(message, { address: target.address, port: target.port });
  }

  /** Answer a request statelessly (§8.2.7), routed by its top Via (§18.2.2). */
  respondStateless(request: SipRequest, response: SipResponse, source: MessageSource): Promise<void> {
    const transport = this.requireTransport(source.protocol);
    const via = getTopVia(request);
    const to = via ? responseTarget(via, source, this.options) : { address: source.address, port: source.port };
    if (source.connectionId !== undefined) to.connectionId = source.connectionId;
    return transport.send(response, to);
  }

  async close(): Promise<void> {
    await Promise.all(this.options.transports.map((t) => t.close()));
    this.layer.close();
  }

  private requireTransport(protocol: TransportProtocol): SipTransport {
    const t = this.transport(protocol);
    if (!t) throw new Error(`No ${protocol.toUpperCase()} transport configured`);
    return t;
  }

  private receive(transport: SipTransport, message: SipMessage, source: MessageSource): void {
    // A connection knows its own address (UDP learns its answer itself, and asks again when it expires).
    if (transport.reliable) this.options.localAddresses?.note(source.address, source.local.address);
    if (message.kind === 'response') return this.receiveResponse(message, source);
    this.receiveRequest(transport, message, source);
  }

  private receiveResponse(res: SipResponse, source: MessageSource): void {
    // §8.1.3.3, §18.1.2 and RFC 4475 §3.1.2.5/§3.3.10: a response we cannot trust is discarded.
    const why = validateResponse(res);
    if (why) return this.log(`Discarded response ${res.status} from ${source.address}:${source.port}: ${why}`);
    if (this.layer.receiveResponse(res)) return;
    const via = getTopVia(res)!;
    const locals = this.options.transports.map((t) => t.local);
    const advertised = [this.options.viaHost, this.options.localAddresses?.advertise].filter((a): a is string => a !== undefined);
    if (!viaNamesUs(via, locals, advertised)) {
      return this.log(`Discarded response ${res.status} from ${source.address}:${source.port}: top Via is not ours (§18.1.2)`);
    }
    for (const h of this.strayHandlers) h(res, source);
  }

  private receiveRequest(transport: SipTransport, req: SipRequest, source: MessageSource): void {
    const existing = this.layer.matchRequest(req);
    if (existing) {
      // RFC 6026 §8.7: an ACK matching an INVITE transaction in Accepted goes to the TU as well.
      const passAckUp = req.method === 'ACK' && existing instanceof InviteServerTransaction && existing.state === 'accepted';
      existing.handle({ type: 'request', request: req });
      if (passAckUp) for (const h of this.ackHandlers) h(req, source);
      return;
    }
    const invalid = validateRequest(req, this.options.validation ?? { supported: [], acceptTypes: ['application/sdp'] });
    if (req.method === 'ACK') {
      // §17.2.3 / §13.3.1.4: an ACK matching no transaction is the ACK for a 2xx: the TU's business.
      if (invalid) return this.log(`Dropped invalid ACK from ${source.address}:${source.port}: ${invalid.reason}`);
      for (const h of this.ackHandlers) h(req, source);
      return;
    }
    if (!invalid && this.layer.isMergedRequest(req)) {
      // §8.2.2.2: the same request reached us twice by different paths (a forking proxy upstream).
      const res = createResponse(req, 482, 'Loop Detected', { toTag: randomTag() });
      const via = getTopVia(req)!;
      transport.send(res, responseTarget(via, source, this.options)).catch(() => undefined);
      return;
    }
    let tx: ServerTransaction;
    try {
      tx = this.layer.createServer(req, this.channel(transport, req, source));
    } catch (e) {
      // No usable top Via: no transaction can be keyed; answer statelessly to the packet's source.
      const res = invalid ?? createResponse(req, 400, `Invalid Via header`);
      transport.send(res, { address: source.address, port: source.port, connectionId: source.connectionId }).catch(() => undefined);
      return this.log(`Answered ${res.status} statelessly: ${(e as Error).message}`);
    }
    if (invalid) return tx.respond(invalid);
    if (req.method === 'CANCEL') {
      const cancels = this.layer.matchCancelled(req);
      // §9.2: "If the UAS did not find a matching transaction for the CANCEL, it SHOULD respond ... 481"
      if (!cancels) return tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', { toTag: randomTag() }));
      // §9.2: "If the original request has already received a final response, the CANCEL has no
      // effect"; the CANCEL itself is still answered 200 (its To tag is the one of the INVITE's response).
      if (cancels.state !== 'proceeding') return tx.respond(createResponse(req, 200, 'OK', { toTag: randomTag() }));
      return this.deliver({ request: req, source, transaction: tx, cancels });
    }
    this.deliver({ request: req, source, transaction: tx });
  }

  private deliver(r: IncomingRequest): void {
    if (!this.requestHandler) {
      r.transaction.respond(createResponse(r.request, 500, 'No request handler', { toTag: randomTag() }));
      return;
    }
    this.requestHandler(r);
  }

  private channel(transport: SipTransport, req: SipRequest, source: MessageSource) {
    const via = getTopVia(req)!;
    const to = responseTarget(via, source, this.options);
    return { reliable: transport.reliable, send: (m: SipMessage) => transport.send(m, to) };
  }

  /**
   * The server edge for bytes that did not parse (RFC 3261 §8.2, RFC 4475 §3.1.2): a request whose
   * Via, Call-ID and CSeq can be read gets the error's status (400, 505, 513 ...) with the parser's
   * sentence as Reason-Phrase and in a Warning (RFC 3261 §20.43, code 399); anything else, and any
   * response, is dropped and logged.
   */
  private answerUnparseable(e: InboundParseError): void {
    const { startLine, headers } = salvageHeaders(e.bytes);
    const where = `${e.source.protocol}:${e.source.address}:${e.source.port}`;
    if (/^SIP\//i.test(startLine)) return this.log(`Dropped unparseable response from ${where}: ${e.error.message}`);
    const h = new Headers(headers.map((x) => ({ ...x })));
    if (!h.has('Via') || !h.has('Call-ID') || !h.has('CSeq')) {
      return this.log(`Dropped unparseable message from ${where} (no Via/Call-ID/CSeq to answer with): ${e.error.message}`);
    }
    const status = e.error.status ?? 400;
    const reason = (e.error.reason ?? e.error.message).replace(/[\r\n]+/g, ' ').slice(0, 120) || 'Bad Request';
    const method = startLine.split(' ')[0] ?? '';
    if (method.toUpperCase() === 'ACK') return this.log(`Dropped unparseable ACK from ${where}: ${reason}`);
    const pseudo: SipRequest = { kind: 'request', method, uri: '', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
    const warning = `399 ${this.ourHost(e.source.local.address, e.source.address, e.source.local.address)} "${reason.replace(/["\\]/g, "'")}"`;
    let res: SipResponse;
    try {
      res = createResponse(pseudo, status >= 400 && status <= 699 ? status : 400, reason, { headers: [['Warning', warning]] });
    } catch {
      return this.log(`Dropped unparseable message from ${where}: ${reason}`);
    }
    e.respond(res).catch(() => undefined);
    this.log(`Answered ${res.status} "${reason}" to unparseable request from ${where}`);
  }

  /** Our host for Via and Warning: viaHost, else what localAddresses picks for the peer, else `bound`. */
  private ourHost(bound: string, peer?: string, arrivedAt?: string): string {
    if (this.options.viaHost !== undefined) return this.options.viaHost;
    const chosen = this.options.localAddresses?.forPeer(peer, arrivedAt) ?? bound;
    return hostForUri(chosen);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

function hostForUri(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
