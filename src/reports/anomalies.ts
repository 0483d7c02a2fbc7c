import { z } from 'zod';
import type { Bucket } from '../client/index.js';
import { describeActor, targetOf, type AuditEvent } from './audit.js';
import { detect, drivers, keptByProjects, METHOD, HISTORY_DAYS, SHIFT_METHOD, type Driver, type Finding } from './baseline.js';
import type { KeyRef } from './names.js';
import { periodName, resolvePeriod } from './periods.js';
import { cents, FRESH, isoDate, isoMinute, report, ReportError } from './report.js';

/*
 * spend_anomalies: "why did spend jump on Tuesday?" Each group's days (a project, key, line item or
 * model) are judged against the group's own robust baseline (baseline.ts); an anomaly is explained
 * by the keys, models or line items that carry its excess and by the audit events that touched the
 * group in the 48 hours before it. Three requests run side by side: the daily costs (or completions
 * usage) over the period and the 28 days before it, grouped finely enough for every breakdown in
 * one go; the audit events that change who or what can spend; the names.
 */

const DAY = 86_400;
const BY = ['project', 'api_key', 'line_item', 'model'] as const;
type By = (typeof BY)[number];
type Metric = 'usd' | 'tokens' | 'requests';

/** Events that change who or what can spend: keys, members, service accounts, rate limits, roles. */
const CAUSES = [
  'api_key.created',
  'api_key.updated',
  'service_account.created',
  'service_account.updated',
  'user.added',
  'invite.accepted',
  'rate_limit.updated',
  'role.assignment.created',
  'role.updated',
  'project.created',
  'project.updated',
];
const AUDIT_WINDOW = 2 * DAY;
const DEFAULT_MIN_USD = 10;
/** Anomalies shown; the rest are counted. Eight stay well under 1,500 tokens. */
const TOP = 8;

/** One day's row, whatever the source: who spent (project, key), on what (line item, model), how much. */
interface Row {
  project: string | null;
  api_key: string | null;
  line_item: string | null;
  model: string | null;
  value: number;
}

export const spendAnomalies = report({
  name: 'spend_anomalies',
  title: 'Spend anomalies',
  description: 'Spend spikes per project, key, line item or model, with their drivers and audit events.',
  input: {
    period: periodName.optional().describe('last_7/30/90/365_days (default 30), yesterday, this/last_month, this_year'),
    by: z.enum(BY).optional().describe('Default project'),
    metric: z.enum(['usd', 'tokens', 'requests']).optional().describe('Default usd'),
    min_usd: z.number().min(0).optional().describe(`Default ${DEFAULT_MIN_USD}`),
    fresh: FRESH,
  },
  output: z.object({
    /** The whole days judged (UTC), first to last, and the named period. */
    period: z.string(),
    method: z.string(),
    /** Largest excess first; a group with no earlier spend is `new` (baseline 0, no factor). */
    anomalies: z.array(
      z.object({
        day: z.string(),
        through: z.string().optional(),
        group: z.string(),
        value: z.number(),
        baseline: z.number(),
        factor: z.number().optional(),
        new: z.boolean().optional(),
        drivers: z.array(z.string()),
        audit: z.array(z.string()).optional(),
      }),
    ),
    more: z.number().optional(),
    /** Jumps of a key, model or line item that its projects' totals did not share: spend that moved, not anomalies. */
    shifted: z.number().optional(),
  }),
  async run(args, ctx) {
    const by: By = args.by ?? 'project';
    const metric: Metric = args.metric ?? 'usd';
    if (metric !== 'usd' && by === 'line_item') throw new ReportError(`by line_item needs metric usd: line items exist only in costs; use by model for ${metric}.`);
    if (metric !== 'usd' && args.min_usd !== undefined) throw new ReportError(`min_usd applies to metric usd only; drop it for ${metric}.`);
    const nowMs = ctx.now();
    const period = resolvePeriod({ period: args.period }, nowMs, 'last_30_days');
    // Whole days only: today's bucket is still filling, and a partial day would look like a drop.
    const today = Math.floor(nowMs / 1000 / DAY) * DAY;
    const first = Math.floor(period.start / DAY) * DAY;
    const end = Math.min(Math.floor(period.end / DAY) * DAY, today);
    if (end <= first) throw new ReportError('The period has no complete day yet (today is still running); use a period that ends before today, such as last_7_days.');
    const from = first - HISTORY_DAYS * DAY;

    const fetched =
      metric === 'usd'
        ? ctx.client.range({ path: '/organization/costs', query: { group_by: ['project_id', 'api_key_id', 'line_item'] }, start: from, end, width: '1d', windowBuckets: 31, concurrency: 12, signal: ctx.signal, progress: ctx.progress })
        : ctx.client.range({ path: '/organization/usage/completions', query: { group_by: ['project_id', 'api_key_id', 'model'] }, start: from, end, width: '1d', signal: ctx.signal, progress: ctx.progress });
    const audit = ctx.client.collect<AuditEvent>({
      path: '/organization/audit_logs',
      query: { effective_at: { gte: first - AUDIT_WINDOW, lt: end }, event_types: CAUSES, limit: 100 },
      style: 'cursor_id',
      maxPages: 20,
      signal: ctx.signal,
    });
    const projects = ctx.names.projects(ctx.signal);
    const keys = ctx.names.keys(ctx.signal);
    // Handlers now, so a failure of the costs first cannot leave these unhandled.
    for (const p of [audit, projects, keys]) p?.catch(() => undefined);

    const range = await fetched;
    // A missing day would be judged as no spend: refuse rather than explain a partial history.
    if (range.partial) throw new ReportError(`Could not read every day of costs: ${range.partial.warning} Try again, or a shorter period.`);
    const days = Array.from({ length: (end - from) / DAY }, (_, i) => from + i * DAY);
    const { series, totals } = buildSeries(range.buckets, days, by, metric);
    const start = (first - from) / DAY;
    const minExcess = metric === 'usd' ? (args.min_usd ?? DEFAULT_MIN_USD) : 0;
    const found: Array<Finding & { group: string }> = [];
    let shifted = 0;
    for (const [group, s] of series) {
      for (const f of detect(s.values, days, start, days.length, minExcess)) {
        // Below the project, a jump its projects did not share is spend that moved between groups.
        if (by !== 'project' && f.kind === 'spike' && !keptByProjects(s.inProjects, totals, days, f.peak)) shifted += 1;
        else found.push({ ...f, group });
      }
    }

    const [projectList, keyList, events] = await Promise.all([projects, keys, audit.then((r) => r.items)]);
    const projectNames = new Map(projectList.map((p) => [p.id, p.name]));
    const keysById = new Map(keyList.map((k) => [k.id, k]));
    const name = nameOf(projectNames, keysById);
    const top = TOP;
    const value = (v: number) => (metric === 'usd' ? cents(v) : Math.round(v));
    const explain = (f: Finding & { group: string }) => {
      const s = series.get(f.group) as GroupSeries;
      const list = drivers(s.parts, days, f.peak, f.excess).slice(0, 3);
      const causes = eventsFor(events, days[f.first] as number, s.projects, f.group, by, list);
      return {
        drivers: list.map((d) => `${d.dimension} ${name(d.dimension as By, d.name, true)}: ${Math.round(d.share * 100)}%`),
        ...(causes.length > 0 ? { audit: causes } : {}),
      };
    };
    // Spikes by their excess, largest first; new groups among them by their first day's spend.
    const ranked = [...found].sort((x, y) => y.excess - x.excess);
    return {
      period: `${isoDate(first)} to ${isoDate(end - DAY)} (${args.period ?? 'last_30_days'}, whole UTC days)`,
      method: `${metric} by ${by}, ${series.size} groups × ${days.length - start} days: ${METHOD}${by === 'project' ? '' : `; ${SHIFT_METHOD}`}`,
      anomalies: ranked.slice(0, top).map((f) => ({
        day: isoDate(days[f.first] as number),
        ...(f.last > f.first ? { through: isoDate(days[f.last] as number) } : {}),
        group: name(by, f.group),
        value: value(f.value),
        baseline: value(f.baseline),
        ...(f.kind === 'new' ? { new: true } : { factor: Math.round((f.value / f.baseline) * 10) / 10 }),
        ...explain(f),
      })),
      ...(ranked.length > top ? { more: ranked.length - top } : {}),
      ...(shifted > 0 ? { shifted } : {}),
    };
  },
});

interface GroupSeries {
  values: Float64Array;
  /** The breakdowns that explain an excess: for each dimension, each part's daily values. */
  parts: Map<string, Map<string, Float64Array>>;
  /** The projects the group spends in, to match audit events. */
  projects: Set<string>;
  /** The group's own daily values in each project it spends in, to tell new spend from spend that moved. */
  inProjects: Map<string, Float64Array>;
}

/** The other dimensions an anomaly is explained by. */
const BREAKDOWNS: Record<By, By[]> = {
  project: ['api_key', 'line_item', 'model'],
  api_key: ['line_item', 'model'],
  line_item: ['project', 'api_key'],
  model: ['project', 'api_key', 'line_item'],
};

/** Reads a bucket's rows; `models` remembers each line item's model, asked for once per row of 58 days. */
function rowsOf(bucket: Bucket, metric: Metric, models: Map<string, string>): Row[] {
  return bucket.results.map((raw) => {
    const r = raw as Record<string, unknown>;
    const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : null);
    const lineItem = str('line_item');
    const amount = r.amount as { value?: number } | undefined;
    const value =
      metric === 'usd' ? (amount?.value ?? 0) : metric === 'tokens' ? Number(r.input_tokens ?? 0) + Number(r.output_tokens ?? 0) : Number(r.num_model_requests ?? 0);
    return { project: str('project_id'), api_key: str('api_key_id'), line_item: lineItem, model: str('model') ?? (lineItem ? modelOf(lineItem, models) : null), value };
  });
}

/** A cost line's model is the line item up to its first comma (`gpt-4o-2024-08-06, input`), batch and flex folded in. */
function modelOf(lineItem: string, models: Map<string, string>): string {
  let model = models.get(lineItem);
  if (model === undefined) models.set(lineItem, (model = (lineItem.split(',', 1)[0] ?? lineItem).replace(/ \((batch|flex)\)$/, '').trim()));
  return model;
}

/** Each group's series, and each project's whole daily spend (`totals`). */
function buildSeries(buckets: Bucket[], days: number[], by: By, metric: Metric): { series: Map<string, GroupSeries>; totals: Map<string, Float64Array> } {
  const index = new Map(days.map((d, i) => [d, i]));
  const series = new Map<string, GroupSeries>();
  const totals = new Map<string, Float64Array>();
  const n = days.length;
  const add = (into: Map<string, Float64Array>, key: string, i: number, value: number) => {
    let values = into.get(key);
    if (!values) into.set(key, (values = new Float64Array(n)));
    (values[i] as number) += value;
  };
  const models = new Map<string, string>();
  const breakdowns = BREAKDOWNS[by].filter((dimension) => metric === 'usd' || dimension !== 'line_item');
  for (const bucket of buckets) {
    const i = index.get(Math.floor(bucket.start_time / DAY) * DAY);
    if (i === undefined) continue;
    for (const row of rowsOf(bucket, metric, models)) {
      if (row.value === 0) continue;
      const group = row[by] ?? '(none)';
      let s = series.get(group);
      if (!s) {
        s = { values: new Float64Array(n), parts: new Map(breakdowns.map((d) => [d, new Map()])), projects: new Set(), inProjects: new Map() };
        series.set(group, s);
      }
      (s.values[i] as number) += row.value;
      if (row.project) {
        s.projects.add(row.project);
        add(s.inProjects, row.project, i, row.value);
        add(totals, row.project, i, row.value);
      }
      for (const dimension of breakdowns) {
        const part = row[dimension];
        if (part !== null) add(s.parts.get(dimension) as Map<string, Float64Array>, part, i, row.value);
      }
    }
  }
  // A breakdown with no part at all (no row named one) is left out, as before.
  for (const s of series.values()) for (const [d, parts] of s.parts) if (parts.size === 0) s.parts.delete(d);
  return { series, totals };
}

/** Names for IDs: a project as `Name (proj_…)`, a key as `name (key_…)`; line items and models as they are. */
function nameOf(projects: Map<string, string>, keys: Map<string, KeyRef>): (by: By, id: string, short?: boolean) => string {
  return (by, id, short = false) => {
    if (by === 'project') return projects.has(id) ? `${projects.get(id)} (${id})` : id;
    if (by === 'api_key') {
      const key = keys.get(id);
      if (!key) return id;
      return short ? `${key.name} (${id})` : `${key.name} (${id}) of ${key.owner} in ${key.project.name}`;
    }
    return id;
  };
}

/**
 * The audit events from 48 hours before the anomaly's first day to that day's end that touch the
 * group: made in its projects (or, for a line item or model, in the projects that drove it), or
 * acting on its key. At most three, latest first.
 */
function eventsFor(events: AuditEvent[], day: number, projects: Set<string>, group: string, by: By, list: Driver[]): string[] {
  const scope = by === 'project' || by === 'api_key' ? projects : new Set(list.filter((d) => d.dimension === 'project').map((d) => d.name));
  const keysInPlay = new Set([...(by === 'api_key' ? [group] : []), ...list.filter((d) => d.dimension === 'api_key').map((d) => d.name)]);
  return events
    .filter((e) => e.effective_at >= day - AUDIT_WINDOW && e.effective_at < day + DAY)
    .filter((e) => (e.project?.id !== undefined && scope.has(e.project.id)) || keysInPlay.has(targetOf(e) ?? ''))
    .sort((a, b) => b.effective_at - a.effective_at)
    .slice(0, 3)
    .map((e) => `${isoMinute(e.effective_at)} ${e.type}${targetOf(e) ? ` ${targetOf(e)}` : ''} by ${describeActor(e.actor)}`);
}
