/**
 * The README's picture of the HTML call report (docs/images/report.png), taken from a real call: the
 * built-in UM server on free loopback ports, `umphone call` through its 302 to mailbox 613's greeting,
 * leaving audio/message.wav after the beep, with `--report`; then Debian's Chromium (playwright-core)
 * opens the page, opens the 302's full text and takes the picture.
 *
 *   npx tsx scripts/report-screenshot.ts [out.png]       (default docs/images/report.png; ~30 s)
 *
 * Needs chromium (scripts/setup-system.sh installs it). The page and the WAV stay in a temporary folder,
 * whose path is printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { UmServer } from '../src/um/server.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/browser.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const out = resolve(process.argv[2] ?? join(ROOT, 'docs/images/report.png'));
const dir = mkdtempSync(join(tmpdir(), 'umphone-report-shot-'));
const html = join(dir, 'call.html');

const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: join(dir, 'um-data') });
try {
  // A child process (not spawnSync: the server in this process must keep answering).
  const child = spawn(process.execPath, [
    '--import', 'tsx', 'src/cli/main.ts', 'call', `sip:6000@127.0.0.1:${server.port}`, '--from', '111', '--diversion', '613',
    '--play', 'audio/message.wav', '--duration', '9', '--no-audio', '--report', html, '--json', join(dir, 'call.json'), '-q',
  ], { cwd: ROOT, env: { ...process.env, CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  if (code !== 0) throw new Error(`umphone call exited ${code}`);
} finally {
  await server.close();
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`file://${html}`);
  const i302 = await page.$$eval('.msg', (els) => els.findIndex((e) => e.getAttribute('data-label') === '302'));
  if (i302 >= 0) await page.locator('.msg').nth(i302).click();
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
console.log(`${out}: ${(statSync(out).size / 1024).toFixed(0)} KiB (the page: ${html})`);
