#!/usr/bin/env node
/**
 * Builds the native RTP I/O thread (src/rtp/native, node-gyp) — run by `npm install`/`npm ci` through
 * package.json's "install" script. The addon is optional: without a C++ compiler the build fails, this
 * script says so in one line and exits 0, and the phone paces RTP on its main thread instead (saying so
 * once per command; `--rtp-engine native` then reports why it cannot run).
 *
 * node-gyp comes with npm (npm puts it on the PATH of install scripts; npm_config_node_gyp names it).
 * The headers: npm's `nodedir` when set, else the ones installed with this Node (<prefix>/include/node),
 * so nothing is downloaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'rtp', 'native');
const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : '');
const npmGyp = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(npmGyp) ? npmGyp : '');

if (!gyp) {
  console.warn('umphone: node-gyp not found; the native RTP I/O engine is not built (RTP will be paced on the main thread).');
  process.exit(0);
}
const args = [gyp, 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
  console.warn(`umphone: the native RTP I/O engine did not build (${why || `node-gyp exited ${r.status}`}); RTP will be paced on the main thread.`);
  process.exit(0);
}
console.log('umphone: native RTP I/O engine built');
