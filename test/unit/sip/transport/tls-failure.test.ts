import { describe, expect, it } from 'vitest';
import { tlsFailureOf } from '../../../../src/sip/transport/tls-failure.js';
import { TransportError } from '../../../../src/sip/transport/transport.js';

/** An error as node:tls raises it: a message and an OpenSSL or Node code. */
function tlsError(code: string, reason?: string): Error {
  return Object.assign(new Error(`failed: ${code}`), { code, ...(reason ? { reason } : {}) });
}

describe('tlsFailureOf', () => {
  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unknown-ca', /not signed by a trusted CA/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'unknown-ca', /untrusted self-signed CA/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed', /self-signed and not trusted/],
    ['CERT_HAS_EXPIRED', 'expired', /has expired/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-host', /not for this host name/],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'client-certificate-required', /requires a client certificate/],
  ])('%s → %s', (code, cause, text) => {
    const f = tlsFailureOf(tlsError(code));
    expect(f?.cause).toBe(cause);
    expect(f?.text).toMatch(text);
  });

  it('finds the cause inside a TransportError', () => {
    const e = new TransportError('TLS connect failed', 'tls', { address: '127.0.0.1', port: 5061 }, tlsError('CERT_HAS_EXPIRED'));
    expect(tlsFailureOf(e)?.cause).toBe('expired');
  });

  it('names other OpenSSL failures as a handshake failure with their reason', () => {
    expect(tlsFailureOf(tlsError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'))).toEqual({
      cause: 'handshake', text: 'TLS handshake failed (wrong version number)',
    });
  });

  it('is undefined for errors that are no TLS failure', () => {
    expect(tlsFailureOf(tlsError('ECONNREFUSED'))).toBeUndefined();
    expect(tlsFailureOf(new TransportError('reset', 'tcp', { address: '10.0.0.1', port: 5060 }, tlsError('ECONNRESET')))).toBeUndefined();
    expect(tlsFailureOf('not an error')).toBeUndefined();
  });
});
