/**
 * SRTP in a call (RFC 3711 with SDES keys, RFC 4568): the `srtp` option of placed and answered calls.
 *
 * - `CallSrtp` takes the SDP side. Placing: the offer's m= protocol and a=crypto lines (made once per call,
 *   so re-offers repeat the same keys), then the answer read against them. Answering: the a=crypto line
 *   of our answer for the offered stream, or the reason to refuse it (488 with a Warning).
 * - `SrtpSocket` takes the packets: a MediaSocket between the real socket pair and the media session
 *   that protects what goes out (RTP and RTCP, DTMF events included: they are RTP packets) and
 *   authenticates, replay-checks and decrypts what comes in. A packet that fails is dropped and counted,
 *   so it is never played, recorded nor counted as received audio. The pcap capture wraps this socket,
 *   so it writes the decrypted RTP (issue 17).
 * - Where the packets are protected: on a socket pair of the native RTP I/O engine (io-socket.ts), the
 *   I/O thread does it (src/rtp/native/srtp.cc: keys derived here, handed over, ROC and replay kept
 *   there), so the main thread sends and receives plain RTP and hands packets over as early as without
 *   SRTP; on any other socket pair, here in JavaScript (src/rtp/srtp). docs/srtp.md says why.
 *
 * Modes. 'mandatory' offers RTP/SAVP (no ICE, no rtcp-mux: Exchange Online answered 488 to those) and
 * ends the call when the answer has no usable key; it refuses an offer without one. 'optional' offers
 * RTP/AVP with a=crypto, the "best effort SRTP" of SBCs, Lync/Skype and Exchange's "SIP Secured" peers:
 * a peer that does SRTP answers with a=crypto and the media is SRTP, a peer that does not ignores the
 * unknown attribute and the media is plain RTP; an RTP/SAVP offer would be refused outright by those.
 * Answering, it takes SRTP when the offer has a usable key and plain RTP otherwise. 'off' is plain RTP:
 * RTP/SAVP offers are refused, a=crypto on RTP/AVP is ignored.
 */
import {
  SdpCryptoError,
  acceptCryptoAnswer,
  answerCrypto,
  createCryptoOffer,
  cryptoLines,
  encryptionLevel,
  mediaNeedsCrypto,
  parseSdp,
  type CryptoNegotiated,
  type EncryptionLevel,
  type SdesKeys,
  type SdesSuiteName,
  type SdpCrypto,
  type SdpInput,
  type SdpMedia,
  type SessionDescription,
} from '../sdp/index.js';
import { SrtpReceiver, SrtpSender, engineSrtpConfig, type EngineSrtpConfig } from '../rtp/srtp/index.js';
import type { NativeSrtpCounters } from '../rtp/io-native.js';
import { SpellingError } from '../util/errors.js';
import { SDES_SUITES, sdesSuite } from '../sdp/index.js';
import type { DatagramHandler } from '../rtp/socket.js';
import type { RtpSendSocket } from '../rtp/sender.js';
import type { MediaSocket } from './media-types.js';

export type SrtpMode = 'off' | 'optional' | 'mandatory';

export const SRTP_MODES: readonly SrtpMode[] = ['off', 'optional', 'mandatory'];

/** The suites a call offers by default, in order: RFC 4568's mandatory one, then the short tag. */
export const DEFAULT_CALL_SRTP_SUITES: readonly SdesSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** "off", "Optional", "MANDATORY" → the mode; a SpellingError (code SRTP_MODE) otherwise. */
export function parseSrtpMode(text: string): SrtpMode {
  const mode = text.trim().toLowerCase();
  if ((SRTP_MODES as readonly string[]).includes(mode)) return mode as SrtpMode;
  throw new SpellingError(`unknown SRTP mode "${text}": off, optional or mandatory`, 'SRTP_MODE', text, SRTP_MODES);
}

/** "AES_CM_128_HMAC_SHA1_80, aead_aes_128_gcm" → suite names in that order; a SpellingError (SRTP_SUITE) for an unknown or repeated one. */
export function parseSrtpSuites(text: string): SdesSuiteName[] {
  const known = Object.keys(SDES_SUITES);
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new SpellingError(`no SRTP suite named: ${known.join(', ')}`, 'SRTP_SUITE', text, known);
  const out: SdesSuiteName[] = [];
  for (const n of names) {
    const suite = sdesSuite(n);
    if (!suite) throw new SpellingError(`unknown SRTP suite ${n} (known: ${known.join(', ')})`, 'SRTP_SUITE', n, known);
    if (out.includes(suite)) throw new SpellingError(`${suite} is named twice`, 'SRTP_SUITE', n, known);
    out.push(suite);
  }
  return out;
}

/** The SRTP part of a call summary (absent when the media was plain RTP). */
export interface SrtpSummary {
  /** The crypto suite in use (both directions use the answer's). */
  suite: string;
  rtp: {
    /** Packets we protected and sent. */
    protected: number;
    /** Packets that authenticated and were decrypted. */
    unprotected: number;
    /** Dropped: the authentication tag did not verify (tampered, forged, or under another key). */
    authFailures: number;
    /** Dropped: a replayed packet, or one behind the replay window. */
    replays: number;
    /** Dropped for any reason (the two above, too short, malformed, an unknown MKI, too many SSRCs). */
    dropped: number;
  };
  rtcp: { protected: number; unprotected: number; dropped: number };
  /** Key changes after the first (re-INVITEs with a new a=crypto). */
  rekeys: number;
  /** Where the packets were protected and unprotected: the native RTP I/O thread, or JavaScript (docs/srtp.md). */
  engine: 'native' | 'js';
}

/** A socket pair that runs SRTP itself (the native engine's, io-socket.ts EngineSocketPair). */
interface SrtpCapableSocket {
  useSrtp(config: EngineSrtpConfig): void;
  srtpCounters(): NativeSrtpCounters | undefined;
}

function srtpCapable(s: MediaSocket): (MediaSocket & SrtpCapableSocket) | undefined {
  const c = s as MediaSocket & Partial<SrtpCapableSocket>;
  return typeof c.useSrtp === 'function' && typeof c.srtpCounters === 'function' ? (c as MediaSocket & SrtpCapableSocket) : undefined;
}

export interface SrtpSocketOptions {
  /**
   * 'auto' (default): on the native engine's socket pairs the I/O thread protects and unprotects; 'js':
   * always here, in JavaScript (the benchmark compares both).
   */
  where?: 'auto' | 'js';
}

/** The socket pair of an SRTP call: plain until keyed, then SRTP both ways. */
export class SrtpSocket implements MediaSocket {
  readonly rtpSendSocket: RtpSendSocket;
  /** The inner pair when it does SRTP itself: then every packet passes through here plain. */
  private readonly native: (MediaSocket & SrtpCapableSocket) | undefined;
  private sender: SrtpSender | undefined;
  private receiver: SrtpReceiver | undefined;
  /** undefined while the keys are not known (offer sent, no answer yet): what comes in is dropped. */
  private plain: boolean | undefined;
  private rtpHandler: DatagramHandler | undefined;
  private rtcpHandler: DatagramHandler | undefined;
  private sentRtp = 0;
  private sentRtcp = 0;
  /** Native: what the thread unprotected and handed over, counted as it reaches the media session. */
  private deliveredRtp = 0;
  private deliveredRtcp = 0;
  private keys: { local: SdesKeys; remote: SdesKeys } | undefined;
  rekeys = 0;

  constructor(private readonly inner: MediaSocket, options: SrtpSocketOptions = {}) {
    this.native = options.where === 'js' ? undefined : srtpCapable(inner);
    const send = inner.rtpSendSocket;
    this.rtpSendSocket = {
      send: (packet, port, address) => {
        const out = this.protectRtp(packet);
        if (out) send.send(out, port, address);
      },
      ...(send.leadMs !== undefined ? { leadMs: send.leadMs } : {}),
      // The native engine takes packets ahead of their deadline: they are protected here, in JS, before
      // they are handed over (docs/srtp.md: a few µs per packet, far below a frame).
      ...(send.sendAt ? {
        sendAt: (packet: Buffer, port: number, address: string, due: number) => {
          const out = this.protectRtp(packet);
          if (out) send.sendAt!(out, port, address, due);
        },
      } : {}),
    };
    inner.onRtp((d, from, atMs) => {
      if (this.plain) return this.rtpHandler?.(d, from, atMs);
      // Native: the thread delivers only what it authenticated and decrypted once keyed.
      if (this.native) {
        if (this.plain !== false) return;
        this.deliveredRtp++;
        return this.rtpHandler?.(d, from, atMs);
      }
      if (!this.receiver) return;
      const r = this.receiver.unprotectRtp(d);
      if (r.ok) this.rtpHandler?.(r.packet, from, atMs);
    });
    inner.onRtcp((d, from, atMs) => {
      if (this.plain) return this.rtcpHandler?.(d, from, atMs);
      if (this.native) {
        if (this.plain !== false) return;
        this.deliveredRtcp++;
        return this.rtcpHandler?.(d, from, atMs);
      }
      if (!this.receiver) return;
      const r = this.receiver.unprotectRtcp(d);
      if (r.ok) this.rtcpHandler?.(r.packet, from, atMs);
    });
  }

  get address(): string {
    return this.inner.address;
  }

  /**
   * The native capture of the inner pair, when the I/O thread also runs the SRTP: it records what it
   * sends before protecting and what it reads after unprotecting, so the pcap holds the call's plain RTP.
   */
  get captureNative(): MediaSocket['captureNative'] {
    const inner = this.native;
    return inner?.captureNative ? (file, address) => inner.captureNative!(file, address) : undefined;
  }

  get rtpPort(): number {
    return this.inner.rtpPort;
  }

  /** The RTCP port, for the capture (RTP + 1 unless multiplexed). */
  get rtcpPort(): number {
    return (this.inner as { rtcpPort?: number }).rtcpPort ?? this.inner.rtpPort + 1;
  }

  get sendRtcp(): ((d: Buffer, address: string, port: number) => void) | undefined {
    const inner = this.inner;
    if (!inner.sendRtcp) return undefined;
    return (d, address, port) => {
      if (this.plain) return inner.sendRtcp!(d, address, port);
      if (this.native) {
        if (this.plain !== false) return;
        this.sentRtcp++;
        return inner.sendRtcp!(d, address, port);
      }
      if (!this.sender) return;
      inner.sendRtcp!(this.sender.protectRtcp(d), address, port);
      this.sentRtcp++;
    };
  }

  onRtp(handler: DatagramHandler): void {
    this.rtpHandler = handler;
  }

  onRtcp(handler: DatagramHandler): void {
    this.rtcpHandler = handler;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The answer said plain RTP (optional SRTP with a peer without it). */
  usePlain(): void {
    this.plain = true;
  }

  /**
   * Keys from the offer/answer: the first ones start SRTP; later different ones rekey (a re-INVITE with a
   * new a=crypto; RFC 4568 §7.1.4), and the same ones again change nothing.
   */
  useKeys(k: CryptoNegotiated): void {
    this.plain = false;
    if (this.native) return this.useNativeKeys(k);
    if (!this.sender || !this.receiver) {
      this.sender = new SrtpSender(k.local, k.local);
      this.receiver = new SrtpReceiver(k.remote, k.remote);
      this.keys = { local: k.local, remote: k.remote };
      return;
    }
    const old = this.keys!;
    let changed = false;
    if (!sameKey(old.local, k.local)) {
      this.sender.rekey(k.local);
      changed = true;
    }
    if (!sameKey(old.remote, k.remote)) {
      this.receiver.rekey(k.remote);
      changed = true;
    }
    if (changed) this.rekeys++;
    this.keys = { local: k.local, remote: k.remote };
  }

  /** The I/O thread gets the derived keys; ROC, SRTCP index and replay state carry on there across a rekey. */
  private useNativeKeys(k: CryptoNegotiated): void {
    const first = !this.keys;
    if (!first && sameKey(this.keys!.local, k.local) && sameKey(this.keys!.remote, k.remote)) return;
    if (!first) this.rekeys++;
    this.keys = { local: k.local, remote: k.remote };
    this.native!.useSrtp(engineSrtpConfig(k.local, k.remote));
  }

  /** Where this call's SRTP runs: 'native' (the I/O thread) or 'js'. */
  get engine(): 'native' | 'js' {
    return this.native ? 'native' : 'js';
  }

  /** Whether SRTP is in use (keys known). */
  get secured(): boolean {
    return this.plain === false;
  }

  summary(): SrtpSummary | undefined {
    if (this.plain !== false || !this.keys) return undefined;
    if (this.native) return this.nativeSummary(this.keys.local.suite);
    if (!this.receiver) return undefined;
    const rtp = this.receiver.counters.rtp;
    const rtcp = this.receiver.counters.rtcp;
    const failed = (c: typeof rtp): number => c['too-short'] + c.malformed + c.mki + c.auth + c.replay + c['too-old'] + c.streams;
    return {
      suite: this.keys.local.suite,
      rtp: {
        protected: this.sentRtp,
        unprotected: rtp.ok,
        authFailures: rtp.auth,
        replays: rtp.replay + rtp['too-old'],
        dropped: failed(rtp),
      },
      rtcp: { protected: this.sentRtcp, unprotected: rtcp.ok, dropped: failed(rtcp) },
      rekeys: this.rekeys,
      engine: 'js',
    };
  }

  private nativeSummary(suite: string): SrtpSummary {
    const c = this.native!.srtpCounters();
    const zero = { ok: 0, tooShort: 0, malformed: 0, mki: 0, auth: 0, replay: 0, tooOld: 0, streams: 0 };
    const rtp = c?.rtp ?? zero;
    const rtcp = c?.rtcp ?? zero;
    const failed = (x: typeof rtp): number => x.tooShort + x.malformed + x.mki + x.auth + x.replay + x.tooOld + x.streams;
    return {
      suite,
      // Counted as handed to the thread, which protects each one before its deadline (a packet it could
      // not protect, never the case for what the media session builds, is in protectErrors).
      // `unprotected` likewise counts what reached the media session (the thread's own count runs up to
      // 2 ms ahead of it, the batch in flight), so it matches the call's received packets as in JavaScript.
      rtp: { protected: this.sentRtp - (c?.protectErrors ?? 0), unprotected: this.deliveredRtp, authFailures: rtp.auth, replays: rtp.replay + rtp.tooOld, dropped: failed(rtp) },
      rtcp: { protected: this.sentRtcp, unprotected: this.deliveredRtcp, dropped: failed(rtcp) },
      rekeys: this.rekeys,
      engine: 'native',
    };
  }

  private protectRtp(packet: Buffer): Buffer | undefined {
    if (this.plain) return packet;
    // Native: the I/O thread protects it; nothing goes out before the keys are known.
    if (this.native) {
      if (this.plain !== false) return undefined;
      this.sentRtp++;
      return packet;
    }
    // Nothing goes out before the keys are known (the media starts from the answer, so this is a guard).
    if (!this.sender) return undefined;
    this.sentRtp++;
    return this.sender.protectRtp(packet);
  }
}

function sameKey(a: SdesKeys, b: SdesKeys): boolean {
  return a.suite === b.suite && a.key.equals(b.key) && a.salt.equals(b.salt) && (a.mki ?? Buffer.alloc(0)).equals(b.mki ?? Buffer.alloc(0));
}

/** What answering an offered stream comes to: our a=crypto line and the keys, or plain RTP. */
export type SrtpAnswerDecision = { crypto: SdpCrypto; keys: CryptoNegotiated } | 'plain';

/**
 * The answerer's choice for one offered audio stream (RFC 4568 §7.1.2), without side effects. Throws
 * SdpCryptoError (→ 488 with its Warning) when the offer must be refused: RTP/SAVP without a usable key,
 * or no usable key while SRTP is mandatory.
 */
export function decideSrtpAnswer(mode: Exclude<SrtpMode, 'off'>, suites: readonly SdesSuiteName[] | undefined, offered: SdpMedia): SrtpAnswerDecision {
  const lines = cryptoLines(offered);
  const savp = mediaNeedsCrypto(offered);
  const level = encryptionLevel(offered);
  if (lines.length === 0) {
    if (savp) throw new SdpCryptoError(`No crypto attribute in an ${offered.protocol} offer`, 'SDP_CRYPTO_NONE');
    if (level === 'required') throw new SdpCryptoError('Encryption Levels not compatible: a=encryption:required without a crypto attribute', 'SDP_CRYPTO_NONE');
    if (mode === 'mandatory') {
      const why = level === 'rejected' ? 'the offer rejects encryption (a=encryption:rejected)' : 'the offer has no crypto attribute (RTP/AVP without a=crypto)';
      throw new SdpCryptoError(`SRTP is mandatory here: ${why}`, 'SDP_CRYPTO_NONE');
    }
    return 'plain';
  }
  try {
    const a = answerCrypto(lines, suites ? { suites } : {});
    return { crypto: a.answer, keys: { local: a.local, remote: a.remote } };
  } catch (e) {
    // Best effort SRTP on RTP/AVP with keys we cannot use: plain RTP is still a valid answer there,
    // unless the peer said it requires encryption (a=encryption:required).
    if (e instanceof SdpCryptoError && !savp && mode === 'optional' && level !== 'required') return 'plain';
    throw e;
  }
}

export interface CallSrtpOptions {
  mode: SrtpMode;
  /** Suites in order of preference (offer) or the ones accepted (answer). Default DEFAULT_CALL_SRTP_SUITES. */
  suites?: readonly SdesSuiteName[];
}

/** The SDP side of a call's SRTP, for one call, placed or answered; it keys `socket`. */
export class CallSrtp {
  readonly mode: SrtpMode;
  private readonly suites: readonly SdesSuiteName[];
  private offered: SdpCrypto[] | undefined;
  /** Answering: the offered line we last answered and our line for it (a repeat keeps our key). */
  private lastAnswer: { offered: string; ours: SdpCrypto; keys: CryptoNegotiated } | undefined;
  socket: SrtpSocket | undefined;

  constructor(options: CallSrtpOptions) {
    this.mode = options.mode;
    this.suites = options.suites && options.suites.length > 0 ? options.suites : DEFAULT_CALL_SRTP_SUITES;
  }

  /** The real socket pair wrapped for SRTP (the call keeps the wrapper to key it); unwrapped when SRTP is off. */
  wrap(inner: MediaSocket): MediaSocket {
    if (this.mode === 'off') return inner;
    this.socket = new SrtpSocket(inner);
    return this.socket;
  }

  /**
   * Placing: what the offer's audio m= section carries (fresh keys, made once per call), with Microsoft's
   * a=encryption level beside them: Lync/Skype, Exchange UM and Teams SBCs read it, others ignore it.
   */
  offerOptions(): { protocol?: string; crypto?: SdpCrypto[]; encryption?: EncryptionLevel } {
    if (this.mode === 'off') return {};
    this.offered ??= createCryptoOffer({ suites: this.suites });
    const mandatory = this.mode === 'mandatory';
    return { protocol: mandatory ? 'RTP/SAVP' : 'RTP/AVP', crypto: this.offered, encryption: mandatory ? 'required' : 'optional' };
  }

  /**
   * Placing: reads the answer's audio stream (index `mediaIndex`) and keys the socket, or goes plain.
   * Throws SdpCryptoError when the answer cannot be used: the caller ends the call (ACK, then BYE).
   */
  acceptAnswer(answer: SdpInput, mediaIndex: number): void {
    if (this.mode === 'off' || !this.offered) return;
    const sd: SessionDescription = typeof answer === 'string' || Buffer.isBuffer(answer) ? parseSdp(answer) : answer;
    const m = sd.media[mediaIndex];
    if (!m) throw new SdpCryptoError('The answer has no audio stream', 'SDP_CRYPTO_ANSWER');
    const lines = cryptoLines(m);
    if (this.mode === 'mandatory' && !mediaNeedsCrypto(m)) {
      throw new SdpCryptoError(`The answer's audio stream is ${m.protocol}, not the RTP/SAVP offered: SRTP is mandatory`, 'SDP_CRYPTO_ANSWER');
    }
    if (lines.length === 0) {
      if (this.mode === 'mandatory') {
        const why = encryptionLevel(m) === 'rejected' ? 'the answer rejects encryption (a=encryption:rejected)' : 'the answer has no crypto attribute';
        throw new SdpCryptoError(`${why[0]!.toUpperCase()}${why.slice(1)}: SRTP is mandatory`, 'SDP_CRYPTO_ANSWER');
      }
      this.socket?.usePlain();
      return;
    }
    this.socket?.useKeys(acceptCryptoAnswer(this.offered, lines));
  }

  /** Answering: the hook for LocalMediaOptions.answerCrypto (undefined when SRTP is off). */
  answerHook(): ((offered: SdpMedia) => SdpCrypto | undefined) | undefined {
    const mode = this.mode;
    if (mode === 'off') return undefined;
    return (offered) => {
      const chosen = this.repeatOfLastAnswer(offered);
      if (chosen) {
        this.socket?.useKeys(chosen.keys);
        return chosen.ours;
      }
      const d = decideSrtpAnswer(mode, this.suites, offered);
      if (d === 'plain') {
        this.lastAnswer = undefined;
        this.socket?.usePlain();
        return undefined;
      }
      const offeredLine = cryptoLines(offered).find((l) => l.crypto?.tag === d.crypto.tag);
      this.lastAnswer = { offered: offeredLine ? offeredLine.value.trim() : '', ours: d.crypto, keys: d.keys };
      this.socket?.useKeys(d.keys);
      return d.crypto;
    };
  }

  summary(): SrtpSummary | undefined {
    return this.socket?.summary();
  }

  /** A re-offer that repeats the line we answered: the same answer, so no key changes (RFC 4568 §7.1.4). */
  private repeatOfLastAnswer(offered: SdpMedia): { ours: SdpCrypto; keys: CryptoNegotiated } | undefined {
    const last = this.lastAnswer;
    if (!last) return undefined;
    const same = cryptoLines(offered).some((l) => l.value.trim() === last.offered);
    return same ? last : undefined;
  }
}

/** An offer cannot be answered under `mode`: the Warning text, or undefined when it can. Pure. */
export function srtpOfferProblem(mode: SrtpMode, suites: readonly SdesSuiteName[] | undefined, offered: SdpMedia): SdpCryptoError | undefined {
  if (mode === 'off') return undefined;
  try {
    decideSrtpAnswer(mode, suites, offered);
    return undefined;
  } catch (e) {
    if (e instanceof SdpCryptoError) return e;
    throw e;
  }
}

