/**
 * Issue 18 item 3: `artillery run` of a scenario with `engine: umphone` against `umphone serve` (the
 * built-in UM server), as a user runs it: Artillery's CLI in a child process, local mode, three worker
 * threads, callers from a CSV payload, an `ensure` threshold (met: exit 0). The counts of Artillery's JSON report
 * must equal what the server's log says it received, and each worker must have had its own SIP port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren, pollUntil, type TrackedChild } from '../support/child-process.js';
import { umphone } from '../support/umphone-cli.js';
import { artilleryMissing, runArtillery } from '../support/artillery.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-artillery-'));
const WORKERS = 3;
let serve: TrackedChild;
let port: number;

beforeAll(async () => {
  if (artilleryMissing()) throw new Error(artilleryMissing());
  serve = umphone(['serve', '--port', '0', '--worker-port', '0', '--data-dir', join(dir, 'um-data')]);
  port = Number(await pollUntil('umphone serve to print its pilot', () => /pilot sip:6000@127\.0\.0\.1:(\d+)/.exec(serve.stdout())?.[1], 30_000));
}, 60_000);

afterAll(async () => {
  await killAllChildren();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

describe('artillery run with engine: umphone against umphone serve', () => {
  it('reports as many calls started and answered as the server received, one SIP port per worker, and passes ensure', async () => {
    writeFileSync(join(dir, 'callers.csv'), 'extension\n613\n614\n');
    writeFileSync(join(dir, 'scenario.yml'), `
config:
  target: "sip:6000@127.0.0.1:${port}"
  phases:
    - duration: 2
      arrivalRate: ${WORKERS}
  payload:
    path: callers.csv
    fields: [extension]
    order: sequence
    skipHeader: true
  engines:
    umphone: {}
  plugins:
    ensure: {}
  umphone:
    transport: tcp
  ensure:
    thresholds:
      - umphone.post_dial_delay.p95: 2000
scenarios:
  - name: leave a message
    engine: umphone
    flow:
      - call:
          target: "{{ target }}"
          from: "111"
          diversion: "{{ extension }}"
      - wait_for: speech             # the greeting
        timeout: 10s
      - think: 1
      - log: "caller {{ extension }} heard the greeting"
      - hangup
`);
    const { exit, report } = await runArtillery(dir, 'scenario.yml', WORKERS);
    const out = `${exit.stdout}\n${exit.stderr}`;
    expect(exit.code, out).toBe(0);
    const c = report!.aggregate.counters;
    const log = readFileSync(join(dir, 'um-data', 'um-server.log'), 'utf8');
    // The front redirects every INVITE it receives; the worker answers each call it is redirected.
    const received = log.match(/\[UM service\] call: redirecting /g)?.length ?? 0;
    const answered = log.match(/\[worker\] call: call \w+: answered /g)?.length ?? 0;
    const greetings = log.match(/\[worker\] menu: call \w+: prompt greeting/g)?.length ?? 0;
    expect(c['vusers.created'], out).toBe(2 * WORKERS);
    expect(c['umphone.calls.started'], JSON.stringify(c)).toBe(received);
    expect(c['umphone.calls.answered']).toBe(answered);
    // Every user either completed or failed for a reason the engine counted (on a saturated machine a
    // caller may miss the greeting: that is a failed step, counted, not a lost user).
    const reasons = Object.entries(c).filter(([k]) => k.startsWith('umphone.steps.failed.') || k === 'umphone.calls.failed').reduce((n, [, v]) => n + v, 0);
    expect((c['vusers.completed'] ?? 0) + (c['vusers.failed'] ?? 0)).toBe(2 * WORKERS);
    expect(c['vusers.failed'] ?? 0).toBe(reasons);
    expect(c['vusers.completed']).toBeGreaterThan(0);
    expect(c['vusers.completed']).toBeLessThanOrEqual(greetings);
    expect(received).toBe(2 * WORKERS);
    expect(c['umphone.calls.failed'] ?? 0).toBe(0);
    // The CSV's rows reached the server as Diversion. Which rows each worker's users take is Artillery's
    // choice (it spreads the payload over the workers), so the test asks that every call carried one.
    const mailboxes = [...log.matchAll(/call answering for mailbox (\d+)/g)].map((m) => m[1]);
    expect(mailboxes.length).toBeGreaterThan(0);
    for (const m of mailboxes) expect(['613', '614']).toContain(m);
    // Each worker thread had its own phone: as many SIP source ports as workers.
    const vias = new Set([...log.matchAll(/\[UM service\] sip: <- 127\.0\.0\.1:\d+ TCP INVITE[^\n]*\n[^\n]*\n\s*Via: SIP\/2\.0\/TCP 127\.0\.0\.1:(\d+)/g)].map((m) => m[1]));
    expect(vias.size).toBe(WORKERS);
    const pdd = report!.aggregate.summaries['umphone.post_dial_delay']!;
    expect(pdd.count).toBe(answered);
    expect(report!.aggregate.summaries['umphone.rtp.loss']!.count).toBe(answered);
    expect(report!.aggregate.summaries['umphone.mos']!.count).toBe(answered);
    expect(out).toMatch(/caller 61[34] heard the greeting/);
    expect(out).toMatch(/ok: umphone\.post_dial_delay\.p95 < 2000/);

  }, 240_000);
});
