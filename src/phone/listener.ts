/**
 * Gateway mode: the phone waits for calls, the way Exchange UM expects an "IP gateway" to behave.
 * - OPTIONS (Exchange's gateway ping every ~20 s, `OPTIONS sip:<ip>:5060;transport=TCP`, no user part,
 *   over a connection it keeps open) is answered 200 with Allow/Accept/Supported by the UA core, at any
 *   time and whatever the Request-URI; the listener only applies the allow list to it.
 * - Requests from a source outside `allow` get 403 Forbidden (all methods but ACK, which gets no
 *   response, RFC 3261 §17.2.3) and are reported.
 * - INVITE: beyond `maxCalls` active calls 486 Busy Here; an offer with no codec we speak 488 with a
 *   Warning; else 180 Ringing and the call is handed to the application (`onCall`, `nextCall`), and
 *   answered after `autoAnswer` milliseconds when set.
 * - NOTIFY outside a dialog (RFC 3842 message-summary: the voicemail lamp) gets 200 and is reported.
 * - REFER outside a dialog gets 403 (we place no call on a stranger's request) and is reported;
 *   a REFER inside a call is the call's business (incoming-call.ts, refer.ts).
 *
 *   const listener = new Listener(phone, { allow: '10.0.0.0/24', autoAnswer: 0 });
 *   const call = await listener.nextCall({ timeout: 60_000 });
 */
import { UmphoneError } from '../util/errors.js';
import { createResponse, getCallId, randomTag } from '../sip/message/index.js';
import type { IncomingRequest } from '../sip/transaction/endpoint.js';
import { IncomingCall, type AnswerOptions } from './incoming-call.js';
import { phoneInternals, type Phone, type PhoneInternals } from './phone.js';
import { AddressFilter } from './address-filter.js';
import { fileNameFor, type CallCapture } from './call-capture.js';
import { messageSummaryNotifyStatus, type MessageSummary } from './message-summary.js';
import type { MediaSocket } from './media-types.js';

export interface ListenerOptions {
  /** Sources allowed to send requests ("10.0.0.5,10.0.0.0/24,fd00::/8"); others get 403. Default everyone. */
  allow?: AddressFilter | string;
  /** Active calls at most; more get 486 Busy Here. Default unlimited. */
  maxCalls?: number;
  /** Answer each call after this many milliseconds (0 = at once); undefined: the application answers. */
  autoAnswer?: number;
  /** Answer options per call (n counts calls from 1): record path, play, DTMF ... */
  answerOptions?: (n: number, callId: string) => AnswerOptions;
  /**
   * More options for a call at the moment autoAnswer answers it (not when it arrives): what only one
   * call at a time can have, such as the sound card.
   */
  atAnswer?: (call: IncomingCall) => AnswerOptions;
  /** Write each call's packets to this pcap ({n} = call number, {callid} = Call-ID; call-capture.ts). */
  pcap?: string;
}

export type ListenerEvent =
  | { type: 'call'; n: number; call: IncomingCall }
  | { type: 'refused'; status: number; method: string; source: string; why: string }
  | { type: 'options'; source: string; uri: string }
  | { type: 'voicemail'; source: string; summary: MessageSummary };

/** Why an out-of-dialog REFER is refused (the 'refused' event's `why`). */
export const OUT_OF_DIALOG_REFER = 'a REFER outside a call is not accepted: transfers are taken only inside a call (RFC 3515 §2.4.2)';

/** nextCall() ran out of time. */
export class ListenerTimeoutError extends UmphoneError {
  declare readonly code: 'LISTEN_TIMEOUT';
  constructor(/** The timeout that ran out (ms). */ readonly timeout: number) {
    super(`no call arrived within ${timeout / 1000} s`, 'LISTEN_TIMEOUT');
  }
}

/** `{n}` → call number, `{callid}` → the Call-ID (file-name safe): one recording per call. */
export function recordPathFor(template: string, n: number, callId: string): string {
  return fileNameFor(template, n, callId);
}

export class Listener {
  readonly #active = new Set<IncomingCall>();
  private count = 0;
  private readonly listeners = new Set<(e: ListenerEvent) => void>();
  private callHandler: ((call: IncomingCall) => void) | undefined;
  private readonly queued: IncomingCall[] = [];
  private readonly waiters: Array<(call: IncomingCall) => void> = [];
  private closed = false;

  private readonly phone: PhoneInternals;
  private readonly allow: AddressFilter | undefined;

  /** Take the calls of `phone` (one listener per phone). */
  constructor(phone: Phone, private readonly options: ListenerOptions = {}) {
    this.phone = phoneInternals(phone);
    // A bad allow list throws AddressFilterError here, before any request is taken.
    this.allow = typeof options.allow === 'string' ? AddressFilter.parse(options.allow) : options.allow;
    // The INVITE is traced before its call exists: the capture takes it from the history.
    if (options.pcap !== undefined) this.phone.keepTraceHistory();
    const ua = this.phone.ua;
    ua.onRequestFilter((r) => this.filter(r));
    ua.onInvite((r) => this.onInvite(r));
    ua.onOutOfDialogRequest((r) => this.onOutOfDialog(r));
  }

  /** The calls taken and not yet ended. */
  get active(): ReadonlySet<IncomingCall> {
    return this.#active;
  }

  onEvent(listener: (e: ListenerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every new call (already ringing). Without a handler, calls queue for nextCall(). */
  onCall(handler: (call: IncomingCall) => void): void {
    this.callHandler = handler;
  }

  /** The next incoming call (queued ones first); rejects with ListenerTimeoutError after `timeout` ms. */
  nextCall(options: { timeout?: number } = {}): Promise<IncomingCall> {
    const q = this.queued.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const timer = options.timeout !== undefined
        ? this.phone.clock.setTimeout(() => {
          const i = this.waiters.indexOf(take);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new ListenerTimeoutError(options.timeout!));
        }, options.timeout)
        : undefined;
      const take = (call: IncomingCall): void => {
        timer?.cancel();
        resolve(call);
      };
      this.waiters.push(take);
    });
  }

  /** Stop taking calls (480 from now on), hang up the active ones, and wait for their summaries. */
  async close(): Promise<void> {
    this.closed = true;
    this.phone.ua.onRequestFilter(undefined);
    const calls = [...this.#active];
    await Promise.all(calls.map((c) => c.hangup().catch(() => c.ended)));
  }

  // ---------------------------------------------------------------------------------------------------

  private filter(r: IncomingRequest): boolean {
    const allow = this.allow;
    if (!allow || allow.allows(r.source.address)) {
      if (r.request.method === 'OPTIONS') this.emit({ type: 'options', source: describe(r), uri: r.request.uri });
      return true;
    }
    const why = `${r.source.address} is not in the allow list (${allow.toString()})`;
    this.emit({ type: 'refused', status: 403, method: r.request.method, source: describe(r), why });
    // ACK gets no response (§17.2.3) and a CANCEL's INVITE is refused anyway; answer the rest 403.
    if (r.request.method !== 'ACK') {
      r.transaction.respond(createResponse(r.request, 403, 'Forbidden', { toTag: randomTag() }));
    }
    return false;
  }

  private onInvite(r: IncomingRequest): void {
    let capture: CallCapture | undefined;
    const mediaAddress = this.phone.addressFor(r.source);
    const ctx = {
      ua: this.phone.ua, clock: this.phone.clock, pacer: this.phone.pacer, mediaAddress,
      openSocket: async (wrap?: (raw: MediaSocket) => MediaSocket) => {
        const raw = await this.phone.openMediaSocket();
        // SRTP below the capture: the pcap holds the decrypted RTP (issue 17).
        const socket = wrap ? wrap(raw) : raw;
        return capture ? capture.wrapSocket(socket) : socket;
      },
    };
    if (this.closed) {
      r.transaction.respond(createResponse(r.request, 480, 'Temporarily Unavailable', { toTag: randomTag() }));
      return;
    }
    const n = ++this.count;
    let callId = '';
    try {
      callId = getCallId(r.request);
    } catch {
      // validated by the endpoint already; IncomingCall reports it if not
    }
    const answerOptions = this.options.answerOptions?.(n, callId) ?? {};
    const call = new IncomingCall(ctx, r, answerOptions);
    const pcap = this.options.pcap;
    if (pcap !== undefined) capture = this.phone.captureCall(call, (id) => fileNameFor(pcap, n, id), mediaAddress);
    const max = this.options.maxCalls;
    if (max !== undefined && this.#active.size >= max) {
      this.emit({ type: 'refused', status: 486, method: 'INVITE', source: describe(r), why: `${this.#active.size} call(s) active, --max-calls ${max}` });
      call.reject({ status: 486, reason: 'Busy Here' });
      return;
    }
    if (call.offerProblem) {
      this.emit({ type: 'refused', status: 488, method: 'INVITE', source: describe(r), why: call.offerProblem });
      void call.answer().catch(() => undefined);
      return;
    }
    this.#active.add(call);
    void call.ended.then(() => this.#active.delete(call));
    call.ring();
    this.emit({ type: 'call', n, call });
    if (this.options.autoAnswer !== undefined) {
      const answer = (): void => void call.answer(this.options.atAnswer?.(call)).catch(() => undefined);
      if (this.options.autoAnswer <= 0) answer();
      else {
        const t = this.phone.clock.setTimeout(answer, this.options.autoAnswer);
        void call.ended.then(() => t.cancel());
      }
    } else {
      void call.answered.catch(() => undefined);
    }
    this.deliver(call);
  }

  private deliver(call: IncomingCall): void {
    if (this.callHandler) return this.callHandler(call);
    const w = this.waiters.shift();
    if (w) return w(call);
    this.queued.push(call);
    void call.ended.then(() => {
      const i = this.queued.indexOf(call);
      if (i >= 0) this.queued.splice(i, 1);
    });
  }

  private onOutOfDialog(r: IncomingRequest): boolean {
    if (r.request.method === 'REFER') {
      // RFC 3515 §2.4.2 lets a REFER outside a dialog start one, i.e. make us place a call for whoever
      // asks: a gateway must not (toll fraud), and Exchange only transfers calls it is in. 403, not 405:
      // 405 must list in Allow the methods we do take (RFC 3261 §21.4.6), and REFER is one of them
      // (inside a call), so a 405 would contradict itself; 403 says "understood, refused" (§21.4.4).
      this.emit({ type: 'refused', status: 403, method: 'REFER', source: describe(r), why: OUT_OF_DIALOG_REFER });
      r.transaction.respond(createResponse(r.request, 403, 'Forbidden (REFER outside a call)', { toTag: randomTag() }));
      return true;
    }
    if (r.request.method !== 'NOTIFY') return false;
    const status = messageSummaryNotifyStatus(r.request, (summary) => this.emit({ type: 'voicemail', source: describe(r), summary }));
    r.transaction.respond(createResponse(r.request, status, undefined, { toTag: randomTag() }));
    return true;
  }

  private emit(e: ListenerEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function describe(r: IncomingRequest): string {
  const a = r.source.address.includes(':') ? `[${r.source.address}]` : r.source.address;
  return `${r.source.protocol.toUpperCase()} ${a}:${r.source.port}`;
}
