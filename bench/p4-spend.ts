import type { Bucket } from '../src/client/index.js';
import { pairedRuntimes, interleave, median, ms, pairedRatio, projectIdByName, ratio, resultText, spread, table, todayUtc, type Section } from './lib.js';

const DAY = 86_400;

export async function p4(rounds = 9, latencyMs = 50): Promise<Section> {
  const pair = await pairedRuntimes(latencyMs);
  const { sandbox, runtime, runtime0 } = pair;
  const { client } = runtime;
  try {
    const projectId = await projectIdByName(sandbox.url, 'Atlas');
    const end = todayUtc();
    const start = end - 365 * DAY;
    const path = '/organization/costs';
    const filter = { group_by: ['line_item'], project_ids: [projectId] };
    let reportTotal = Number.NaN;

    const host = await runtime.toolHost();
    const host0 = await runtime0.toolHost();
    const report = async (cold: boolean, on = host) => {
      if (cold) on.names.invalidate();
      else await on.names.projects(); // cached after the first call: no request
      const started = performance.now();
      const result = await on.call('spend_report', { project: 'Atlas', start, end });
      const elapsed = performance.now() - started;
      if (result.isError) throw new Error(`spend_report failed: ${resultText(result)}`);
      reportTotal = (result.structuredContent as { total_usd: number }).total_usd;
      return elapsed;
    };
    let sequentialTotal = Number.NaN;
    const sequential = async (limit: number) => {
      const started = performance.now();
      const pages = await client.collect<Bucket>({ path, query: { ...filter, start_time: start, end_time: end, bucket_width: '1d', limit }, style: 'page_token', maxPages: 1_000 });
      const elapsed = performance.now() - started;
      if (pages.truncated || pages.items.length !== 365) throw new Error(`sequential costs walk got ${pages.items.length} buckets`);
      sequentialTotal = pages.items.flatMap((b) => b.results as Array<{ amount?: { value?: number } }>).reduce((s, r) => s + (r.amount?.value ?? 0), 0);
      return elapsed;
    };
    const get = async (buckets: number, on = runtime) => {
      const started = performance.now();
      await on.client.get(path, { ...filter, start_time: end - buckets * DAY, end_time: end, bucket_width: '1d', limit: buckets });
      return performance.now() - started;
    };
    // What-if (no change to src): the costs fetch started at once, alongside the project-name lookup.
    const range = () => client.range({ path, query: filter, start, end, width: '1d' });
    const alongside = async () => {
      host.names.invalidate();
      const started = performance.now();
      await Promise.all([host.names.projects(), range()]);
      return performance.now() - started;
    };
    await report(true);
    await get(1);
    await report(true, host0);
    const pagesAt7 = Math.ceil(365 / 7);

    const samples = await interleave(rounds, {
      cold: () => report(true),
      warm: () => report(false),
      one: () => get(1),
      page180: () => get(180),
      seq7: () => sequential(7),
      seq180: () => sequential(180),
      range: async () => {
        const started = performance.now();
        await range();
        return performance.now() - started;
      },
      alongside,
      cold0: () => report(true, host0),
      warm0: () => report(false, host0),
      one0: () => get(1, runtime0),
      page0: () => get(180, runtime0),
    });
    const cold = median(samples.cold);
    const vsOne = cold / median(samples.one);
    const speedup = median(samples.seq7) / cold;
    return {
      id: 'P4',
      title: '`spend_report` for one project over 365 days',
      method:
        `A sandbox runs in its own process with ${latencyMs} ms of latency per response. \`spend_report {project: 'Atlas', start, end}\` (365 whole UTC days, line-item breakdown) is called ` +
        'in-process through the `ToolHost` that `openRuntime` builds (the same object the stdio server dispatches to; no stdio). "cold" clears the project-name cache first, as on the first call ' +
        'of a session (the report then lists projects to resolve the name before fetching costs); "warm" runs with the name cache filled (it lives 60 s). Baselines use the same AdminClient: ' +
        `one costs GET of 1 bucket (one round trip), one GET of a full 180-bucket page, and a sequential page-by-page walk (\`client.collect\`) of the same 365 days with the same filters, at limit 7 (the API default page size, ${pagesAt7} pages) and at limit 180 (3 pages). ` +
        `${rounds} rounds, order rotated each round.`,
      body: [
        table(
          ['variant', 'median (p25–p75)', '× one round trip'],
          [
            ['`spend_report`, cold name cache', spread(samples.cold), ratio(vsOne)],
            ['`spend_report`, warm name cache', spread(samples.warm), ratio(median(samples.warm) / median(samples.one))],
            ['one round trip: costs GET, 1 bucket', spread(samples.one), '1.00×'],
            ['one costs GET, 180 buckets', spread(samples.page180), ratio(median(samples.page180) / median(samples.one))],
            [`sequential, limit 7 (API default, ${pagesAt7} pages)`, spread(samples.seq7), ratio(median(samples.seq7) / median(samples.one))],
            ['sequential, limit 180 (3 pages)', spread(samples.seq180), ratio(median(samples.seq180) / median(samples.one))],
          ],
        ),
        'What-if, measured in the same rounds without changing src: the report\'s own costs fetch alone (`client.range`, 3 windows of ≤180 days in parallel), and that fetch started together with the cold project-name lookup instead of after it:',
        table(
          ['what-if', 'median (p25–p75)', '× one round trip'],
          [
            ['`client.range` of the 365 days only', spread(samples.range), ratio(median(samples.range) / median(samples.one))],
            ['name lookup and `client.range` side by side (cold cache)', spread(samples.alongside), ratio(median(samples.alongside) / median(samples.one))],
          ],
        ),
        'The same calls against a second sandbox at 0 ms latency (same rounds), i.e. the computing in the sandbox and the client without the waiting:',
        table(
          ['at 0 ms latency', 'median (p25–p75)'],
          [
            ['`spend_report`, cold name cache', spread(samples.cold0)],
            ['`spend_report`, warm name cache', spread(samples.warm0)],
            ['costs GET, 1 bucket', spread(samples.one0)],
            ['costs GET, 180 buckets', spread(samples.page0)],
          ],
        ),
        `Paired ratios (median of per-round ratios): cold report / one round trip ${ratio(pairedRatio(samples.cold, samples.one))}; sequential limit 7 / cold report ${ratio(pairedRatio(samples.seq7, samples.cold))}; ` +
          `sequential limit 180 / cold report ${ratio(pairedRatio(samples.seq180, samples.cold))}; warm report / one round trip ${ratio(pairedRatio(samples.warm, samples.one))}.`,
        `Same data: the report's total is $${reportTotal}; the sequential walk sums to $${(Math.round(sequentialTotal * 100) / 100).toFixed(2)}.`,
      ],
      checks: [
        { id: 'P4', what: 'spend_report 365 d (cold) / one round trip', measured: `${ratio(vsOne)} (${ms(cold)} vs ${ms(median(samples.one))})`, target: '≤ 1.5×', pass: vsOne <= 1.5 },
        { id: 'P4', what: 'spend_report 365 d (warm names) / one round trip', measured: `${ratio(median(samples.warm) / median(samples.one))}`, target: '≤ 1.5×', pass: median(samples.warm) / median(samples.one) <= 1.5 },
        { id: 'P4', what: 'speed-up vs sequential pages (limit 7, default)', measured: `${ratio(speedup)} (${ms(median(samples.seq7))} vs ${ms(cold)})`, target: '≥ 2.5×', pass: speedup >= 2.5 },
        // The strictest baseline: the fewest sequential pages the API allows (180 daily buckets each), against the warm report.
        {
          id: 'P4',
          what: 'speed-up vs sequential pages (limit 180, 3 pages), warm names',
          measured: `${ratio(median(samples.seq180) / median(samples.warm))} (${ms(median(samples.seq180))} vs ${ms(median(samples.warm))})`,
          target: '≥ 2.5×',
          pass: median(samples.seq180) / median(samples.warm) >= 2.5,
        },
      ],
    };
  } finally {
    await pair.close();
  }
}
