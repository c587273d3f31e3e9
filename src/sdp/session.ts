/**
 * Our side of an SDP session across re-INVITEs (RFC 3264 §8): one session id for the whole call,
 * the o= version one higher each time what we describe changes and unchanged when it does not
 * (§8: "the version ... MUST be incremented"; RFC 8866 §5.2), hold and resume by direction (§8.4),
 * and reading whether the peer put us on hold (a=sendonly, a=inactive, or RFC 2543's c= 0.0.0.0).
 */
import { createAnswer } from './answer.js';
import type { SdpAnswer } from './answer.js';
import { isNullAddress, mediaConnection, mediaDirection } from './media-format.js';
import { isUsableAudio, toDescription } from './negotiate.js';
import type { SdpInput } from './negotiate.js';
import { buildOffer, newSessionId } from './offer.js';
import type { LocalMediaOptions } from './offer.js';
import { serializeSdp } from './serialize.js';
import type { SdpDirection, SessionDescription } from './types.js';

export type LocalSessionOptions = Omit<LocalMediaOptions, 'sessionVersion'>;

export class LocalSdpSession {
  readonly sessionId: string;
  private version: bigint;
  private last: string | undefined;
  private options: LocalSessionOptions;

  constructor(options: LocalSessionOptions, initialVersion?: bigint) {
    this.sessionId = String(options.sessionId ?? newSessionId());
    this.options = { ...options, sessionId: this.sessionId };
    this.version = initialVersion ?? (/^\d+$/.test(this.sessionId) ? BigInt(this.sessionId) : 1n);
  }

  get sessionVersion(): string {
    return this.version.toString();
  }

  /** Changes what later offers and answers describe (new port, address, codecs, direction). */
  update(changes: Partial<LocalSessionOptions>): void {
    this.options = { ...this.options, ...changes, sessionId: this.sessionId };
  }

  /** An offer (initial or re-INVITE / UPDATE). `direction` overrides the session's for this offer only. */
  offer(direction?: SdpDirection): string {
    const opts = direction ? { ...this.options, direction } : this.options;
    return this.stamp(buildOffer({ ...opts, sessionVersion: this.version }));
  }

  /** RFC 3264 §8.4: hold is an offer with a=sendonly (or inactive if we were not receiving either). */
  holdOffer(): string {
    const d = this.options.direction ?? 'sendrecv';
    return this.offer(d === 'sendrecv' || d === 'sendonly' ? 'sendonly' : 'inactive');
  }

  /** Resume: an offer with the session's own direction (sendrecv by default). */
  resumeOffer(): string {
    return this.offer();
  }

  /** Answers an offer from the peer (initial or re-INVITE); throws NoCommonCodecError. */
  answer(remoteOffer: SdpInput): SdpAnswer {
    const a = createAnswer(remoteOffer, { ...this.options, sessionVersion: this.version });
    const sdp = this.stamp(a.description);
    return { ...a, sdp };
  }

  /** Serializes with the current version, bumping it first if the content differs from the last one sent. */
  private stamp(sd: SessionDescription): string {
    sd.origin.sessionVersion = this.version.toString();
    let text = serializeSdp(sd);
    if (this.last !== undefined && text !== this.last) {
      this.version += 1n;
      sd.origin.sessionVersion = this.version.toString();
      text = serializeSdp(sd);
    }
    this.last = text;
    return text;
  }
}

export type RemoteHoldReason = 'sendonly' | 'inactive' | 'null-address';

export interface RemoteHoldState {
  onHold: boolean;
  reason: RemoteHoldReason | null;
  direction: SdpDirection;
}

/** Does this offer from the peer put us on hold (RFC 3264 §8.4, RFC 2543 §B.5 for c= 0.0.0.0)? */
export function remoteHoldState(input: SdpInput): RemoteHoldState {
  const sd = toDescription(input);
  const media = sd.media.find((m) => isUsableAudio(m));
  if (!media) return { onHold: false, reason: null, direction: 'inactive' };
  const direction = mediaDirection(sd, media);
  const conn = mediaConnection(sd, media);
  if (conn && isNullAddress(conn.address)) return { onHold: true, reason: 'null-address', direction };
  if (direction === 'sendonly' || direction === 'inactive') return { onHold: true, reason: direction, direction };
  return { onHold: false, reason: null, direction };
}
