/**
 * The ACK of a delayed-offer call carries the SDP answer (RFC 3261 §13.2.1: "if the initial offer is
 * in the 2xx, the answer MUST be in the ACK"). The dialog layer swallows ACKs for its sessions, so we
 * listen on the endpoint's ACK hook (it passes every ACK to each handler) and match by dialog. One hook
 * per UserAgent, registered on first use.
 */
import { getCallId, getFrom, getTo, type SipRequest } from '../sip/message/index.js';
import type { UserAgent } from '../sip/dialog/user-agent.js';

interface DialogKey {
  callId: string;
  localTag: string;
  remoteTag: string;
}

const waiters = new WeakMap<UserAgent, Map<string, (ack: SipRequest) => void>>();

const keyOf = (d: DialogKey): string => `${d.callId}\u0000${d.localTag}\u0000${d.remoteTag}`;

/** Resolves with the ACK for the 2xx of this dialog, or undefined when none comes within 64·T1 (32 s). */
export function waitForAck(ua: UserAgent, dialog: DialogKey): Promise<SipRequest | undefined> {
  let map = waiters.get(ua);
  if (!map) {
    const m = new Map<string, (ack: SipRequest) => void>();
    waiters.set(ua, m);
    ua.endpoint.onAck((ack) => {
      try {
        const key = keyOf({ callId: getCallId(ack), localTag: getTo(ack).params.get('tag') ?? '', remoteTag: getFrom(ack).params.get('tag') ?? '' });
        m.get(key)?.(ack);
      } catch {
        // An unreadable ACK: the UA core logs it.
      }
    });
    map = m;
  }
  const waiting = map;
  const key = keyOf(dialog);
  return new Promise((resolve) => {
    const timer = ua.clock.setTimeout(() => {
      waiting.delete(key);
      resolve(undefined);
    }, 32_000);
    waiting.set(key, (ack) => {
      timer.cancel();
      waiting.delete(key);
      resolve(ack);
    });
  });
}
