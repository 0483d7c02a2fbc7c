import { z, type ZodTypeAny } from 'zod';
import { mapLimited, type Bucket } from '../client/index.js';
import { endpointTools } from '../../tools/index.js';
import { periodFields, resolvePeriod } from './periods.js';
import { isoDate, partialOf, partialShape, report, ReportError, withProject } from './report.js';

/*
 * usage_report: tokens and requests by model, project, user or key across the usage families, in
 * one call. Each family is fetched with range splitting (31-day windows in parallel); with
 * family "all" the families are fetched side by side too.
 */

/** The usage families, as the API's /organization/usage/{family} paths name them. */
export const FAMILIES = [
  'completions',
  'embeddings',
  'moderations',
  'images',
  'audio_speeches',
  'audio_transcriptions',
  'vector_stores',
  'code_interpreter_sessions',
  'file_search_calls',
  'web_search_calls',
  'decisions',
] as const;
type Family = (typeof FAMILIES)[number];

const GROUPS = { model: 'model', project: 'project_id', user: 'user_id', api_key: 'api_key_id' } as const;
type Group = keyof typeof GROUPS;

/** The fields a result carries to say what it is grouped by; every other number is a metric. */
const GROUP_FIELDS = new Set(['object', 'project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'size', 'source', 'vector_store_id', 'context_level', 'api_source']);

/** Which group_by values each family accepts, read from its tool definition so there is one source. */
function supportedGroups(family: Family): Set<string> {
  const tool = endpointTools.find((t) => t.name === `usage_${family}`);
  let field = tool?.input.query?.group_by as ZodTypeAny | undefined;
  while (field && (field instanceof z.ZodOptional || field instanceof z.ZodArray)) field = field instanceof z.ZodOptional ? field.unwrap() : field.element;
  return new Set(field instanceof z.ZodEnum ? (field.options as string[]) : []);
}

type Metrics = Record<string, number>;

export const usageReport = report({
  name: 'usage_report',
  title: 'Usage report',
  description: 'Token and request totals, with the top models, projects, users or keys, for one usage family or all.',
  input: {
    family: z.enum([...FAMILIES, 'all']).optional().describe('Default completions'),
    project: z.string().min(1).optional().describe('Project ID or name'),
    ...periodFields,
    group_by: z.array(z.enum(['model', 'project', 'user', 'api_key'])).optional().describe('Default model'),
    top: z.number().int().min(1).max(100).optional().describe('Default 10'),
  },
  output: z.object({
    family: z.string(),
    period: z.object({ start: z.string(), end: z.string() }),
    project: z.object({ id: z.string(), name: z.string() }).optional(),
    /** Metric name to sum (input_tokens, num_model_requests, …). */
    totals: z.record(z.number()),
    group_by: z.array(z.string()).optional(),
    /** One row per group: the grouping fields (strings) and the group's metrics (numbers). */
    groups: z.array(z.record(z.union([z.string(), z.number()]))).optional(),
    other: z.record(z.number()).optional(),
    by_family: z.array(z.record(z.union([z.string(), z.number()]))).optional(),
    partial: partialShape.optional(),
  }),
  async run(args, ctx) {
    const period = resolvePeriod(args, ctx.now(), 'last_30_days');
    const groups: Group[] = args.group_by && args.group_by.length > 0 ? [...new Set(args.group_by)] : ['model'];
    const family = args.family ?? 'completions';
    const families: Family[] = family === 'all' ? [...FAMILIES] : [family];
    if (family !== 'all') {
      const supported = supportedGroups(family);
      const missing = groups.filter((g) => !supported.has(GROUPS[g]));
      if (missing.length > 0) {
        const allowed = (Object.keys(GROUPS) as Group[]).filter((g) => supported.has(GROUPS[g]));
        throw new ReportError(`${family} usage cannot be grouped by ${missing.join(', ')}; use ${allowed.join(', ') || 'no grouping'}.`);
      }
    }
    const fetchFamilies = (projectId: string | undefined) =>
      mapLimited(families, 4, async (f) => {
        const usable = groups.filter((g) => supportedGroups(f).has(GROUPS[g]));
        const range = await ctx.client.range({
          path: `/organization/usage/${f}`,
          query: { ...(usable.length > 0 ? { group_by: usable.map((g) => GROUPS[g]) } : {}), ...(projectId ? { project_ids: [projectId] } : {}) },
          start: period.start,
          end: period.end,
          width: '1d',
          signal: ctx.signal,
        });
        return { family: f, usable, buckets: range.buckets, partial: range.partial };
      });
    const { project, value: fetched } = await withProject(ctx, args.project, fetchFamilies);

    const top = args.top ?? 10;
    const head = {
      family,
      period: { start: isoDate(period.start), end: isoDate(Math.ceil(period.end / 86_400) * 86_400) },
      ...(project ? { project: { id: project.id, name: project.name } } : {}),
    };
    if (family !== 'all') {
      const only = fetched[0];
      if (!only) throw new Error('no usage fetched');
      const { totals, groups: rows, others } = aggregate(only.buckets, only.usable, top);
      return { ...head, totals, group_by: groups, groups: rows, ...(others ? { other: others } : {}), ...partialOf([only.partial]) };
    }
    const byFamily = fetched.map((f) => ({ family: f.family, metrics: aggregate(f.buckets, [], 0).totals }));
    const totals: Metrics = {};
    for (const { metrics } of byFamily) {
      for (const key of ['input_tokens', 'output_tokens', 'input_cached_tokens', 'num_model_requests']) if (key in metrics) totals[key] = (totals[key] ?? 0) + (metrics[key] ?? 0);
    }
    const active = byFamily.filter(({ metrics }) => Object.values(metrics).some((v) => v !== 0));
    return { ...head, totals, by_family: active.map(({ family: f, metrics }) => ({ family: f, ...metrics })), ...partialOf(fetched.map((f) => f.partial)) };
  },
});

/** Sums every metric over all buckets, overall and per group; groups are ranked by tokens, then requests. */
function aggregate(buckets: Bucket[], groups: Group[], top: number): { totals: Metrics; groups: Array<Record<string, unknown>>; others?: { groups: number } & Metrics } {
  const totals: Metrics = {};
  const rows = new Map<string, { key: Record<string, unknown>; metrics: Metrics }>();
  for (const bucket of buckets) {
    for (const raw of bucket.results) {
      const result = raw as Record<string, unknown>;
      const key: Record<string, unknown> = {};
      for (const g of groups) key[g] = result[GROUPS[g]] ?? '(none)';
      const id = JSON.stringify(key);
      const row = rows.get(id) ?? { key, metrics: {} };
      for (const [field, value] of Object.entries(result)) {
        if (GROUP_FIELDS.has(field) || typeof value !== 'number') continue;
        totals[field] = (totals[field] ?? 0) + value;
        row.metrics[field] = (row.metrics[field] ?? 0) + value;
      }
      rows.set(id, row);
    }
  }
  const weight = (m: Metrics) => (m.input_tokens ?? 0) + (m.output_tokens ?? 0) || m.num_model_requests || Object.values(m)[0] || 0;
  const sorted = [...rows.values()].sort((a, b) => weight(b.metrics) - weight(a.metrics));
  // Zero counters (audio tokens of a text model, say) are left out of group rows: tokens, not information.
  const nonZero = (m: Metrics) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== 0));
  const shown = groups.length > 0 ? sorted.slice(0, top).map((row) => ({ ...row.key, ...nonZero(row.metrics) })) : [];
  const rest = groups.length > 0 ? sorted.slice(top) : [];
  if (rest.length === 0) return { totals, groups: shown };
  const others: { groups: number } & Metrics = { groups: rest.length };
  for (const row of rest) for (const [k, v] of Object.entries(row.metrics)) others[k] = (others[k] ?? 0) + v;
  return { totals, groups: shown, others };
}
