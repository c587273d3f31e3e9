/**
 * What a test phone puts in its INVITE to reach the right mailbox: the target URI from what the user
 * typed, RFC 5806 Diversion (Exchange UM picks the mailbox for call answering by it) or RFC 4244
 * History-Info (Exchange 2010 SP1 and later also read it).
 */
import { UmphoneError } from '../util/errors.js';
import {
  formatDiversion, formatHistoryInfo, nameAddr, parseSipAddress, parseUri, type SipUri,
} from '../sip/message/index.js';
import { Params } from '../sip/message/index.js';

/** A call target or diverting number that cannot be put in an INVITE (the CLI reports it as a usage error). */
export class CallAddressError extends UmphoneError {
  declare readonly code: 'CALL_ADDRESS';
  constructor(message: string) {
    super(message, 'CALL_ADDRESS');
  }
}

/**
 * The target as a SIP URI: `sip:680@um.example.com;transport=tcp`, `sips:...`, `tel:` is refused (no
 * gateway here), `680@10.0.0.5:5060`, or a bare `host[:port]`. A transport given on the command line is
 * added when the URI names none.
 */
export function parseTarget(input: string, transport?: 'tcp' | 'udp' | 'tls'): SipUri {
  const text = input.trim();
  if (text.length === 0) throw new CallAddressError('the call target is empty: give a SIP URI such as sip:680@um.example.com');
  let uri: SipUri;
  try {
    // "host:5060" and "680@host:5060" are shorthand for sip:; "tel:123" is a URI of another scheme.
    uri = parseSipAddress(text);
  } catch (e) {
    throw new CallAddressError(`bad call target "${input}": ${(e as Error).message}`);
  }
  if (!uri.host) throw new CallAddressError(`bad call target "${input}": no host`);
  if (transport && !uri.params.has('transport') && uri.scheme === 'sip') uri.params.set('transport', transport);
  return uri;
}

/** RFC 4458 §2: the SIP cause a diversion reason stands for (History-Info's Reason). */
const CAUSE_FOR_REASON: Record<string, number> = {
  'unconditional': 302,
  'user-busy': 486,
  'no-answer': 408,
  'unavailable': 503,
  'deflection': 487,
  'unknown': 404,
  'time-of-day': 302,
  'do-not-disturb': 302,
  'follow-me': 302,
  'out-of-service': 503,
  'away': 302,
};

/**
 * `--diversion 613` (repeatable, newest first): one Diversion per number,
 * `<sip:613@host>;reason=no-answer;counter=1`.
 */
export function diversionHeaders(numbers: string[], host: string, reason = 'no-answer'): Array<[string, string]> {
  return numbers.map((n) => ['Diversion', formatDiversion({ ...nameAddr(userUri(n, host)), reason, counter: 1 })]);
}

/**
 * `--history-info`: RFC 4244 entries for the same information. The first entry is the user's extension
 * (the diverting party) with the escaped Reason of the diversion, the last is the target (the pilot
 * number): Exchange 2010 SP1+ takes the entry before the last as the mailbox.
 */
export function historyInfoHeaders(numbers: string[], target: SipUri, reason = 'no-answer'): Array<[string, string]> {
  const cause = CAUSE_FOR_REASON[reason] ?? 302;
  const entries = [...numbers].reverse().map((n, i) => {
    const uri = userUri(n, target.host);
    return {
      ...nameAddr(uri),
      index: i === 0 ? '1' : `1${'.1'.repeat(i)}`,
      reason: `SIP;cause=${cause};text="${reason}"`,
    };
  });
  const last = { ...nameAddr({ ...target, params: new Params(), headers: [] }), index: `1${'.1'.repeat(entries.length)}` };
  if (entries.length > 0 && entries[0]!.uri.user === last.uri.user) {
    throw new CallAddressError('History-Info needs the diverting extension to differ from the called number');
  }
  return [...entries, last].map((e) => ['History-Info', formatHistoryInfo(e)]);
}

function userUri(user: string, host: string): SipUri {
  if (/^sips?:/i.test(user)) return parseUri(user);
  try {
    return parseUri(`sip:${user}@${host}`);
  } catch (e) {
    throw new CallAddressError(`bad number "${user}": ${(e as Error).message}`);
  }
}
