import { z } from 'zod';
import type { Bucket } from '../client/index.js';
import { periodFields, resolvePeriod } from './periods.js';
import { cents, isoDate, partialOf, partialShape, report, withProject } from './report.js';

/*
 * spend_report: "what did project X spend last month, and on what?" in one call. Costs come from
 * /organization/costs over any range (split into 180-day windows fetched in parallel); totals are
 * summed from the raw amounts and rounded to the cent only at the end.
 */

const GROUPS = { line_item: 'line_item', project: 'project_id', api_key: 'api_key_id' } as const;
type Group = keyof typeof GROUPS;

interface CostResult {
  amount?: { value?: number; currency?: string };
  line_item?: string | null;
  project_id?: string | null;
  api_key_id?: string | null;
}

export const spendReport = report({
  name: 'spend_report',
  title: 'Spend report',
  description: 'Costs in USD for the org, a project (ID or name) or an API key over a period, with a breakdown.',
  input: {
    project: z.string().min(1).optional().describe('Project ID or name'),
    api_key: z.string().min(1).optional().describe('API key ID'),
    ...periodFields,
    group_by: z.array(z.enum(['line_item', 'project', 'api_key'])).optional().describe('Default line_item'),
    daily: z.boolean().optional().describe('Add a daily series'),
    top: z.number().int().min(1).max(100).optional().describe('Rows, default 10'),
  },
  output: z.object({
    total_usd: z.number(),
    currency: z.string(),
    period: z.object({ start: z.string(), end: z.string() }),
    project: z.object({ id: z.string(), name: z.string() }).optional(),
    api_key: z.string().optional(),
    breakdown: z.array(
      z.object({ line_item: z.string().optional(), project: z.string().optional(), api_key: z.string().optional(), usd: z.number(), share: z.string() }),
    ),
    other: z.object({ rows: z.number(), usd: z.number() }).optional(),
    daily: z.array(z.object({ date: z.string(), usd: z.number() })).optional(),
    partial: partialShape.optional(),
  }),
  async run(args, ctx) {
    const period = resolvePeriod(args, ctx.now(), 'last_30_days');
    const groups: Group[] = args.group_by && args.group_by.length > 0 ? [...new Set(args.group_by)] : ['line_item'];
    const costs = (projectId: string | undefined) =>
      ctx.client.range({
        path: '/organization/costs',
        query: {
          group_by: groups.map((g) => GROUPS[g]),
          ...(projectId ? { project_ids: [projectId] } : {}),
          ...(args.api_key ? { api_key_ids: [args.api_key] } : {}),
        },
        start: period.start,
        end: period.end,
        width: '1d',
        signal: ctx.signal,
      });
    const { project, value: range } = await withProject(ctx, args.project, costs);
    const projectNames = groups.includes('project') ? new Map((await ctx.names.projects(ctx.signal)).map((p) => [p.id, p.name])) : undefined;
    return {
      ...summarise(range.buckets, groups, args.top ?? 10, args.daily === true, projectNames, {
        period: { start: isoDate(period.start), end: isoDate(Math.ceil(period.end / 86_400) * 86_400) },
        ...(project ? { project: { id: project.id, name: project.name } } : {}),
        ...(args.api_key ? { api_key: args.api_key } : {}),
      }),
      ...partialOf([range.partial]),
    };
  },
});

function summarise(buckets: Bucket[], groups: Group[], top: number, daily: boolean, projectNames: Map<string, string> | undefined, head: Record<string, unknown>): Record<string, unknown> {
  let total = 0;
  let currency = 'usd';
  const rows = new Map<string, { key: Record<string, string | null>; usd: number }>();
  const series: Array<{ date: string; usd: number }> = [];
  for (const bucket of buckets) {
    let day = 0;
    for (const raw of bucket.results) {
      const result = raw as CostResult;
      const value = result.amount?.value ?? 0;
      currency = result.amount?.currency ?? currency;
      total += value;
      day += value;
      const key: Record<string, string | null> = {};
      for (const g of groups) key[g] = (result[GROUPS[g]] as string | null | undefined) ?? null;
      const id = JSON.stringify(key);
      const row = rows.get(id) ?? { key, usd: 0 };
      row.usd += value;
      rows.set(id, row);
    }
    if (daily) series.push({ date: isoDate(bucket.start_time), usd: cents(day) });
  }
  const sorted = [...rows.values()].sort((a, b) => b.usd - a.usd);
  const shown = sorted.slice(0, top);
  const rest = sorted.slice(top);
  const breakdown = shown.map((row) => ({
    ...Object.fromEntries(Object.entries(row.key).map(([g, v]) => [g, g === 'project' && v && projectNames?.get(v) ? `${projectNames.get(v)} (${v})` : (v ?? '(none)')])),
    usd: cents(row.usd),
    share: total > 0 ? `${Math.round((row.usd / total) * 1000) / 10}%` : '0%',
  }));
  return {
    total_usd: cents(total),
    currency,
    ...head,
    breakdown,
    ...(rest.length > 0 ? { other: { rows: rest.length, usd: cents(rest.reduce((s, r) => s + r.usd, 0)) } } : {}),
    ...(daily ? { daily: series } : {}),
  };
}
