import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { AdminClient } from '../src/client/index.js';
import { parseConfig } from '../src/config.js';
import { openRuntime } from '../src/runtime.js';
import { compact } from '../src/server/results/budget.js';
import type { ToolHost } from '../src/server/hosts/tool-host.js';
import type { RegisteredTool } from '../src/server/listing/registry.js';
import { BENCH_KEY, externalSandbox, int, resultText, table, type Section } from './lib.js';

/*
 * P8 (issue 11): the widest calls, in o200k tokens of the text a model reads: before the budget (as
 * measured when issue 11 was filed, on the previous build: no budget, rows not compacted), uncut
 * now (a budget of 1,000,000: rows compacted) and with the default 8,000-token budget. Then every
 * list, usage, cost and report tool at its widest, and the tokens of one usage row before and after
 * compaction.
 */

type Args = Record<string, unknown>;

/** The calls of issue 11's table, with what they cost before the budget, and two more. */
const CALLS: Array<[string, Args, number | undefined]> = [
  ['usage_costs', { start_time: '365d', group_by: ['line_item', 'project_id'], max_items: 1000 }, 1_454_801],
  ['usage_completions', { start_time: '2d', bucket_width: '1m', max_items: 5000 }, 257_436],
  ['usage_completions', { start_time: '90d', bucket_width: '1d', group_by: ['model', 'project_id'], max_items: 1000 }, 118_522],
  ['audit_logs_list', { max_items: 1000 }, 29_816],
  ['usage_completions', { start_time: '7d', bucket_width: '1m' }, 6_258],
  ['spend_report', { period: 'last_365_days', daily: true }, 5_863],
  ['usage_completions', { start_time: '365d', bucket_width: '1m', group_by: ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'], max_items: 10000 }, undefined],
  ['users_list', { max_items: 10000 }, undefined],
];

const tokens = (text: string) => encode(text).length;

/** The widest arguments a tool takes: most items, longest period, every group_by, finest bucket. */
function widest(tool: RegisteredTool, values: Args): Args {
  const args: Args = {};
  const schema = tool.inputSchema as { properties?: Record<string, { items?: { enum?: string[] }; enum?: string[]; maximum?: number }>; required?: string[] };
  const props = schema.properties ?? {};
  for (const name of schema.required ?? []) if (name in values) args[name] = values[name];
  if (props.max_items) args.max_items = props.max_items.maximum ?? 10_000;
  if ('start_time' in props) args.start_time = '365d';
  if ('period' in props) args.period = 'last_365_days';
  if (props.bucket_width?.enum) args.bucket_width = props.bucket_width.enum.includes('1m') ? '1m' : props.bucket_width.enum[0];
  if (props.group_by?.items?.enum) args.group_by = props.group_by.items.enum;
  if ('include_archived' in props) args.include_archived = true;
  if ('query' in props) args.query = 'a';
  if ('expand_groups' in props) args.expand_groups = true;
  return args;
}

async function items(host: ToolHost, name: string, args: Args = {}): Promise<Args[]> {
  const result = await host.call(name, { ...args, max_items: 10_000 });
  return ((result.structuredContent as { data?: Args[] } | undefined)?.data ?? []) as Args[];
}

/** IDs for the tools that need a path parameter: the project with the most members, and so on. */
async function pathValues(host: ToolHost): Promise<Args> {
  const projects = await items(host, 'projects_list');
  let project = projects[0]?.id;
  let most = -1;
  for (const p of projects) {
    const n = (await items(host, 'projects_users_list', { project_id: p.id })).length;
    if (n > most) [project, most] = [p.id, n];
  }
  const group = (await items(host, 'projects_groups_list', { project_id: project }))[0]?.group_id ?? (await items(host, 'groups_list'))[0]?.id;
  return {
    project_id: project,
    user_id: (await items(host, 'projects_users_list', { project_id: project }))[0]?.id,
    group_id: group,
    workload_identity_provider_id: (await items(host, 'workload_identity_providers_list'))[0]?.id,
  };
}

export async function p8(): Promise<Section> {
  const sandbox = await externalSandbox(0);
  const env = { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' };
  const uncut = await openRuntime(parseConfig(['--max-result-tokens', '1000000', '--toolsets', 'all'], env));
  const budgeted = await openRuntime(parseConfig(['--toolsets', 'all'], env));
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: sandbox.url });
  try {
    const wideHost = await uncut.toolHost();
    const host = await budgeted.toolHost();
    const rows: string[][] = [];
    for (const [name, args, before] of CALLS) {
      const wide = await wideHost.call(name, args);
      const fitted = await host.call(name, args);
      const cut = (fitted.structuredContent as { cut?: { returned?: number; remaining?: unknown } } | undefined)?.cut;
      rows.push([
        `\`${name} ${JSON.stringify(args)}\``,
        before === undefined ? '–' : int(before),
        wide.isError ? 'error' : int(tokens(resultText(wide))),
        fitted.isError ? 'error' : int(tokens(resultText(fitted))),
        cut ? `cut: ${cut.returned ?? '–'} returned, ${String(cut.remaining ?? 'arrays')} left` : 'whole',
      ]);
    }

    // Every list, usage, cost and report tool at its widest, with the default budget.
    const values = await pathValues(host);
    let largest = { tokens: 0, call: '' };
    let swept = 0;
    let cutCount = 0;
    const refused: string[] = [];
    for (const tool of host.exposed.filter((t) => t.selectable !== undefined || t.composite !== undefined)) {
      const args = widest(tool, values);
      const result = await host.call(tool.name, args);
      if (result.isError) {
        refused.push(`${tool.name} (${resultText(result).split('\n').slice(0, 2).join(' ')})`);
        continue;
      }
      swept += 1;
      if ((result.structuredContent as { cut?: unknown } | undefined)?.cut) cutCount += 1;
      const n = tokens(resultText(result));
      if (n > largest.tokens) largest = { tokens: n, call: `${tool.name} ${JSON.stringify(args)}` };
    }

    // One usage row, raw from the API and as the tool returns it.
    const day = Math.floor(Date.now() / 1000 / 86_400) * 86_400;
    const query = { start_time: day - 7 * 86_400, end_time: day, group_by: ['model', 'project_id'] };
    const raw = await client.get<{ data: Array<{ results: unknown[] }> }>('/organization/usage/completions', query);
    const rawRows = raw.data.flatMap((b) => b.results);
    const compacted = (compact(raw as unknown as Record<string, unknown>, { zeroCountersInRows: true }).data as Array<{ results: unknown[] }>).flatMap((b) => b.results);
    const perRow = (list: unknown[]) => list.reduce<number>((sum, r) => sum + tokens(JSON.stringify(r)), 0) / list.length;
    return {
      id: 'P8',
      title: 'Result budget: the widest calls before and after the 8,000-token budget',
      method:
        'Each call once through the ToolHost from `openRuntime` against the sandbox (seed 1), with `--max-result-tokens 1000000` (uncut; rows compacted) and with the default budget. ' +
        '"Before" is the figure measured on the previous build when issue 11 was filed (no budget, no compaction). Counted: o200k tokens (gpt-tokenizer) of the text content the model reads. ' +
        'Then every list, usage, cost and report tool with its widest arguments (max_items 10,000, 365 days, every group_by, 1-minute buckets), default budget. ' +
        'Usage row: the mean o200k tokens of one completions row grouped by model and project over 7 days, raw from the API and compacted (nulls and zero counters left out).',
      body: [
        table(['call', 'before', 'uncut now', 'with the budget', 'result'], rows),
        `Every list, usage, cost and report tool at its widest: ${swept} tools, ${cutCount} of them cut${refused.length > 0 ? `; refused: ${refused.join('; ')}` : ''}. Largest result of any tool with the default budget: ${int(largest.tokens)} tokens (\`${largest.call}\`).`,
        table(['usage row', 'tokens per row'], [['raw (before)', perRow(rawRows).toFixed(1)], ['compacted (after)', perRow(compacted).toFixed(1)]]),
      ],
      checks: [{ id: 'P8', what: 'largest result of any tool at its widest, default budget', measured: int(largest.tokens), target: '≤ 8,000', pass: largest.tokens <= 8_000 }],
    };
  } finally {
    await client.close();
    await uncut.close();
    await budgeted.close();
    await sandbox.close();
  }
}
