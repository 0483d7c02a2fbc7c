import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { AdminClient } from '../src/client/index.js';
import { parseConfig } from '../src/config.js';
import { openRuntime } from '../src/runtime.js';
import { compact } from '../src/server/budget.js';
import { BENCH_KEY, externalSandbox, int, resultText, table, type Section } from './lib.js';

/*
 * P8 (issue 11): the widest call per tool, in o200k tokens of the text a model reads, uncut (a
 * budget of 1,000,000: rows already compacted) and with the default 8,000-token budget; and the
 * tokens of one usage row before and after compaction.
 */

const CALLS: Array<[string, Record<string, unknown>]> = [
  ['usage_costs', { start_time: '365d', group_by: ['line_item', 'project_id'], max_items: 1000 }],
  ['usage_completions', { start_time: '2d', bucket_width: '1m', max_items: 5000 }],
  ['usage_completions', { start_time: '90d', bucket_width: '1d', group_by: ['model', 'project_id'], max_items: 1000 }],
  ['usage_completions', { start_time: '365d', bucket_width: '1m', group_by: ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'], max_items: 10000 }],
  ['audit_logs_list', { max_items: 1000 }],
  ['usage_completions', { start_time: '7d', bucket_width: '1m' }],
  ['users_list', { max_items: 10000 }],
  ['spend_report', { period: 'last_365_days', daily: true }],
];

export async function p8(): Promise<Section> {
  const sandbox = await externalSandbox(0);
  const env = { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' };
  const uncut = await openRuntime(parseConfig(['--max-result-tokens', '1000000'], env));
  const budgeted = await openRuntime(parseConfig([], env));
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: sandbox.url });
  try {
    const rows: string[][] = [];
    let largest = { tokens: 0, call: '' };
    for (const [name, args] of CALLS) {
      const call = `\`${name} ${JSON.stringify(args)}\``;
      const wide = await uncut.host.call(name, args);
      const fitted = await budgeted.host.call(name, args);
      const after = encode(resultText(fitted)).length;
      if (after > largest.tokens) largest = { tokens: after, call };
      const cut = (fitted.structuredContent as { cut?: { returned?: number; remaining?: unknown } } | undefined)?.cut;
      rows.push([call, wide.isError ? 'error' : int(encode(resultText(wide)).length), fitted.isError ? 'error' : int(after), cut ? `cut: ${cut.returned ?? '–'} returned, ${String(cut.remaining ?? 'arrays')} left` : 'whole']);
    }
    // One usage row, raw from the API and as the tool returns it.
    const day = Math.floor(Date.now() / 1000 / 86_400) * 86_400;
    const query = { start_time: day - 7 * 86_400, end_time: day, group_by: ['model', 'project_id'] };
    const raw = await client.get<{ data: Array<{ results: unknown[] }> }>('/organization/usage/completions', query);
    const rawRows = raw.data.flatMap((b) => b.results);
    const compacted = (compact(raw as unknown as Record<string, unknown>, { zeroCountersInRows: true }).data as Array<{ results: unknown[] }>).flatMap((b) => b.results);
    const perRow = (list: unknown[]) => list.reduce<number>((sum, r) => sum + encode(JSON.stringify(r)).length, 0) / list.length;
    return {
      id: 'P8',
      title: 'Result budget: the widest calls, uncut and within the 8,000-token budget',
      method:
        'Each call once through the ToolHost from `openRuntime` against the sandbox (seed 1): once with `--max-result-tokens 1000000` (uncut; rows already compacted) and once with the default budget. ' +
        'Counted: o200k tokens (gpt-tokenizer) of the text content the model reads. Usage row: the mean o200k tokens of one completions row grouped by model and project over 7 days, raw from the API and compacted (nulls and zero counters left out).',
      body: [
        table(['call', 'uncut', 'with the budget', 'result'], rows),
        `Largest result of any call above with the default budget: ${int(largest.tokens)} tokens (${largest.call}).`,
        table(['usage row', 'tokens per row'], [['raw (before)', perRow(rawRows).toFixed(1)], ['compacted (after)', perRow(compacted).toFixed(1)]]),
      ],
      checks: [{ id: 'P8', what: 'largest result of the widest calls, default budget', measured: int(largest.tokens), target: '≤ 8,000', pass: largest.tokens <= 8_000 }],
    };
  } finally {
    await client.close();
    await uncut.close();
    await budgeted.close();
    await sandbox.close();
  }
}
