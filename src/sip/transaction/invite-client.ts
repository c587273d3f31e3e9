/**
 * INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) with the RFC 6026 "Accepted" state.
 *
 *                    |INVITE from TU
 *      Timer A fires |INVITE sent        Timer B fires / transport error: inform TU
 *      Reset A,      V                   -> Terminated
 *      INVITE sent +-----------+
 *          +-------|  Calling  |--- 2xx: to TU ---------------------------+
 *          +------>+-----------+                                          |
 *                    |1xx: to TU   300-699: ACK sent, to TU               V
 *                    V              \                              +-----------+
 *              +-----------+         \                             |  Accepted | 2xx: to TU
 *      1xx --->| Proceeding|--300-699-+--> +-----------+           +-----------+
 *      to TU   +-----------+               | Completed | 300-699:        | Timer M
 *                    |2xx: to TU --> Accepted+---------+ ACK sent        V
 *                                               | Timer D            Terminated
 *                                               V
 *                                           Terminated
 *
 * Why RFC 6026: RFC 3261 terminated the transaction on a 2xx, so retransmitted 2xx (which the UAC core
 * must ACK again, §13.2.2.4) arrived as strays. In Accepted they are passed up to the TU for 64*T1.
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import { Headers } from '../message/types.js';
import type { TransportError } from '../transport/transport.js';
import { nextInterval, type TimerName } from './timers.js';
import {
  IllegalTransitionError,
  TransactionBase,
  TransactionTimeoutError,
  isFailure,
  isProvisional,
  isSuccess,
  type ClientTransactionUser,
  type TransactionEnvironment,
} from './transaction.js';
import { firstListValue } from './header-values.js';

export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export type InviteClientEvent =
  | { type: 'response'; response: SipResponse }
  | { type: 'timer'; timer: TimerName }
  | { type: 'transport-error'; error: TransportError };

export class InviteClientTransaction extends TransactionBase<InviteClientState, InviteClientEvent> {
  state: InviteClientState = 'calling';
  private intervalA: number | undefined;
  private ack: SipRequest | undefined;

  constructor(
    key: string,
    request: SipRequest,
    env: TransactionEnvironment,
    private readonly tu: ClientTransactionUser,
  ) {
    super(key, request, env);
  }

  /**
   * §17.1.1.2: "The initial state, "calling", MUST be entered when the TU initiates a new client
   * transaction with an INVITE request. The client transaction MUST pass the request to the transport
   * layer for transmission. If an unreliable transport is being used, the client transaction MUST
   * start timer A with a value of T1 ... For any transport, the client transaction MUST start timer B
   * with a value of 64*T1 seconds."
   */
  start(): void {
    this.transmit(this.request);
    const { A, B } = this.env.timers;
    if (A !== undefined) {
      this.intervalA = A;
      this.timerSet.start('A', A);
    }
    this.timerSet.start('B', B);
  }

  handle(event: InviteClientEvent): void {
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        return this.inCallingOrProceeding(event);
      case 'completed':
        return this.inCompleted(event);
      case 'accepted':
        return this.inAccepted(event);
      case 'terminated':
        // Late timers are cancelled on termination; late responses no longer reach us (the layer
        // forgot the key), but a response racing termination is harmlessly dropped here.
        if (event.type === 'response') return;
        throw new IllegalTransitionError('INVITE client', this.state, describe(event));
    }
  }

  private inCallingOrProceeding(event: InviteClientEvent): void {
    if (event.type === 'timer') {
      // §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the request by passing
      // it to the transport layer, and MUST reset the timer with a value of 2*T1."
      if (event.timer === 'A' && this.state === 'calling' && this.intervalA !== undefined) {
        this.transmit(this.request);
        this.intervalA = nextInterval(this.intervalA, undefined);
        this.timerSet.start('A', this.intervalA);
        return;
      }
      // §17.1.1.2: "If the client transaction is still in the "Calling" state when timer B fires, the
      // client transaction SHOULD inform the TU that a timeout has occurred."
      if (event.timer === 'B' && this.state === 'calling') {
        this.terminate();
        this.tu.onTimeout(new TransactionTimeoutError('B', 'INVITE'));
        return;
      }
      throw new IllegalTransitionError('INVITE client', this.state, describe(event));
    }
    if (event.type === 'transport-error') {
      // §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has occurred,
      // and the client transaction SHOULD transition directly to the "Terminated" state."
      this.terminate();
      this.tu.onTransportError(event.error);
      return;
    }
    const res = event.response;
    if (isProvisional(res)) {
      // §17.1.1.2: "If the client transaction receives a provisional response while in the "Calling"
      // state, it transitions to the "Proceeding" state ... the client transaction SHOULD NOT
      // retransmit the request any longer. Furthermore, the provisional response MUST be passed to the TU."
      // Timer B guards the Calling state only; in Proceeding the TU's own timer (or CANCEL) ends it.
      this.state = 'proceeding';
      this.timerSet.stop('A');
      this.timerSet.stop('B');
      this.tu.onResponse(res);
      return;
    }
    if (isSuccess(res)) {
      // RFC 6026 §8.4: "a 2xx response received in the Calling or Proceeding state MUST be passed to
      // the TU and the client transaction MUST transition to the Accepted state, and Timer M MUST be
      // started with a value of 64*T1."
      this.timerSet.stopAll();
      this.state = 'accepted';
      this.timerSet.start('M', this.env.timers.M);
      this.tu.onResponse(res);
      return;
    }
    if (isFailure(res)) {
      // §17.1.1.2: "When in either the "Calling" or "Proceeding" states, reception of a response with
      // status code from 300-699 MUST cause the client transaction to transition to "Completed". The
      // client transaction MUST pass the received response up to the TU, and the client transaction
      // MUST generate an ACK request ... The client transaction SHOULD start timer D".
      this.timerSet.stopAll();
      this.state = 'completed';
      this.ack = buildNonSuccessAck(this.request, res);
      this.transmit(this.ack);
      this.tu.onResponse(res);
      this.startOrTerminate('D', this.env.timers.D);
    }
  }

  private inCompleted(event: InviteClientEvent): void {
    if (event.type === 'response') {
      // §17.1.1.2: "Any retransmissions of the final response that are received while in the
      // "Completed" state MUST cause the ACK to be re-passed to the transport layer for
      // retransmission, but the newly received response MUST NOT be passed up to the TU."
      if (isFailure(event.response) && this.ack) this.transmit(this.ack);
      return;
    }
    if (event.type === 'timer' && event.timer === 'D') {
      // §17.1.1.2: "If timer D fires while the client transaction is in the "Completed" state, the
      // client transaction MUST move to the terminated state."
      this.terminate();
      return;
    }
    // A failed ACK retransmission changes nothing: the TU already has the final response.
    if (event.type === 'transport-error') return;
    throw new IllegalTransitionError('INVITE client', this.state, describe(event));
  }

  private inAccepted(event: InviteClientEvent): void {
    if (event.type === 'response') {
      // RFC 6026 §8.4: "Any 2xx responses that match this client transaction and that are received
      // while in the "Accepted" state MUST be passed up to the TU." Other responses are discarded.
      if (isSuccess(event.response)) this.tu.onResponse(event.response);
      return;
    }
    if (event.type === 'timer' && event.timer === 'M') {
      // RFC 6026 §8.4: "If Timer M fires while the client transaction is in the "Accepted" state, the
      // client transaction MUST move to the "Terminated" state."
      this.terminate();
      return;
    }
    if (event.type === 'transport-error') return;
    throw new IllegalTransitionError('INVITE client', this.state, describe(event));
  }

  private startOrTerminate(timer: TimerName, ms: number): void {
    // On a reliable transport D is zero: "Terminated" is entered at once, not on a later tick.
    if (ms === 0) this.terminate();
    else this.timerSet.start(timer, ms);
  }


  protected notifyTerminated(): void {
    this.tu.onTerminated?.();
  }
}

/**
 * §17.1.1.3 Construction of the ACK Request (for a non-2xx final response): same Request-URI,
 * Call-ID, From, CSeq number and top Via (hence branch) as the INVITE; To from the response (it has
 * the tag); CSeq method ACK; Route headers of the INVITE.
 */
export function buildNonSuccessAck(invite: SipRequest, response: SipResponse): SipRequest {
  const h = new Headers();
  const via = firstListValue(invite.headers.get('Via') ?? '');
  h.append('Via', via);
  for (const route of invite.headers.getLines('Route')) h.append('Route', route);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('From') ?? '');
  h.append('To', response.headers.get('To') ?? invite.headers.get('To') ?? '');
  h.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  const seq = (invite.headers.get('CSeq') ?? '').trim().split(/\s+/)[0] ?? '1';
  h.append('CSeq', `${seq} ACK`);
  h.append('Content-Length', '0');
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

/**
 * §9.1 Client Behavior: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header
 * fields in the CANCEL request MUST be identical to those in the request being cancelled, including
 * tags. A CANCEL constructed by a client MUST have only a single Via header field value matching the
 * top Via value in the request being cancelled." Route headers are copied too. The TU sends it in its
 * own client transaction (endpoint.request), and only once a provisional response has arrived
 * ("If no provisional response has been received, the CANCEL request MUST NOT be sent").
 */
export function buildCancel(invite: SipRequest): SipRequest {
  const h = new Headers();
  h.append('Via', firstListValue(invite.headers.get('Via') ?? ''));
  for (const route of invite.headers.getLines('Route')) h.append('Route', route);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('From') ?? '');
  h.append('To', invite.headers.get('To') ?? '');
  h.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  const seq = (invite.headers.get('CSeq') ?? '').trim().split(/\s+/)[0] ?? '1';
  h.append('CSeq', `${seq} CANCEL`);
  h.append('Content-Length', '0');
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

function describe(event: InviteClientEvent): string {
  if (event.type === 'timer') return `Timer ${event.timer}`;
  if (event.type === 'response') return `response ${event.response.status}`;
  return event.type;
}
