import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

/*
 * P6 diagnostic preload, for the extra run that explains the figures (never for the measured runs):
 * NODE_OPTIONS="--expose-gc --import <this file>" P6_PROBE_OUT=<file>. It records every GC with
 * v8.GCProfiler; on SIGUSR2 it writes what the young generation allocated and promoted, the full GCs
 * with the old generation before and after, and the live heap after two forced full GCs.
 */

const out = process.env.P6_PROBE_OUT;
const gc = (globalThis as { gc?: () => void }).gc;
const profiler = new v8.GCProfiler();
profiler.start();

type HeapStats = { heapSpaceStatistics: Array<{ spaceName: string; spaceUsedSize: number }> };
const used = (stats: HeapStats, space: string) => stats.heapSpaceStatistics.find((s) => s.spaceName === `${space}_space`)?.spaceUsedSize ?? 0;

process.on('SIGUSR2', () => {
  const { statistics } = profiler.stop() as unknown as { statistics: Array<{ gcType: string; beforeGC: HeapStats; afterGC: HeapStats }> };
  let scavenges = 0;
  let allocated = 0;
  let promoted = 0;
  const majors: Array<[number, number]> = [];
  for (const s of statistics) {
    if (s.gcType === 'Scavenge') {
      scavenges++;
      allocated += used(s.beforeGC, 'new');
      promoted += Math.max(0, used(s.afterGC, 'old') - used(s.beforeGC, 'old'));
    } else if (s.gcType === 'MarkSweepCompact') {
      majors.push([used(s.beforeGC, 'old'), used(s.afterGC, 'old')]);
    }
  }
  const beforeGc = process.memoryUsage();
  gc?.();
  gc?.();
  const afterGc = process.memoryUsage();
  if (out) writeFileSync(out, JSON.stringify({ scavenges, allocated, promoted, majors, rss: beforeGc.rss, liveHeap: afterGc.heapUsed, external: afterGc.external }));
});
