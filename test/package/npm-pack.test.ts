/**
 * The package as a user gets it: `npm pack` (which builds dist/ through "prepack"), then the tarball
 * installed into an empty folder, where `umphone` must run without tsx or the TypeScript source:
 * `--version`, `--help`, and a short call from the installed `umphone call` to the installed
 * `umphone serve` (the built-in UM server: 302 to its worker, answered, RTP both ways).
 *
 * The install prefers the local npm cache (the dependencies are the ones the repository installed)
 * and skips optional dependencies (naudiodon would compile PortAudio bindings for a minute).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren, pollUntil, spawnTracked, type ExitInfo } from '../support/child-process.js';
import { ROOT } from '../support/umphone-cli.js';

const work = mkdtempSync(join(tmpdir(), 'umphone-pack-'));
const app = join(work, 'app');
const installed = join(app, 'node_modules', 'umphone');
const bin = join(app, 'node_modules', '.bin', 'umphone');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of a user's shell: no tsx loader inherited from the test runner, no terminal width. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1' };
  for (const k of ['NODE_OPTIONS', 'COLUMNS', 'UMPHONE_RTP_ENGINE']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k.startsWith('VITEST')) delete env[k];
  return env;
}

async function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<ExitInfo> {
  const r = await spawnTracked(cmd, args, { cwd, env }).exited;
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

let packed: { filename: string; files: Array<{ path: string }> };
let enginePacked: { filename: string; files: Array<{ path: string }> };

beforeAll(async () => {
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], ROOT);
  // npm prints the build's output before the JSON report.
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[\n'))) as Array<typeof packed>)[0]!;
  // The Artillery engine, a workspace package published beside umphone, installed with it.
  const enginePack = await run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error', '--workspace', 'artillery-engine-umphone'], ROOT);
  enginePacked = (JSON.parse(enginePack.stdout.slice(enginePack.stdout.indexOf('[\n'))) as Array<typeof packed>)[0]!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'umphone-pack-test', private: true, allowScripts: { umphone: true } }));
  await run('npm', ['install', join(work, packed.filename), join(work, enginePacked.filename), '--prefer-offline', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, 240_000);

afterAll(async () => {
  await killAllChildren();
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('packs the compiled CLI, the prompts and the native sources, and no TypeScript source', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of ['bin/umphone.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/rtp/io-native.js',
      'audio/message.wav', 'audio/prompts/enter-extension.wav', 'scripts/build-native.mjs', 'src/rtp/native/io-loop.cc',
      'src/rtp/native/io-loop.h', 'src/rtp/native/binding.cc', 'src/rtp/native/binding.gyp']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('src/rtp/native/build/'))).toEqual([]);
  });

  it('installs into an empty folder without tsx, and builds the native addon where the checkout has one', () => {
    expect(existsSync(join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    const addon = join('src', 'rtp', 'native', 'build', 'Release', 'umphone_rtp_io.node');
    if (existsSync(join(ROOT, addon))) expect(existsSync(join(installed, addon))).toBe(true);
  });

  it('umphone --version prints package.json\'s version', async () => {
    const r = await run(bin, ['--version'], app);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('umphone call --help comes from the compiled CLI, wrapped to COLUMNS', async () => {
    const r = await run(bin, ['call', '--help'], app, { ...userEnv(), COLUMNS: '60' });
    expect(r.stdout).toMatch(/^umphone call <target>/);
    expect(Math.max(...r.stdout.trimEnd().split('\n').map((l) => (l.includes(' ') ? [...l].length : 0)))).toBeLessThanOrEqual(60);
  });

  it('a short call from the installed umphone to the installed built-in server: 302, answered, RTP both ways', async () => {
    const serve = spawnTracked(bin, ['serve', '--port', '0', '--worker-port', '0', '--data-dir', join(work, 'um-data')], { cwd: app, env: userEnv() });
    const pilot = await pollUntil('the server\'s pilot URI', () => /pilot (sip:\S+;transport=tcp);/.exec(serve.stdout())?.[1], 20_000);
    const json = join(work, 'call.json');
    const call = await spawnTracked(bin, ['call', pilot, '--duration', '1.5s', '--no-audio', '--json', json], { cwd: app, env: userEnv() }).exited;
    await serve.kill();
    expect(call.code, call.stderr + call.stdout).toBe(0);
    const summary = JSON.parse(readFileSync(json, 'utf8')) as {
      status: number; redirects: Array<{ status: number }>; rtp: { sent: { packets: number }; received: { packets: number } };
    };
    expect(summary.status).toBe(200);
    expect(summary.redirects.map((r) => r.status)).toEqual([302, 200]);
    expect(summary.rtp.sent.packets).toBeGreaterThan(25);
    expect(summary.rtp.received.packets).toBeGreaterThan(25);
  }, 60_000);

  it('artillery-engine-umphone installs beside it and loads the compiled engine (no tsx): a flow runs', async () => {
    expect(enginePacked.files.map((f) => f.path).sort()).toEqual(['README.md', 'index.js', 'package.json']);
    const probe = `
      const Engine = require('artillery-engine-umphone');
      const errors = [];
      const ee = { emit: (event, name) => { if (event === 'error') errors.push(name); return true; } };
      const script = { config: { umphone: {}, processor: { mark: (c, e, next) => { c.vars.marked = 'yes'; next(); } } } };
      const scenario = new Engine(script, ee, {}).createScenario({ flow: [{ function: 'mark' }, { log: 'marked {{ marked }}' }] }, ee);
      scenario({ vars: {} }, (err) => { console.log(err ? 'error ' + err.message : 'done', errors.join()); });
      const quiet = { emit: () => true };
      const bad = new Engine({ config: { umphone: { sipport: 1 } } }, quiet, {}).createScenario({ flow: [] }, quiet);
      bad({ vars: {} }, (err) => console.log('bad ' + err.message));`;
    const r = await run(process.execPath, ['-e', probe], app);
    expect(r.stdout, r.stdout + r.stderr).toContain('marked yes\ndone \n');
    expect(r.stdout).toContain('bad config.umphone: unknown setting "sipport"');
  });
});
