/**
 * The scheme of an address as a person writes it, and the one parser that turns such an address into
 * a SIP URI: the call target on the command line and in scripts, a transfer or forward target in the
 * UM menus. People write full URIs (`sip:680@um.example.com`, `sips:...`) and shorthand without a
 * scheme (`680@10.0.0.5:5060`, `um.example.com`, `10.0.0.5:5060`), which means sip:.
 *
 * The catch is `name:digits`: `host:5060` is shorthand, `tel:5551234` is a URI of another scheme that
 * we must refuse rather than dial host "tel" on port 5551234. Our choice: a well-known scheme name
 * is a scheme; any other `name:` is a scheme unless all that follows is a port number.
 */
import { SpellingError } from '../../util/errors.js';
import { parseUri, type SipUri } from './uri.js';

/** Schemes a SIP phone can place a call to. */
export const SIP_SCHEMES: readonly string[] = ['sip', 'sips'];

/** Schemes read as such even where `name:digits` would look like host and port. */
const WELL_KNOWN = [
  'sip', 'sips', 'tel', 'tels', 'http', 'https', 'ws', 'wss', 'mailto', 'urn', 'im', 'pres', 'h323', 'xmpp',
  'fax', 'modem', 'file', 'data',
];

/** An address of a scheme other than sip: and sips:; `accepted` lists those two. */
export class UriSchemeError extends SpellingError {
  constructor(readonly scheme: string) {
    super(`umphone calls sip: or sips: URIs (no gateway for ${scheme}:)`, 'URI_SCHEME', scheme, SIP_SCHEMES);
  }
}

/** The lower-case scheme the address starts with, or undefined for shorthand (see the file comment). */
export function writtenScheme(text: string): string | undefined {
  const t = text.trim();
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(t);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (WELL_KNOWN.includes(scheme)) return scheme;
  return /^[^@]*:\d+$/.test(t) ? undefined : scheme;
}

/**
 * A written address as a sip: or sips: URI (shorthand gets sip:). Throws UriSchemeError for another
 * scheme, SipParseError when the URI is malformed.
 */
export function parseSipAddress(text: string): SipUri {
  const t = text.trim();
  const scheme = writtenScheme(t);
  if (scheme !== undefined && !SIP_SCHEMES.includes(scheme)) throw new UriSchemeError(scheme);
  return parseUri(scheme === undefined ? `sip:${t}` : t);
}
