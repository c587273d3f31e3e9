/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) with the RFC 6026 "Accepted" state.
 *
 *                      |INVITE: pass to TU; 100 Trying after 200 ms unless the TU answers first
 *    INVITE            V
 *    send resp. +-----------+  1xx from TU: send
 *       +-------| Proceeding|-------+
 *       +------>+-----------+<------+           2xx from TU: send --> Accepted (Timer L)
 *                 |300-699 from TU: send, Timer G (UDP), Timer H
 *                 V
 *  INVITE   +-----------+  Timer G: resend (G = min(2G, T2))
 *  send     | Completed |  Timer H / transport error: inform TU --> Terminated
 *  resp.    +-----------+
 *                 |ACK: Timer I (T4 UDP, 0 TCP)
 *                 V
 *           +-----------+  ACK, INVITE: absorbed
 *           | Confirmed |  Timer I --> Terminated
 *           +-----------+
 *
 * Accepted (RFC 6026 §7.1): INVITE retransmissions absorbed (the TU retransmits its 2xx itself, §13.3.1.4),
 * further 2xx from the TU sent, ACKs passed to the TU (the layer routes them), Timer L --> Terminated.
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { TransportError } from '../transport/transport.js';
import { nextInterval, type TimerName } from './timers.js';
import {
  IllegalTransitionError,
  TransactionBase,
  TransactionTimeoutError,
  isFailure,
  isProvisional,
  isSuccess,
  type ServerTransactionUser,
  type TransactionEnvironment,
} from './transaction.js';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export type InviteServerEvent =
  /** A retransmitted INVITE, or an ACK, matched to this transaction. */
  | { type: 'request'; request: SipRequest }
  | { type: 'respond'; response: SipResponse }
  | { type: 'timer'; timer: TimerName }
  | { type: 'transport-error'; error: TransportError };

export class InviteServerTransaction extends TransactionBase<InviteServerState, InviteServerEvent> {
  state: InviteServerState = 'proceeding';
  user: ServerTransactionUser = {};
  private lastProvisional: SipResponse | undefined;
  private finalResponse: SipResponse | undefined;
  private intervalG: number | undefined;

  constructor(
    key: string,
    request: SipRequest,
    env: TransactionEnvironment,
    /** Builds the 100 Trying (the layer owns message construction, RFC 3261 §8.2.6.1). */
    private readonly makeTrying: (invite: SipRequest) => SipResponse,
  ) {
    super(key, request, env);
  }

  /**
   * §17.2.1: "When a server transaction is constructed for a request, it enters the "Proceeding"
   * state. The server transaction MUST generate a 100 (Trying) response unless it knows that the TU
   * will generate a provisional or final response within 200 ms, in which case it MAY generate a
   * 100 (Trying) response." We wait those 200 ms, so a TU that answers at once sends no 100.
   */
  start(): void {
    this.timerSet.start('Trying', this.env.timers.Trying);
  }

  /** The TU's answer. Throws once the transaction can no longer send a response. */
  respond(response: SipResponse): void {
    this.handle({ type: 'respond', response });
  }

  handle(event: InviteServerEvent): void {
    switch (this.state) {
      case 'proceeding':
        return this.inProceeding(event);
      case 'completed':
        return this.inCompleted(event);
      case 'confirmed':
        // §17.2.1: "The purpose of the "Confirmed" state is to absorb any additional ACK messages
        // that arrive, triggered from retransmissions of the final response."
        if (event.type === 'request' || event.type === 'transport-error') return;
        if (event.type === 'timer' && event.timer === 'I') return this.terminate();
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
      case 'accepted':
        return this.inAccepted(event);
      case 'terminated':
        if (event.type === 'request' || event.type === 'transport-error') return;
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
    }
  }

  private inProceeding(event: InviteServerEvent): void {
    switch (event.type) {
      case 'timer':
        if (event.timer === 'Trying') {
          this.lastProvisional = this.makeTrying(this.request);
          this.transmit(this.lastProvisional);
          return;
        }
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
      case 'request':
        // §17.2.1: "If a request retransmission is received while in the "Proceeding" state, the most
        // recent provisional response that was received from the TU MUST be passed to the transport
        // layer for retransmission." (An ACK cannot match here: no final response was sent.)
        if (event.request.method === 'INVITE' && this.lastProvisional) this.transmit(this.lastProvisional);
        return;
      case 'transport-error':
        return this.failTransport(event.error);
      case 'respond': {
        const res = event.response;
        this.timerSet.stop('Trying');
        if (isProvisional(res)) {
          // §17.2.1: "The TU passes any number of provisional responses to the server transaction.
          // So long as the server transaction is in the "Proceeding" state, each of these MUST be
          // passed to the transport layer for transmission."
          this.lastProvisional = res;
          this.transmit(res);
          return;
        }
        if (isSuccess(res)) {
          // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx response to the
          // server transaction, the server transaction MUST pass this response to the transport layer
          // for transmission ... The server transaction MUST then transition to the "Accepted" state"
          // and start Timer L (64*T1).
          this.state = 'accepted';
          this.finalResponse = res;
          this.transmit(res);
          this.timerSet.start('L', this.env.timers.L);
          return;
        }
        if (isFailure(res)) {
          // §17.2.1: "While in the "Proceeding" state, if the TU passes a response with status code
          // from 300 to 699 to the server transaction, the response MUST be passed to the transport
          // layer for transmission, and the state machine MUST enter the "Completed" state. For
          // unreliable transports, timer G is set to fire in T1 seconds ... timer H MUST be set to
          // fire in 64*T1 seconds for all transports."
          this.state = 'completed';
          this.finalResponse = res;
          this.transmit(res);
          const { G, H } = this.env.timers;
          if (G !== undefined) {
            this.intervalG = G;
            this.timerSet.start('G', G);
          }
          this.timerSet.start('H', H);
          return;
        }
        throw new IllegalTransitionError('INVITE server', this.state, `response ${res.status}`);
      }
    }
  }

  private inCompleted(event: InviteServerEvent): void {
    switch (event.type) {
      case 'request':
        if (event.request.method === 'ACK') {
          // §17.2.1: "If an ACK is received while the server transaction is in the "Completed" state,
          // the server transaction MUST transition to the "Confirmed" state. As Timer G is ignored in
          // this state, any retransmissions of the response will cease." Timer I: T4 (UDP), 0 (TCP).
          this.timerSet.stop('G');
          this.timerSet.stop('H');
          this.state = 'confirmed';
          if (this.env.timers.I === 0) this.terminate();
          else this.timerSet.start('I', this.env.timers.I);
          return;
        }
        // §17.2.1: "while in the "Completed" state, if a request retransmission is received, the
        // server SHOULD pass the response to the transport for retransmission."
        if (this.finalResponse) this.transmit(this.finalResponse);
        return;
      case 'timer':
        if (event.timer === 'G' && this.intervalG !== undefined && this.finalResponse) {
          // §17.2.1: "If timer G fires, the response is passed to the transport layer once more for
          // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds."
          this.transmit(this.finalResponse);
          this.intervalG = nextInterval(this.intervalG, this.env.timers.t2);
          this.timerSet.start('G', this.intervalG);
          return;
        }
        if (event.timer === 'H') {
          // §17.2.1: "If timer H fires while in the "Completed" state, it implies that the ACK was never
          // received. In this case, the server transaction MUST transition to the "Terminated" state,
          // and MUST indicate to the TU that a transaction failure has occurred."
          this.terminate();
          this.user.onTimeout?.(new TransactionTimeoutError('H', 'INVITE'));
          return;
        }
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
      case 'transport-error':
        return this.failTransport(event.error);
      case 'respond':
        // §17.2.1 gives Completed no transition for TU responses: a second final answer is a TU bug.
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
    }
  }

  private inAccepted(event: InviteServerEvent): void {
    switch (event.type) {
      case 'request':
        // RFC 6026 §8.6/§8.7: INVITE retransmissions are absorbed (no response is resent by the
        // transaction); ACKs are passed to the TU by the layer, which routes them as 2xx ACKs.
        return;
      case 'respond':
        // RFC 6026 §8.6: "While in the "Accepted" state, if the TU passes a 2xx response, the server
        // transaction MUST pass the response to the transport layer for transmission."
        if (isSuccess(event.response)) {
          this.transmit(event.response);
          return;
        }
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
      case 'timer':
        // RFC 6026 §8.7: "If Timer L fires while the INVITE server transaction is in the "Accepted"
        // state, the transaction MUST transition to the "Terminated" state."
        if (event.timer === 'L') return this.terminate();
        throw new IllegalTransitionError('INVITE server', this.state, describe(event));
      case 'transport-error':
        // RFC 6026 §7.1: a failed 2xx retransmission in Accepted is not a transaction failure.
        return;
    }
  }

  private failTransport(error: TransportError): void {
    // §17.2.4: "the server transaction ... SHOULD inform the TU that a failure has occurred, and
    // SHOULD transition to the terminated state."
    this.terminate();
    this.user.onTransportError?.(error);
  }


  protected notifyTerminated(): void {
    this.user.onTerminated?.();
  }
}

function describe(event: InviteServerEvent): string {
  if (event.type === 'timer') return `Timer ${event.timer}`;
  if (event.type === 'respond') return `respond ${event.response.status}`;
  if (event.type === 'request') return `request ${event.request.method}`;
  return event.type;
}
