/**
 * baresip 1.0.0 (libre's own TLS and SRTP) calling the UM server over mutual TLS, as Exchange's gateways
 * do in SIP Secured and Secured dial plans: it dials the front's TLS port with a client certificate of
 * the trusted CA, follows the 302 (transport=TLS) to the worker's TLS port, hears "Please enter your
 * extension" (its recording correlated with the prompt) and signs in with RFC 4733 digits (613#),
 * which move the menu on. In Secured mode baresip runs `mediaenc=srtp-mand`: the worker's 200 answers
 * RTP/SAVP with an a=crypto line, so the prompt it heard came over SRTP.
 */
import { readFileSync } from 'node:fs';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UmServer } from '../../src/um/server.js';
import type { UmLogEntry } from '../../src/um/sip-log.js';
import type { UmSecurity } from '../../src/um/security.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';
import { makeTestPki } from '../support/tls-certs.js';
import { ROOT } from '../support/umphone-cli.js';

const pki = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), 'um-secured-baresip-'));
afterAll(async () => {
  await killAllChildren();
  rmSync(dir, { recursive: true, force: true });
});
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/enter-extension.wav')).samples;

function seededDataDir(name: string): string {
  const data = join(dir, name);
  mkdirSync(join(data, 'mailboxes', '613'), { recursive: true });
  copyFileSync('audio/message.wav', join(data, 'mailboxes', '613', 'msg-0001.wav'));
  return data;
}

const menuLines = (log: UmLogEntry[]) => log.filter((e) => e.kind === 'menu' || e.kind === 'call').map((e) => e.line).join('\n');

describe.each(['sip-secured', 'secured'] as const)('baresip over mutual TLS calling serve --security %s', (security: UmSecurity) => {
  it('follows the 302 to the worker\'s TLS port, hears the prompt and signs in by RFC 4733', async () => {
    const log: UmLogEntry[] = [];
    const server = await UmServer.start({
      port: 0, workerPort: 0, dataDir: seededDataDir(security), security, log: (e) => log.push(e),
      tls: { cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), ca: readFileSync(pki.ca), peerNames: ['umphone.test'] },
    });
    const b = await startBaresip({
      transport: 'tcp', audioSource: null, lifetimeMs: 60_000,
      extraConfig: [`sip_certificate ${pki.client.both}`, `sip_cafile ${pki.ca}`, ...(security === 'secured' ? ['module srtp.so'] : [])],
      ...(security === 'secured' ? { extraAccountParams: ';mediaenc=srtp-mand' } : {}),
    });
    try {
      const ended = server.worker.nextCallEnded();
      await b.dial(server.pilotUri);
      await b.waitForEvent('CALL_ESTABLISHED', 10_000);
      const said = (re: RegExp) => pollUntil(`the server to log ${re}\n${b.logLines().slice(-20).join('\n')}`, () => re.test(menuLines(log)), 15_000);
      await said(/prompt enter-extension/);
      await sleep(4200);
      for (const d of '613#') await b.sendDtmf(d);
      await said(/prompt enter-pin/);
      await sleep(500);
      await b.hangup();
      const handled = await ended;
      expect(handled.path.slice(0, 2), menuLines(log)).toEqual(['enter-extension', 'enter-pin']);
      expect(menuLines(log)).toMatch(/redirecting 6000 to 127\.0\.0\.1:\d+ over TLS \(302\)/);
      // Every SIP message the server saw or sent went over TLS.
      const sip = log.filter((e) => e.kind === 'sip' && e.trace);
      expect(sip.length).toBeGreaterThan(4);
      expect(sip.every((e) => e.trace!.protocol === 'tls')).toBe(true);
      const ok = sip.find((e) => e.role === 'worker' && e.trace!.direction === 'out' && /^SIP\/2\.0 200 .*\r\nCSeq: \d+ INVITE/si.test(e.message ?? ''));
      if (security === 'secured') {
        expect(ok?.message).toMatch(/m=audio \d+ RTP\/SAVP /);
        expect(ok?.message).toMatch(/a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/);
      } else {
        expect(ok?.message).toMatch(/m=audio \d+ RTP\/AVP /);
      }
      // What baresip heard (its decoder's recording) is the prompt.
      await pollUntil('baresip recordings', () => b.recordings().dec.length > 0, 5000);
      const heard = readWav(b.recordings().dec[0]!);
      expect(alignAndCorrelate(prompt, heard.samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
    } finally {
      await b.stop();
      await server.close();
    }
  }, 90_000);
});

describe('baresip with plain RTP calling serve --security secured', () => {
  it('gets 488 Not Acceptable Here with a Warning, and the server logs why', async () => {
    const log: UmLogEntry[] = [];
    const server = await UmServer.start({
      port: 0, workerPort: 0, dataDir: seededDataDir('plain'), security: 'secured', log: (e) => log.push(e),
      tls: { cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), ca: readFileSync(pki.ca) },
    });
    const b = await startBaresip({
      transport: 'tcp', audioSource: null, lifetimeMs: 60_000,
      extraConfig: [`sip_certificate ${pki.client.both}`, `sip_cafile ${pki.ca}`],
    });
    try {
      await b.dial(server.pilotUri);
      await b.waitForEvent('CALL_CLOSED', 10_000);
      await pollUntil('the 488 in the log', () => /refused INVITE from 127\.0\.0\.1:\d+ with 488: Secured mode requires SRTP/.test(menuLines(log)), 5000);
      const refusal = log.find((e) => e.kind === 'sip' && e.trace?.direction === 'out' && /^SIP\/2\.0 488 /.test(e.message ?? ''));
      expect(refusal?.message).toMatch(/\r\nWARNING: 399 127\.0\.0\.1 "Secured mode requires SRTP: the offer is RTP\/AVP \(plain RTP\); offer RTP\/SAVP with a=crypto"\r\n/);
      expect(server.worker.handled).toHaveLength(0);
    } finally {
      await b.stop();
      await server.close();
    }
  }, 60_000);
});
