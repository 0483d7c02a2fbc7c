import os from 'node:os';
import { VERSION } from '../src/version.js';
import { machine, table, type Section } from './lib.js';
import { p1 } from './p1-cold-start.js';
import { p2 } from './p2-list-size.js';
import { p3 } from './p3-tool-call.js';
import { p4 } from './p4-spend.js';
import { p5 } from './p5-usage.js';
import { p6 } from './p6-memory.js';
import { p7 } from './p7-answer-size.js';
import { p8 } from './p8-result-budget.js';
import { p9 } from './p9-plan.js';
import { forecastBacktest, p10, p10Cpu } from './p10-anomalies.js';
import { p11 } from './p11-scripts.js';
import { team } from './team.js';

/*
 * The benchmark suite (PRODUCT.md §9, P1–P7): `npm run bench`, or `node dist/bench/run.js [P1 P3 …]`
 * for some of them. Prints a Markdown report on stdout (progress goes to stderr). Benchmarks are not
 * tests: a MISS is a figure to act on, so the exit status is 0 either way.
 */

const BENCHMARKS: Record<string, () => Promise<Section>> = {
  P1: () => p1(),
  P2: () => p2(),
  P3: () => p3(),
  P4: () => p4(),
  P5: () => p5(),
  P6: () => p6(),
  P7: () => p7(),
  P8: () => p8(),
  P9: () => p9(),
  P10: () => p10(),
  P10CPU: () => p10Cpu(),
  P11: () => p11(),
  FORECAST: () => forecastBacktest(),
  // Only when named (`node dist/bench/run.js TEAM`): it needs redis-server and nginx.
  TEAM: () => team(),
};
const DEFAULT = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9', 'P10', 'P10CPU', 'P11', 'FORECAST'];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).map((a) => a.toUpperCase());
  const unknown = wanted.filter((w) => !(w in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; expected some of ${Object.keys(BENCHMARKS).join(' ')}`);
  const selected = wanted.length > 0 ? wanted : DEFAULT;

  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  const loadBefore = load();
  const started = performance.now();
  const sections: Section[] = [];
  const durations: Record<string, number> = {};
  for (const id of selected) {
    process.stderr.write(`bench: ${id}…\n`);
    const t = performance.now();
    sections.push(await (BENCHMARKS[id] as () => Promise<Section>)());
    durations[id] = (performance.now() - t) / 1000;
    process.stderr.write(`bench: ${id} done in ${(durations[id] as number).toFixed(1)} s\n`);
  }
  const total = (performance.now() - started) / 1000;

  const out: string[] = [];
  out.push(`# openai-admin-mcp ${VERSION} benchmarks`, '');
  out.push(`Run ${new Date().toISOString()} with \`${wanted.length > 0 ? `node dist/bench/run.js ${wanted.join(' ')}` : 'npm run bench'}\` (= \`npm run build && node dist/bench/run.js\`).`, '');
  out.push(table(['machine', ''], [...machine(), ['load average (1/5/15 min)', `${loadBefore} before, ${load()} after`]]), '');
  out.push('Every figure is a median over repeated runs; every ratio compares variants measured side by side in the same run (interleaved, order rotated each round).', '');
  out.push('## Summary', '');
  out.push(table(['#', 'measure', 'measured', 'target', 'verdict'], sections.flatMap((s) => s.checks.map((c) => [c.id, c.what, c.measured, c.target, c.pass ? 'PASS' : '**MISS**']))), '');
  for (const s of sections) {
    out.push(`## ${s.id}. ${s.title}`, '', s.method, '');
    for (const block of s.body) out.push(block, '');
    out.push(`_${s.id} took ${(durations[s.id] as number).toFixed(1)} s._`, '');
  }
  out.push(`Total benchmark time: ${total.toFixed(1)} s (${Object.entries(durations).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}).`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
