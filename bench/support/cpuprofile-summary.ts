/**
 * What a `--cpu-prof` profile says, as the measurement notes quote it (docs/measurements/quality.md):
 * per function, the inclusive time (every sample whose stack holds it, counted once per sample) and
 * the self time, in ms, largest first; "(idle)" is the time the thread waited.
 *
 *   npx tsx bench/support/cpuprofile-summary.ts FILE.cpuprofile [REGEX] [ROWS]
 *
 * REGEX keeps the functions whose "name file:line" matches (e.g. 'capture|pcap|garbage|idle').
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, pattern, rows] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuprofile-summary.ts FILE.cpuprofile [REGEX] [ROWS]');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
const inclusive = new Map<string, number>();
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((leaf, i) => {
  const ms = (p.timeDeltas[i] ?? 0) / 1000;
  total += ms;
  const leafName = name(byId.get(leaf)!);
  self.set(leafName, (self.get(leafName) ?? 0) + ms);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const k = name(byId.get(id)!);
    if (seen.has(k)) continue; // recursion: once per sample
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
  }
});
const idle = [...self].find(([k]) => k.startsWith('(idle)'))?.[1] ?? 0;
console.log(`total ${total.toFixed(0)} ms, idle ${idle.toFixed(0)} ms, busy ${(total - idle).toFixed(0)} ms`);
const keep = pattern ? new RegExp(pattern) : undefined;
const top = [...inclusive].filter(([k]) => !keep || keep.test(k)).sort((a, b) => b[1] - a[1]).slice(0, Number(rows ?? 40));
for (const [k, ms] of top) console.log(`${ms.toFixed(0).padStart(7)} ${(self.get(k) ?? 0).toFixed(0).padStart(7)}  ${k}`);
