/**
 * Every relative link in README.md and docs/ points at a file of the repository that exists, and every
 * #anchor at a heading of the page it names: documentation that moves around must not leave dead links
 * behind, nor links to this machine's folders outside the repository.
 * Anchors follow GitHub's rule (lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? markdownFiles(p) : p.endsWith('.md') ? [p] : [];
  });
}

/** The text outside fenced code blocks, with inline code spans blanked (links there are examples). */
function prose(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length));
    })
    .join('\n');
}

/** Link targets: inline `[text](target "title")` and reference definitions `[id]: target`. */
function linkTargets(text: string): string[] {
  const body = prose(text);
  const inline = [...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const refs = [...body.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...refs];
}

/** The anchors GitHub gives the headings of a markdown text. */
function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

describe('documentation links', () => {
  it('finds the pages to check', () => {
    expect(files.length).toBeGreaterThan(1);
  });

  it('computes anchors and finds links the way GitHub does', () => {
    expect([...headingAnchors('# A b\n## `umphone call`\n## naudiodon 2.3.6 (the addon)\n## A b\n```\n# no\n```')]).toEqual([
      'a-b', 'umphone-call', 'naudiodon-236-the-addon', 'a-b-1',
    ]);
    expect(linkTargets('[x](a.md) `[y](no.md)` [z](b.md#c "t")\n```\n[w](no2.md)\n```\n[id]: c.md')).toEqual(['a.md', 'b.md#c', 'c.md']);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s: relative links resolve', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const dead: string[] = [];
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const dest = path === '' ? file : resolve(dirname(file), decodeURI(path));
      if (relative(root, dest).startsWith('..')) {
        dead.push(`${target} (outside the repository: a clone does not have it)`);
        continue;
      }
      if (!existsSync(dest)) {
        dead.push(`${target} (no such file)`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith('.md') && !headingAnchors(readFileSync(dest, 'utf8')).has(anchor)) {
        dead.push(`${target} (no such heading)`);
      }
    }
    expect(dead).toEqual([]);
  });
});
