/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6).
 *
 *                    |Request from TU, request sent
 *  Timer E           V                 Timer F / transport error: inform TU -> Terminated
 *  send request +-----------+
 *      +--------|  Trying   |------ 200-699: resp. to TU ----------+
 *      +------->+-----------+                                      |
 *                 |1xx: resp. to TU                                |
 *  Timer E        V                                                V
 *  send req  +-----------+ 200-699: resp. to TU            +-----------+
 *      +-----| Proceeding|-------------------------------->| Completed |
 *      +---->+-----------+ 1xx: resp. to TU                +-----------+
 *                                                               | Timer K
 *                                                               V
 *                                                           Terminated
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { TransportError } from '../transport/transport.js';
import { nextInterval, type TimerName } from './timers.js';
import {
  IllegalTransitionError,
  TransactionBase,
  TransactionTimeoutError,
  isProvisional,
  type ClientTransactionUser,
  type TransactionEnvironment,
} from './transaction.js';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export type NonInviteClientEvent =
  | { type: 'response'; response: SipResponse }
  | { type: 'timer'; timer: TimerName }
  | { type: 'transport-error'; error: TransportError };

export class NonInviteClientTransaction extends TransactionBase<NonInviteClientState, NonInviteClientEvent> {
  state: NonInviteClientState = 'trying';
  private intervalE: number | undefined;

  constructor(
    key: string,
    request: SipRequest,
    env: TransactionEnvironment,
    private readonly tu: ClientTransactionUser,
  ) {
    super(key, request, env);
  }

  /**
   * §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client transaction with a
   * request. When entering this state, the client transaction SHOULD set timer F to fire in 64*T1
   * seconds. The request MUST be passed to the transport layer for transmission. If an unreliable
   * transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
   */
  start(): void {
    this.timerSet.start('F', this.env.timers.F);
    this.transmit(this.request);
    const { E } = this.env.timers;
    if (E !== undefined) {
      this.intervalE = E;
      this.timerSet.start('E', E);
    }
  }

  handle(event: NonInviteClientEvent): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        return this.inTryingOrProceeding(event);
      case 'completed':
        return this.inCompleted(event);
      case 'terminated':
        if (event.type === 'response') return;
        throw new IllegalTransitionError('non-INVITE client', this.state, describe(event));
    }
  }

  private inTryingOrProceeding(event: NonInviteClientEvent): void {
    if (event.type === 'timer') {
      if (event.timer === 'E' && this.intervalE !== undefined) {
        this.transmit(this.request);
        // §17.1.2.2 (Trying): "If timer E fires while still in this state, the timer is reset, but this
        // time with a value of MIN(2*T1, T2). When the timer fires again, it is reset to a MIN(4*T1, T2)."
        // (Proceeding): "If Timer E fires while in the "Proceeding" state, the request MUST be passed
        // to the transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
        this.intervalE = this.state === 'trying' ? nextInterval(this.intervalE, this.env.timers.t2) : this.env.timers.t2;
        this.timerSet.start('E', this.intervalE);
        return;
      }
      // §17.1.2.2: "If Timer F fires while the client transaction is still in the "Trying" [or
      // "Proceeding"] state, the client transaction SHOULD inform the TU about the timeout, and then
      // it SHOULD enter the "Terminated" state."
      if (event.timer === 'F') {
        this.terminate();
        this.tu.onTimeout(new TransactionTimeoutError('F', this.request.method));
        return;
      }
      throw new IllegalTransitionError('non-INVITE client', this.state, describe(event));
    }
    if (event.type === 'transport-error') {
      // §17.1.4: inform the TU and go straight to "Terminated".
      this.terminate();
      this.tu.onTransportError(event.error);
      return;
    }
    const res = event.response;
    if (isProvisional(res)) {
      // §17.1.2.2: "If a provisional response is received while in the "Trying" state, the response
      // MUST be passed to the TU, and then the client transaction SHOULD move to the "Proceeding" state."
      this.state = 'proceeding';
      this.tu.onResponse(res);
      return;
    }
    // §17.1.2.2: "If a final response (status codes 200-699) is received while in the "Trying" [or
    // "Proceeding"] state, the response MUST be passed to the TU, and the client transaction MUST
    // transition to the "Completed" state." "Once the client transaction enters the "Completed"
    // state, it MUST set Timer K to fire in T4 seconds for unreliable transports, and zero seconds for
    // reliable transports."
    this.timerSet.stopAll();
    this.state = 'completed';
    this.tu.onResponse(res);
    if (this.env.timers.K === 0) this.terminate();
    else this.timerSet.start('K', this.env.timers.K);
  }

  private inCompleted(event: NonInviteClientEvent): void {
    // §17.1.2.2: "The "Completed" state exists to buffer any additional response retransmissions
    // that may be received (which is why the client transaction remains there only for unreliable
    // transports)." They are absorbed.
    if (event.type === 'response' || event.type === 'transport-error') return;
    if (event.timer === 'K') {
      // §17.1.2.2: "If Timer K fires while in this state, the client transaction MUST transition to
      // the "Terminated" state."
      this.terminate();
      return;
    }
    throw new IllegalTransitionError('non-INVITE client', this.state, describe(event));
  }

  /** §17.1.4: a transport failure matters while the request is still being sent. */
  protected override transportErrorMatters(): boolean {
    return this.state === 'trying' || this.state === 'proceeding';
  }

  protected notifyTerminated(): void {
    this.tu.onTerminated?.();
  }
}

function describe(event: NonInviteClientEvent): string {
  if (event.type === 'timer') return `Timer ${event.timer}`;
  if (event.type === 'response') return `response ${event.response.status}`;
  return event.type;
}
