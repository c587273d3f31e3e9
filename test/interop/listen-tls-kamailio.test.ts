/**
 * Issue 16 item 3: `umphone listen --transport tls` as a mutual-TLS gateway, with Kamailio 5.6 as the
 * TLS client in front of it (a record-routing proxy from TCP to TLS, presenting a client certificate and
 * verifying ours): `umphone call` over TCP to Kamailio → TLS → listen answers and plays a prompt, which
 * the caller records (correlated); the 200's Contact says transport=tls with listen's TLS port; the ACK
 * and the BYE come back through Kamailio's Record-Route over the same TLS connection. Plain SIP sent to
 * the TLS port is dropped with one line while listen goes on.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';
import { killAllChildren, pollUntil } from '../support/child-process.js';
import { startKamailioTlsProxy } from '../support/kamailio.js';
import { freeTcpPort } from '../support/ports.js';
import { makeTestPki } from '../support/tls-certs.js';
import { ROOT, umphone } from '../support/umphone-cli.js';

const pki = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), 'listen-tls-'));
const promptPath = join(ROOT, 'audio/prompts/greeting-613.wav');
const prompt = loadWavForPlaybackSync(promptPath).samples;

afterAll(() => killAllChildren());

describe('umphone listen --transport tls behind Kamailio (TLS client)', () => {
  it('answers a call relayed over mutual TLS, plays into it, and takes ACK and BYE on the Record-Route', async () => {
    const port = await freeTcpPort();
    const listen = umphone([
      'listen', '--local-ip', '127.0.0.1', '--port', String(port), '--transport', 'tls', '--auto-answer', '-v',
      '--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--tls-ca', pki.ca, '--tls-require-client-cert',
      '--play', promptPath, '--loop',
    ]);
    const proxy = await startKamailioTlsProxy({
      tlsTarget: `127.0.0.1:${port}`, cert: pki.server.cert, key: pki.server.key, ca: pki.ca,
      clientCert: pki.client.cert, clientKey: pki.client.key,
    });
    try {
      await pollUntil('listen ready', async () => listen.hasExited() || /listening on/.test(listen.stdout()), 30_000);
      expect(listen.stdout()).toContain(`listening on 127.0.0.1:${port} (TLS, client certificate required)`);

      // Plain SIP on the TLS port: that connection is dropped with one line, listen goes on.
      const plain = connect({ host: '127.0.0.1', port });
      plain.on('error', () => undefined);
      plain.write('OPTIONS sip:127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n');
      await new Promise<void>((r) => plain.once('close', () => r()));
      await pollUntil('the drop line', async () => /TLS handshake from 127\.0\.0\.1:\d+ failed: not TLS/.test(listen.stderr()), 5000);

      const rec = join(dir, 'heard.wav');
      const r = await umphone([
        'call', `sip:613@127.0.0.1:${proxy.tcpPort};transport=tcp`, '--from', '111', '--no-audio', '-v', '--record', rec, '--duration', '4',
      ]).exited;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      // The caller sees listen's Contact (TLS, its port) and Kamailio's two Record-Routes.
      expect(r.stdout).toMatch(new RegExp(`^ {4}Contact: <sip:127\\.0\\.0\\.1:${port};transport=tls>`, 'm'));
      expect(r.stdout).toMatch(/^ {4}Record-Route: .*transport=tls/im);
      const heard = readWav(rec);
      expect(alignAndCorrelate(prompt, heard.samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);

      // listen's side: INVITE, ACK and BYE all arrived over TLS from Kamailio.
      await pollUntil('the call summary', async () => /Call 1 summary/.test(listen.stdout()), 10_000);
      const out = listen.stdout();
      expect(out).toMatch(/call 1 from .* \(TLS 127\.0\.0\.1:\d+\)/);
      expect(out).toMatch(/◀── TLS 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ .*\n {4}ACK sip:/);
      expect(out).toMatch(/◀── TLS 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ .*\n {4}BYE sip:/);
      expect(out).toMatch(/^ {4}Via: SIP\/2\.0\/TLS 127\.0\.0\.1/m);
    } finally {
      listen.proc.kill('SIGINT');
      await listen.exited;
      await proxy.stop();
    }
  }, 60_000);
});
