/**
 * `umphone demo --secured` (`npm run demo -- --secured`) end to end through the CLI: Exchange's Secured
 * mode with a throwaway CA and certificates the demo makes for itself (no files given), every SIP
 * message over mutual TLS and both calls on SRTP, as its summary says; the message heard back is the one
 * left (correlated), so the SRTP media carried the audio both ways.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';
import { killAllChildren } from '../support/child-process.js';
import { umphone } from '../support/umphone-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'um-demo-secured-'));
afterAll(async () => {
  await killAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

describe('umphone demo --secured', () => {
  it('runs the demo on mutual TLS and SRTP with certificates it makes itself, and says so', async () => {
    const r = await umphone(['demo', '--secured', '--out-dir', dir]).exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const pkiDir = /certificates in (\S+) \(server: 127\.0\.0\.1, caller: gateway\.umphone\.test\)/.exec(r.stdout)?.[1];
    expect(pkiDir, r.stdout).toBeDefined();
    expect(existsSync(pkiDir!)).toBe(false); // removed at the end: nothing left behind
    expect(r.stdout).toMatch(/\(Secured: mutual TLS, SRTP mandatory\)/);
    expect(r.stdout).toMatch(/redirect to <sip:6000@127\.0\.0\.1:\d+;transport=TLS;maddr=127\.0\.0\.1>/);
    expect(r.stdout).toMatch(/^ {2}SIP: {4}TLS \(mutual, certificates of the throwaway CA\) for (\d+) of \1 messages$/m);
    expect(r.stdout).toMatch(/^ {2}media: {2}SRTP AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_80 on both calls \(\d+ packets decrypted, 0 dropped\)$/m);
    const ref = readWav('audio/message.wav').samples;
    const heard = readWav(join(dir, 'recordings', 'message-heard.wav')).samples;
    expect(alignAndCorrelate(ref, heard, { maxLagMs: 2000 }).correlation).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
