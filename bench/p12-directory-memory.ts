import { AdminClient } from '../src/client/index.js';
import { RequestBudget } from '../src/reports/directory.js';
import { NameDirectory } from '../src/reports/names.js';
import { startSandbox } from '../src/sandbox/server.js';
import { BENCH_KEY } from './lib.js';

/*
 * The directory's own memory: filled completely (no request budget) against an in-process sandbox
 * without latency or limit; heap after a full GC minus heap before.
 *
 *   node --expose-gc dist/bench/p12-directory-memory.js large huge
 */

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
for (const size of process.argv.slice(2)) {
  const sandbox = await startSandbox({ size });
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: sandbox.url });
  gc();
  const before = process.memoryUsage().heapUsed;
  const names = new NameDirectory(client);
  const all = { budget: new RequestBudget(Number.MAX_SAFE_INTEGER) };
  await Promise.all([names.projects(), names.users(), names.groups(), names.adminKeys(), names.orgRoles()]);
  await Promise.all([names.keys(undefined, all), names.serviceAccounts(undefined, all), names.projectRoles(undefined, all)]);
  gc();
  const heap = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  process.stdout.write(`| ${size} | ${names.directory.size.toLocaleString('en-US')} | ${sandbox.requests.length.toLocaleString('en-US')} | ${heap.toFixed(1)} MiB |\n`);
  await client.close();
  await sandbox.close();
}
