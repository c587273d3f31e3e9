/**
 * Call transfer by REFER (RFC 3515), as the transferee: Exchange UM's auto attendant transfers an
 * answered call by sending REFER with `Refer-To: <sip:op@...>` in the dialog. We
 * - answer 202 Accepted (§2.4.2) when there is exactly one Refer-To (§2.4.1: else 400);
 * - report the transfer to the application (Call and IncomingCall emit a 'transfer' event);
 * - keep the implicit subscription informed with NOTIFY (§2.4.4): `Event: refer`, `Subscription-State`,
 *   `Content-Type: message/sipfrag;version=2.0` (RFC 3420), first `SIP/2.0 100 Trying`, then the final
 *   status line of the new call, which terminates the subscription;
 * - with `followTransfer` place the new call and hang up the old one once it is answered (what a phone
 *   does on a blind transfer).
 * An application that does not take the transfer (nobody calls `claim()` while the event is being
 * emitted) declines it: the final NOTIFY carries `SIP/2.0 603 Declined`.
 * RFC 4488 `Refer-Sub: false` asks for no NOTIFY at all: then none is sent, and the 202 says so with
 * `Refer-Sub: false` (§4: a REFER-recipient that accepts without a subscription MUST include it; without
 * it the transferor would wait for NOTIFYs that never come).
 */
import { UmphoneError } from '../util/errors.js';
import { formatUri, getCSeq, headerValues, parseNameAddr, type SipRequest } from '../sip/message/index.js';
import type { InviteSession, ReferAnswer } from '../sip/dialog/invite-session.js';

/** A REFER the peer sent us: where to go, and the handle that reports progress back. */
export interface TransferRequest {
  /** The Refer-To URI without its `?headers` (what to dial). */
  readonly target: string;
  /** The Refer-To value as received. */
  readonly referTo: string;
  readonly referredBy?: string;
  /** Replaces from the Refer-To URI headers (attended transfer, RFC 3891), if any. */
  readonly replaces?: string;
  /** The application takes the transfer (it will send the final status with notify()). */
  claim(): void;
  readonly claimed: boolean;
  /** Report the new call's status (RFC 3515 §2.4.5); a final status (≥ 200) ends the subscription. */
  notify(status: number, reason: string): Promise<void>;
  /** The final status sent, once sent. */
  readonly finalStatus: number | undefined;
}

export class ReferError extends UmphoneError {
  constructor(message: string) {
    super(message, 'REFER');
  }
}

/** How long we say the implicit subscription lasts (RFC 3515 §2.4.4 leaves it to the notifier). */
const SUBSCRIPTION_SECONDS = 60;

/** Parse the Refer-To of a REFER; throws ReferError unless there is exactly one (RFC 3515 §2.4.1). */
export function parseReferTo(req: SipRequest): { target: string; referTo: string; replaces?: string } {
  const values = headerValues(req, 'Refer-To');
  if (values.length !== 1) throw new ReferError(`a REFER needs exactly one Refer-To header, it has ${values.length} (RFC 3515 §2.4.1)`);
  const referTo = values[0]!;
  let na;
  try {
    na = parseNameAddr(referTo);
  } catch (e) {
    throw new ReferError(`the Refer-To header cannot be read: ${(e as Error).message}`);
  }
  const replaces = na.uri.headers.find((h) => h.name.toLowerCase() === 'replaces')?.value;
  const target = formatUri({ ...na.uri, params: na.uri.params.clone(), headers: [] });
  return replaces !== undefined ? { target, referTo, replaces } : { target, referTo };
}

/**
 * RFC 4488 §3: `Refer-Sub: false` (the value before any `;` parameter, case-insensitive) asks the
 * REFER-recipient not to create the implicit subscription. Absent or `true`: the usual subscription.
 */
export function wantsNoSubscription(req: SipRequest): boolean {
  const value = req.headers.get('Refer-Sub');
  return value !== undefined && value.split(';')[0]!.trim().toLowerCase() === 'false';
}

/**
 * The REFER handler of an InviteSession: returns what to answer (202, with `Refer-Sub: false` when
 * the REFER asked for no subscription; 400 for a bad Refer-To) and, after the 202 has gone out, sends
 * NOTIFY 100 Trying and hands the transfer to `report`. Use as
 * `session.handlers.onRefer = (req) => handleRefer(session, req, (t) => ...)`.
 */
export function handleRefer(session: InviteSession, req: SipRequest, report: (t: TransferRequest) => void): ReferAnswer {
  let parsed: ReturnType<typeof parseReferTo>;
  try {
    parsed = parseReferTo(req);
  } catch {
    return 400;
  }
  const quiet = wantsNoSubscription(req);
  // §2.4.6: NOTIFYs of a second REFER in the same dialog carry id=<CSeq of that REFER>; always sending
  // it is allowed and keeps several transfers apart.
  const id = getCSeq(req).seq;
  let finalStatus: number | undefined;
  let claimed = false;
  let chain: Promise<void> = Promise.resolve();
  const send = (status: number, reason: string): Promise<void> => {
    if (finalStatus !== undefined || quiet || session.isEnded) {
      if (status >= 200 && finalStatus === undefined) finalStatus = status;
      return Promise.resolve();
    }
    if (status >= 200) finalStatus = status;
    const state = status >= 200 ? 'terminated;reason=noresource' : `active;expires=${SUBSCRIPTION_SECONDS}`;
    const body = Buffer.from(`SIP/2.0 ${status} ${reason}\r\n`);
    // NOTIFYs go out one after another, so the peer sees 100 before the final status.
    chain = chain.then(async () => {
      await session.send('NOTIFY', { body, contentType: 'message/sipfrag;version=2.0' }, [
        ['Event', `refer;id=${id}`],
        ['Subscription-State', state],
      ]).catch(() => undefined);
    });
    return chain;
  };
  const transfer: TransferRequest = {
    target: parsed.target,
    referTo: parsed.referTo,
    ...(req.headers.get('Referred-By') ? { referredBy: req.headers.get('Referred-By')! } : {}),
    ...(parsed.replaces !== undefined ? { replaces: parsed.replaces } : {}),
    claim: () => { claimed = true; },
    get claimed() { return claimed; },
    notify: send,
    get finalStatus() { return finalStatus; },
  };
  // The 202 is sent when this handler returns: queue the NOTIFYs behind it.
  queueMicrotask(() => {
    void send(100, 'Trying');
    report(transfer);
    if (!claimed) void send(603, 'Declined');
  });
  return quiet ? { status: 202, headers: [['Refer-Sub', 'false']] } : 202;
}

/** What followTransfer needs of the new call (Call fits). */
export interface TransferCall {
  onEvent(listener: (e: { type: string; status?: number; reason?: string }) => void): () => void;
  readonly answered: Promise<void>;
}

/**
 * Follow a blind transfer: place the new call with `dial`, report its provisional and final status to
 * the transferor, and hang up the transferred call (`hangupOld`) once the new one is answered (RFC 5589
 * §6.1: the transferee ends the original call after success). On failure the original call stays.
 */
export function followTransfer<C extends TransferCall>(transfer: TransferRequest, dial: (target: string) => C, hangupOld: () => Promise<unknown>): C {
  transfer.claim();
  const call = dial(transfer.target);
  call.onEvent((e) => {
    if (e.type === 'provisional' && e.status !== undefined && e.status > 100) void transfer.notify(e.status, e.reason ?? '');
  });
  call.answered.then(
    async () => {
      await transfer.notify(200, 'OK');
      await hangupOld();
    },
    (e: unknown) => {
      const err = e as { status?: number; message?: string };
      const status = err.status !== undefined && err.status >= 300 ? err.status : 503;
      void transfer.notify(status, status === 503 && err.status === undefined ? 'Service Unavailable' : reasonOf(err.message));
    },
  );
  return call;
}

function reasonOf(message: string | undefined): string {
  const m = /^\d{3} (.+)$/.exec(message ?? '');
  return (m?.[1] ?? message ?? 'Failed').replace(/[\r\n]/g, ' ').slice(0, 80);
}
