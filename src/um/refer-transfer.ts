/**
 * Transferring an answered call, as Exchange UM's auto attendant does: REFER in the dialog (RFC 3515)
 * with `Refer-To: <sip:2001@gateway>` and `Referred-By`, then the progress the transferee reports by
 * NOTIFY (`Event: refer`, a message/sipfrag status line, RFC 3515 §2.4.4-§2.4.5). Outcome:
 *  - REFER answered non-2xx (405/501/603 from a phone that takes no transfers): failed;
 *  - 202, then a NOTIFY whose sipfrag status is final: 2xx succeeded, anything else failed;
 *  - 202 and no final NOTIFY within `notifyTimeoutMs`: treated as done (a blind transfer; the
 *    transferee may have sent none, RFC 4488), so the transferor can hang up.
 *
 * Why REFER and not 302: after the prompt and the key press the call is answered, and a 3xx can only
 * answer an INVITE not yet answered. The UM server uses a 302 for numbers it forwards before
 * answering (`forwards:` in the menus YAML).
 */
import type { Clock } from '../util/clock.js';
import type { InviteSession } from '../sip/dialog/invite-session.js';
import { formatUri, type SipRequest } from '../sip/message/index.js';

export interface TransferOutcome {
  ok: boolean;
  detail: string;
}

/** `2001` → `sip:2001@<remote target host:port;transport>`; a SIP URI is used as it is. */
export function transferUri(target: string, session: InviteSession): string {
  if (/^sips?:/i.test(target)) return target;
  const remote = session.dialog.remoteTarget;
  const params = remote.params.clone();
  for (const k of params.names()) if (k.toLowerCase() !== 'transport') params.delete(k);
  const { password: _password, ...rest } = remote;
  return formatUri({ ...rest, user: target, params, headers: [] });
}

export async function referTransfer(
  session: InviteSession,
  clock: Clock,
  target: string,
  referredBy: string,
  notifyTimeoutMs = 15_000,
): Promise<TransferOutcome> {
  const uri = transferUri(target, session);
  let settle!: (o: TransferOutcome) => void;
  const outcome = new Promise<TransferOutcome>((r) => { settle = r; });
  const previous = session.handlers.onNotify;
  // RFC 3515 §2.4.4: progress arrives in NOTIFYs of the implicit subscription (Event: refer).
  session.handlers.onNotify = (req: SipRequest) => {
    const event = (req.headers.get('Event') ?? '').trim().toLowerCase();
    if (!event.startsWith('refer')) return previous?.(req) ?? 489;
    const status = /^SIP\/2\.0 (\d{3})( .*)?$/m.exec(req.body.toString('utf8'));
    if (status) {
      const code = Number(status[1]);
      if (code >= 200) settle({ ok: code < 300, detail: `NOTIFY ${code}${status[2] ?? ''}` });
    }
    return 200;
  };
  try {
    const res = await session.send('REFER', undefined, [['Refer-To', `<${uri}>`], ['Referred-By', `<${referredBy}>`]]);
    if (res.kind !== 'response') return { ok: false, detail: `REFER ${res.kind}: ${res.error.message}` };
    if (res.response.status >= 300) return { ok: false, detail: `REFER answered ${res.response.status} ${res.response.reason}` };
    const timer = clock.setTimeout(() => settle({ ok: true, detail: `REFER ${res.response.status}, no final NOTIFY in ${notifyTimeoutMs / 1000} s` }), notifyTimeoutMs);
    const ended = session.whenEnded().then(() => ({ ok: true, detail: 'the transferee ended the call' }));
    const o = await Promise.race([outcome, ended]);
    timer.cancel();
    return { ok: o.ok, detail: `to ${uri}: ${o.detail}` };
  } finally {
    session.handlers.onNotify = previous;
  }
}
