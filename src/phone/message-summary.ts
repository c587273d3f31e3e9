/**
 * The message-summary event package (RFC 3842): what a voicemail server (Exchange UM among them) sends
 * in NOTIFY to light the message-waiting lamp. Body (application/simple-message-summary, §5.2):
 *
 *   Messages-Waiting: yes
 *   Message-Account: sip:alice@vmail.example.com
 *   Voice-Message: 2/8 (0/2)
 *
 * where "2/8 (0/2)" is new/old messages and, in parentheses, new/old urgent ones. Unknown lines
 * (message headers after a blank line, other message classes than the ones read here) are kept in
 * `classes` or ignored, never an error: a lamp is better lit from a partial body than not at all.
 */
import { UmphoneError } from '../util/errors.js';
import { getContentType, type SipRequest } from '../sip/message/index.js';

export interface MessageCounts {
  newMessages: number;
  oldMessages: number;
  newUrgent?: number;
  oldUrgent?: number;
}

export interface MessageSummary {
  waiting: boolean;
  account?: string;
  /** Per message class (RFC 3458 names, lower case: voice-message, fax-message, ...). */
  classes: Record<string, MessageCounts>;
  /** The Voice-Message counts, the ones people ask about. */
  voice?: MessageCounts;
}

export class MessageSummaryError extends UmphoneError {
  constructor(message: string) {
    super(message, 'MESSAGE_SUMMARY');
  }
}

export const MESSAGE_SUMMARY_TYPE = 'application/simple-message-summary';

/** RFC 3842 §5.2 msg-summary-line: `Voice-Message: 2/8 (0/2)`. */
const COUNTS = /^(\d+)\s*\/\s*(\d+)(?:\s*\(\s*(\d+)\s*\/\s*(\d+)\s*\))?\s*$/;

/** Parse a message-summary body; throws MessageSummaryError without a Messages-Waiting line. */
export function parseMessageSummary(body: Buffer | string): MessageSummary {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const summary: MessageSummary = { waiting: false, classes: {} };
  let sawStatus = false;
  for (const raw of text.split(/\r?\n/)) {
    // §5.2: after a blank line come optional message headers (To, From, Subject ...): not ours to read.
    if (raw.trim() === '') {
      if (sawStatus) break;
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon <= 0) continue;
    const name = raw.slice(0, colon).trim().toLowerCase();
    const value = raw.slice(colon + 1).trim();
    if (name === 'messages-waiting') {
      sawStatus = true;
      summary.waiting = value.toLowerCase() === 'yes';
    } else if (name === 'message-account') {
      summary.account = value;
    } else {
      const m = COUNTS.exec(value);
      if (!m) continue;
      const counts: MessageCounts = { newMessages: Number(m[1]), oldMessages: Number(m[2]) };
      if (m[3] !== undefined) {
        counts.newUrgent = Number(m[3]);
        counts.oldUrgent = Number(m[4]);
      }
      summary.classes[name] = counts;
      if (name === 'voice-message') summary.voice = counts;
    }
  }
  if (!sawStatus) throw new MessageSummaryError('the message-summary body has no Messages-Waiting line (RFC 3842 §5.2)');
  return summary;
}

/** "voicemail waiting: 2 new, 8 old" (plus urgent counts when non-zero), or "no voicemail waiting". */
export function describeMessageSummary(s: MessageSummary): string {
  if (!s.waiting && !(s.voice && s.voice.newMessages > 0)) {
    return s.voice ? `no voicemail waiting (${s.voice.oldMessages} old)` : 'no voicemail waiting';
  }
  const v = s.voice;
  if (!v) return 'voicemail waiting';
  const urgent = (v.newUrgent ?? 0) + (v.oldUrgent ?? 0) > 0 ? ` (urgent: ${v.newUrgent} new, ${v.oldUrgent} old)` : '';
  return `voicemail waiting: ${v.newMessages} new, ${v.oldMessages} old${urgent}`;
}

/**
 * The status for a NOTIFY (in or out of a dialog): a message-summary body is parsed and reported
 * (200), an unreadable one gets 400; other events (refer progress ...) are acknowledged with 200.
 */
export function messageSummaryNotifyStatus(req: SipRequest, report: (s: MessageSummary) => void): number {
  let type: string | undefined;
  try {
    const ct = getContentType(req);
    type = ct ? `${ct.type}/${ct.subtype}`.toLowerCase() : undefined;
  } catch {
    return 400;
  }
  const event = (req.headers.get('Event') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== MESSAGE_SUMMARY_TYPE && event !== 'message-summary') return 200;
  // RFC 3842 §3.4: a NOTIFY without body just refreshes the subscription state.
  if (req.body.length === 0) return 200;
  try {
    report(parseMessageSummary(req.body));
    return 200;
  } catch {
    return 400;
  }
}
