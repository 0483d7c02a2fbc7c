import { beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient, Query } from '../../src/client/index.js';
import type { ToolHost } from '../../src/server/mcp.js';
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
        level.push(day);
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
