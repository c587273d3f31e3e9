/**
 * `artillery run` as a user runs it, for the engine's interop tests: the Artillery of tools/artillery
 * (scripts/setup-artillery.sh installs it), local mode, telemetry off (no network here), a number of
 * worker threads, and the JSON report (`--output`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked, type ExitInfo } from './child-process.js';
import { ROOT } from './umphone-cli.js';

export const ARTILLERY = join(ROOT, 'tools', 'artillery', 'node_modules', '.bin', 'artillery');

/** Why the Artillery tests cannot run here ('' when they can). */
export function artilleryMissing(): string {
  return existsSync(ARTILLERY) ? '' : `${ARTILLERY} is missing: run scripts/setup-artillery.sh`;
}

export interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, { count: number; min: number; max: number; p50: number; p95: number; p99: number }>;
  };
}

/** Runs `artillery run --output report.json scenario` in `dir` with `workers` worker threads. */
export async function runArtillery(dir: string, scenario: string, workers: number): Promise<{ exit: ExitInfo; report: ArtilleryReport | undefined }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ARTILLERY_DISABLE_TELEMETRY: 'true',
    CI: '1',
    NO_COLOR: '1',
    UMPHONE_TEST_CPUS: String(workers + 1),
    NODE_OPTIONS: `--require ${join(ROOT, 'test', 'support', 'artillery-cpus.cjs')}`,
  };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k.startsWith('npm_')) delete env[k];
  const report = join(dir, 'report.json');
  const exit = await spawnTracked(ARTILLERY, ['run', '--output', report, scenario], { cwd: dir, env }).exited;
  writeFileSync(join(dir, 'artillery.out'), `${exit.stdout}\n${exit.stderr}`);
  return { exit, report: existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as ArtilleryReport) : undefined };
}
