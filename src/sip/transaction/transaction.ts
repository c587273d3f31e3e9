/**
 * What the four RFC 3261 §17 state machines share: the environment they run in (clock, timers, a
 * send function bound to their transport and destination), the typed transaction-user contracts,
 * the errors they report, and a small named-timer set.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { UmphoneError } from '../../util/errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.js';
import { TransportError } from '../transport/transport.js';
import type { TimerName, TransactionTimers } from './timers.js';

export interface TransactionEnvironment {
  clock: Clock;
  /** Derived for this transaction's transport (reliable or not). */
  timers: TransactionTimers;
  /** Send on the transaction's transport to its destination (a client: the next hop; a server: the response target). */
  send(message: SipMessage): Promise<void>;
  /** Called once when the transaction reaches Terminated, so the layer can forget it. */
  terminated?(key: string): void;
}

/** A client transaction gave up waiting (Timer B or F): RFC 3261 §17.1.1.2, §17.1.2.2 say "treat as 408". */
export class TransactionTimeoutError extends UmphoneError {
  constructor(readonly timer: TimerName, method: string) {
    super(`${method} transaction timed out (Timer ${timer} fired)`, 'SIP_TRANSACTION_TIMEOUT');
  }
}

/** An event that the current state has no transition for: a bug in the caller or the machine. */
export class IllegalTransitionError extends UmphoneError {
  constructor(machine: string, state: string, event: string) {
    super(`${machine}: no transition from state "${state}" on event "${event}"`, 'SIP_TRANSACTION_STATE');
  }
}

/** The transaction user (a UAC core or dialog) of a client transaction. */
export interface ClientTransactionUser {
  /** Every response the RFC says to pass up (provisional, final, and retransmitted 2xx for INVITE). */
  onResponse(response: SipResponse): void;
  /** Timer B or F fired: the TU should act as if it got a 408 (RFC 3261 §8.1.3.1). */
  onTimeout(error: TransactionTimeoutError): void;
  /** The transport could not deliver the request (RFC 3261 §17.1.4: treat as 503). */
  onTransportError(error: TransportError): void;
  onTerminated?(): void;
}

/** Optional observer of a server transaction (the TU answers through respond()). */
export interface ServerTransactionUser {
  /** Timer H fired: no ACK arrived for a 3xx-6xx to INVITE (RFC 3261 §17.2.1). */
  onTimeout?(error: TransactionTimeoutError): void;
  /** A response could not be sent (RFC 3261 §17.2.4). */
  onTransportError?(error: TransportError): void;
  onTerminated?(): void;
}

/** Named one-shot timers on the injected clock; starting a name again replaces it. */
export class TimerSet {
  private readonly handles = new Map<TimerName, TimerHandle>();
  constructor(
    private readonly clock: Clock,
    private readonly fire: (name: TimerName) => void,
  ) {}
  start(name: TimerName, ms: number): void {
    this.stop(name);
    const h = this.clock.setTimeout(() => {
      this.handles.delete(name);
      this.fire(name);
    }, ms);
    this.handles.set(name, h);
  }
  stop(name: TimerName): void {
    this.handles.get(name)?.cancel();
    this.handles.delete(name);
  }
  stopAll(): void {
    for (const h of this.handles.values()) h.cancel();
    this.handles.clear();
  }
  running(name: TimerName): boolean {
    return this.handles.has(name);
  }
}

/** The failure of a send() as a TransportError (a transport normally rejects with one already). */
export function asTransportError(e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  return new TransportError(`Send failed: ${err.message}`, 'udp', { address: '', port: 0 }, err);
}

/** Response status class helpers. */
export const isProvisional = (r: SipResponse): boolean => r.status >= 100 && r.status < 200;
export const isSuccess = (r: SipResponse): boolean => r.status >= 200 && r.status < 300;
export const isFailure = (r: SipResponse): boolean => r.status >= 300 && r.status < 700;

/**
 * What the four state machines share: the named timers (each fires as a `timer` event), sending with
 * transport failures turned into a `transport-error` event, and the move to Terminated (timers
 * stopped, the layer told to forget the transaction, its user told).
 */
export abstract class TransactionBase<S extends string, E> {
  abstract state: S;
  protected readonly timerSet: TimerSet;

  protected constructor(
    /** The transaction key (branch-based) the layer matches messages with. */
    readonly key: string,
    readonly request: SipRequest,
    protected readonly env: TransactionEnvironment,
  ) {
    this.timerSet = new TimerSet(env.clock, (timer) => this.handle({ type: 'timer', timer } as E));
  }

  abstract handle(event: E): void;

  /** Tell the transaction's user it has terminated. */
  protected abstract notifyTerminated(): void;

  /** Whether a failed send still matters in the current state. */
  protected transportErrorMatters(): boolean {
    return this.state !== 'terminated';
  }

  protected transmit(message: SipMessage): void {
    this.env.send(message).catch((e: unknown) => {
      if (this.transportErrorMatters()) this.handle({ type: 'transport-error', error: asTransportError(e) } as E);
    });
  }

  /**
   * The endpoint is closing: stop the timers and forget the transaction without telling its user (the
   * transports are gone; a Timer L or M left running would hold the process 32 s after close()).
   */
  abandon(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated' as S;
    this.timerSet.stopAll();
  }

  protected terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated' as S;
    this.timerSet.stopAll();
    this.env.terminated?.(this.key);
    this.notifyTerminated();
  }
}
