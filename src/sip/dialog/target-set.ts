/**
 * Following redirects as a UAC (RFC 3261 §8.1.3.4, with the target-set rules of §16.7 step 4 and
 * §16.6): the Contacts of a 3xx become new targets, tried in q order; a target already tried is not
 * tried again (loop guard); at most `maxRedirects` 3xx responses are followed.
 *
 * Order across hops is depth-first: the Contacts of the newest 3xx are tried before the leftovers of an
 * earlier one. A chain of redirects narrows the target at each hop (Exchange 2013+: call router → UM
 * service → worker), so the newest answer is the most specific; equal q values keep header order
 * (§16.6 leaves the order of equal q to the implementation).
 *
 * Every attempt is recorded with the response it got, for the call summary: "the UM server doesn't
 * answer" is most often a redirect gone wrong.
 */
import { UmphoneError } from '../../util/errors.js';
import { formatUri, uriEquals, type Contact, type SipUri } from '../message/index.js';
import type { TransportProtocol } from '../transport/transport.js';

export interface TargetAttempt {
  uri: SipUri;
  /** The q value of the Contact it came from (undefined for the first target or a Contact without q). */
  q?: number;
  /** How many 3xx hops led to it (0 for the original target). */
  depth: number;
  /** The final (or last) response status it gave, filled in by record(). */
  status?: number;
  reason?: string;
}

export class RedirectError extends UmphoneError {
  constructor(message: string, readonly kind: 'loop' | 'limit' | 'empty') {
    super(message, `SIP_REDIRECT_${kind.toUpperCase()}`);
  }
}

export class TargetSet {
  /** Every target in the order tried (the report's redirect chain). */
  readonly attempts: TargetAttempt[] = [];
  private pending: TargetAttempt[] = [];
  private redirectsFollowed = 0;

  constructor(first: SipUri, private readonly maxRedirects = 5) {
    this.pending.push({ uri: first, depth: 0 });
  }

  /** The next target to try, or undefined when the set is exhausted. */
  next(): TargetAttempt | undefined {
    const t = this.pending.shift();
    if (t) this.attempts.push(t);
    return t;
  }

  /** Record the response the current (last taken) target gave. */
  record(status: number, reason: string): void {
    const cur = this.attempts[this.attempts.length - 1];
    if (cur) {
      cur.status = status;
      cur.reason = reason;
    }
  }

  /**
   * Add the Contacts of a 3xx answering the current target. Throws RedirectError when the limit is
   * reached, or when every Contact was tried already (a loop) or there is none, and nothing else
   * remains to try.
   */
  redirect(contacts: Contact[]): TargetAttempt[] {
    const cur = this.attempts[this.attempts.length - 1];
    const depth = (cur?.depth ?? 0) + 1;
    this.redirectsFollowed++;
    if (this.redirectsFollowed > this.maxRedirects) {
      this.pending = [];
      throw new RedirectError(`too many redirects: followed ${this.maxRedirects} (--max-redirects), chain ${this.chain()}`, 'limit');
    }
    const usable = contacts
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => c.uri.scheme === 'sip' || c.uri.scheme === 'sips' || c.uri.scheme === 'tel')
      .filter(({ c }) => c.q === undefined || c.q > 0)
      .sort((a, b) => (b.c.q ?? 1) - (a.c.q ?? 1) || a.i - b.i);
    const fresh: TargetAttempt[] = [];
    let looped = 0;
    for (const { c } of usable) {
      const uri = stripForRedirect(c.uri);
      if (this.known(uri) || fresh.some((f) => uriEquals(f.uri, uri))) {
        looped++;
        continue;
      }
      const t: TargetAttempt = { uri, depth };
      if (c.q !== undefined) t.q = c.q;
      fresh.push(t);
    }
    this.pending = [...fresh, ...this.pending];
    if (this.pending.length === 0) {
      if (looped > 0) throw new RedirectError(`redirect loop: the 3xx points back to a target already tried (${this.chain()})`, 'loop');
      throw new RedirectError('the 3xx response has no usable Contact', 'empty');
    }
    return fresh;
  }

  /** "sip:680@a:5060 (302) → sip:680@b:5065 (200)". */
  chain(): string {
    return this.attempts.map((a) => `${formatUri(a.uri)}${a.status ? ` (${a.status})` : ''}`).join(' → ');
  }

  private known(uri: SipUri): boolean {
    return this.attempts.some((a) => uriEquals(a.uri, uri)) || this.pending.some((a) => uriEquals(a.uri, uri));
  }
}

/**
 * A Contact URI as a new Request-URI: RFC 3261 §19.1.5 lists which URI components may appear in a
 * Request-URI; `method` is not allowed there, and URI headers are for building the request (we keep them
 * out of the Request-URI; the caller may apply them).
 */
function stripForRedirect(uri: SipUri): SipUri {
  const params = uri.params.clone();
  params.delete('method');
  return { ...uri, params, headers: [] };
}

export interface NextHop {
  protocol: TransportProtocol;
  /** Address to connect to: maddr when set (RFC 3261 §19.1.1), else the host (brackets removed). */
  address: string;
  port: number;
  /** The maddr parameter was used. */
  viaMaddr: boolean;
}

/**
 * Where to send a request for `uri` (RFC 3263 without DNS: hosts are IP literals or names the system
 * resolver knows). The `transport` parameter is honoured case-insensitively ("Tcp", "TCP"); without it the
 * caller's default applies (a redirect keeps the transport the user chose). `maddr` overrides the host
 * when it holds a usable host; an empty or malformed maddr is ignored rather than fatal.
 */
export function nextHop(uri: SipUri, defaultProtocol: TransportProtocol): NextHop {
  const t = uri.params.get('transport');
  let protocol: TransportProtocol = defaultProtocol;
  if (typeof t === 'string' && t.length > 0) {
    const lower = t.toLowerCase();
    if (lower === 'udp' || lower === 'tcp' || lower === 'tls') protocol = lower;
    else throw new RedirectError(`unsupported transport "${t}" in ${formatUri(uri)}`, 'empty');
  }
  if (uri.scheme === 'sips') protocol = 'tls';
  const maddr = uri.params.get('maddr');
  const usableMaddr = typeof maddr === 'string' && /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+)$/.test(maddr.trim()) ? maddr.trim() : undefined;
  const host = usableMaddr ?? uri.host;
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const port = uri.port ?? (protocol === 'tls' ? 5061 : 5060);
  return { protocol, address, port, viaMaddr: usableMaddr !== undefined };
}
