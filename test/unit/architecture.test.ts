/**
 * The layering of docs/architecture.md, enforced: each folder imports only the layers below it,
 * sockets live in the transports and rtp/socket, real time only in util/clock.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Layer of a file: the first one or two folders under src/. */
function layerOf(file: string): string {
  const parts = relative(src, file).split('/');
  if (parts.length === 1) return '.';
  if (parts[0] === 'sip' && parts.length > 2) return `sip/${parts[1]}`;
  return parts[0]!;
}

const below: Record<string, string[]> = {
  util: [],
  'sip/message': ['util'],
  'sip/transport': ['util', 'sip/message'],
  'sip/transaction': ['util', 'sip/message', 'sip/transport'],
  'sip/dialog': ['util', 'sip/message', 'sip/transport', 'sip/transaction'],
  sdp: ['util'],
  rtp: ['util'],
  capture: ['util'],
  media: ['util'],
  phone: ['util', 'sip/message', 'sip/transport', 'sip/transaction', 'sip/dialog', 'sdp', 'rtp', 'media', 'capture'],
  script: ['util', 'sip/message', 'sdp', 'rtp', 'media', 'phone'],
  load: ['util', 'sip/message', 'sdp', 'rtp', 'media', 'phone', 'script'],
  artillery: ['util', 'sip/message', 'sdp', 'rtp', 'media', 'phone', 'script'],
  um: ['util', 'sip/message', 'sip/transport', 'sip/transaction', 'sip/dialog', 'sdp', 'rtp', 'media', 'phone', 'script'],
  report: ['util', 'rtp', 'phone', 'script', 'load'],
  cli: ['*'],
  '.': ['*'],
};

const files = walk(src);
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('architecture', () => {
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s imports only lower layers', (_name, file) => {
    const layer = layerOf(file);
    const allowed = below[layer];
    expect(allowed, `unknown layer ${layer}: add it to the table`).toBeDefined();
    const text = readFileSync(file, 'utf8');
    const bad: string[] = [];
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(src)) continue;
      const tl = layerOf(target.replace(/\.js$/, '.ts'));
      if (tl === layer || allowed!.includes('*') || allowed!.includes(tl)) continue;
      bad.push(`${spec} (${tl})`);
    }
    expect(bad, `${layer} must not import these`).toEqual([]);
  });

  it('opens sockets only in transports, rtp and the composition root', () => {
    const offenders = files.filter((f) => {
      const l = layerOf(f);
      if (['sip/transport', 'rtp', 'cli', 'um', 'phone'].includes(l)) return false;
      return /from\s+['"]node:(net|dgram|tls)['"]/.test(readFileSync(f, 'utf8'));
    });
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('reads real time only through util/clock.ts (and the RTP pacer worker)', () => {
    const offenders = files.filter((f) => {
      const rel = relative(src, f);
      if (rel === 'util/clock.ts' || /^rtp\/pacer.*worker/.test(rel) || rel.startsWith('cli/')) return false;
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      return /(?<![.\w])(setTimeout|setInterval)\(|Date\.now\(|performance\.now\(/.test(code);
    });
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
