/**
 * Issues 6 and 7 together: the example scripts of scripts/examples/ run against the built-in
 * Exchange-UM-like server (302 front → worker), exactly as a user runs them against Exchange, and pass.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/util/clock.js';
import { Phone } from '../../src/phone/phone.js';
import { UmServer } from '../../src/um/server.js';
import { loadScript } from '../../src/script/parse.js';
import { runScript } from '../../src/script/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-examples-'));
const examples = new URL('../../scripts/examples/', import.meta.url).pathname;
let server: UmServer;
let phone: Phone;

beforeAll(async () => {
  const data = join(dir, 'um-data');
  mkdirSync(join(data, 'mailboxes', '613'), { recursive: true });
  copyFileSync('audio/message.wav', join(data, 'mailboxes', '613', 'msg-0001.wav'));
  server = await UmServer.start({ port: 0, workerPort: 0, dataDir: data });
  phone = await Phone.create({ localIp: '127.0.0.1' });
});

afterAll(async () => {
  await phone?.close();
  await server?.close();
});

describe('example scripts against the built-in UM server', () => {
  it.each(['record-greeting', 'subscriber-login', 'auto-attendant', 'leave-message'])('%s.yaml passes', async (name) => {
    const script = loadScript(join(examples, `${name}.yaml`), { vars: { port: String(server.port) } });
    const lines: string[] = [];
    const result = await runScript(script, { phone, clock: new RealClock(), outDir: dir, log: (l) => lines.push(l) });
    expect(result.passed, lines.join('\n')).toBe(true);
    expect(result.exitCode).toBe(0);
  }, 120_000);
});
