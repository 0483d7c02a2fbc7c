import type { Bucket } from '../src/client/index.js';
import { pairedRuntimes, interleave, median, ms, pairedRatio, ratio, resultText, spread, table, todayUtc, type Section } from './lib.js';

const DAY = 86_400;

export async function p5(rounds = 9, latencyMs = 50): Promise<Section> {
  const pair = await pairedRuntimes(latencyMs);
  const { runtime, runtime0 } = pair;
  const { client } = runtime;
  try {
    const end = todayUtc();
    const start = end - 365 * DAY;
    const path = '/organization/usage/completions';
    const filter = { group_by: ['model'] };
    let reportRequests = Number.NaN;
    let sequentialRequests = Number.NaN;

    const report = async (on = runtime) => {
      const started = performance.now();
      const result = await on.host.call('usage_report', { family: 'completions', start, end });
      const elapsed = performance.now() - started;
      if (result.isError) throw new Error(`usage_report failed: ${resultText(result)}`);
      reportRequests = (result.structuredContent as { totals: Record<string, number> }).totals.num_model_requests ?? Number.NaN;
      return elapsed;
    };
    const sequential = async (limit: number) => {
      const started = performance.now();
      const pages = await client.collect<Bucket>({ path, query: { ...filter, start_time: start, end_time: end, bucket_width: '1d', limit }, style: 'page_token', maxPages: 1_000 });
      const elapsed = performance.now() - started;
      if (pages.truncated || pages.items.length !== 365) throw new Error(`sequential usage walk got ${pages.items.length} buckets`);
      sequentialRequests = pages.items.flatMap((b) => b.results as Array<{ num_model_requests?: number }>).reduce((s, r) => s + (r.num_model_requests ?? 0), 0);
      return elapsed;
    };
    const get = async (buckets: number, on = runtime) => {
      const started = performance.now();
      await on.client.get(path, { ...filter, start_time: end - buckets * DAY, end_time: end, bucket_width: '1d', limit: buckets });
      return performance.now() - started;
    };
    // What-if (no change to src): the report's fetch alone, at its concurrency (4) and with every window at once.
    const range = async (concurrency: number) => {
      const started = performance.now();
      await client.range({ path, query: filter, start, end, width: '1d', concurrency });
      return performance.now() - started;
    };
    await report();
    await get(1);
    await report(runtime0);
    const windows = Math.ceil(365 / 31);

    const samples = await interleave(rounds, {
      report: () => report(),
      one: () => get(1),
      page31: () => get(31),
      seq7: () => sequential(7),
      seq31: () => sequential(31),
      range4: () => range(4),
      range12: () => range(windows),
      report0: () => report(runtime0),
      one0: () => get(1, runtime0),
      page0: () => get(31, runtime0),
    });
    const r = median(samples.report);
    const vsOne = r / median(samples.one);
    const speedup = median(samples.seq7) / r;
    return {
      id: 'P5',
      title: '`usage_report` (completions, daily) over 365 days',
      method:
        `A sandbox runs in its own process with ${latencyMs} ms of latency per response. \`usage_report {family: 'completions', start, end}\` (365 whole UTC days, daily buckets, default top models) is called ` +
        `in-process through the \`ToolHost\` from \`openRuntime\` (no stdio). The report splits the range into ${windows} windows of 31 days fetched 4 at a time. Baselines use the same AdminClient: one usage GET of 1 bucket ` +
        `(one round trip), one GET of a full 31-bucket page, and a sequential page-by-page walk of the same 365 days with the same group_by at limit 7 (the API default, ${Math.ceil(365 / 7)} pages) and at limit 31 (the maximum, ${windows} pages). ` +
        `${rounds} rounds, order rotated each round.`,
      body: [
        table(
          ['variant', 'median (p25–p75)', '× one round trip'],
          [
            ['`usage_report`', spread(samples.report), ratio(vsOne)],
            ['one round trip: usage GET, 1 bucket', spread(samples.one), '1.00×'],
            ['one usage GET, 31 buckets', spread(samples.page31), ratio(median(samples.page31) / median(samples.one))],
            [`sequential, limit 7 (API default, ${Math.ceil(365 / 7)} pages)`, spread(samples.seq7), ratio(median(samples.seq7) / median(samples.one))],
            [`sequential, limit 31 (${windows} pages)`, spread(samples.seq31), ratio(median(samples.seq31) / median(samples.one))],
          ],
        ),
        `What-if, measured in the same rounds without changing src: the report's own fetch alone (\`client.range\`, ${windows} windows), at the default concurrency of 4 (3 waves) and with all ${windows} windows in flight at once:`,
        table(
          ['what-if', 'median (p25–p75)', '× one round trip'],
          [
            ['`client.range`, concurrency 4 (as the report)', spread(samples.range4), ratio(median(samples.range4) / median(samples.one))],
            [`\`client.range\`, concurrency ${windows}`, spread(samples.range12), ratio(median(samples.range12) / median(samples.one))],
          ],
        ),
        'The same calls against a second sandbox at 0 ms latency (same rounds), i.e. the computing in the sandbox and the client without the waiting:',
        table(
          ['at 0 ms latency', 'median (p25–p75)'],
          [
            ['`usage_report`', spread(samples.report0)],
            ['usage GET, 1 bucket', spread(samples.one0)],
            ['usage GET, 31 buckets', spread(samples.page0)],
          ],
        ),
        `Paired ratios (median of per-round ratios): report / one round trip ${ratio(pairedRatio(samples.report, samples.one))}; sequential limit 7 / report ${ratio(pairedRatio(samples.seq7, samples.report))}; ` +
          `sequential limit 31 / report ${ratio(pairedRatio(samples.seq31, samples.report))} (the report is ${ratio(median(samples.seq31) / r)} faster than the best sequential walk).`,
        `Same data: the report counts ${reportRequests} requests; the sequential walk sums to ${sequentialRequests}.`,
      ],
      checks: [
        { id: 'P5', what: 'usage_report 365 d / one round trip', measured: `${ratio(vsOne)} (${ms(r)} vs ${ms(median(samples.one))})`, target: '≤ 4×', pass: vsOne <= 4 },
        { id: 'P5', what: 'speed-up vs sequential pages (limit 7, default)', measured: `${ratio(speedup)} (${ms(median(samples.seq7))} vs ${ms(r)})`, target: '≥ 3×', pass: speedup >= 3 },
      ],
    };
  } finally {
    await pair.close();
  }
}
