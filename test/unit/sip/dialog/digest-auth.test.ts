import { describe, expect, it } from 'vitest';
import { DigestAuthError, digestAuthorization } from '../../../../src/sip/dialog/digest-auth.js';
import { parseChallenges } from '../../../../src/sip/message/index.js';

const parseDigestChallenge = (v: string) => parseChallenges([v], 'WWW-Authenticate')[0]!;

describe('digest auth', () => {
  it('reproduces the RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const c = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(c.qop).toEqual(['auth', 'auth-int']);
    const v = digestAuthorization(c, { username: 'Mufasa', password: 'Circle Of Life' }, {
      method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: '0a4f113b',
    });
    expect(v).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(v).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(v).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('answers a challenge without qop the RFC 2069 way', () => {
    const c = parseDigestChallenge('DIGEST REALM="atlanta.com",NONCE="84a4cc6f3082121f32b42a2187831a9e"');
    const v = digestAuthorization(c, { username: 'alice', password: 'secret' }, { method: 'INVITE', uri: 'sip:bob@biloxi.com' });
    // MD5(MD5(alice:atlanta.com:secret):nonce:MD5(INVITE:sip:bob@biloxi.com)), computed with md5sum.
    expect(v).toMatch(/^Digest username="alice", realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", uri="sip:bob@biloxi.com", response="dd50dd6ea935bc8bd2d6401f00755476", algorithm=MD5$/);
    expect(v).not.toContain('qop');
  });

  it('supports SHA-256 (RFC 7616 §3.9.1 example)', () => {
    const c = parseDigestChallenge(
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
    const v = digestAuthorization(c, { username: 'Mufasa', password: 'Circle of Life' }, {
      method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(v).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
  });

  it('rejects what it cannot answer with a clear error', () => {
    const req = { method: 'INVITE', uri: 'sip:x' };
    const cred = { username: 'a', password: 'b' };
    expect(() => digestAuthorization(parseDigestChallenge('Basic realm="x"'), cred, req)).toThrow(DigestAuthError);
    expect(() => digestAuthorization(parseDigestChallenge('Digest realm="x"'), cred, req)).toThrow('the Digest challenge lacks realm or nonce');
    const c = parseDigestChallenge('Digest realm="x", nonce="y", algorithm=SHA-512-256');
    expect(() => digestAuthorization(c, { username: 'a', password: 'b' }, { method: 'INVITE', uri: 'sip:x' })).toThrow(
      'unsupported Digest algorithm SHA-512-256',
    );
  });
});
