import { beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient, Query } from '../../src/client/index.js';
import type { ToolHost } from '../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FAMILIES } from '../../src/reports/usage.js';
import { pickProjectNamed, useSandbox } from '../helpers.js';
import { DAY, hostFor, NOW, ok, TODAY } from './support.js';

/*
 * The reports against the raw API: every total and every breakdown row is recomputed here from the
 * raw buckets, fetched page by page (small pages, no range splitting), and must agree.
 */

let sandbox: Sandbox;
let client: AdminClient;
let host: ToolHost;
useSandbox({ seed: 11, now: () => NOW }, (started) => ({ sandbox, client } = started));
beforeAll(() => {
  host = hostFor(client);
});

interface RawBucket {
  start_time: number;
  end_time: number;
  results: Array<Record<string, unknown>>;
}

/** Every bucket of [start, end), walked with page tokens the plain way. */
async function rawBuckets(path: string, start: number, end: number, query: Query = {}): Promise<RawBucket[]> {
  const result = await client.collect<RawBucket>({
    path,
    query: { ...query, start_time: start, end_time: end, bucket_width: '1d', limit: path.endsWith('/costs') ? 30 : 10 },
    style: 'page_token',
    maxPages: 1_000,
  });
  expect(result.truncated).toBe(false);
  expect(result.items.length).toBe(Math.ceil((end - Math.floor(start / DAY) * DAY) / DAY));
  return result.items;
}

/** Integer micro-dollars, so the ground truth has no rounding of its own. */
const micros = (result: Record<string, unknown>) => Math.round(((result.amount as { value: number }).value ?? 0) * 1e6);

/** `usd` is the amount rounded to the cent (half a cent of slack for float ties). */
function expectCents(usd: number, amountMicros: number, what: string): void {
  expect(Math.abs(usd * 100 - amountMicros / 1e4), `${what}: ${usd} vs ${amountMicros / 1e6}`).toBeLessThanOrEqual(0.5 + 1e-6);
}

interface Period {
  label: string;
  args: Record<string, unknown>;
  start: number;
  end: number;
}

const LAST_MONTH: Period = { label: 'last_month', args: { period: 'last_month' }, start: Date.UTC(2026, 9, 1) / 1000, end: Date.UTC(2026, 10, 1) / 1000 };
const FORTY_FIVE: Period = {
  label: '45 days (dates)',
  args: { start: '2026-08-01', end: '2026-09-15' },
  start: Date.UTC(2026, 7, 1) / 1000,
  end: Date.UTC(2026, 8, 15) / 1000,
};
const YEAR: Period = { label: '365 days', args: { start: TODAY - 365 * DAY, end: TODAY }, start: TODAY - 365 * DAY, end: TODAY };

interface Case {
  label: string;
  /** How the project is named in the call, or undefined for the whole organization. */
  ref?: () => string;
  /** The project's ID, for the raw filter. */
  id?: () => string;
  period: Period;
}

const byName = (name: string, ref = name): Pick<Case, 'ref' | 'id'> => ({ ref: () => ref, id: () => pickProjectNamed(sandbox.state, name).id });
const byId = (name: string): Pick<Case, 'ref' | 'id'> => ({ ref: () => pickProjectNamed(sandbox.state, name).id, id: () => pickProjectNamed(sandbox.state, name).id });

const CASES: Case[] = [
  { label: 'Atlas by name, last_month', ...byName('Atlas'), period: LAST_MONTH },
  { label: 'Billing by ID, 45 days', ...byId('Billing'), period: FORTY_FIVE },
  { label: 'Support Assistant by lower-case name, 365 days', ...byName('Support Assistant', 'support assistant'), period: YEAR },
  { label: 'Data Platform by ID, 365 days', ...byId('Data Platform'), period: YEAR },
  { label: 'Marketing Copy by name, 45 days', ...byName('Marketing Copy'), period: FORTY_FIVE },
  { label: 'whole organization, last_month', period: LAST_MONTH },
  { label: 'whole organization, 365 days', period: YEAR },
];

interface SpendReport {
  total_usd: number;
  currency: string;
  project?: { id: string; name: string };
  breakdown: Array<Record<string, unknown> & { usd: number; share: string }>;
  other?: { rows: number; usd: number };
}

/** Breakdown rows plus `other` add up to the total, within a cent of rounding per row. */
function expectRowsAddUp(report: SpendReport): void {
  const rows = report.breakdown.reduce((s, r) => s + r.usd, 0) + (report.other?.usd ?? 0);
  const slack = (report.breakdown.length + (report.other ? 1 : 0)) * 0.01;
  expect(Math.abs(rows - report.total_usd)).toBeLessThanOrEqual(slack + 1e-9);
}

describe('spend_report equals the raw costs', () => {
  it.each(CASES)('$label: total and line items', async ({ ref, id, period }) => {
    const report = await ok<SpendReport>(host, 'spend_report', { ...(ref ? { project: ref() } : {}), ...period.args, group_by: ['line_item'], top: 5 });
    const buckets = await rawBuckets('/organization/costs', period.start, period.end, { group_by: ['line_item'], ...(id ? { project_ids: [id()] } : {}) });

    const total = buckets.reduce((s, b) => s + b.results.reduce((t, r) => t + micros(r), 0), 0);
    expect(total).toBeGreaterThan(0);
    expectCents(report.total_usd, total, 'total');
    if (id) expect(report.project?.id).toBe(id());
    else expect(report.project).toBeUndefined();

    const byLine = new Map<string, number>();
    for (const b of buckets) for (const r of b.results) byLine.set(r.line_item as string, (byLine.get(r.line_item as string) ?? 0) + micros(r));
    const ranked = [...byLine.entries()].sort((a, b) => b[1] - a[1]);
    expect(report.breakdown.map((r) => r.line_item)).toEqual(ranked.slice(0, 5).map(([line]) => line));
    for (const row of report.breakdown) expectCents(row.usd, byLine.get(row.line_item as string) ?? NaN, `line ${String(row.line_item)}`);
    if (ranked.length > 5) {
      expect(report.other?.rows).toBe(ranked.length - 5);
      expectCents(report.other?.usd ?? NaN, ranked.slice(5).reduce((s, [, v]) => s + v, 0), 'other');
    } else {
      expect(report.other).toBeUndefined();
    }
    expectRowsAddUp(report);
  });

  it.each([CASES[0], CASES[5], CASES[6]] as Case[])('$label: grouped by project', async ({ ref, id, period }) => {
    const report = await ok<SpendReport>(host, 'spend_report', { ...(ref ? { project: ref() } : {}), ...period.args, group_by: ['project'] });
    const buckets = await rawBuckets('/organization/costs', period.start, period.end, { group_by: ['project_id'], ...(id ? { project_ids: [id()] } : {}) });
    const byProject = new Map<string, number>();
    for (const b of buckets) for (const r of b.results) byProject.set(r.project_id as string, (byProject.get(r.project_id as string) ?? 0) + micros(r));
    expectCents(report.total_usd, [...byProject.values()].reduce((s, v) => s + v, 0), 'total');
    expect(report.breakdown.length).toBe(Math.min(10, byProject.size));
    for (const row of report.breakdown) {
      const project = /\((proj_[^)]+)\)$/.exec(row.project as string)?.[1] ?? '';
      expect(row.project).toBe(`${sandbox.state.projects.get(project)?.name} (${project})`);
      expectCents(row.usd, byProject.get(project) ?? NaN, `project ${project}`);
    }
    expectRowsAddUp(report);
  });

  it.each([CASES[0], CASES[2], CASES[6]] as Case[])('$label: grouped by API key', async ({ ref, id, period }) => {
    const report = await ok<SpendReport>(host, 'spend_report', { ...(ref ? { project: ref() } : {}), ...period.args, group_by: ['api_key'], top: 4 });
    const buckets = await rawBuckets('/organization/costs', period.start, period.end, { group_by: ['api_key_id'], ...(id ? { project_ids: [id()] } : {}) });
    const byKey = new Map<string, number>();
    for (const b of buckets) for (const r of b.results) byKey.set((r.api_key_id as string | null) ?? '(none)', (byKey.get((r.api_key_id as string | null) ?? '(none)') ?? 0) + micros(r));
    expectCents(report.total_usd, [...byKey.values()].reduce((s, v) => s + v, 0), 'total');
    const ranked = [...byKey.entries()].sort((a, b) => b[1] - a[1]);
    // Key rows say what they are: `name (key_…)`, with the owner and the key's project.
    const idOf = (label: unknown) => /\((key_[^)]+)\)$/.exec(String(label))?.[1] ?? String(label);
    expect(report.breakdown.map((r) => idOf(r.api_key))).toEqual(ranked.slice(0, 4).map(([key]) => key));
    for (const row of report.breakdown) expectCents(row.usd, byKey.get(idOf(row.api_key)) ?? NaN, `key ${String(row.api_key)}`);
    for (const row of report.breakdown) if (row.api_key !== '(none)') expect(row.owner, String(row.api_key)).toBeTruthy();
    if (ranked.length > 4) expectCents(report.other?.usd ?? NaN, ranked.slice(4).reduce((s, [, v]) => s + v, 0), 'other');
    expectRowsAddUp(report);
  });

  it('the daily series has one row per day, each equal to that raw bucket', async () => {
    const billing = pickProjectNamed(sandbox.state, 'Billing');
    const report = await ok<SpendReport & { daily: Array<{ date: string; usd: number }> }>(host, 'spend_report', { project: billing.id, ...FORTY_FIVE.args, daily: true });
    const buckets = await rawBuckets('/organization/costs', FORTY_FIVE.start, FORTY_FIVE.end, { project_ids: [billing.id] });
    expect(report.daily).toHaveLength(45);
    report.daily.forEach((day, i) => {
      const bucket = buckets[i] as RawBucket;
      expect(day.date).toBe(new Date(bucket.start_time * 1000).toISOString().slice(0, 10));
      expectCents(day.usd, bucket.results.reduce((s, r) => s + micros(r), 0), day.date);
    });
  });

  it('an API key filter equals the raw costs of that key', async () => {
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    const key = sandbox.state.activity.find((a) => a.project_id === atlas.id && a.api_key_id !== null && a.day >= LAST_MONTH.start && a.day < LAST_MONTH.end)?.api_key_id as string;
    const report = await ok<SpendReport>(host, 'spend_report', { api_key: key, period: 'last_month' });
    const buckets = await rawBuckets('/organization/costs', LAST_MONTH.start, LAST_MONTH.end, { api_key_ids: [key] });
    const total = buckets.reduce((s, b) => s + b.results.reduce((t, r) => t + micros(r), 0), 0);
    expect(total).toBeGreaterThan(0);
    expectCents(report.total_usd, total, 'total');
  });

  it('the raw costs themselves agree with the seeded activity (the ground truth is not circular)', async () => {
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    const seeded = sandbox.state.activity
      .filter((a) => a.project_id === atlas.id && a.day >= LAST_MONTH.start && a.day < LAST_MONTH.end)
      .reduce((s, a) => s + a.costs.reduce((t, c) => t + Math.round(c.amount * 1e6), 0), 0);
    const report = await ok<SpendReport>(host, 'spend_report', { project: 'Atlas', period: 'last_month' });
    expectCents(report.total_usd, seeded, 'Atlas last month from state.activity');
  });
});

// ---------------------------------------------------------------------------------------------
// usage_report

const TOKEN_FIELDS = ['input_tokens', 'output_tokens', 'input_cached_tokens', 'num_model_requests'] as const;

function sumBy(buckets: RawBucket[], key: (r: Record<string, unknown>) => string, fields: readonly string[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const b of buckets) {
    for (const r of b.results) {
      const k = key(r);
      const row = out.get(k) ?? Object.fromEntries(fields.map((f) => [f, 0]));
      for (const f of fields) row[f] = (row[f] ?? 0) + ((r[f] as number | undefined) ?? 0);
      out.set(k, row);
    }
  }
  return out;
}

interface UsageReport {
  family: string;
  totals: Record<string, number>;
  groups?: Array<Record<string, unknown>>;
  other?: Record<string, number>;
  by_family?: Array<Record<string, unknown> & { family: string }>;
}

describe('usage_report equals the raw usage buckets', () => {
  const usageCases = CASES.filter((c) => c.label !== 'Marketing Copy by name, 45 days');

  it.each(usageCases)('$label: completions by model', async ({ ref, id, period }) => {
    const report = await ok<UsageReport>(host, 'usage_report', { family: 'completions', group_by: ['model'], top: 100, ...(ref ? { project: ref() } : {}), ...period.args });
    const buckets = await rawBuckets('/organization/usage/completions', period.start, period.end, { group_by: ['model'], ...(id ? { project_ids: [id()] } : {}) });
    const byModel = sumBy(buckets, (r) => r.model as string, TOKEN_FIELDS);
    expect(byModel.size).toBeGreaterThan(0);
    expect(new Set(report.groups?.map((g) => g.model))).toEqual(new Set(byModel.keys()));
    expect(report.groups?.length).toBe(byModel.size);
    for (const group of report.groups ?? []) {
      const raw = byModel.get(group.model as string) as Record<string, number>;
      for (const field of TOKEN_FIELDS) expect((group[field] as number | undefined) ?? 0, `${String(group.model)} ${field}`).toBe(raw[field]);
    }
    for (const field of TOKEN_FIELDS) expect(report.totals[field]).toBe([...byModel.values()].reduce((s, r) => s + (r[field] ?? 0), 0));
    expect(report.other).toBeUndefined();
  });

  it.each([usageCases[0], usageCases[1], usageCases[5]] as Case[])('$label: embeddings by model', async ({ ref, id, period }) => {
    const report = await ok<UsageReport>(host, 'usage_report', { family: 'embeddings', top: 100, ...(ref ? { project: ref() } : {}), ...period.args });
    const buckets = await rawBuckets('/organization/usage/embeddings', period.start, period.end, { group_by: ['model'], ...(id ? { project_ids: [id()] } : {}) });
    const byModel = sumBy(buckets, (r) => r.model as string, ['input_tokens', 'num_model_requests']);
    expect(new Set(report.groups?.map((g) => g.model))).toEqual(new Set(byModel.keys()));
    for (const group of report.groups ?? []) {
      const raw = byModel.get(group.model as string) as Record<string, number>;
      expect(group.input_tokens ?? 0).toBe(raw.input_tokens);
      expect(group.num_model_requests ?? 0).toBe(raw.num_model_requests);
    }
    expect(report.totals.input_tokens ?? 0).toBe([...byModel.values()].reduce((s, r) => s + (r.input_tokens ?? 0), 0));
  });

  it.each([usageCases[0], usageCases[5]] as Case[])('$label: decisions by model', async ({ ref, id, period }) => {
    const report = await ok<UsageReport>(host, 'usage_report', { family: 'decisions', top: 100, ...(ref ? { project: ref() } : {}), ...period.args });
    const buckets = await rawBuckets('/organization/usage/decisions', period.start, period.end, { group_by: ['model'], ...(id ? { project_ids: [id()] } : {}) });
    const byModel = sumBy(buckets, (r) => r.model as string, TOKEN_FIELDS);
    expect(byModel.size).toBeGreaterThan(0);
    expect(new Set(report.groups?.map((g) => g.model))).toEqual(new Set(byModel.keys()));
    for (const group of report.groups ?? []) {
      const raw = byModel.get(group.model as string) as Record<string, number>;
      for (const field of TOKEN_FIELDS) expect((group[field] as number | undefined) ?? 0, `${String(group.model)} ${field}`).toBe(raw[field]);
    }
    for (const field of TOKEN_FIELDS) expect(report.totals[field]).toBe([...byModel.values()].reduce((s, r) => s + (r[field] ?? 0), 0));
  });

  it.each([usageCases[0], usageCases[2], usageCases[5]] as Case[])('$label: family all, totals and each family', async ({ ref, id, period }) => {
    const report = await ok<UsageReport>(host, 'usage_report', { family: 'all', ...(ref ? { project: ref() } : {}), ...period.args });
    const perFamily = new Map<string, Record<string, number>>();
    for (const family of FAMILIES) {
      const buckets = await rawBuckets(`/organization/usage/${family}`, period.start, period.end, id ? { project_ids: [id()] } : {});
      const sums: Record<string, number> = {};
      // Stored bytes are a daily level: the last day's value, the daily average and the peak, never a sum.
      const level: number[] = [];
      for (const b of buckets) {
        let day = 0;
        for (const r of b.results) {
          for (const [field, value] of Object.entries(r)) {
            if (typeof value !== 'number') continue;
            if (field === 'usage_bytes') day += value;
            else sums[field] = (sums[field] ?? 0) + value;
          }
        }
        // Only complete days (before today, still filling) count for a level.
        if (b.start_time < TODAY) level.push(day);
      }
      if (family === 'vector_stores' && level.some((v) => v > 0)) {
        Object.assign(sums, { usage_bytes_latest: level[level.length - 1], usage_bytes_average: Math.round(level.reduce((s, v) => s + v, 0) / level.length), usage_bytes_peak: Math.max(...level) });
      }
      perFamily.set(family, sums);
    }
    for (const field of TOKEN_FIELDS) {
      const expected = [...perFamily.values()].reduce((s, m) => s + (m[field] ?? 0), 0);
      expect(report.totals[field] ?? 0, field).toBe(expected);
    }
    if (!ref) expect(report.by_family?.map((f) => f.family)).toContain('decisions');
    const active = [...perFamily.entries()].filter(([, m]) => Object.values(m).some((v) => v !== 0));
    expect(report.by_family?.map((f) => f.family)).toEqual(active.map(([f]) => f));
    for (const row of report.by_family ?? []) {
      const { family, ...metrics } = row;
      expect(metrics, family).toEqual(perFamily.get(family));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// usage_report's series

interface UsageSeries {
  step: string;
  dates: string[];
  rows: Array<Record<string, string | number[]>>;
}

const isoDay = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);

/**
 * The steps a period is cut into, worked out here from the rule the report documents: days up to
 * 14 days, weeks counted from the first day up to 98 days, calendar months beyond.
 */
function stepsOf(start: number, end: number): { step: string; dates: string[]; days: number[]; of: (day: number) => number } {
  const first = Math.floor(start / DAY) * DAY;
  const count = Math.ceil((end - first) / DAY);
  const step = count <= 14 ? 'day' : count <= 98 ? 'week' : 'month';
  const dates: string[] = [];
  const days: number[] = [];
  const keyOf = (day: number) => (step === 'day' ? isoDay(day) : step === 'week' ? isoDay(first + Math.floor((day - first) / (7 * DAY)) * 7 * DAY) : day === first ? isoDay(day) : isoDay(day).slice(8) === '01' ? isoDay(day) : null);
  const index = new Map<number, number>();
  for (let day = first; day < first + count * DAY; day += DAY) {
    const key = keyOf(day);
    if (key !== null && dates[dates.length - 1] !== key) {
      dates.push(key);
      days.push(0);
    }
    days[dates.length - 1] = (days[dates.length - 1] ?? 0) + 1;
    index.set(day, dates.length - 1);
  }
  return { step, dates, days, of: (day) => index.get(day) ?? -1 };
}

/** Per group, per step: the sum of `value` over the raw results. */
function stepSums(buckets: RawBucket[], steps: ReturnType<typeof stepsOf>, key: (r: Record<string, unknown>) => string, value: (r: Record<string, unknown>) => number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const b of buckets) {
    for (const r of b.results) {
      const values = out.get(key(r)) ?? new Array<number>(steps.dates.length).fill(0);
      values[steps.of(b.start_time)] = (values[steps.of(b.start_time)] ?? 0) + value(r);
      out.set(key(r), values);
    }
  }
  return out;
}

const total = (values: number[]) => values.reduce((s, v) => s + v, 0);
const addUp = (rows: number[][], length: number) => rows.reduce((sum, row) => sum.map((v, i) => v + (row[i] ?? 0)), new Array<number>(length).fill(0));
const tokensOf = (r: Record<string, unknown>) => ((r.input_tokens as number) ?? 0) + ((r.output_tokens as number) ?? 0);
const requestsOf = (r: Record<string, unknown>) => (r.num_model_requests as number) ?? 0;

describe("usage_report's series equals the raw usage buckets", () => {
  it('cuts a month into weeks from its first day and a year into calendar months', () => {
    expect(stepsOf(LAST_MONTH.start, LAST_MONTH.end)).toMatchObject({ step: 'week', dates: ['2026-10-01', '2026-10-08', '2026-10-15', '2026-10-22', '2026-10-29'], days: [7, 7, 7, 7, 3] });
    const year = stepsOf(YEAR.start, YEAR.end);
    expect(year.step).toBe('month');
    expect(year.dates).toEqual(['2025-11-23', '2025-12-01', ...Array.from({ length: 11 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}-01`)]);
    expect(stepsOf(TODAY - 7 * DAY, NOW)).toMatchObject({ step: 'day', days: new Array(8).fill(1) });
  });

  it.each([CASES[0], CASES[1], CASES[5], CASES[6]] as Case[])('$label: tokens and requests of the top 3 models and the rest, per step', async ({ ref, id, period }) => {
    const report = await ok<{ groups: Array<Record<string, unknown>>; totals: Record<string, number>; series: UsageSeries }>(host, 'usage_report', {
      family: 'completions',
      ...(ref ? { project: ref() } : {}),
      ...period.args,
    });
    const buckets = await rawBuckets('/organization/usage/completions', period.start, period.end, { group_by: ['model'], ...(id ? { project_ids: [id()] } : {}) });
    const steps = stepsOf(period.start, period.end);
    const tokens = stepSums(buckets, steps, (r) => r.model as string, tokensOf);
    const requests = stepSums(buckets, steps, (r) => r.model as string, requestsOf);
    const ranked = [...tokens.keys()].sort((a, b) => total(tokens.get(b)!) - total(tokens.get(a)!));
    expect(ranked.length).toBeGreaterThan(0);

    expect(report.series.step).toBe(steps.step);
    expect(report.series.dates).toEqual(steps.dates);
    const top = ranked.slice(0, 3);
    const rest = ranked.slice(3);
    // The series names the table's first groups, with the same labels, then one row for all the rest.
    expect(report.series.rows.map((r) => r.group)).toEqual([...top, ...(rest.length > 0 ? ['(all others)'] : [])]);
    expect(top).toEqual(report.groups.slice(0, 3).map((g) => g.model));
    for (const model of top) {
      const row = report.series.rows.find((r) => r.group === model)!;
      expect(row.tokens, model).toEqual(tokens.get(model));
      expect(row.requests, model).toEqual(requests.get(model));
    }
    if (rest.length > 0) {
      const row = report.series.rows[3]!;
      expect(row.tokens).toEqual(addUp(rest.map((m) => tokens.get(m)!), steps.dates.length));
      expect(row.requests).toEqual(addUp(rest.map((m) => requests.get(m)!), steps.dates.length));
    }
    // Every step of every row adds up to the period's totals: nothing is lost or counted twice.
    const all = (metric: string) => report.series.rows.reduce((s, r) => s + (r[metric] as number[]).reduce((a, b) => a + b, 0), 0);
    expect(all('tokens')).toBe((report.totals.input_tokens ?? 0) + (report.totals.output_tokens ?? 0));
    expect(all('requests')).toBe(report.totals.num_model_requests);
  });

  it('stored bytes per step are the average daily level, per project, never a sum of days', async () => {
    const report = await ok<{ series: UsageSeries; levels: string }>(host, 'usage_report', { family: 'vector_stores', ...LAST_MONTH.args });
    const buckets = await rawBuckets('/organization/usage/vector_stores', LAST_MONTH.start, LAST_MONTH.end, { group_by: ['project_id'] });
    const steps = stepsOf(LAST_MONTH.start, LAST_MONTH.end);
    const bytes = stepSums(buckets, steps, (r) => r.project_id as string, (r) => (r.usage_bytes as number) ?? 0);
    expect(bytes.size).toBeGreaterThan(0);
    expect(report.series.rows).toHaveLength(Math.min(bytes.size, 4));
    for (const row of report.series.rows.slice(0, 3)) {
      const project = /\((proj_[^)]+)\)$/.exec(row.group as string)?.[1] ?? '';
      const expected = bytes.get(project)!.map((sum, i) => Math.round(sum / steps.days[i]!));
      expect(row.usage_bytes, project).toEqual(expected);
      // A week of a level is about one day's level, not seven.
      const daily = buckets.find((b) => b.results.some((r) => r.project_id === project && (r.usage_bytes as number) > 0))!;
      const oneDay = daily.results.find((r) => r.project_id === project)!.usage_bytes as number;
      expect((row.usage_bytes as number[])[0]!).toBeLessThan(oneDay * 2);
    }
    expect(Object.keys(report.series.rows[0]!).sort()).toEqual(['group', 'usage_bytes']);
    expect(report.levels).toMatch(/series: each step's average/);
  });

  it('family all: the top 3 families by tokens and the rest, per step', async () => {
    const report = await ok<{ series: UsageSeries; totals: Record<string, number> }>(host, 'usage_report', { family: 'all', ...YEAR.args });
    const steps = stepsOf(YEAR.start, YEAR.end);
    const perFamily = new Map<string, { tokens: number[]; requests: number[] }>();
    for (const family of FAMILIES) {
      const buckets = await rawBuckets(`/organization/usage/${family}`, YEAR.start, YEAR.end);
      const tokens = stepSums(buckets, steps, () => family, tokensOf).get(family);
      const requests = stepSums(buckets, steps, () => family, requestsOf).get(family);
      if (tokens && requests && [...tokens, ...requests].some((v) => v !== 0)) perFamily.set(family, { tokens, requests });
    }
    const ranked = [...perFamily.entries()].sort(([, a], [, b]) => total(b.tokens) - total(a.tokens) || total(b.requests) - total(a.requests));
    expect(report.series.step).toBe('month');
    expect(report.series.rows.map((r) => r.group)).toEqual([...ranked.slice(0, 3).map(([f]) => f), '(all others)']);
    for (const [family, { tokens, requests }] of ranked.slice(0, 3)) {
      const row = report.series.rows.find((r) => r.group === family)!;
      expect(row.tokens, family).toEqual(tokens);
      expect(row.requests, family).toEqual(requests);
    }
    const rest = ranked.slice(3).map(([, v]) => v);
    expect(report.series.rows[3]?.tokens).toEqual(addUp(rest.map((r) => r.tokens), steps.dates.length));
    expect(report.series.rows[3]?.requests).toEqual(addUp(rest.map((r) => r.requests), steps.dates.length));
    expect(total(report.series.rows.flatMap((r) => r.requests as number[]))).toBe(report.totals.num_model_requests);
  });
});
