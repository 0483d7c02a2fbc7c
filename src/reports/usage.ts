import { z, type ZodTypeAny } from 'zod';
import { mapLimited, splitRange, type Bucket, type WindowProgress } from '../client/index.js';
import { endpointTools } from '../../tools/index.js';
import type { KeyRef, ProjectRef, UserRef } from './names.js';
import { change, compareField, comparedBuckets, comparedShape, describeCompared, modelMatcher, previousPeriod, sumsByKey, type Compared } from './compare.js';
import { completeThrough, describePeriod, periodFields, periodShape, resolvePeriod, type Period } from './periods.js';
import { FRESH, partialOf, partialShape, report, ReportError, withProject, type ReportContext } from './report.js';
import { addAt, planSteps, REST, SERIES_ROWS, seriesOf, seriesShape, sumSeries, type Series, type StepPlan, type StepValues } from './series.js';

/*
 * usage_report: tokens and requests by model, project, user or key across the usage families, in
 * one call. Each family is fetched with range splitting (31-day windows in parallel); with
 * family "all" the families are fetched side by side too. A compact series (series.ts) shows the
 * top groups over time, always, in steps coarse enough to stay small.
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

/**
 * Metrics that are levels, not flows: each daily bucket holds the amount stored that day, so a sum
 * over days means nothing. They are reported as the latest value, the daily average and the peak.
 */
const LEVELS = new Set(['usage_bytes']);

/** The grouping used when none is asked for: the first this family accepts, in this order. */
function defaultGroups(family: Family | 'all'): Group[] {
  if (family === 'all') return ['model'];
  const supported = supportedGroups(family);
  const first = (Object.keys(GROUPS) as Group[]).find((g) => supported.has(GROUPS[g]));
  return first ? [first] : [];
}

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
  description: 'Tokens and requests with the top models, projects, users or keys, for one usage family or all.',
  input: {
    family: z.enum([...FAMILIES, 'all']).optional().describe('Default completions'),
    project: z.string().min(1).optional().describe('Project ID or name'),
    ...periodFields,
    group_by: z.array(z.enum(['model', 'project', 'user', 'api_key'])).optional().describe('Default model, or project'),
    top: z.number().int().min(1).max(100).optional().describe('Default 10; 5 with 3+ group_by'),
    model: z.string().min(1).optional().describe('Exact model or family prefix (gpt-4o)'),
    compare: compareField,
    fresh: FRESH,
  },
  output: z.object({
    family: z.string(),
    period: periodShape,
    project: z.object({ id: z.string(), name: z.string() }).optional(),
    /** Metric name to sum (input_tokens, num_model_requests, …); a level as _latest, _average and _peak. */
    totals: z.record(z.number()),
    /** How levels (stored bytes) were reduced instead of summed. */
    levels: z.string().optional(),
    group_by: z.array(z.string()).optional(),
    /** The models a `model` filter matched in the period. */
    models: z.array(z.string()).optional(),
    /** With compare: the figure compared (tokens, else requests), its previous value and change; rows get the same. */
    previous: z.object({ figure: z.string(), value: z.number(), change: z.number(), change_pct: z.string().optional(), period: comparedShape }).optional(),
    /** One row per group: the grouping fields and labels (strings) and the group's metrics (numbers). */
    groups: z.array(z.record(z.union([z.string(), z.number()]))).optional(),
    other: z.record(z.number()).optional(),
    by_family: z.array(z.record(z.union([z.string(), z.number()]))).optional(),
    /** tokens (input + output) and requests per step for the top groups (families with "all"); a level as each step's average. */
    series: seriesShape.optional(),
    partial: partialShape.optional(),
  }),
  async run(args, ctx) {
    const period = resolvePeriod(args, ctx.now(), 'last_30_days');
    const family = args.family ?? 'completions';
    const groups: Group[] = args.group_by && args.group_by.length > 0 ? [...new Set(args.group_by)] : defaultGroups(family);
    const byModel = (f: Family) => supportedGroups(f).has('model');
    if (args.model && family !== 'all' && !byModel(family)) throw new ReportError(`${family} usage has no models to filter by; drop model.`);
    // family all sums the families whole: a grouping or a top would be dropped, so it is refused instead.
    const unused = family === 'all' ? (['group_by', 'top'] as const).filter((f) => args[f] !== undefined) : [];
    if (unused.length > 0) throw new ReportError(`${unused.join(' and ')}: not used with family all, which totals each family whole. Name one family to group it (e.g. family: "completions", group_by: ["user"]), or leave ${unused.length === 1 ? 'it' : 'them'} out.`);
    // With a model filter, only the families that report models can match it.
    const families: Family[] = family === 'all' ? FAMILIES.filter((f) => !args.model || byModel(f)) : [family];
    const matches = args.model ? modelMatcher(args.model) : undefined;
    const matched = new Set<string>();
    if (family !== 'all') {
      const supported = supportedGroups(family);
      const missing = groups.filter((g) => !supported.has(GROUPS[g]));
      if (missing.length > 0) {
        const allowed = (Object.keys(GROUPS) as Group[]).filter((g) => supported.has(GROUPS[g]));
        throw new ReportError(`${family} usage cannot be grouped by ${missing.join(', ')}; use ${allowed.join(', ') || 'no grouping'}.`);
      }
    }
    // Every window of every family is planned up front, so progress counts toward a fixed total.
    const progress: WindowProgress | undefined = ctx.progress && { plan: () => undefined, done: () => ctx.progress?.done() };
    ctx.progress?.plan(families.reduce((n, f) => n + splitRange(`/organization/usage/${f}`, period.start, period.end, '1d').length, 0));
    const labels = family === 'all' ? undefined : startLabels(groups, ctx);
    const plan = planSteps(period);
    const through = completeThrough(period, ctx.now());
    const fetchOver = (projectId: string | undefined, over: Period, counted: WindowProgress | undefined) =>
      mapLimited(families, 4, async (f) => {
        const usable = groups.filter((g) => supportedGroups(f).has(GROUPS[g]));
        // A model filter groups by model too (the API filters exact names only) and keeps the matching rows.
        const asked = matches && !usable.includes('model') ? [...usable, 'model' as const] : usable;
        const { buckets, partial } = await ctx.client.range({
          path: `/organization/usage/${f}`,
          query: { ...(asked.length > 0 ? { group_by: asked.map((g) => GROUPS[g]) } : {}), ...(projectId ? { project_ids: [projectId] } : {}) },
          start: over.start,
          end: over.end,
          width: '1d',
          signal: ctx.signal,
          progress: counted,
        });
        return { family: f, usable, buckets: matches ? keepModels(buckets, matches, matched) : buckets, partial };
      });
    const previous = args.compare ? previousPeriod(period, args.period ?? (args.start === undefined ? 'last_30_days' : undefined), ctx.now()) : undefined;
    let before: ReturnType<typeof fetchOver> | undefined;
    const fetchFamilies = (projectId: string | undefined) => {
      if (previous) {
        before = fetchOver(projectId, previous.period, undefined);
        before.catch(() => undefined);
      }
      return fetchOver(projectId, period, progress);
    };
    const { project, value: fetched } = await withProject(ctx, args.project, fetchFamilies);
    const prior = before ? await before : undefined;
    if (args.model && matched.size === 0) {
      throw new ReportError(`No usage of a model matching '${args.model}' in this period${project ? ` for ${project.name}` : ''}; give an exact model (gpt-4o-2024-08-06) or a family prefix (gpt-4o), or drop model.`);
    }
    const modelsNote = args.model ? { models: [...matched].sort() } : {};

    // Rows of three or four labels cost twice as much; half as many keep the default answer small.
    const top = args.top ?? (groups.length >= 3 ? 5 : 10);
    const head = {
      family,
      period: describePeriod(period, args.period ?? (args.start === undefined ? 'last_30_days' : undefined), ctx.now()),
      ...(project ? { project: { id: project.id, name: project.name } } : {}),
    };
    if (family !== 'all') {
      const only = fetched[0];
      if (!only) throw new Error('no usage fetched');
      const { totals, groups: rows, others, levels, ranked, overall } = aggregate(only.buckets, only.usable, top, plan, through);
      const named = labels ? nameRows(rows, await labels) : rows;
      // The series names the first groups of the table, with the same labels; all of the rest in one row.
      const label = (row: Record<string, unknown>) => groups.map((g) => String(row[g])).join(' · ');
      const seriesRows =
        groups.length > 0
          ? [
              ...ranked.slice(0, SERIES_ROWS).map((values, i) => ({ group: label(named[i] ?? {}), values })),
              ...(ranked.length > SERIES_ROWS ? [{ group: REST, values: sumSeries(ranked.slice(SERIES_ROWS), plan.dates.length) }] : []),
            ]
          : [{ group: '(all)', values: overall }];
      const series = seriesFor(plan, seriesMetrics(totals, overall), seriesRows);
      const compared = prior && previous ? compareRows(totals, rows, named, only.buckets, prior[0]?.buckets ?? [], groups, previous) : {};
      return {
        ...head,
        totals,
        ...levelNote(levels, complete(only.buckets, through)),
        ...modelsNote,
        group_by: groups,
        groups: 'rows' in compared ? compared.rows : named,
        ...(others ? { other: others } : {}),
        ...('previous' in compared ? { previous: compared.previous } : {}),
        ...series,
        ...partialOf([only.partial, prior?.[0]?.partial]),
      };
    }
    const perFamily = fetched.map((f) => ({ family: f.family, ...aggregate(f.buckets, [], 0, plan, through) }));
    const byFamily = perFamily.map(({ family: f, totals: metrics }) => ({ family: f, metrics }));
    const anyLevels = perFamily.some((f) => f.levels.length > 0);
    const totals: Metrics = {};
    for (const { metrics } of byFamily) {
      for (const key of ['input_tokens', 'output_tokens', 'input_cached_tokens', 'num_model_requests']) if (key in metrics) totals[key] = (totals[key] ?? 0) + (metrics[key] ?? 0);
    }
    const active = byFamily.filter(({ metrics }) => Object.values(metrics).some((v) => v !== 0));
    // Families ranked by the tokens and requests they add to the totals; only those count over time.
    const counted = perFamily
      .map(({ family: f, overall }) => ({ group: f as string, values: new Map([...overall].filter(([m]) => m === 'tokens' || m === 'requests')) }))
      .filter(({ values }) => [...values.values()].some((v) => v.some((n) => n !== 0)))
      .sort((a, b) => weight(b.values) - weight(a.values));
    const seriesRows = [
      ...counted.slice(0, SERIES_ROWS),
      ...(counted.length > SERIES_ROWS ? [{ group: REST, values: sumSeries(counted.slice(SERIES_ROWS).map((c) => c.values), plan.dates.length) }] : []),
    ];
    const comparedAll = prior && previous ? compareTotals(totals, fetched.flatMap((f) => f.buckets), prior.flatMap((f) => f.buckets), previous) : undefined;
    return {
      ...head,
      totals,
      ...modelsNote,
      ...(comparedAll ? { previous: comparedAll } : {}),
      ...levelNote(anyLevels ? [...LEVELS] : [], complete(fetched[0]?.buckets ?? [], through), false),
      by_family: active.map(({ family: f, metrics }) => ({ family: f, ...metrics })),
      ...seriesFor(plan, ['tokens', 'requests'].filter((m) => seriesRows.some((r) => r.values.has(m))), seriesRows),
      ...partialOf([...fetched, ...(prior ?? [])].map((f) => f.partial)),
    };
  },
});

/** The buckets with only the results of matching models; the models seen are added to `matched`. */
function keepModels(buckets: Bucket[], matches: (model: unknown) => boolean, matched: Set<string>): Bucket[] {
  return buckets.map((b) => ({
    ...b,
    results: b.results.filter((r) => {
      const model = (r as { model?: unknown }).model;
      if (!matches(model)) return false;
      matched.add(model as string);
      return true;
    }),
  }));
}

/** The figure a comparison uses: tokens (input + output) where counted, else requests. */
function figureOf(totals: Metrics): { figure: string; measure: (r: Record<string, unknown>) => number } | undefined {
  if ('input_tokens' in totals || 'output_tokens' in totals) return { figure: 'tokens', measure: (r) => Number(r.input_tokens ?? 0) + Number(r.output_tokens ?? 0) };
  if ('num_model_requests' in totals) return { figure: 'requests', measure: (r) => Number(r.num_model_requests ?? 0) };
  return undefined;
}

function compareTotals(totals: Metrics, nowBuckets: Bucket[], buckets: Bucket[], previous: Compared) {
  const figure = figureOf(totals);
  if (!figure) return undefined;
  const now = sumsByKey(comparedBuckets(nowBuckets, previous), () => '', figure.measure).total;
  const { previous: value, ...delta } = change(now, sumsByKey(buckets, () => '', figure.measure).total, Math.round);
  return { figure: figure.figure, value, ...delta, period: describeCompared(previous) };
}

/**
 * Each group row with the previous period's figure, change and change %; and the totals' comparison.
 * Both sides are summed from the buckets of the compared spans (a running period's complete days).
 */
function compareRows(totals: Metrics, raw: Array<Record<string, unknown>>, named: Array<Record<string, unknown>>, nowBuckets: Bucket[], buckets: Bucket[], groups: Group[], previous: Compared) {
  const figure = figureOf(totals);
  if (!figure) return {};
  const keyOf = (row: Record<string, unknown>, read: (g: Group) => unknown) => groups.map((g) => String(read(g) ?? '(none)')).join('\u0001');
  const fromResult = (r: Record<string, unknown>) => keyOf(r, (g) => r[GROUPS[g]]);
  const prior = sumsByKey(buckets, fromResult, figure.measure);
  const now = sumsByKey(comparedBuckets(nowBuckets, previous), fromResult, figure.measure);
  const rows = named.map((row, i) => {
    const source = raw[i] ?? {};
    const key = keyOf(source, (g) => source[g]);
    return { ...row, ...change(now.byKey.get(key) ?? 0, prior.byKey.get(key) ?? 0, Math.round) };
  });
  return { rows, previous: compareTotals(totals, nowBuckets, buckets, previous) };
}

/** Says how a level was reduced, once, next to the totals (and in the series, when it has the level). */
function levelNote(levels: string[], completeDays: number, inSeries = true): Record<string, string> {
  if (levels.length === 0) return {};
  const last = levels.map((l) => `${l}_latest`).join(', ');
  // A day still filling reads as a false zero: levels are read from complete days, and
  // only a period with none (today) falls back to the partial day, saying so.
  const days =
    completeDays > 0
      ? `${last} is the last complete day's value (data_through); _average and _peak are over the ${completeDays} complete day${completeDays === 1 ? '' : 's'}`
      : `no day of the period is complete yet: ${last}, _average and _peak are of today so far (partial)`;
  return { levels: `${levels.join(', ')}: a daily level, never summed: ${days}${inSeries ? `; series: each step's average over its complete days` : ''}` };
}

/** How many of the buckets (in time order) are complete: they start before `through`. */
function complete(buckets: readonly Bucket[], through: number): number {
  return buckets.filter((b) => b.start_time < through).length;
}

/** The series to plot: tokens and requests where the family counts them, else its own counters. */
function seriesMetrics(totals: Metrics, overall: StepValues): string[] {
  const counted = [...('input_tokens' in totals || 'output_tokens' in totals ? ['tokens'] : []), ...('num_model_requests' in totals ? ['requests'] : [])];
  return counted.length > 0 ? counted : [...overall.keys()].filter((m) => m !== 'tokens' && m !== 'requests');
}

/** The `series` field, or nothing when there is nothing to plot. */
function seriesFor(plan: StepPlan, metrics: string[], rows: Array<{ group: string; values: StepValues }>): { series?: Series } {
  return metrics.length > 0 && rows.length > 0 ? { series: seriesOf(plan, metrics, rows) } : {};
}

/** How a series row ranks: by tokens, then requests, then whatever it counts. */
function weight(values: StepValues): number {
  const sum = (m: string) => (values.get(m) ?? []).reduce((s, v) => s + v, 0);
  return sum('tokens') || sum('requests') || [...values.values()].reduce((s, v) => s + v.reduce((a, b) => a + b, 0), 0);
}

interface Labels {
  projects?: Map<string, ProjectRef>;
  users?: Map<string, UserRef>;
  keys?: Map<string, KeyRef>;
}

/** The name lists a grouping needs, fetched alongside the usage. */
function startLabels(groups: Group[], ctx: ReportContext): Promise<Labels> {
  const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((i) => [i.id, i]));
  const lists = {
    projects: groups.includes('project') ? ctx.names.projects(ctx.signal) : undefined,
    users: groups.includes('user') ? ctx.names.users(ctx.signal) : undefined,
    keys: groups.includes('api_key') ? ctx.names.keys(ctx.signal) : undefined,
  };
  // A handler now, so a failure while the usage is still loading cannot go unhandled.
  const all = Promise.all([lists.projects, lists.users, lists.keys]).then(([projects, users, keys]) => ({
    ...(projects ? { projects: byId(projects) } : {}),
    ...(users ? { users: byId(users) } : {}),
    ...(keys ? { keys: byId(keys) } : {}),
  }));
  all.catch(() => undefined);
  return all;
}

/** Group rows that say what they are: project names, user emails, key names with owner and project. */
function nameRows(rows: Array<Record<string, unknown>>, labels: Labels): Array<Record<string, unknown>> {
  return rows.map((row) => {
    const out: Record<string, unknown> = { ...row };
    const project = typeof row.project === 'string' ? labels.projects?.get(row.project) : undefined;
    if (project) out.project = `${project.name} (${project.id})`;
    const user = typeof row.user === 'string' ? labels.users?.get(row.user) : undefined;
    if (user) out.user = `${user.email} (${user.id})`;
    const key = typeof row.api_key === 'string' ? labels.keys?.get(row.api_key) : undefined;
    if (key) Object.assign(out, { api_key: `${key.name} (${key.id})`, owner: key.owner, key_project: key.project.name });
    return out;
  });
}

/**
 * Sums every flow metric over all buckets, overall and per group; a level (storage) is reduced to
 * its latest, average and peak daily value instead. Groups are ranked by tokens, then requests.
 * Alongside, each group's values per step of `plan` (`ranked`, in rank order) and the whole
 * family's (`overall`): tokens (input + output), requests and every counter, a level averaged
 * over the step's days.
 */
function aggregate(
  buckets: Bucket[],
  groups: Group[],
  top: number,
  plan: StepPlan,
  through: number,
): { totals: Metrics; groups: Array<Record<string, unknown>>; others?: { groups: number } & Metrics; levels: string[]; ranked: StepValues[]; overall: StepValues } {
  const totals: Metrics = {};
  const totalLevels = new Map<string, number[]>();
  const steps = plan.dates.length;
  const overall: StepValues = new Map();
  const rows = new Map<string, { key: Record<string, unknown>; metrics: Metrics; levels: Map<string, number[]>; series: StepValues }>();
  const addLevel = (series: Map<string, number[]>, field: string, at: number, value: number) => {
    const values = series.get(field) ?? new Array<number>(buckets.length).fill(0);
    values[at] = (values[at] ?? 0) + value;
    series.set(field, values);
  };
  // A level is averaged over each step's complete days only; a step with none keeps its partial day.
  const levelDays = new Array<number>(steps).fill(0);
  for (const bucket of buckets) {
    const i = plan.index(bucket.start_time);
    if (i >= 0 && bucket.start_time < through) levelDays[i] = (levelDays[i] ?? 0) + 1;
  }
  const completeCount = complete(buckets, through);
  buckets.forEach((bucket, at) => {
    const step = plan.index(bucket.start_time);
    const filling = bucket.start_time >= through;
    for (const raw of bucket.results) {
      const result = raw as Record<string, unknown>;
      const key: Record<string, unknown> = {};
      for (const g of groups) key[g] = result[GROUPS[g]] ?? '(none)';
      const id = JSON.stringify(key);
      const row = rows.get(id) ?? { key, metrics: {}, levels: new Map<string, number[]>(), series: new Map<string, number[]>() };
      for (const [field, value] of Object.entries(result)) {
        if (GROUP_FIELDS.has(field) || typeof value !== 'number') continue;
        if (step >= 0) {
          // A level's daily values are added up here and divided by the step's days below: its average.
          const derived = field === 'input_tokens' || field === 'output_tokens' ? 'tokens' : field === 'num_model_requests' ? 'requests' : undefined;
          for (const series of [row.series, overall]) {
            if (!(LEVELS.has(field) && filling && (levelDays[step] ?? 0) > 0)) addAt(series, field, step, steps, value);
            if (derived) addAt(series, derived, step, steps, value);
          }
        }
        if (LEVELS.has(field)) {
          addLevel(totalLevels, field, at, value);
          addLevel(row.levels, field, at, value);
          continue;
        }
        totals[field] = (totals[field] ?? 0) + value;
        row.metrics[field] = (row.metrics[field] ?? 0) + value;
      }
      rows.set(id, row);
    }
  });
  Object.assign(totals, reduceLevels(totalLevels, completeCount));
  for (const row of rows.values()) Object.assign(row.metrics, reduceLevels(row.levels, completeCount));
  for (const series of [overall, ...[...rows.values()].map((r) => r.series)]) {
    for (const level of LEVELS) series.get(level)?.forEach((v, i, values) => (values[i] = Math.round(v / (levelDays[i] || 1))));
  }
  const weight = (m: Metrics) => (m.input_tokens ?? 0) + (m.output_tokens ?? 0) || m.num_model_requests || Object.values(m)[0] || 0;
  const sorted = [...rows.values()].sort((a, b) => weight(b.metrics) - weight(a.metrics));
  // Zero counters (audio tokens of a text model, say) are left out of group rows: tokens, not information.
  const nonZero = (m: Metrics) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== 0));
  const shown = groups.length > 0 ? sorted.slice(0, top).map((row) => ({ ...row.key, ...nonZero(row.metrics) })) : [];
  const rest = groups.length > 0 ? sorted.slice(top) : [];
  const levels = [...totalLevels.keys()];
  const ranked = groups.length > 0 ? sorted.map((row) => row.series) : [];
  if (rest.length === 0) return { totals, groups: shown, levels, ranked, overall };
  const others: { groups: number } & Metrics = { groups: rest.length };
  // Latest and average values of levels add up across groups; peaks do not, so they are left out.
  for (const row of rest) for (const [k, v] of Object.entries(row.metrics)) if (!k.endsWith('_peak')) others[k] = (others[k] ?? 0) + v;
  return { totals, groups: shown, others, levels, ranked, overall };
}

/**
 * A level's daily series as `<field>_latest` (the last complete day), `_average` and `_peak` over
 * the complete days: the first `completeDays` values. With none complete, the partial day stands.
 */
function reduceLevels(series: Map<string, number[]>, completeDays: number): Metrics {
  const out: Metrics = {};
  for (const [field, all] of series) {
    const values = completeDays > 0 ? all.slice(0, completeDays) : all;
    if (values.length === 0) continue;
    out[`${field}_latest`] = values[values.length - 1] ?? 0;
    out[`${field}_average`] = Math.round(values.reduce((s, v) => s + v, 0) / values.length);
    out[`${field}_peak`] = Math.max(...values);
  }
  return out;
}
