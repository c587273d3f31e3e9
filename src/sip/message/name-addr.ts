/**
 * name-addr / addr-spec values (RFC 3261 §20.10, §25.1): From, To, Contact, Route, Record-Route,
 * Reply-To, Diversion, History-Info, Refer-To, Referred-By, P-Asserted-Identity...
 *
 *   (name-addr / addr-spec) *( SEMI generic-param )
 *   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT;  display-name = *(token LWS) / quoted-string
 *
 * In the addr-spec form the first ';' ends the URI: its parameters belong to the header (RFC 3261 §20,
 * RFC 4475 §3.3.12), and a URI with '?' headers must be enclosed in <> (RFC 4475 §3.1.2.13).
 */
import { SipParseError } from './errors.js';
import { Params, formatHeaderParams, parseHeaderParams } from './params.js';
import { findQuoteEnd, isTokenChar, isWs, quote, trimWs, unquote } from './syntax.js';
import { formatUri, parseUri, type SipUri } from './uri.js';

export interface NameAddr {
  /** Display name without quotes and escapes (latin1 wire text: UTF-8 stays as its octets, see wireToUtf8). */
  displayName?: string;
  uri: SipUri;
  /** Header parameters after the address (tag, expires, q, reason, index...). */
  params: Params;
}

export function parseNameAddr(value: string, what = 'address'): NameAddr {
  const s = trimWs(value);
  if (s.length === 0) throw new SipParseError(`Empty ${what}`);
  let displayName: string | undefined;
  let i = 0;
  if (s.charCodeAt(0) === 34 /* " */) {
    const end = findQuoteEnd(s, 0);
    if (end < 0) throw new SipParseError(`Unterminated quoted string in ${what} display name`);
    displayName = unquote(s.slice(0, end + 1));
    i = end + 1;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 60 /* < */) throw new SipParseError(`Expected '<' after the display name in ${what}`);
  } else {
    // *(token LWS) then '<' means a name-addr; anything else is an addr-spec. The RFC 3261 grammar wants
    // LWS before '<' but RFC 4475 §3.1.1.6 asks to accept `caller<sip:...>`.
    while (i < s.length && (isTokenChar(s.charCodeAt(i)) || isWs(s.charCodeAt(i)))) i++;
    if (s.charCodeAt(i) === 60 /* < */) {
      const dn = trimWs(s.slice(0, i));
      if (dn.length > 0) displayName = dn;
    } else {
      i = -1;
    }
  }
  if (i >= 0) {
    const gt = s.indexOf('>', i);
    if (gt < 0) throw new SipParseError(`Missing '>' in ${what}`);
    // RFC 4475 §3.1.2.14: spaces inside <> are ignored (liberal; the URI itself may not hold any)
    const uri = parseUri(trimWs(s.slice(i + 1, gt)));
    const { params } = parseHeaderParams(s, gt + 1, what);
    return displayName === undefined ? { uri, params } : { displayName, uri, params };
  }
  // addr-spec form
  const semi = s.indexOf(';');
  const uriText = trimWs(semi < 0 ? s : s.slice(0, semi));
  for (let k = 0; k < uriText.length; k++) {
    const c = uriText.charCodeAt(k);
    if (c === 63 /* ? */ && uriText.startsWith('sip')) {
      throw new SipParseError(`URI with headers must be enclosed in <> in ${what}`);
    }
    if (isWs(c) || c === 60 || c === 62 || c === 34) {
      // e.g. `Bell, Alexander <sip:...>` (RFC 4475 §3.1.2.15): a display name that is neither tokens nor quoted
      throw new SipParseError(`Invalid display name or address in ${what}`);
    }
  }
  const uri = parseUri(uriText);
  const { params } = parseHeaderParams(s, semi < 0 ? s.length : semi, what);
  return { uri, params };
}

/** Always the name-addr form: `"Name" <uri>;params` (the <> form is valid for every URI). */
export function formatNameAddr(n: NameAddr): string {
  const dn = n.displayName !== undefined ? quote(n.displayName) + ' ' : '';
  return `${dn}<${formatUri(n.uri)}>${formatHeaderParams(n.params)}`;
}

/** A NameAddr for a URI string (handy for builders). */
export function nameAddr(uri: string | SipUri, displayName?: string, params?: Params): NameAddr {
  const n: NameAddr = { uri: typeof uri === 'string' ? parseUri(uri) : uri, params: params ?? new Params() };
  if (displayName !== undefined) n.displayName = displayName;
  return n;
}
