/**
 * Diversion (RFC 5806 §3) and History-Info (RFC 4244 §4.1, RFC 7044) headers: how a call reached us.
 * Exchange UM picks the mailbox for call answering from them (Diversion top entry on 2007 SP1+,
 * History-Info on 2010 SP1+), so the phone must both read and write them.
 *
 *   Diversion = name-addr *( SEMI diversion-params )
 *   diversion-params = diversion-reason / diversion-counter / diversion-limit / diversion-privacy /
 *                      diversion-screen / diversion-extension
 *   History-Info = hi-entry *( COMMA hi-entry );  hi-entry = hi-targeted-to-uri *( SEMI hi-param )
 *   hi-param = hi-index / hi-extension (RFC 7044 adds rc, mp, np); the Reason travels as an escaped URI
 *   header: <sip:bob@example.com?Reason=SIP%3Bcause%3D302>;index=1.1
 */
import { SipParseError } from './errors.js';
import { headerValues, type HeaderSource } from './headers.js';
import { formatNameAddr, parseNameAddr, type NameAddr } from './name-addr.js';
import { parseDecimal } from './syntax.js';

export interface Diversion extends NameAddr {
  /** 'unknown', 'user-busy', 'no-answer', 'unconditional', 'deflection', ... or an extension. */
  reason?: string;
  counter?: number;
  limit?: number;
  /** 'full', 'name', 'uri', 'off' */
  privacy?: string;
  /** 'yes' or 'no' */
  screen?: string;
}

export function parseDiversion(v: string): Diversion {
  const d: Diversion = parseNameAddr(v, 'Diversion header');
  const reason = d.params.get('reason');
  if (reason === null) throw new SipParseError('Diversion reason has no value');
  if (reason !== undefined) d.reason = reason;
  const counter = d.params.get('counter');
  if (counter !== undefined) d.counter = parseDecimal(counter ?? '', 0xffffffff, 'Diversion counter');
  const limit = d.params.get('limit');
  if (limit !== undefined) d.limit = parseDecimal(limit ?? '', 0xffffffff, 'Diversion limit');
  const privacy = d.params.get('privacy');
  if (privacy) d.privacy = privacy;
  const screen = d.params.get('screen');
  if (screen) d.screen = screen;
  return d;
}

/** Every Diversion entry, top (most recent diversion) first. */
export function getDiversions(m: HeaderSource): Diversion[] {
  return headerValues(m, 'Diversion').map((v) => {
    if (v.length === 0) throw new SipParseError('Empty value in Diversion header');
    return parseDiversion(v);
  });
}

/** One Diversion value; the typed fields win over the same names in `params`. */
export function formatDiversion(d: Diversion): string {
  const params = d.params.clone();
  if (d.reason !== undefined) params.set('reason', d.reason);
  if (d.counter !== undefined) params.set('counter', String(d.counter), false);
  if (d.limit !== undefined) params.set('limit', String(d.limit), false);
  if (d.privacy !== undefined) params.set('privacy', d.privacy);
  if (d.screen !== undefined) params.set('screen', d.screen);
  return formatNameAddr({ ...d, params });
}

export interface HistoryInfoEntry extends NameAddr {
  /** hi-index, e.g. '1', '1.1', '1.1.2' (RFC 4244 §4.1: "1" *( "." 1*DIGIT )). */
  index: string;
  /** Decoded Reason URI header (e.g. 'SIP;cause=302;text="Moved"'), when present. */
  reason?: string;
  /** RFC 7044 tags: index of the entry this one was retargeted/mapped from. */
  rc?: string;
  mp?: string;
  np?: string;
}

export function parseHistoryInfo(v: string): HistoryInfoEntry {
  const n = parseNameAddr(v, 'History-Info header');
  const index = n.params.get('index');
  if (index === undefined || index === null || !/^[0-9]+(\.[0-9]+)*$/.test(index)) {
    throw new SipParseError('History-Info entry needs an index like 1.1');
  }
  const e: HistoryInfoEntry = { ...n, index };
  const reason = n.uri.headers.find((h) => h.name.toLowerCase() === 'reason');
  if (reason) e.reason = reason.value;
  for (const tag of ['rc', 'mp', 'np'] as const) {
    const t = n.params.get(tag);
    if (t) e[tag] = t;
  }
  return e;
}

/** Every History-Info entry in header order (RFC 4244: ordered by index). */
export function getHistoryInfo(m: HeaderSource): HistoryInfoEntry[] {
  return headerValues(m, 'History-Info').map((v) => {
    if (v.length === 0) throw new SipParseError('Empty value in History-Info header');
    return parseHistoryInfo(v);
  });
}

/** History-Info value(s): the index param is written from `index`, the Reason as an escaped URI header. */
export function formatHistoryInfo(entries: HistoryInfoEntry | HistoryInfoEntry[]): string {
  const list = Array.isArray(entries) ? entries : [entries];
  return list
    .map((e) => {
      const params = e.params.clone();
      params.set('index', e.index, false);
      for (const tag of ['rc', 'mp', 'np'] as const) if (e[tag] !== undefined) params.set(tag, e[tag]!, false);
      const headers = e.uri.headers.filter((h) => h.name.toLowerCase() !== 'reason');
      if (e.reason !== undefined) headers.push({ name: 'Reason', value: e.reason });
      return formatNameAddr({ ...e, uri: { ...e.uri, headers }, params });
    })
    .join(', ');
}
