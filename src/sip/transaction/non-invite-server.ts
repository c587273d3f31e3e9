/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8).
 *
 *                   |Request received: pass to TU
 *                   V
 *             +-----------+  Request: absorbed
 *             |  Trying   |-------------+
 *             +-----------+             | 200-699 from TU: send
 *  1xx from TU: send |                  |
 *                    V                  |
 *  Request      +-----------+           |
 *  send resp.   | Proceeding|-----------+  200-699 from TU: send
 *               +-----------+           |
 *                                       V
 *  Request  +-----------+ Timer J (64*T1 UDP, 0 TCP) --> Terminated
 *  send     | Completed |
 *  resp.    +-----------+   transport error in any state: inform TU --> Terminated
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { TransportError } from '../transport/transport.js';
import type { TimerName } from './timers.js';
import {
  IllegalTransitionError,
  TransactionBase,
  isProvisional,
  type ServerTransactionUser,
  type TransactionEnvironment,
} from './transaction.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export type NonInviteServerEvent =
  | { type: 'request'; request: SipRequest }
  | { type: 'respond'; response: SipResponse }
  | { type: 'timer'; timer: TimerName }
  | { type: 'transport-error'; error: TransportError };

export class NonInviteServerTransaction extends TransactionBase<NonInviteServerState, NonInviteServerEvent> {
  state: NonInviteServerState = 'trying';
  user: ServerTransactionUser = {};
  private lastResponse: SipResponse | undefined;

  constructor(
    key: string,
    request: SipRequest,
    env: TransactionEnvironment,
  ) {
    super(key, request, env);
  }

  /** Kept for symmetry with the INVITE server: a non-INVITE server transaction starts no timer. */
  start(): void {}

  respond(response: SipResponse): void {
    this.handle({ type: 'respond', response });
  }

  handle(event: NonInviteServerEvent): void {
    if (event.type === 'transport-error') {
      // §17.2.4: inform the TU, go to "Terminated" (in Completed the TU has nothing left to learn).
      const inform = this.state === 'trying' || this.state === 'proceeding';
      this.terminate();
      if (inform) this.user.onTransportError?.(event.error);
      return;
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (event.type === 'request') {
          // §17.2.2: "Once in the "Trying" state, any further request retransmissions are discarded."
          // "If a retransmission of the request is received while in the "Proceeding" state, the most
          // recently sent provisional response MUST be passed to the transport layer for retransmission."
          if (this.state === 'proceeding' && this.lastResponse) this.transmit(this.lastResponse);
          return;
        }
        if (event.type === 'respond') {
          this.lastResponse = event.response;
          this.transmit(event.response);
          if (isProvisional(event.response)) {
            // §17.2.2: "While in the "Trying" state, if the TU passes a provisional response to the
            // server transaction, the server transaction MUST enter the "Proceeding" state."
            this.state = 'proceeding';
            return;
          }
          // §17.2.2: "If the TU passes a final response (status codes 200-699) to the server while in
          // the "Proceeding" [or "Trying"] state, the transaction MUST enter the "Completed" state ...
          // When the server transaction enters the "Completed" state, it MUST set Timer J to fire in
          // 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
          this.state = 'completed';
          if (this.env.timers.J === 0) this.terminate();
          else this.timerSet.start('J', this.env.timers.J);
          return;
        }
        throw new IllegalTransitionError('non-INVITE server', this.state, describe(event));
      case 'completed':
        // §17.2.2: "While in the "Completed" state, the server transaction MUST pass the final
        // response to the transport layer for retransmission whenever a retransmission of the request
        // is received. Any other final responses passed by the TU to the server transaction MUST be
        // discarded while in the "Completed" state."
        if (event.type === 'request') {
          if (this.lastResponse) this.transmit(this.lastResponse);
          return;
        }
        if (event.type === 'respond') return;
        // §17.2.2: "The server transaction remains in this state until Timer J fires, at which point it
        // MUST transition to the "Terminated" state."
        if (event.timer === 'J') return this.terminate();
        throw new IllegalTransitionError('non-INVITE server', this.state, describe(event));
      case 'terminated':
        if (event.type === 'request') return;
        throw new IllegalTransitionError('non-INVITE server', this.state, describe(event));
    }
  }


  protected notifyTerminated(): void {
    this.user.onTerminated?.();
  }
}

function describe(event: NonInviteServerEvent): string {
  if (event.type === 'timer') return `Timer ${event.timer}`;
  if (event.type === 'respond') return `respond ${event.response.status}`;
  if (event.type === 'request') return `request ${event.request.method}`;
  return event.type;
}
