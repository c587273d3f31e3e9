/**
 * Issue 16 item 3 through the CLI: `umphone call --transport tls` (sips:) to `umphone serve --security
 * sip-secured`, both real processes on 127.0.0.1 with a throwaway PKI: mutual TLS to the front, its 302
 * with `transport=TLS` followed onto a new TLS connection to the worker, the menu's first prompt heard
 * (correlated); a caller without a client certificate is refused in the handshake (exit 8, one line
 * naming the cause); serve's bad TLS options are one line and exit 2. Then `--security secured`: `call
 * --srtp mandatory` gets SRTP both ways through the 302, `--srtp off` gets the worker's 488 with a Warning.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';
import { killAllChildren, pollUntil, type ExitInfo, type TrackedChild } from '../support/child-process.js';
import { freeTcpPort } from '../support/ports.js';
import { makeTestPki } from '../support/tls-certs.js';
import { ROOT, umphone } from '../support/umphone-cli.js';

const pki = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), 'cli-serve-tls-'));
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/enter-extension.wav')).samples;
const stderrLines = (r: ExitInfo) => r.stderr.split('\n').filter((l) => l.trim() !== '');

let serve: TrackedChild;
let front: number;
let worker: number;

beforeAll(async () => {
  front = await freeTcpPort();
  worker = await freeTcpPort();
  serve = umphone([
    'serve', '--security', 'sip-secured', '--port', String(front), '--worker-port', String(worker),
    '--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--tls-ca', pki.ca, '--tls-peer-name', 'umphone.test',
    '--data-dir', join(dir, 'um-data'),
  ]);
  await pollUntil('umphone serve listening', async () => serve.hasExited() || serve.stdout().includes('umphone serve: pilot'), 20_000);
  if (serve.hasExited()) throw new Error(`serve exited: ${serve.stderr()}`);
}, 30_000);

afterAll(async () => {
  await serve?.kill();
  await killAllChildren();
});

describe('umphone call --transport tls → umphone serve --security sip-secured', () => {
  it('follows the 302 (transport=TLS) over mutual TLS and hears the first prompt', async () => {
    expect(serve.stdout()).toContain(`umphone serve: pilot sip:6000@127.0.0.1:${front};transport=tls`);
    const rec = join(dir, 'heard.wav');
    const json = join(dir, 'call.json');
    const r = await umphone([
      'call', `sip:6000@127.0.0.1:${front}`, '--transport', 'tls', '--from', '613', '--no-audio', '-v',
      '--tls-ca', pki.ca, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key,
      '--record', rec, '--duration', '5', '--json', json,
    ]).exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`→ 302 Moved Temporarily, following to sip:6000@127.0.0.1:${worker};user=phone;transport=TLS;maddr=127.0.0.1`.replace(';user=phone', ''));
    expect(r.stdout).toMatch(new RegExp(`──▶ TLS 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${worker} .*\\n {4}INVITE sip:6000@`));
    expect(r.stdout).toMatch(new RegExp(`◀── TLS 127\\.0\\.0\\.1:${worker} → .*\\n {4}SIP/2\\.0 200 `));
    const summary = JSON.parse(readFileSync(json, 'utf8'));
    expect(summary.redirects.map((h: { status: number }) => h.status)).toEqual([302, 200]);
    const heard = readWav(rec);
    expect(alignAndCorrelate(prompt, heard.samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
    const log = readFileSync(join(dir, 'um-data', 'um-server.log'), 'utf8');
    expect(log).toMatch(new RegExp(`redirecting 6000 to 127\\.0\\.0\\.1:${worker} over TLS \\(302\\)`));
  }, 30_000);

  it('a caller without a client certificate is refused in the handshake: exit 8, one line; serve logs it', async () => {
    const r = await umphone(['call', `sips:6000@127.0.0.1:${front}`, '--tls-ca', pki.ca, '--no-audio', '-q']).exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(stderrLines(r)).toEqual([
      `umphone: TLS to 127.0.0.1:${front}: the server requires a client certificate (mutual TLS: give --tls-cert and --tls-key)`,
    ]);
    await pollUntil('serve logged the refusal', async () => /TLS handshake from 127\.0\.0\.1:\d+ failed: the client sent no certificate/.test(serve.stdout()), 5000);
  }, 30_000);

  it('a caller whose certificate an untrusted CA signed is dropped after the handshake: exit 8, one line; serve logs it', async () => {
    const r = await umphone([
      'call', `sips:6000@127.0.0.1:${front}`, '--tls-ca', pki.ca, '--tls-cert', pki.unknownCa.cert, '--tls-key', pki.unknownCa.key, '--no-audio', '-q',
    ]).exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(stderrLines(r)).toEqual([
      expect.stringMatching(new RegExp(`^umphone: 503 Service Unavailable \\(transport: TLS connection to 127\\.0\\.0\\.1:${front} failed: closed by the server \\(with mutual TLS: it may not trust our client certificate\\)\\)$`)),
    ]);
    await pollUntil('serve logged the refusal', async () => /closed before it was accepted: its client certificate does not verify against --tls-ca/.test(serve.stdout()), 5000);
  }, 30_000);
});

describe('umphone serve: TLS options', () => {
  it.each([
    [['--security', 'secured'], 'umphone: --security secured needs --tls-cert and --tls-key (the server certificate and its key, PEM)'],
    [['--tls-cert', 'x.pem', '--tls-key', 'x.key'], 'umphone: --tls-cert, --tls-key: TLS is for --security sip-secured or secured'],
    [['--security', 'sip-secured', '--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], 'umphone: --tls-cert /nonexistent.pem: no such file'],
  ])('%j: one line, exit 2', async (args, line) => {
    const r = await umphone(['serve', '--port', '0', '--worker-port', '0', '--data-dir', join(dir, 'bad'), ...args]).exited;
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([line]);
  }, 30_000);
});

describe('umphone call --srtp → umphone serve --security secured (both CLIs)', () => {
  let secured: TrackedChild;
  let sFront: number;
  beforeAll(async () => {
    sFront = await freeTcpPort();
    const sWorker = await freeTcpPort();
    secured = umphone([
      'serve', '--security', 'secured', '--port', String(sFront), '--worker-port', String(sWorker),
      '--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--tls-ca', pki.ca, '--tls-peer-name', 'umphone.test',
      '--data-dir', join(dir, 'um-secured'),
    ]);
    await pollUntil('secured serve listening', async () => secured.hasExited() || secured.stdout().includes('umphone serve: pilot'), 20_000);
    if (secured.hasExited()) throw new Error(`serve exited: ${secured.stderr()}`);
  }, 30_000);
  afterAll(async () => {
    await secured?.kill();
  });
  const tlsArgs = () => ['--tls-ca', pki.ca, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key];

  it('--srtp mandatory: the 302 over TLS, SRTP media both ways, the prompt heard, no packet dropped', async () => {
    const rec = join(dir, 'heard-srtp.wav');
    const json = join(dir, 'call-srtp.json');
    const r = await umphone([
      'call', `sips:6000@127.0.0.1:${sFront}`, '--from', '613', '--no-audio', '--srtp', 'mandatory', ...tlsArgs(),
      '--record', rec, '--duration', '5', '--json', json, '-q',
    ]).exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const summary = JSON.parse(readFileSync(json, 'utf8'));
    expect(summary.redirects.map((h: { status: number }) => h.status)).toEqual([302, 200]);
    expect(summary.srtp.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(summary.srtp.rtp.protected).toBeGreaterThan(100);
    expect(summary.srtp.rtp.unprotected).toBeGreaterThan(100);
    expect(summary.srtp.rtp.authFailures).toBe(0);
    expect(alignAndCorrelate(prompt, readWav(rec).samples, { maxLagMs: 3000 }).correlation).toBeGreaterThanOrEqual(0.9);
  }, 30_000);

  it('--srtp off: the worker refuses plain RTP with 488 and its Warning; the call exits 5', async () => {
    const r = await umphone(['call', `sips:6000@127.0.0.1:${sFront}`, '--from', '613', '--no-audio', '--srtp', 'off', ...tlsArgs(), '-v']).exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(5);
    expect(r.stdout).toMatch(/SIP\/2\.0 488 [^\n]*\n(?:[^\n]+\n)*?\s*Warning: 399 /i);
  }, 30_000);
});
