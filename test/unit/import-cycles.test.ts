/**
 * No module of src/ imports itself through others, type-only imports included: a cycle makes the
 * load order matter (a class used before its module ran) and hides which file owns an idea.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every cycle found by a depth-first walk, as "a.ts -> b.ts -> a.ts". */
function importCycles(files: string[], importsOf: (file: string) => string[]): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of importsOf(f)) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(src, x)).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

describe('imports', () => {
  const files = walk(src);
  const importsOf = (file: string): string[] => {
    const out: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) out.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
    }
    return out;
  };

  it('finds a cycle when there is one', () => {
    const graph: Record<string, string[]> = { [join(src, 'a.ts')]: [join(src, 'b.ts')], [join(src, 'b.ts')]: [join(src, 'a.ts')] };
    expect(importCycles(Object.keys(graph), (f) => graph[f] ?? [])).toEqual(['a.ts -> b.ts -> a.ts']);
  });

  it('src/ has no import cycle', () => {
    expect(importCycles(files, importsOf)).toEqual([]);
  });
});
