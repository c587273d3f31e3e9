/**
 * Command-line values read by the shared parsers: codec names (sdp/codec-name), DTMF modes
 * (media/dtmf/mode), call targets (sip/message/uri-scheme through phone/call-headers) and durations
 * (util/duration), the same functions scripts and the UM menus use. The parsers throw their own typed
 * errors; this is where those become the command line's usage error (one line, exit code 2).
 */
import { CallAddressError, parseTarget } from '../phone/call-headers.js';
import { parseCodecList, type AudioCodecName } from '../sdp/index.js';
import { parseDtmfMode, type DtmfModeRequest } from '../media/dtmf/index.js';
import type { SipUri } from '../sip/message/index.js';
import { DurationError, parseDuration } from '../util/duration.js';
import { SpellingError } from '../util/errors.js';
import { UsageError } from './context.js';

/** Run a parser; its typed error becomes a UsageError with the same sentence. */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof SpellingError || e instanceof CallAddressError) throw new UsageError(e.message);
    throw e;
  }
}

/** `--codec pcmu,pcma` (also ulaw, alaw, g711u, ...). */
export function codecsOption(text: string | undefined): AudioCodecName[] {
  return asUsage(() => parseCodecList(text ?? 'pcmu,pcma'));
}

/** `--dtmf auto|rfc4733|inband|info` (also rfc2833, sipinfo, ...). */
export function dtmfModeOption(text: string | undefined): DtmfModeRequest {
  return asUsage(() => parseDtmfMode(text ?? 'auto'));
}

/** The call target as a SIP URI (sip:, sips: or shorthand), with the transport when it names none. */
export function targetOption(text: string, transport?: 'tcp' | 'udp' | 'tls'): SipUri {
  return asUsage(() => parseTarget(text, transport));
}

export interface DurationRule {
  /** What a bare number counts: `--duration 20` is seconds, `--dtmf-gap 60` is ms. */
  unit: 's' | 'ms';
  /** The range, on the value in ms. */
  check: (ms: number) => boolean;
  /** The rule as the message says it: "a number of seconds > 0". */
  says: string;
}

/**
 * A duration option in ms: a bare number in the option's unit, or a duration with its unit ("1m30s",
 * "500ms"). Undefined when not given. A value out of range or not a duration is a UsageError naming the rule.
 */
export function durationOption(name: string, value: string | number | undefined, rule: DurationRule): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  let ms: number;
  try {
    ms = parseDuration(text, { bareUnit: rule.unit });
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`--${name} must be ${rule.says} (got ${text})`);
    throw e;
  }
  if (!rule.check(ms)) throw new UsageError(`--${name} must be ${rule.says} (got ${text})`);
  return ms;
}
