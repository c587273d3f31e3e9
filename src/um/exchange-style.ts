/**
 * Responses that look like Exchange UM's on the wire. Exchange 2007/2010 (its SIP stack identifies as
 * `RTCC/3.5.0.0`) writes header names in upper case, in a fixed order, all Via values on one line,
 * `transport=Tcp` and a `maddr` in the Contact of its 302 (see the captured
 * test/fixtures/conformance/samples/exchange2010-302-to-worker.sip):
 *
 *   SIP/2.0 302 Moved Temporarily
 *   FROM: ...;tag=...
 *   TO: <sip:101@pabx.local;user=phone>;epid=...;tag=...
 *   CSEQ: 1 INVITE
 *   CALL-ID: ...
 *   VIA: SIP/2.0/TCP ...,SIP/2.0/TCP ...
 *   CONTACT: <sip:101@pabx.local:5065;user=phone;transport=Tcp;maddr=pabx.local>
 *   CONTENT-LENGTH: 0
 *   SERVER: RTCC/3.5.0.0
 *
 * A caller must treat header names case-insensitively (RFC 3261 §7.3.1) and parameter values of
 * `transport` case-insensitively (§19.1.4): this is what proves it does.
 */
import { Headers, canonicalKey, type SipResponse } from '../sip/message/types.js';

/** What Exchange 2010's UM service sends as Server. */
export const EXCHANGE_SERVER = 'RTCC/3.5.0.0';

/** Exchange's order for the headers it writes; anything else follows in its own order. */
const ORDER = ['from', 'to', 'cseq', 'call-id', 'via', 'contact', 'content-length', 'server'];

/** Rewrite a response in Exchange's style: upper-case names, Exchange's order, one VIA line. */
export function exchangeStyle(res: SipResponse): SipResponse {
  const byKey = new Map<string, string[]>();
  const others: Array<{ name: string; value: string }> = [];
  for (const f of res.headers.fields) {
    const key = canonicalKey(f.name);
    if (ORDER.includes(key)) byKey.set(key, [...(byKey.get(key) ?? []), f.value]);
    else others.push({ name: f.name.toUpperCase(), value: f.value });
  }
  const named = (keys: string[]) => keys.flatMap((key) => {
    const values = byKey.get(key) ?? [];
    if (values.length === 0) return [];
    // Exchange joins every Via into one line (RFC 3261 §7.3.1 allows the comma form).
    if (key === 'via') return [{ name: 'VIA', value: values.join(',') }];
    return values.map((value) => ({ name: key.toUpperCase(), value }));
  });
  // Extra headers (Allow, Supported on an OPTIONS answer) go before CONTENT-LENGTH and SERVER, which close.
  const fields = [...named(ORDER.slice(0, 6)), ...others, ...named(ORDER.slice(6))];
  return { ...res, headers: new Headers(fields) };
}

/**
 * The Contact of Exchange's 302: `<sip:user@host:port;transport=Tcp;maddr=host>` (user=phone kept);
 * to a TLS worker (SIP Secured and Secured dial plans) `transport=TLS`.
 */
export function exchangeContact(user: string | undefined, host: string, port: number, userPhone: boolean, transport: 'tcp' | 'tls' = 'tcp'): string {
  const u = user ? `${user}@` : '';
  return `<sip:${u}${host}:${port}${userPhone ? ';user=phone' : ''};transport=${transport === 'tls' ? 'TLS' : 'Tcp'};maddr=${host}>`;
}

/** Exchange's `Warning` value for a refusal: `399 agent "text"` (quotes in the text become apostrophes). */
export function exchangeWarning(agent: string, text: string): string {
  return `399 ${agent} "${text.replace(/["\\]/g, "'")}"`;
}
