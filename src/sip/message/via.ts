/**
 * Via header values (RFC 3261 §20.42, §18.2.1, §25.1; RFC 3581 rport; RFC 5118 §4.5 IPv6 received):
 *
 *   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
 *   sent-by = host [ COLON port ]
 *
 * LWS is allowed around every separator (RFC 4475 §3.1.1.1 writes `SIP  /   2.0 /UDP`).
 */
import { SipParseError } from './errors.js';
import { Params, formatHeaderParams, parseHeaderParams } from './params.js';
import { isAlnum, isDigit, isHexDigit, isTokenChar, isWs, parseDecimal } from './syntax.js';

export interface Via {
  /** protocol-name/protocol-version, normally 'SIP/2.0'. */
  protocol: string;
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS, WSS or any extension token. */
  transport: string;
  /** sent-by host: name, IPv4, or bracketed IPv6 reference. */
  host: string;
  port?: number;
  /** branch, received, rport (null when valueless, else the port), maddr, ttl, extensions. */
  params: Params;
}

export function parseVia(value: string): Via {
  const s = value;
  let i = skip(s, 0);
  const name = readToken(s, i, 'Via protocol name');
  i = expectSlash(s, skip(s, name.end));
  const version = readToken(s, i, 'Via protocol version');
  i = expectSlash(s, skip(s, version.end));
  const transport = readToken(s, i, 'Via transport');
  i = transport.end;
  if (i >= s.length || !isWs(s.charCodeAt(i))) throw new SipParseError('Via has no sent-by');
  i = skip(s, i);
  let host: string;
  if (s.charCodeAt(i) === 91 /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) throw new SipParseError('Unterminated IPv6 reference in Via');
    host = s.slice(i, close + 1);
    for (let k = 1; k < host.length - 1; k++) {
      const c = host.charCodeAt(k);
      if (!isHexDigit(c) && c !== 58 && c !== 46) throw new SipParseError('Invalid IPv6 reference in Via');
    }
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length && (isAlnum(s.charCodeAt(i)) || s.charCodeAt(i) === 45 || s.charCodeAt(i) === 46 || s.charCodeAt(i) === 95)) i++;
    host = s.slice(start, i);
    if (host.length === 0) throw new SipParseError('Via has no sent-by host');
  }
  i = skip(s, i);
  let port: number | undefined;
  if (s.charCodeAt(i) === 58 /* : */) {
    i = skip(s, i + 1);
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    port = parseDecimal(s.slice(start, i), 65535, 'Via port');
  }
  const { params } = parseHeaderParams(s, i, 'Via');
  checkViaParams(params);
  const via: Via = { protocol: `${name.text}/${version.text}`, transport: transport.text.toUpperCase(), host, params };
  if (port !== undefined) via.port = port;
  return via;
}

function checkViaParams(params: Params): void {
  const branch = params.get('branch');
  if (branch === null) throw new SipParseError('Via branch parameter has no value');
  const ttl = params.get('ttl');
  if (ttl !== undefined) parseDecimal(ttl ?? '', 255, 'Via ttl');
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null) parseDecimal(rport, 65535, 'Via rport');
  const received = params.get('received');
  if (received === null) throw new SipParseError('Via received parameter has no value');
}

function skip(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

function readToken(s: string, i: number, what: string): { text: string; end: number } {
  const start = i;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  if (i === start) throw new SipParseError(`${what} is missing`);
  return { text: s.slice(start, i), end: i };
}

function expectSlash(s: string, i: number): number {
  if (s.charCodeAt(i) !== 47 /* / */) throw new SipParseError("Via sent-protocol must be 'SIP/2.0/transport'");
  return skip(s, i + 1);
}

export function formatVia(v: Via): string {
  const host = v.host.indexOf(':') >= 0 && v.host.charCodeAt(0) !== 91 ? `[${v.host}]` : v.host;
  return `${v.protocol}/${v.transport} ${host}${v.port !== undefined ? ':' + v.port : ''}${formatHeaderParams(v.params)}`;
}

/** The branch parameter, if any. */
export function viaBranch(v: Via): string | undefined {
  return v.params.get('branch') ?? undefined;
}

/** rport: undefined when absent, null when present without a value (a request for it, RFC 3581 §3), else the port. */
export function viaRport(v: Via): number | null | undefined {
  const r = v.params.get('rport');
  return r === undefined || r === null ? r : Number(r);
}

/** RFC 3261 §8.1.1.7: a branch starting with the magic cookie marks an RFC 3261 transaction id. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';
