/**
 * The transaction layer: creates the four kinds of transactions and matches incoming messages to
 * them (RFC 3261 §17.1.3, §17.2.3). It owns no socket; the endpoint gives each transaction a send
 * function bound to its transport and destination.
 */
import type { Clock } from '../../util/clock.js';
import {
  BRANCH_MAGIC_COOKIE,
  createResponse,
  getCSeq,
  getCallId,
  getFrom,
  getTo,
  getTopVia,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { DEFAULT_TIMER_CONFIG, deriveTimers, type TimerConfig } from './timers.js';
import type { ClientTransactionUser, TransactionEnvironment } from './transaction.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/**
 * §17.1.3: a response matches a client transaction when "the response has the same value of the
 * branch parameter in the top Via header field as the branch parameter in the top Via header field
 * of the request that created the transaction" and "the method parameter in the CSeq header field
 * matches the method of the request that created the transaction" (a CANCEL has its own transaction).
 * Undefined when the message has no usable top Via branch or CSeq.
 */
export function clientTransactionKey(m: SipMessage): string | undefined {
  try {
    const branch = getTopVia(m)?.params.get('branch');
    if (!branch) return undefined;
    return `${branch}|${getCSeq(m).method}`;
  } catch {
    return undefined;
  }
}

/**
 * §17.2.3: with an RFC 3261 branch (magic cookie plus something unique), the key is branch, sent-by
 * and method, where ACK counts as INVITE. Without the cookie (RFC 2543 peers, or the bare cookie of
 * RFC 4475 §3.2.1) the key falls back to Request-URI, From tag, Call-ID, CSeq number and top Via.
 * Simplification: the RFC 2543 rule also compares the To tag of an ACK with the tag of the response
 * sent; we do not, since the INVITE it must match had no To tag to key on.
 * Throws SipParseError when the headers needed are unreadable.
 */
export function serverTransactionKey(req: SipRequest): string {
  const via = getTopVia(req);
  if (!via) throw new Error('Missing Via header');
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
  const branch = via.params.get('branch');
  if (branch && branch.startsWith(BRANCH_MAGIC_COOKIE) && branch.length > BRANCH_MAGIC_COOKIE.length) {
    return `${branch}|${sentBy}|${method}`;
  }
  const fromTag = getFrom(req).params.get('tag') ?? '';
  return `2543|${req.uri}|${fromTag}|${getCallId(req)}|${getCSeq(req).seq}|${sentBy}|${branch ?? ''}|${method}`;
}

/** From tag + Call-ID + CSeq of a request without To tag (ACK and CANCEL excluded), else undefined. */
function mergeKey(req: SipRequest): string | undefined {
  if (req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  try {
    if (getTo(req).params.has('tag')) return undefined;
    const cseq = getCSeq(req);
    return `${getFrom(req).params.get('tag') ?? ''}|${getCallId(req)}|${cseq.seq}|${cseq.method}`;
  } catch {
    return undefined;
  }
}

export interface TransactionLayerOptions {
  clock: Clock;
  /** T1, T2, T4 for every transaction this layer creates (RFC 3261 defaults otherwise). */
  timers?: Partial<TimerConfig>;
}

/** Where a transaction sends, and whether that transport is reliable. */
export interface TransactionChannel {
  reliable: boolean;
  send(message: SipMessage): Promise<void>;
}

export class TransactionLayer {
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  /** From tag, Call-ID and CSeq of live server transactions (merged-request detection). */
  private readonly merge = new Map<string, string>();
  private readonly config: TimerConfig;

  constructor(private readonly options: TransactionLayerOptions) {
    this.config = { ...DEFAULT_TIMER_CONFIG, ...options.timers };
  }

  get timerConfig(): TimerConfig {
    return this.config;
  }

  /** Live transactions (for tests and diagnostics). */
  get counts(): { client: number; server: number } {
    return { client: this.clients.size, server: this.servers.size };
  }

  /** Abandon every live transaction (their timers stop): the endpoint is closing. */
  close(): void {
    for (const tx of [...this.clients.values(), ...this.servers.values()]) tx.abandon();
    this.clients.clear();
    this.servers.clear();
    this.merge.clear();
  }

  /** Start a client transaction for a request whose top Via already carries its branch. */
  createClient(request: SipRequest, channel: TransactionChannel, tu: ClientTransactionUser): ClientTransaction {
    const key = clientTransactionKey(request);
    if (key === undefined) throw new Error('A client request needs a top Via with a branch and a CSeq');
    if (request.method === 'ACK') throw new Error('An ACK is sent without a transaction (RFC 3261 §17.1.1.3, §13.2.2.4)');
    const env = this.environment(channel, (k) => this.clients.delete(k));
    const tx =
      request.method === 'INVITE'
        ? new InviteClientTransaction(key, request, env, tu)
        : new NonInviteClientTransaction(key, request, env, tu);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Pass a response to its client transaction; false when none matches (a stray). */
  receiveResponse(response: SipResponse): boolean {
    const key = clientTransactionKey(response);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (!tx) return false;
    tx.handle({ type: 'response', response });
    return true;
  }

  /** The server transaction an incoming request (a retransmission, or an ACK) belongs to. */
  matchRequest(request: SipRequest): ServerTransaction | undefined {
    try {
      return this.servers.get(serverTransactionKey(request));
    } catch {
      return undefined;
    }
  }

  /**
   * §9.2: "the CANCEL request ... matches the transaction being cancelled" by the INVITE transaction's
   * key: same branch and sent-by, method INVITE.
   */
  matchCancelled(cancel: SipRequest): InviteServerTransaction | undefined {
    try {
      const key = serverTransactionKey({ ...cancel, method: 'INVITE' });
      const tx = this.servers.get(key);
      return tx instanceof InviteServerTransaction ? tx : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * §8.2.2.2 Merged Requests: "If the request has no tag in the To header field, the UAS core MUST
   * check the request against ongoing transactions. If the From tag, Call-ID, and CSeq exactly match
   * those associated with an ongoing transaction, but the request does not match that transaction
   * (based on the matching rules in Section 17.2.3), the UAS core SHOULD generate a 482 (Loop
   * Detected) response". True for such a request (call it after matchRequest found nothing).
   */
  isMergedRequest(request: SipRequest): boolean {
    const id = mergeKey(request);
    return id !== undefined && this.merge.has(id);
  }

  /** A new server transaction for a request that matched none. */
  createServer(request: SipRequest, channel: TransactionChannel): ServerTransaction {
    const key = serverTransactionKey(request);
    const id = mergeKey(request);
    const env = this.environment(channel, (k) => {
      this.servers.delete(k);
      if (id !== undefined && this.merge.get(id) === k) this.merge.delete(id);
    });
    if (id !== undefined) this.merge.set(id, key);
    const tx =
      request.method === 'INVITE'
        ? new InviteServerTransaction(key, request, env, (invite) => createResponse(invite, 100, 'Trying'))
        : new NonInviteServerTransaction(key, request, env);
    this.servers.set(key, tx);
    tx.start();
    return tx;
  }

  private environment(channel: TransactionChannel, forget: (key: string) => void): TransactionEnvironment {
    return {
      clock: this.options.clock,
      timers: deriveTimers(this.config, channel.reliable),
      send: (m) => channel.send(m),
      terminated: forget,
    };
  }
}
