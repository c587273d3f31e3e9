/**
 * Issue 16 item 1: `umphone call` over TLS against real peers. Kamailio stands for Exchange UM's front
 * end (mutual TLS on its own port, a 302 whose Contact says `transport=TLS` and carries a maddr) and
 * baresip for the worker (TLS on its SIP port + 1, auto-answering with a prompt). Certificates are a
 * throwaway PKI made with openssl (test/support/tls-certs.ts). Each certificate failure ends the call
 * with exit code 8, one line naming the cause, and the cause in the --json summary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, type ExitInfo } from '../support/child-process.js';
import { startKamailioRedirector } from '../support/kamailio.js';
import { makeTestPki, type CertFiles } from '../support/tls-certs.js';
import { ROOT, umphone } from '../support/umphone-cli.js';

const pki = makeTestPki();
const promptPath = join(ROOT, 'audio/prompts/greeting-613.wav');
const prompt = loadWavForPlaybackSync(promptPath).samples;

afterAll(() => killAllChildren());

function stderrLines(r: ExitInfo): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** baresip answering on TLS with `cert` (it listens on TLS at its SIP port + 1). */
function baresipWithCert(cert: CertFiles) {
  return startBaresip({ transport: 'tcp', audioSource: promptPath, extraConfig: [`sip_certificate ${cert.both}`] });
}

describe('umphone call over TLS', () => {
  it('follows a mutual-TLS 302 (transport=TLS, maddr) onto a new TLS connection, is answered and records the prompt', async () => {
    const worker = await baresipWithCert(pki.server);
    const workerTls = worker.sipPort + 1;
    const front = await startKamailioRedirector({
      cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requireClientCert: true,
      contact: `<sip:uas@127.0.0.1:${workerTls};transport=TLS;maddr=127.0.0.1>`,
    });
    const rec = join(pki.dir, 'tls-call.wav');
    const json = join(pki.dir, 'tls-call.json');
    try {
      const r = await umphone([
        'call', `sips:680@127.0.0.1:${front.port}`, '--from', '111', '--no-audio', '-v',
        '--tls-ca', pki.ca, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key,
        '--record', rec, '--duration', '5', '--json', json,
      ]).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`→ 302 Moved Temporarily, following to sip:uas@127.0.0.1:${workerTls};transport=TLS;maddr=127.0.0.1`);
      // Both hops over TLS, our Via says so, and the worker's answer and our BYE use one connection.
      expect(r.stdout).toMatch(new RegExp(`──▶ TLS 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${front.port} .*\\n {4}INVITE sips:680@`));
      const toWorker = new RegExp(`──▶ TLS 127\\.0\\.0\\.1:(\\d+) → 127\\.0\\.0\\.1:${workerTls} .*\\n {4}INVITE sip:uas@`).exec(r.stdout);
      expect(toWorker).not.toBeNull();
      const ourEnd = toWorker![1];
      expect(r.stdout).toMatch(/^ {4}Via: SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=/m);
      expect(r.stdout).not.toMatch(/^ {4}Via: SIP\/2\.0\/(TCP|UDP)/m);
      expect(r.stdout).toMatch(new RegExp(`◀── TLS 127\\.0\\.0\\.1:${workerTls} → 127\\.0\\.0\\.1:${ourEnd} .*\\n {4}SIP/2\\.0 200 `));
      expect(r.stdout).toMatch(new RegExp(`──▶ TLS 127\\.0\\.0\\.1:${ourEnd} → 127\\.0\\.0\\.1:${workerTls} .*\\n {4}BYE sip:`));
      expect(r.stderr).toBe('');
      const summary = JSON.parse(readFileSync(json, 'utf8'));
      expect(summary.status).toBe(200);
      expect(summary.redirects.map((h: { status: number }) => h.status)).toEqual([302, 200]);
      // What baresip played, we recorded: the prompt, recognisably.
      const heard = readWav(rec);
      expect(alignAndCorrelate(prompt, heard.samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
    } finally {
      await front.stop();
      await worker.stop();
    }
  });

  it.each([
    ['unknownCa', 'unknown-ca', /^umphone: TLS to 127\.0\.0\.1:\d+: the server's certificate is not signed by a trusted CA/],
    ['wrongHost', 'wrong-host', /^umphone: TLS to 127\.0\.0\.1:\d+: the server's certificate is not for this host name$/],
    ['expired', 'expired', /^umphone: TLS to 127\.0\.0\.1:\d+: the server's certificate has expired$/],
  ] as const)('a server certificate that does not verify (%s): exit 8, one line, the cause in --json', async (which, cause, line) => {
    const b = await baresipWithCert(pki[which]);
    const json = join(pki.dir, `fail-${which}.json`);
    try {
      const r = await umphone(['call', `sips:uas@127.0.0.1:${b.sipPort + 1}`, '--tls-ca', pki.ca, '--no-audio', '-q', '--json', json]).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
      expect(stderrLines(r)).toHaveLength(1);
      expect(stderrLines(r)[0]).toMatch(line);
      const end = JSON.parse(readFileSync(json, 'utf8')).end;
      expect(end.kind).toBe('transport');
      expect(end.tls.cause).toBe(cause);
    } finally {
      await b.stop();
    }
  });

  it('mutual TLS without a client certificate: exit 8, "requires a client certificate"', async () => {
    const front = await startKamailioRedirector({
      cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requireClientCert: true, contact: '<sip:uas@127.0.0.1:9;transport=TLS>',
    });
    const json = join(pki.dir, 'fail-mtls.json');
    try {
      const r = await umphone(['call', `sip:680@127.0.0.1:${front.port}`, '--transport', 'tls', '--tls-ca', pki.ca, '--no-audio', '-q', '--json', json]).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
      expect(stderrLines(r)).toEqual([
        `umphone: TLS to 127.0.0.1:${front.port}: the server requires a client certificate (mutual TLS: give --tls-cert and --tls-key)`,
      ]);
      expect(JSON.parse(readFileSync(json, 'utf8')).end.tls.cause).toBe('client-certificate-required');
    } finally {
      await front.stop();
    }
  });

  it('--tls-insecure reaches a server of an unknown CA, with one warning line', async () => {
    const b = await baresipWithCert(pki.unknownCa);
    try {
      const r = await umphone(['call', `sips:uas@127.0.0.1:${b.sipPort + 1}`, '--tls-insecure', '--no-audio', '-q', '--duration', '1']).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(stderrLines(r)).toEqual(['umphone: warning: --tls-insecure: the server certificate is not verified']);
    } finally {
      await b.stop();
    }
  });

  it('umphone run: a script call: to a sips: front follows its 302 over mutual TLS', async () => {
    const worker = await baresipWithCert(pki.server);
    const front = await startKamailioRedirector({
      cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requireClientCert: true,
      contact: `<sip:uas@127.0.0.1:${worker.sipPort + 1};transport=tls>`,
    });
    const script = join(pki.dir, 'tls-script.yaml');
    writeFileSync(script, [
      'name: tls-call',
      'call:',
      `  target: "sips:680@127.0.0.1:${front.port}"`,
      '  from: "111"',
      'steps:',
      '  - expect: { sip: [302, 200] }',
      '  - wait_for: speech',
      '    timeout: 5s',
      '  - hangup',
      '',
    ].join('\n'));
    try {
      const r = await umphone(['run', script, '--tls-ca', pki.ca, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key]).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^PASSED: 3\/3 steps passed/m);
    } finally {
      await front.stop();
      await worker.stop();
    }
  });
});
