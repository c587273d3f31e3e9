/**
 * What a placed call (Call) and an answered one (IncomingCall) share once media flows: building the
 * MediaSession from the negotiated SDP and the call's options, feeding it INFO DTMF (RFC 2976 with
 * application/dtmf-relay or application/dtmf bodies), watching for RTP that stops, and the media part
 * of the summary. The SIP side differs (UAC vs UAS); this part does not.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { OfferAnswer } from '../sip/dialog/invite-session.js';
import type { LocalSdpSession, NegotiatedAudio } from '../sdp/index.js';
import type { Pacer } from '../rtp/pacer.js';
import { dtmfEventFromInfo, isDtmfInfoContentType, parseDtmfInfo, type DtmfDigitEvent } from '../media/dtmf/index.js';
import type { AudioInput, AudioOutput } from '../media/device/device.js';
import { MediaSession, type DtmfSettings, type MediaSocket } from './media-session.js';
import type { QualityFeed } from './call-quality.js';

/** What the media session takes from a call's options (call-types.ts CallMediaOptions fits). */
export interface MediaStartOptions {
  dtmf?: DtmfSettings;
  latch?: boolean;
  output?: AudioOutput;
  input?: AudioInput;
}

export interface CallMediaInit {
  clock: Clock;
  pacer: Pacer;
  socket: MediaSocket;
  negotiated: NegotiatedAudio;
  options: MediaStartOptions;
  /** A digit received (RFC 4733, in-band or INFO). */
  onDigit(digit: DtmfDigitEvent): void;
  /** A non-fatal media problem. */
  warn(message: string): void;
  /** The DTMF scheduler wants an INFO sent in the dialog (dtmf mode 'info'). */
  sendInfo(body: Buffer, contentType: string): void;
  /** The call's quality model. */
  quality?: QualityFeed;
}

/** Build and start the media session of a call. */
export function startCallMedia(init: CallMediaInit): MediaSession {
  const o = init.options;
  const mopts: ConstructorParameters<typeof MediaSession>[0] = {
    clock: init.clock,
    pacer: init.pacer,
    socket: init.socket,
    negotiated: init.negotiated,
    dtmf: o.dtmf ?? { mode: 'auto' },
    latch: o.latch ?? false,
    warn: init.warn,
  };
  if (o.output) mopts.output = o.output;
  if (o.input) mopts.input = o.input;
  if (init.quality) mopts.quality = init.quality;
  const media = new MediaSession(mopts);
  media.onDigit(init.onDigit);
  media.onInfo((info) => init.sendInfo(Buffer.from(info.body), info.contentType));
  media.start();
  return media;
}

/**
 * The status for an INFO in the dialog: a DTMF body is fed to the media session (200), another type
 * gets 415 (RFC 6086 §4.2.2 uses 469 for unknown packages; legacy DTMF INFO has no Info-Package, so
 * 415 Unsupported Media Type), an unreadable DTMF body 400.
 */
export function infoDtmfStatus(media: MediaSession | undefined, body: Buffer, contentType: string | undefined, receivedMs: number): number {
  if (!contentType || !isDtmfInfoContentType(contentType)) return 415;
  try {
    const digit = dtmfEventFromInfo(parseDtmfInfo(contentType, body), receivedMs);
    media?.receivedInfoDigit(digit);
    return 200;
  } catch {
    return 400;
  }
}

/**
 * Fires `onTimeout` once when no RTP arrived during a whole `timeoutMs` while `active()` holds (the
 * peer vanished without a BYE). 0 disables it. Returns the cancel function.
 */
export function watchRtp(clock: Clock, timeoutMs: number, media: () => MediaSession | undefined, active: () => boolean, onTimeout: () => void): () => void {
  if (timeoutMs <= 0) return () => undefined;
  let last = -1;
  let timer: TimerHandle | undefined;
  const check = (): void => {
    const m = media();
    if (!active() || !m) return;
    const n = m.stats().received.packetsReceived;
    if (n === last) return onTimeout();
    last = n;
    timer = clock.setTimeout(check, timeoutMs);
  };
  last = media()?.stats().received.packetsReceived ?? 0;
  timer = clock.setTimeout(check, timeoutMs);
  return () => timer?.cancel();
}

/** The media part of a call summary. */
export interface MediaSummary {
  codec: string;
  remoteRtp: string;
  rtp: {
    sent: { packets: number; bytes: number };
    received: { packets: number; lost: number; lossPercent: number; jitterMs: number; duplicates: number; outOfOrder: number };
  };
}

export function mediaSummary(media: MediaSession): MediaSummary {
  const n = media.negotiatedAudio;
  const st = media.stats();
  const r = st.received;
  const lost = Math.max(0, r.lost);
  const expected = r.expected;
  return {
    codec: `${n.codec.name}/${n.codec.clockRate} (PT ${n.codec.payloadType})${n.telephoneEvent ? `, telephone-event PT ${n.telephoneEvent.payloadType}` : ''}`,
    remoteRtp: `${n.remoteRtp.address}:${n.remoteRtp.port}`,
    rtp: {
      sent: { packets: st.sent.packets, bytes: st.sent.bytes },
      received: {
        packets: r.packetsReceived,
        lost,
        lossPercent: expected > 0 ? Math.round((lost / expected) * 10000) / 100 : 0,
        jitterMs: Math.round(r.jitterMs * 100) / 100,
        duplicates: r.duplicates,
        outOfOrder: r.outOfOrder,
      },
    },
  };
}

/**
 * A re-INVITE/UPDATE from the peer (hold, resume, session refresh), for both call sides: a real RFC 3264
 * answer from our SDP session — `sendonly` from the peer is answered `recvonly`, the o= version moves only
 * if our side changed (§8) — and `apply` makes the media follow the new description. Without an offer we
 * offer our current description (its answer comes in the ACK); before our SDP session exists: 491.
 */
export function answerReoffer(
  sdp: LocalSdpSession | undefined,
  offer: Buffer | undefined,
  apply: (audio: NegotiatedAudio) => void,
): OfferAnswer {
  if (!sdp) return { reject: 491, reason: 'Request Pending' };
  if (!offer) return { body: Buffer.from(sdp.offer()), contentType: 'application/sdp' };
  try {
    const a = sdp.answer(offer);
    apply(a.audio);
    return { body: Buffer.from(a.sdp), contentType: 'application/sdp' };
  } catch (e) {
    return { reject: 488, reason: `Not Acceptable Here (${(e as Error).message})`.slice(0, 100) };
  }
}
