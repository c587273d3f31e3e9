/**
 * Dialog state (RFC 3261 §12): created from a 2xx (or a tagged 1xx) on the UAC side, or from an
 * INVITE on the UAS side; builds the requests sent within it and checks those received.
 */
import { UmphoneError } from '../../util/errors.js';
import {
  createRequest, formatNameAddr, formatUri, getCSeq, getCallId, getContacts, getFrom, getRecordRoutes, getTo,
  nameAddr, type NameAddr, type SipRequest, type SipResponse, type SipUri,
} from '../message/index.js';

export class DialogError extends UmphoneError {
  constructor(message: string) {
    super(message, 'SIP_DIALOG');
  }
}

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export class Dialog {
  state: DialogState;
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  /** Local and remote URIs as name-addrs (display name kept for the From/To we build). */
  readonly local: NameAddr;
  readonly remote: NameAddr;
  /** The remote target (Contact), refreshed by target-refresh requests (§12.2). */
  remoteTarget: SipUri;
  /** Route set, in the order the Route header must list it. */
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly secure: boolean;

  private constructor(init: {
    state: DialogState; callId: string; localTag: string; remoteTag: string; local: NameAddr; remote: NameAddr;
    remoteTarget: SipUri; routeSet: NameAddr[]; localSeq: number; remoteSeq: number | undefined; secure: boolean;
  }) {
    this.state = init.state;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.local = init.local;
    this.remote = init.remote;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  /**
   * §12.1.2: the UAC's dialog from a response with a To tag: route set = Record-Route reversed, remote
   * target = the response's Contact, local sequence = the request's CSeq.
   */
  static fromResponse(req: SipRequest, res: SipResponse): Dialog {
    const to = getTo(res);
    const remoteTag = to.params.get('tag');
    if (!remoteTag) throw new DialogError(`the ${res.status} response has no To tag: no dialog`);
    const from = getFrom(req);
    const localTag = from.params.get('tag');
    if (!localTag) throw new DialogError('the request has no From tag');
    const contacts = getContacts(res);
    const target = contacts !== '*' && contacts.length > 0 ? contacts[0]!.uri : undefined;
    if (!target && res.status >= 200) throw new DialogError(`the ${res.status} response to ${req.method} has no Contact`);
    return new Dialog({
      state: res.status >= 200 ? 'confirmed' : 'early',
      callId: getCallId(req),
      localTag,
      remoteTag,
      local: bare(from),
      remote: bare(to),
      remoteTarget: target ?? to.uri,
      routeSet: getRecordRoutes(res).reverse(),
      localSeq: getCSeq(req).seq,
      remoteSeq: undefined,
      secure: req.uri.startsWith('sips:'),
    });
  }

  /**
   * §12.1.1: the UAS's dialog from the request it answers with `localTag`: route set = Record-Route
   * in order, remote target = the request's Contact, remote sequence = its CSeq.
   */
  static fromRequest(req: SipRequest, localTag: string): Dialog {
    const from = getFrom(req);
    const remoteTag = from.params.get('tag') ?? '';
    const contacts = getContacts(req);
    const target = contacts !== '*' && contacts.length > 0 ? contacts[0]!.uri : undefined;
    if (!target) throw new DialogError(`the ${req.method} has no Contact: no dialog`);
    return new Dialog({
      state: 'confirmed',
      callId: getCallId(req),
      localTag,
      remoteTag,
      local: bare(getTo(req)),
      remote: bare(from),
      remoteTarget: target,
      routeSet: getRecordRoutes(req),
      localSeq: Math.floor(Math.random() * 10_000) + 1,
      remoteSeq: getCSeq(req).seq,
      secure: req.uri.startsWith('sips:'),
    });
  }

  /** Update from a later response of the same dialog (early → confirmed, §12.1.2; target refresh). */
  update(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300) {
      this.state = 'confirmed';
      // §12.1.2: the route set is fixed by the 2xx that confirms the dialog.
      const rr = getRecordRoutes(res);
      if (rr.length > 0) this.routeSet = rr.reverse();
    }
    const contacts = getContacts(res);
    if (contacts !== '*' && contacts.length > 0) this.remoteTarget = contacts[0]!.uri;
  }

  /** Does a request or response belong to this dialog? (Call-ID and both tags, §12). */
  matchesRequest(req: SipRequest): boolean {
    return getCallId(req) === this.callId && getTo(req).params.get('tag') === this.localTag &&
      (getFrom(req).params.get('tag') ?? '') === this.remoteTag;
  }

  /**
   * §12.2.1.1: a request within the dialog. CSeq increments except for ACK (same as the INVITE) and
   * CANCEL (not built here). Loose routing (lr) puts the remote target in the Request-URI and the route
   * set in Route; a strict first route becomes the Request-URI and the remote target the last Route.
   */
  createRequest(method: string, opts: {
    contact?: string; headers?: Array<[string, string]>; body?: Buffer; contentType?: string; cseq?: number;
  } = {}): SipRequest {
    let seq: number;
    if (method === 'ACK') seq = opts.cseq ?? this.localSeq;
    else seq = ++this.localSeq;
    let ruri: string;
    const routes = this.routeSet.map((r) => formatNameAddr(r));
    if (this.routeSet.length > 0 && !this.routeSet[0]!.uri.params.has('lr')) {
      const first = this.routeSet[0]!.uri;
      const strippedFirst: SipUri = { ...first, params: first.params.clone(), headers: [] };
      strippedFirst.params.delete('method');
      ruri = formatUri(strippedFirst);
      routes.shift();
      routes.push(`<${formatUri(this.remoteTarget)}>`);
    } else {
      ruri = formatUri(this.remoteTarget);
    }
    const headers: Array<[string, string]> = [];
    for (const r of routes) headers.push(['Route', r]);
    headers.push(
      ['Max-Forwards', '70'],
      ['From', formatNameAddr(withTag(this.local, this.localTag))],
      ['To', formatNameAddr(withTag(this.remote, this.remoteTag))],
      ['Call-ID', this.callId],
      ['CSeq', `${seq} ${method}`],
    );
    if (opts.contact) headers.push(['Contact', opts.contact]);
    headers.push(...(opts.headers ?? []));
    const init: Parameters<typeof createRequest>[0] = { method, uri: ruri, headers };
    if (opts.body) init.body = opts.body;
    if (opts.contentType) init.contentType = opts.contentType;
    return createRequest(init);
  }

  /**
   * §12.2.2: a request received within the dialog. Returns the status to answer when it is out of
   * order (500), else undefined after updating the remote sequence and, for target-refresh requests
   * (re-INVITE, UPDATE), the remote target.
   */
  receiveRequest(req: SipRequest): 500 | undefined {
    const { seq } = getCSeq(req);
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return 500;
      this.remoteSeq = seq;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const contacts = getContacts(req);
      if (contacts !== '*' && contacts.length > 0) this.remoteTarget = contacts[0]!.uri;
    }
    return undefined;
  }
}

function bare(n: NameAddr): NameAddr {
  const params = n.params.clone();
  params.delete('tag');
  return nameAddr(n.uri, n.displayName, params);
}

function withTag(n: NameAddr, tag: string): NameAddr {
  const params = n.params.clone();
  if (tag) params.set('tag', tag);
  return { ...n, params };
}
