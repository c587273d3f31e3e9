/** Hand-built messages and a recording environment for the state-machine tests (no parser needed). */
import { ManualClock } from '../../../../src/util/clock.js';
import { Headers, type SipMessage, type SipRequest, type SipResponse } from '../../../../src/sip/message/types.js';
import { DEFAULT_TIMER_CONFIG, deriveTimers } from '../../../../src/sip/transaction/timers.js';
import type { ClientTransactionUser, TransactionEnvironment } from '../../../../src/sip/transaction/transaction.js';
import type { TransactionTimeoutError } from '../../../../src/sip/transaction/transaction.js';
import type { TransportError } from '../../../../src/sip/transport/transport.js';

export function req(method: string, branch = 'z9hG4bKtest1', cseq = 1): SipRequest {
  const h = new Headers([
    { name: 'Via', value: `SIP/2.0/UDP 192.0.2.1:5060;branch=${branch};rport` },
    { name: 'Route', value: '<sip:proxy.example.com;lr>' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: '<sip:alice@example.com>;tag=a1' },
    { name: 'To', value: '<sip:bob@example.com>' },
    { name: 'Call-ID', value: 'call-1@192.0.2.1' },
    { name: 'CSeq', value: `${cseq} ${method}` },
    { name: 'Content-Length', value: '0' },
  ]);
  return { kind: 'request', method, uri: 'sip:bob@example.com', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

export function res(request: SipRequest, status: number, toTag = 'b1'): SipResponse {
  const h = new Headers();
  for (const v of request.headers.getLines('Via')) h.append('Via', v);
  h.append('From', request.headers.get('From')!);
  h.append('To', status === 100 ? request.headers.get('To')! : `${request.headers.get('To')!};tag=${toTag}`);
  h.append('Call-ID', request.headers.get('Call-ID')!);
  h.append('CSeq', request.headers.get('CSeq')!);
  h.append('Content-Length', '0');
  return { kind: 'response', status, reason: 'Reason', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

export interface Sent {
  at: number;
  message: SipMessage;
}

export function environment(reliable: boolean, fail = false) {
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const terminated: string[] = [];
  const env: TransactionEnvironment = {
    clock,
    timers: deriveTimers(DEFAULT_TIMER_CONFIG, reliable),
    send: (message) => {
      sent.push({ at: clock.now(), message });
      return fail ? Promise.reject(new Error('connection refused')) : Promise.resolve();
    },
    terminated: (key) => terminated.push(key),
  };
  return { clock, sent, terminated, env };
}

export function recordingUser() {
  const responses: number[] = [];
  const timeouts: TransactionTimeoutError[] = [];
  const transportErrors: TransportError[] = [];
  let terminatedCount = 0;
  const tu: ClientTransactionUser = {
    onResponse: (r) => responses.push(r.status),
    onTimeout: (e) => timeouts.push(e),
    onTransportError: (e) => transportErrors.push(e),
    onTerminated: () => {
      terminatedCount++;
    },
  };
  return { tu, responses, timeouts, transportErrors, terminated: () => terminatedCount };
}

export const describeSent = (m: SipMessage): string =>
  m.kind === 'request' ? m.method : String(m.status);
