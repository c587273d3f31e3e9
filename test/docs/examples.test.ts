/**
 * The documentation cannot drift from the code: every ```ts (or ```typescript) block of README.md,
 * docs/**\/*.md and scripts/examples/README.md is written out as a module that imports from 'umphone'
 * (mapped to src/index.ts, the package's public entry), and the TypeScript compiler checks them all
 * with the project's own strict settings. A block that is deliberately not compilable is marked
 * ```ts nocheck (use it sparingly).
 *
 * Each block stands alone (its own imports; `declare const call: Call;` where it continues another),
 * so a reader can copy any one of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Block {
  file: string;
  /** Line of the opening fence. */
  line: number;
  code: string;
}

function markdownFiles(): string[] {
  const docs = join(root, 'docs');
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
  });
  let inDocs: string[] = [];
  try {
    inDocs = walk(docs);
  } catch {
    inDocs = [];
  }
  return [join(root, 'README.md'), join(root, 'scripts/examples/README.md'), ...inDocs.sort()];
}

/** The ```ts blocks of a Markdown text (not those marked nocheck). */
export function typescriptBlocks(text: string, file: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, , info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(fence!); j++) body.push(lines[j]!.slice(indent!.length));
    if (!/\bnocheck\b/.test(info!)) blocks.push({ file, line: i + 1, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

const work = join(root, '.tmp', `doc-examples-${process.pid}`);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('documentation examples', () => {
  const blocks = markdownFiles().flatMap((f) => typescriptBlocks(readFileSync(f, 'utf8'), relative(root, f)));

  it('finds the ts blocks of a Markdown text, skipping nocheck ones', () => {
    const md = ['# x', '```ts', 'const a = 1;', '```', '```ts nocheck', 'not code', '```', '- item', '  ```typescript', '  const b = 2;', '  ```'].join('\n');
    expect(typescriptBlocks(md, 'x.md')).toEqual([
      { file: 'x.md', line: 2, code: 'const a = 1;' },
      { file: 'x.md', line: 9, code: 'const b = 2;' },
    ]);
  });

  it('README.md has the library example', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(1);
  });

  it('every ts block of README.md and docs/ compiles against the public entry point', () => {
    mkdirSync(work, { recursive: true });
    // ESM, so that a block may use top-level await as a user's script would.
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    const names = blocks.map((b, k) => {
      const name = `block-${String(k + 1).padStart(3, '0')}.ts`;
      writeFileSync(join(work, name), `// ${b.file}:${b.line}\n${b.code}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: {
        noEmit: true,
        rootDir: '../..',
        // A snippet may show a value it does not use further.
        noUnusedLocals: false,
        paths: { umphone: ['../../src/index.ts'] },
      },
      include: [],
      files: names,
    }, null, 2));
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(work, 'tsconfig.json')], { encoding: 'utf8', cwd: work });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    // Name each error by the Markdown file and line it comes from.
    const located = output.replace(/block-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, k: string, line: string, col: string) => {
      const b = blocks[Number(k) - 1]!;
      return `${b.file}:${b.line + Number(line) - 1}:${col}`;
    });
    expect(located).toBe('');
  }, 180_000);
});
