/**
 * The public surface of the package (src/index.ts, built to dist/index.js): exactly the values a user
 * of the library needs, every error class with its own stable code, and the internals kept out of the
 * types (the @ts-expect-error lines below fail `npm run typecheck` the day one of them leaks).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import type { Call, IncomingCall, Listener, Phone } from '../../src/index.js';

const summary: api.CallSummary = { target: 'sip:x', callId: 'x', state: 'ended', redirects: [], durationMs: 0, dtmf: { sent: [], received: [] }, recordings: [] };

// The quality field's types are public (a user reads them off the summary).
const quality: api.CallQuality['perSecond'][number]['mos'] = undefined;
void quality;

describe('public API', () => {
  it('exports these values and no others', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AddressFilterError', 'Call', 'CallAddressError', 'CallEndedError', 'CallFailedError', 'CallStateError',
      'DtmfMismatchError', 'DtmfSequenceError', 'IncomingCall', 'Listener', 'ListenerTimeoutError', 'MediaError',
      'Phone', 'PromptMismatchError', 'UmphoneError', 'VERSION', 'WaitTimeoutError', 'WavFormatError',
      'loadWavForPlayback',
    ]);
  });

  it('VERSION is package.json\'s', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(api.VERSION).toBe(pkg.version);
  });

  it.each([
    [new api.CallFailedError({ kind: 'cancelled', by: 'local' }, summary), 'CALL_FAILED'],
    [new api.CallStateError('x'), 'CALL_STATE'],
    [new api.WaitTimeoutError('speech', 1000, 'silence'), 'WAIT_TIMEOUT'],
    [new api.CallEndedError('speech', 'remote (BYE)', 'silence'), 'WAIT_CALL_ENDED'],
    [new api.PromptMismatchError('p', 0.2, 0.5, 'x'), 'PROMPT_MISMATCH'],
    [new api.DtmfMismatchError('1', '2'), 'DTMF_MISMATCH'],
    [new api.ListenerTimeoutError(1000), 'LISTEN_TIMEOUT'],
    [new api.MediaError('x'), 'MEDIA'],
    [new api.DtmfSequenceError('1x', 1), 'DTMF_SEQUENCE'],
    [new api.WavFormatError('x'), 'WAV_FORMAT'],
    [new api.CallAddressError('x'), 'CALL_ADDRESS'],
    [new api.AddressFilterError('x'), 'ADDRESS_FILTER'],
  ] as const)('%o is an UmphoneError with code %s, named after its class', (error, code) => {
    expect(error).toBeInstanceOf(api.UmphoneError);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
  });
});

/** Never called: compiled by `npm run typecheck`, where each line must be an error. */
export function internalsStayInternal(phone: Phone, call: Call, incoming: IncomingCall, listener: Listener): void {
  // @ts-expect-error the user agent is internal
  void phone.ua;
  // @ts-expect-error the SIP endpoint is internal
  void phone.endpoint;
  // @ts-expect-error the RTP engine is internal
  void phone.rtp;
  // @ts-expect-error the dialog is internal
  void call.session;
  // @ts-expect-error the media session is internal
  void call.media;
  // @ts-expect-error the call's SRTP state is internal
  void call.srtp;
  // @ts-expect-error the INVITE as parsed is internal
  void incoming.request;
  // @ts-expect-error a call starts itself
  void call.start;
  // @ts-expect-error the listener's phone is internal
  void listener.phone;
  // @ts-expect-error the active calls are read-only
  listener.active.add(incoming);
}
