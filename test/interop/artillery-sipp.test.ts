/**
 * Issue 18 item 3: `artillery run` with `engine: umphone` against SIPp as the UAS (its built-in `uas`
 * scenario over UDP, echoing our RTP): the calls Artillery's JSON report counts equal the calls SIPp's
 * statistics file says it took, and an `ensure` threshold that the run breaches (call setup p95 under
 * 1 ms) makes `artillery run` exit non-zero, with the report still complete.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllChildren, pollUntil } from '../support/child-process.js';
import { startSipp } from '../support/sipp.js';
import { artilleryMissing, runArtillery } from '../support/artillery.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-artillery-sipp-'));
const WORKERS = 2;
const CALLS = 2 * WORKERS;

afterAll(async () => {
  await killAllChildren();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

/** The last row of SIPp's -trace_stat file, by column name. */
function sippStats(path: string): Record<string, string> {
  const rows = readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(';'));
  const head = rows[0]!;
  const last = rows[rows.length - 1]!;
  return Object.fromEntries(head.map((h, k) => [h, last[k] ?? '']));
}

describe('artillery run with engine: umphone against SIPp (UAS)', () => {
  it('counts the calls SIPp took, and a breached ensure threshold exits non-zero', async () => {
    if (artilleryMissing()) throw new Error(artilleryMissing());
    const uas = await startSipp({
      scenario: 'uas', transport: 'u1', calls: CALLS, timeoutMs: 240_000,
      extraArgs: ['-rtp_echo', '-trace_stat', '-stf', 'stats.csv', '-fd', '1'],
    });
    writeFileSync(join(dir, 'scenario.yml'), `
config:
  target: "sip:service@${uas.address}"
  phases:
    - duration: 2
      arrivalRate: ${WORKERS}
  engines:
    umphone: {}
  plugins:
    ensure: {}
  umphone:
    rtpPorts: "40000-40999"
  ensure:
    thresholds:
      - umphone.call_setup.p95: 1     # 1 ms: no real call is set up that fast
scenarios:
  - engine: umphone
    flow:
      - call:
          target: "{{ target }}"
          transport: udp
      - expect: { sip: 200 }
      - pause: 2s
      - hangup
`);
    const { exit, report } = await runArtillery(dir, 'scenario.yml', WORKERS);
    const out = `${exit.stdout}\n${exit.stderr}`;
    expect(exit.code, out).toBe(1);
    expect(out).toMatch(/fail: umphone\.call_setup\.p95 < 1/);
    const sipp = await uas.exited;
    expect(sipp.code, uas.describe()).toBe(0);
    const stats = await pollUntil('SIPp stats', () => existsSync(join(uas.dir, 'stats.csv')) && sippStats(join(uas.dir, 'stats.csv')), 5_000);
    const c = report!.aggregate.counters;
    expect(Number(stats['IncomingCall(C)']), JSON.stringify(stats)).toBe(CALLS);
    expect(c['umphone.calls.started'], JSON.stringify(c)).toBe(Number(stats['IncomingCall(C)']));
    expect(c['umphone.calls.answered']).toBe(Number(stats['SuccessfulCall(C)']));
    expect(c['vusers.completed']).toBe(CALLS);
    expect(Number(stats['FailedCall(C)'])).toBe(0);
    // SIPp echoed our RTP: every answered call has its loss and jitter in the report.
    expect(report!.aggregate.summaries['umphone.rtp.loss']!.count).toBe(CALLS);
    expect(report!.aggregate.summaries['umphone.call_setup']!.count).toBe(CALLS);
    // Each worker had its own SIP port and its own half of the RTP range (40000-40499, 40500-40999).
    const halves = new Map<string, Set<number>>();
    for (const m of uas.messages().filter((x) => x.direction === 'received' && x.method === 'INVITE')) {
      const via = /:(\d+)/.exec(m.header('Via') ?? '')?.[1] ?? '?';
      const rtp = Number(/m=audio (\d+)/.exec(m.body)?.[1]);
      expect(rtp >= 40000 && rtp <= 40999, String(rtp)).toBe(true);
      halves.set(via, (halves.get(via) ?? new Set()).add(Math.floor((rtp - 40000) / 500)));
    }
    expect(halves.size, JSON.stringify([...halves])).toBe(WORKERS);
    expect(new Set([...halves.values()].map((h) => [...h].join()))).toEqual(new Set(['0', '1']));
  }, 300_000);
});
