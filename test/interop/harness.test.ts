/**
 * Proves the interop harness itself against the real programs (SIPp, baresip, PulseAudio) on 127.0.0.1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killAllChildren } from '../support/child-process.js';
import { scenarioPath, startSipp } from '../support/sipp.js';

afterAll(async () => {
  await killAllChildren();
});

describe('SIPp launcher', () => {
  it.each(['u1', 't1'] as const)('uac-options gets a 200 with Allow/Accept/Supported from uas-options over %s', async (t) => {
    const uas = await startSipp({ scenario: scenarioPath('uas-options.xml'), transport: t, timeoutMs: 10_000 });
    const uac = await startSipp({
      scenario: scenarioPath('uac-options.xml'),
      transport: t,
      remote: uas.address,
      timeoutMs: 10_000,
    });
    const [a, b] = await Promise.all([uac.exited, uas.exited]);
    expect(a.code, uac.describe()).toBe(0);
    expect(b.code, uas.describe()).toBe(0);
    const got = uas.messages();
    expect(got.map((m) => `${m.direction} ${m.method ?? m.status}`)).toEqual(['received OPTIONS', 'sent 200']);
    expect(got[0]?.transport).toBe(t === 'u1' ? 'UDP' : 'TCP');
    expect(got[0]?.header('cseq')).toBe('1 OPTIONS');
    expect(got[1]?.header('Allow')).toContain('INVITE');
  });
});
