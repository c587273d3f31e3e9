/**
 * Why a TLS connection failed, from node:tls's error codes (OpenSSL's verify results and alerts), as a
 * short cause the CLI and the JSON summary can name, and one readable sentence. A caller who sees
 * "CERT_HAS_EXPIRED" or "tlsv13 alert certificate required" should not have to know OpenSSL.
 */

export type TlsFailureCause =
  | 'unknown-ca'
  | 'self-signed'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-host'
  | 'client-certificate-required'
  | 'certificate-rejected'
  | 'handshake';

export interface TlsFailure {
  cause: TlsFailureCause;
  /** One sentence naming the cause, e.g. "the server's certificate has expired". */
  text: string;
}

const BY_CODE: Record<string, TlsFailure> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { cause: 'unknown-ca', text: "the server's certificate is not signed by a trusted CA (give it with --tls-ca)" },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { cause: 'unknown-ca', text: "the server's certificate is not signed by a trusted CA (give it with --tls-ca)" },
  UNABLE_TO_GET_ISSUER_CERT: { cause: 'unknown-ca', text: "the server's certificate is not signed by a trusted CA (give it with --tls-ca)" },
  SELF_SIGNED_CERT_IN_CHAIN: { cause: 'unknown-ca', text: "the server's certificate chain ends in an untrusted self-signed CA (give it with --tls-ca)" },
  DEPTH_ZERO_SELF_SIGNED_CERT: { cause: 'self-signed', text: "the server's certificate is self-signed and not trusted (give it with --tls-ca)" },
  CERT_HAS_EXPIRED: { cause: 'expired', text: "the server's certificate has expired" },
  CERT_NOT_YET_VALID: { cause: 'not-yet-valid', text: "the server's certificate is not valid yet" },
  ERR_TLS_CERT_ALTNAME_INVALID: { cause: 'wrong-host', text: "the server's certificate is not for this host name" },
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: { cause: 'client-certificate-required', text: 'the server requires a client certificate (mutual TLS: give --tls-cert and --tls-key)' },
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: { cause: 'certificate-rejected', text: 'the server rejected our client certificate' },
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: { cause: 'certificate-rejected', text: 'the server does not trust the CA of our client certificate' },
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: { cause: 'certificate-rejected', text: 'the server says our client certificate has expired' },
};

/** The TLS cause of a connection error, or undefined when it is no TLS failure (refused, reset...). */
export function tlsFailureOf(error: unknown): TlsFailure | undefined {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const known = BY_CODE[code];
    if (known) return known;
    // Other OpenSSL errors and alerts (ERR_SSL_...): a failed handshake, named by OpenSSL's reason.
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
      const reason = (e as { reason?: unknown }).reason;
      return { cause: 'handshake', text: `TLS handshake failed (${typeof reason === 'string' ? reason : code})` };
    }
  }
  return undefined;
}
