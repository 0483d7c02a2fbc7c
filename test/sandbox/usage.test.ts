import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, type Query } from '../../src/client/index.js';
import { FAMILIES } from '../../src/sandbox/routes/usage.js';
import {
  CODE_INTERPRETER_SESSION,
  EMBEDDING_PRICES,
  FILE_SEARCH_PER_1K,
  HISTORY_DAYS,
  IMAGE_PRICES,
  TOKEN_PRICES,
  TRANSCRIPTION_PRICES,
  TTS_PRICES,
  VECTOR_STORE_GIB_DAY,
  WEB_SEARCH_PER_1K,
} from '../../src/sandbox/seed/usage.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import type { DailyActivity } from '../../src/sandbox/state.js';
import usageTools from '../../tools/usage.js';
import { refusalsLeaving, pickProjectNamed, withSandboxes } from '../helpers.js';

const DAY = 86_400;
const HOUR = 3_600;
/** A fixed clock: Wednesday 2026-02-18 15:30 UTC. */
const NOW = Date.UTC(2026, 1, 18, 15, 30) / 1000;
const ANCHOR = Date.UTC(2026, 1, 18) / 1000;

let sandbox: Sandbox;
let client: AdminClient;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 7, now: () => NOW });
  client = new AdminClient({ apiKey: 'sk-admin-test', baseUrl: sandbox.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});

// Helpers

type Result = Record<string, unknown> & { object: string };
interface Bucket {
  object: string;
  start_time: number;
  end_time: number;
  results: Result[];
}
interface Page {
  object: string;
  data: Bucket[];
  has_more: boolean;
  next_page: string | null;
}

const GROUPING = new Set(['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'size', 'source', 'vector_store_id', 'context_level', 'line_item']);

const usage = (family: string, query: Query) => client.get<Page>(`/organization/usage/${family}`, query);
const costs = (query: Query) => client.get<Page>('/organization/costs', query);

/** Sums every numeric measure of a bucket's results. */
function totals(results: readonly Result[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const result of results) {
    for (const [key, value] of Object.entries(result)) {
      if (typeof value === 'number' && !GROUPING.has(key) && key !== 'quantity') sum[key] = (sum[key] ?? 0) + value;
    }
  }
  return sum;
}

const costTotal = (results: readonly Result[]) => results.reduce((n, r) => n + Math.round((r.amount as { value: number }).value * 1e6), 0);

/** A request that must fail with 400 on `param` and record no activity. */
const refused = refusalsLeaving(() => sandbox.state.activity.length);
const expectInvalid = (request: Promise<unknown>, param: string) => refused(request, 400, param);

const WEEK_START = ANCHOR - 14 * DAY;
const familyNames = FAMILIES.map((f) => f.path.split('/').pop() as string);
const recordsOf = (family: string) => sandbox.state.activity.filter((r) => r.family === family);

// Seed

describe('seeded activity', () => {
  it('keeps the record count reasonable', () => {
    // Seeding time is a benchmark (bench/), not a test: no test may depend on wall-clock speed.
    expect(sandbox.state.activity.length).toBeGreaterThan(5_000);
    expect(sandbox.state.activity.length).toBeLessThan(40_000);
  });

  it('covers 400 days before the anchor, for every usage family', () => {
    const days = sandbox.state.activity.map((r) => r.day);
    expect(Math.min(...days)).toBe(ANCHOR - HISTORY_DAYS * DAY);
    expect(Math.max(...days)).toBe(ANCHOR - DAY);
    for (const family of familyNames) expect(recordsOf(family).length, family).toBeGreaterThan(0);
    for (const record of sandbox.state.activity) expect(record.day % DAY).toBe(0);
  });

  it('attributes usage to real projects, keys and their owners, within their lifetimes', () => {
    const { state } = sandbox;
    for (const record of state.activity) {
      const project = state.projects.get(record.project_id);
      expect(project).toBeDefined();
      expect(record.day + DAY).toBeGreaterThan(project!.created_at);
      if (project!.archived_at !== null) expect(record.day).toBeLessThan(project!.archived_at);
      if (record.family === 'vector_stores') {
        expect(record.api_key_id).toBeNull();
        continue;
      }
      const key = state.projectApiKeys.get(record.project_id)?.get(record.api_key_id as string);
      expect(key, `key ${record.api_key_id}`).toBeDefined();
      expect(key!.last_used_at).not.toBeNull();
      expect(record.day).toBeLessThanOrEqual(key!.last_used_at as number);
      expect(record.day + DAY).toBeGreaterThan(key!.created_at);
      expect(record.user_id).toBe(key!.owner.type === 'user' ? key!.owner.user_id : null);
    }
  });

  it('has weekly seasonality and growth', () => {
    const completions = recordsOf('completions').filter((r) => !r.batch);
    const byWeekday = new Array(7).fill(0) as number[];
    for (const r of completions) byWeekday[(r.day / DAY + 4) % 7] += r.num_model_requests;
    const weekend = (byWeekday[0]! + byWeekday[6]!) / 2;
    const weekday = (byWeekday[2]! + byWeekday[3]!) / 2;
    expect(weekend).toBeLessThan(weekday * 0.8);
    const requestsIn = (from: number, to: number) =>
      completions.filter((r) => r.day >= from && r.day < to).reduce((n, r) => n + r.num_model_requests, 0);
    expect(requestsIn(ANCHOR - 28 * DAY, ANCHOR)).toBeGreaterThan(requestsIn(ANCHOR - 228 * DAY, ANCHOR - 200 * DAY));
  });

  it('prices every record from its own quantities', () => {
    const price = (r: DailyActivity): number => {
      const m = r.model ?? '';
      switch (r.family) {
        case 'completions': {
          const p = TOKEN_PRICES[m]!;
          const f = r.batch || r.service_tier === 'flex' ? 0.5 : 1;
          const text = r.input_tokens - r.input_audio_tokens - r.input_cached_tokens;
          const out = r.output_tokens - r.output_audio_tokens;
          return (f * (text * p.input + r.input_cached_tokens * p.cached + r.input_audio_tokens * (p.audio_input ?? 0) + out * p.output + r.output_audio_tokens * (p.audio_output ?? 0))) / 1e6;
        }
        case 'decisions': {
          const p = TOKEN_PRICES[m]!;
          const f = r.batch ? 0.5 : 1;
          return (f * ((r.input_tokens - r.input_cached_tokens) * p.input + r.input_cached_tokens * p.cached + r.output_tokens * p.output)) / 1e6;
        }
        case 'embeddings':
          return (r.input_tokens * EMBEDDING_PRICES[m]!) / 1e6;
        case 'moderations':
          return 0;
        case 'images':
          return r.units * IMAGE_PRICES[m]![r.size!]!;
        case 'audio_speeches':
          return (r.units * TTS_PRICES[m]!) / 1e6;
        case 'audio_transcriptions':
          return (r.units / 60) * TRANSCRIPTION_PRICES[m]!;
        case 'vector_stores':
          return (r.units / 2 ** 30) * VECTOR_STORE_GIB_DAY;
        case 'code_interpreter_sessions':
          return r.units * CODE_INTERPRETER_SESSION;
        case 'file_search_calls':
          return (r.units * FILE_SEARCH_PER_1K) / 1000;
        case 'web_search_calls':
          return (r.units * WEB_SEARCH_PER_1K[r.context_level!]!) / 1000;
      }
    };
    for (const record of sandbox.state.activity) {
      const billed = record.costs.reduce((n, line) => n + line.amount, 0);
      expect(Math.abs(billed - price(record))).toBeLessThan(1e-5);
      for (const line of record.costs) {
        expect(line.quantity).toBeGreaterThan(0);
        expect(line.amount).toBeGreaterThan(0);
      }
    }
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 7, now: () => NOW }, { seed: 8, now: () => NOW }], ([again, other]) => {
      const digest = (s: Sandbox) => s.state.activity.map((r) => `${r.day}|${r.api_key_id}|${r.model}|${r.input_tokens}|${r.units}`).join('\n');
      expect(digest(again)).toBe(digest(sandbox));
      expect(digest(other)).not.toBe(digest(sandbox));
    });
  });
});

// Shapes

describe('response shapes', () => {
  it.each(FAMILIES.map((f) => [f.path.split('/').pop() as string, f.object, f.fields] as const))('%s answers pages of buckets', async (family, object, fields) => {
    const page = await usage(family, { start_time: WEEK_START });
    expect(page.object).toBe('page');
    expect(page.data).toHaveLength(7);
    expect(page.has_more).toBe(true);
    expect(typeof page.next_page).toBe('string');
    page.data.forEach((bucket, i) => {
      expect(bucket.object).toBe('bucket');
      expect(bucket.start_time).toBe(WEEK_START + i * DAY);
      expect(bucket.end_time).toBe(bucket.start_time + DAY);
    });
    const results = page.data.flatMap((b) => b.results);
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result.object).toBe(object);
      for (const field of fields) expect(result[field]).toBeNull();
    }
  });

  it('answers costs with amounts in usd and null grouping fields', async () => {
    const page = await costs({ start_time: WEEK_START });
    expect(page.object).toBe('page');
    expect(page.data).toHaveLength(7);
    for (const bucket of page.data) {
      expect(bucket.object).toBe('bucket');
      expect(bucket.results).toHaveLength(1);
      const [result] = bucket.results;
      expect(result).toMatchObject({ object: 'organization.costs.result', line_item: null, project_id: null, api_key_id: null, quantity: null, quantity_unit: null });
      expect((result!.amount as { currency: string }).currency).toBe('usd');
      expect((result!.amount as { value: number }).value).toBeGreaterThan(10);
    }
    const grouped = await costs({ start_time: WEEK_START, group_by: ['line_item'] });
    for (const result of grouped.data.flatMap((b) => b.results)) {
      expect(typeof result.line_item).toBe('string');
      expect(typeof result.quantity).toBe('number');
      expect(['tokens', 'images', 'characters', 'duration_seconds', 'gibibyte_hours', 'sessions', 'calls']).toContain(result.quantity_unit);
    }
  });

  it('returns empty buckets with results: [] before the history and after the anchor', async () => {
    const early = ANCHOR - (HISTORY_DAYS + 10) * DAY;
    const page = await usage('completions', { start_time: early, end_time: early + 5 * DAY });
    expect(page.data).toHaveLength(5);
    for (const bucket of page.data) expect(bucket.results).toEqual([]);
    expect(page.has_more).toBe(false);
    expect(page.next_page).toBeNull();
    const today = await costs({ start_time: ANCHOR });
    expect(today.data).toHaveLength(1);
    expect(today.data[0]!.results).toEqual([]);
  });

  it('aligns buckets to their width and covers [start_time, end_time)', async () => {
    const page = await usage('completions', { start_time: WEEK_START + 5 * HOUR + 17, end_time: WEEK_START + 3 * DAY + 1, limit: 31 });
    expect(page.data.map((b) => b.start_time)).toEqual([0, 1, 2, 3].map((i) => WEEK_START + i * DAY));
    const hourly = await usage('completions', { start_time: WEEK_START + 90 * 60, end_time: WEEK_START + 4 * HOUR, bucket_width: '1h' });
    expect(hourly.data.map((b) => b.start_time)).toEqual([1, 2, 3].map((i) => WEEK_START + i * HOUR));
  });
});

// Sums

describe('aggregation', () => {
  const groupings: Record<string, string[][]> = Object.fromEntries(
    FAMILIES.map((f) => [f.path.split('/').pop() as string, [...f.groupBy.map((g) => [g]), [...f.groupBy]]]),
  );

  it.each(familyNames)('%s: every group_by sums to the ungrouped totals', async (family) => {
    const plain = await usage(family, { start_time: WEEK_START });
    for (const groupBy of groupings[family]!) {
      const grouped = await usage(family, { start_time: WEEK_START, group_by: groupBy });
      grouped.data.forEach((bucket, i) => {
        expect(totals(bucket.results), `${family} by ${groupBy.join(',')}`).toEqual(totals(plain.data[i]!.results));
        for (const result of bucket.results) for (const g of groupBy) expect(result[g], g).not.toBeUndefined();
      });
    }
  });

  it('completions agree with the activity records', async () => {
    const page = await usage('completions', { start_time: WEEK_START });
    page.data.forEach((bucket) => {
      const records = recordsOf('completions').filter((r) => r.day === bucket.start_time);
      const sum = (f: (r: DailyActivity) => number) => records.reduce((n, r) => n + f(r), 0);
      expect(bucket.results[0]).toMatchObject({
        input_tokens: sum((r) => r.input_tokens),
        output_tokens: sum((r) => r.output_tokens),
        input_cached_tokens: sum((r) => r.input_cached_tokens),
        input_audio_tokens: sum((r) => r.input_audio_tokens),
        output_audio_tokens: sum((r) => r.output_audio_tokens),
        num_model_requests: sum((r) => r.num_model_requests),
      });
    });
  });

  it.each(['completions', 'embeddings', 'images', 'audio_speeches', 'web_search_calls', 'file_search_calls', 'code_interpreter_sessions', 'decisions'])(
    '%s: a day equals the sum of its 24 hours, also per group',
    async (family) => {
      const day = ANCHOR - 9 * DAY;
      const daily = await usage(family, { start_time: day, end_time: day + DAY, group_by: ['project_id'] });
      const hourly = await usage(family, { start_time: day, end_time: day + DAY, bucket_width: '1h', group_by: ['project_id'] });
      expect(hourly.data).toHaveLength(24);
      expect(hourly.has_more).toBe(false);
      const byProject = (buckets: Bucket[]) => {
        const out: Record<string, Record<string, number>> = {};
        for (const result of buckets.flatMap((b) => b.results)) {
          const t = (out[result.project_id as string] ??= {});
          for (const [k, v] of Object.entries(totals([result]))) t[k] = (t[k] ?? 0) + v;
        }
        return out;
      };
      expect(byProject(hourly.data)).toEqual(byProject(daily.data));
      for (const result of hourly.data.flatMap((b) => b.results)) {
        for (const [k, v] of Object.entries(totals([result]))) {
          expect(Number.isInteger(v), k).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
        }
      }
    },
  );

  it('an hour equals the sum of its 60 minutes, and a day of minutes equals the day', async () => {
    const day = ANCHOR - 3 * DAY;
    const hour = day + 14 * HOUR;
    const hourly = await usage('completions', { start_time: hour, end_time: hour + HOUR, bucket_width: '1h', group_by: ['model'] });
    const minutes = await usage('completions', { start_time: hour, end_time: hour + HOUR, bucket_width: '1m', group_by: ['model'] });
    expect(minutes.data).toHaveLength(60);
    expect(totals(minutes.data.flatMap((b) => b.results))).toEqual(totals(hourly.data[0]!.results));
    const daily = await usage('completions', { start_time: day, end_time: day + DAY });
    const wholeDay = await usage('completions', { start_time: day, end_time: day + DAY, bucket_width: '1m', limit: 1440 });
    expect(wholeDay.data).toHaveLength(1440);
    expect(totals(wholeDay.data.flatMap((b) => b.results))).toEqual(totals(daily.data[0]!.results));
  });

  it('puts more traffic in working hours than at night', async () => {
    const day = ANCHOR - 8 * DAY; // a Tuesday
    const hourly = await usage('completions', { start_time: day, end_time: day + DAY, bucket_width: '1h', batch: false, project_ids: [projectByName('Atlas')] });
    const at = (h: number) => hourly.data[h]!.results[0]!.num_model_requests as number;
    expect(at(14)).toBeGreaterThan(at(3) * 3);
  });

  it('reports vector store storage as a level in every bucket of the day', async () => {
    const day = ANCHOR - 5 * DAY;
    const daily = await usage('vector_stores', { start_time: day, end_time: day + DAY });
    const hourly = await usage('vector_stores', { start_time: day, end_time: day + DAY, bucket_width: '1h' });
    const level = daily.data[0]!.results[0]!.usage_bytes as number;
    expect(level).toBeGreaterThan(2 ** 30);
    for (const bucket of hourly.data) expect(bucket.results[0]!.usage_bytes).toBe(level);
  });

  it('costs agree with the activity records, by project and line item', async () => {
    const page = await costs({ start_time: ANCHOR - 30 * DAY, limit: 30, group_by: ['project_id', 'line_item'] });
    expect(page.data).toHaveLength(30);
    for (const bucket of page.data) {
      const expected = new Map<string, { micros: number; quantity: number }>();
      for (const record of sandbox.state.activity.filter((r) => r.day === bucket.start_time)) {
        for (const line of record.costs) {
          const key = `${record.project_id}|${line.line_item}`;
          const e = expected.get(key) ?? { micros: 0, quantity: 0 };
          e.micros += Math.round(line.amount * 1e6);
          e.quantity += line.quantity;
          expected.set(key, e);
        }
      }
      expect(bucket.results).toHaveLength(expected.size);
      for (const result of bucket.results) {
        const e = expected.get(`${result.project_id}|${result.line_item}`)!;
        expect(Math.round((result.amount as { value: number }).value * 1e6)).toBe(e.micros);
        expect(result.quantity).toBeCloseTo(e.quantity, 4);
      }
    }
  });

  it('costs: every grouping sums to the total, to the micro-dollar', async () => {
    const query = { start_time: ANCHOR - 20 * DAY, limit: 20 };
    const total = await costs(query);
    for (const groupBy of [['project_id'], ['line_item'], ['api_key_id'], ['project_id', 'line_item', 'api_key_id']]) {
      const grouped = await costs({ ...query, group_by: groupBy });
      grouped.data.forEach((bucket, i) => expect(costTotal(bucket.results), groupBy.join(',')).toBe(costTotal(total.data[i]!.results)));
    }
  });

  it('costs line quantities match usage: input tokens of a model', async () => {
    const model = 'gpt-4.1-2025-04-14';
    const query = { start_time: ANCHOR - 14 * DAY, end_time: ANCHOR };
    const [c, u] = await Promise.all([costs({ ...query, limit: 14, group_by: ['line_item'] }), usage('completions', { ...query, limit: 14, models: [model] })]);
    expect(u.data.filter((b) => b.results.length > 0).length).toBeGreaterThan(7);
    c.data.forEach((bucket, i) => {
      const q = (suffix: string) => (bucket.results.find((r) => r.line_item === `${model}, ${suffix}`)?.quantity as number | undefined) ?? 0;
      const result = u.data[i]!.results[0] ?? { input_tokens: 0, input_cached_tokens: 0, output_tokens: 0 };
      expect(q('input') + q('cached input')).toBe(result.input_tokens);
      expect(q('cached input')).toBe(result.input_cached_tokens);
      expect(q('output')).toBe(result.output_tokens);
    });
  });
});

const projectByName = (name: string) => pickProjectNamed(sandbox.state, name).id;

describe('decisions', () => {
  it('splits attributed Agents API traffic from unlabeled traffic with api_source, null otherwise', async () => {
    const plain = await usage('decisions', { start_time: WEEK_START });
    for (const result of plain.data.flatMap((b) => b.results)) expect(result.api_source).toBeNull();
    const grouped = await usage('decisions', { start_time: WEEK_START, group_by: ['api_source'] });
    const sources = new Set(grouped.data.flatMap((b) => b.results.map((r) => r.api_source)));
    expect(sources).toEqual(new Set(['agents_api', 'unlabeled']));
    grouped.data.forEach((bucket, i) => expect(totals(bucket.results)).toEqual(totals(plain.data[i]!.results)));
  });

  it('reports input as cached plus uncached tokens, text only, and agrees with the activity records', async () => {
    const page = await usage('decisions', { start_time: WEEK_START });
    page.data.forEach((bucket) => {
      const records = recordsOf('decisions').filter((r) => r.day === bucket.start_time);
      const sum = (f: (r: DailyActivity) => number) => records.reduce((n, r) => n + f(r), 0);
      const [result] = bucket.results;
      expect(result).toMatchObject({
        object: 'organization.usage.decisions.result',
        input_tokens: sum((r) => r.input_tokens),
        input_cached_tokens: sum((r) => r.input_cached_tokens),
        input_uncached_tokens: sum((r) => r.input_tokens - r.input_cached_tokens),
        output_tokens: sum((r) => r.output_tokens),
        num_model_requests: sum((r) => r.num_model_requests),
      });
    });
  });

  it('batch=true keeps only batch traffic', async () => {
    const grouped = await usage('decisions', { start_time: WEEK_START, group_by: ['batch'] });
    const batch = await usage('decisions', { start_time: WEEK_START, batch: true });
    batch.data.forEach((bucket, i) => expect(totals(bucket.results)).toEqual(totals(grouped.data[i]!.results.filter((r) => r.batch === true))));
    expect(grouped.data[0]!.results.map((r) => r.batch).sort()).toEqual([false, true]);
  });

  it('is billed on its own line items, whose quantities match the decisions usage of the model', async () => {
    const model = 'gpt-4.1-mini-2025-04-14';
    const query = { start_time: ANCHOR - 14 * DAY, end_time: ANCHOR };
    const [c, u] = await Promise.all([
      costs({ ...query, limit: 14, group_by: ['line_item'] }),
      usage('decisions', { ...query, limit: 14, models: [model], batch: false }),
    ]);
    expect(u.data.every((b) => b.results.length > 0)).toBe(true);
    c.data.forEach((bucket, i) => {
      const q = (suffix: string) => (bucket.results.find((r) => r.line_item === `${model}, ${suffix}`)?.quantity as number | undefined) ?? 0;
      const result = u.data[i]!.results[0]!;
      expect(q('decisions input') + q('decisions cached input')).toBe(result.input_tokens);
      expect(q('decisions cached input')).toBe(result.input_cached_tokens);
      expect(q('decisions output')).toBe(result.output_tokens);
    });
  });
});

// Filters

describe('filters', () => {
  const byGroup = async (family: string, dimension: string, query: Query = {}) => {
    const page = await usage(family, { start_time: WEEK_START, group_by: [dimension], ...query });
    return page;
  };

  it.each([
    ['completions', 'project_ids', 'project_id'],
    ['completions', 'user_ids', 'user_id'],
    ['completions', 'api_key_ids', 'api_key_id'],
    ['completions', 'models', 'model'],
    ['images', 'sizes', 'size'],
    ['images', 'sources', 'source'],
    ['file_search_calls', 'vector_store_ids', 'vector_store_id'],
    ['web_search_calls', 'context_levels', 'context_level'],
    ['vector_stores', 'project_ids', 'project_id'],
    ['decisions', 'models', 'model'],
    ['decisions', 'api_key_ids', 'api_key_id'],
  ])('%s: %s keeps exactly that group', async (family, param, dimension) => {
    const grouped = await byGroup(family, dimension);
    const values = [...new Set(grouped.data.flatMap((b) => b.results.map((r) => r[dimension])).filter((v) => v !== null))] as string[];
    expect(values.length).toBeGreaterThan(0);
    const value = values[0]!;
    const filtered = await usage(family, { start_time: WEEK_START, [param]: [value] });
    filtered.data.forEach((bucket, i) => {
      const expected = grouped.data[i]!.results.filter((r) => r[dimension] === value);
      expect(totals(bucket.results)).toEqual(totals(expected));
    });
  });

  it('completions: batch=true keeps only batch traffic', async () => {
    const grouped = await usage('completions', { start_time: WEEK_START, group_by: ['batch'] });
    const batch = await usage('completions', { start_time: WEEK_START, batch: true });
    batch.data.forEach((bucket, i) => {
      expect(totals(bucket.results)).toEqual(totals(grouped.data[i]!.results.filter((r) => r.batch === true)));
    });
    expect(grouped.data[0]!.results.map((r) => r.batch).sort()).toEqual([false, true]);
  });

  it('accepts repeated (ids=a&ids=b) as well as bracket arrays', async () => {
    const [a, b] = [projectByName('Atlas'), projectByName('Billing')];
    const bracket = await usage('completions', { start_time: WEEK_START, project_ids: [a, b] });
    const response = await fetch(`${sandbox.url}/organization/usage/completions?start_time=${WEEK_START}&project_ids=${a}&project_ids=${b}`, {
      headers: { authorization: 'Bearer sk-admin-test' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(bracket);
  });

  it('costs: project_ids and api_key_ids narrow the totals', async () => {
    const query = { start_time: WEEK_START };
    const byProject = await costs({ ...query, group_by: ['project_id', 'api_key_id'] });
    const project = projectByName('Atlas');
    const onlyProject = await costs({ ...query, project_ids: [project] });
    const key = byProject.data[0]!.results.find((r) => r.project_id === project && r.api_key_id !== null)!.api_key_id as string;
    const onlyKey = await costs({ ...query, api_key_ids: [key] });
    byProject.data.forEach((bucket, i) => {
      expect(costTotal(onlyProject.data[i]!.results)).toBe(costTotal(bucket.results.filter((r) => r.project_id === project)));
      expect(costTotal(onlyKey.data[i]!.results)).toBe(costTotal(bucket.results.filter((r) => r.api_key_id === key)));
    });
  });
});

// Pages

describe('page tokens', () => {
  it('walk every bucket exactly once', async () => {
    const start = ANCHOR - 100 * DAY;
    const starts: number[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const result = await usage('embeddings', { start_time: start, end_time: ANCHOR, limit: 7, ...(page ? { page } : {}) });
      starts.push(...result.data.map((b) => b.start_time));
      page = result.next_page ?? undefined;
      expect(result.has_more).toBe(page !== undefined);
      pages += 1;
    } while (page);
    expect(pages).toBe(15);
    expect(starts).toEqual(Array.from({ length: 100 }, (_, i) => start + i * DAY));
  });

  it('walk with the client paginator, for costs and hourly usage', async () => {
    const buckets: Bucket[] = [];
    for await (const bucket of client.paginate<Bucket>({ path: '/organization/costs', query: { start_time: ANCHOR - 365 * DAY, end_time: ANCHOR, limit: 180 }, style: 'page_token' })) {
      buckets.push(bucket);
    }
    expect(buckets.map((b) => b.start_time)).toEqual(Array.from({ length: 365 }, (_, i) => ANCHOR - (365 - i) * DAY));
    const hours: number[] = [];
    for await (const bucket of client.paginate<Bucket>({
      path: '/organization/usage/completions',
      query: { start_time: ANCHOR - 2 * DAY, end_time: ANCHOR, bucket_width: '1h', limit: 20 },
      style: 'page_token',
    })) {
      hours.push(bucket.start_time);
    }
    expect(hours).toEqual(Array.from({ length: 48 }, (_, i) => ANCHOR - 2 * DAY + i * HOUR));
  });

  it('reject a malformed or foreign token with 400 page', async () => {
    await expectInvalid(usage('completions', { start_time: WEEK_START, page: 'not-a-token' }), 'page');
    const first = await usage('completions', { start_time: WEEK_START, end_time: ANCHOR, limit: 2 });
    const token = first.next_page!;
    await expectInvalid(usage('completions', { start_time: WEEK_START - DAY, end_time: ANCHOR, limit: 2, page: token }), 'page');
    await expectInvalid(usage('embeddings', { start_time: WEEK_START, end_time: ANCHOR, limit: 2, page: token }), 'page');
    await expectInvalid(usage('completions', { start_time: WEEK_START, end_time: ANCHOR, limit: 2, page: Buffer.from('999.abc').toString('base64url') }), 'page');
    const second = await usage('completions', { start_time: WEEK_START, end_time: ANCHOR, limit: 2, page: token });
    expect(second.data[0]!.start_time).toBe(WEEK_START + 2 * DAY);
  });
});

// Validation

describe('validation', () => {
  it('requires start_time, as an integer', async () => {
    for (const family of familyNames) await expectInvalid(usage(family, {}), 'start_time');
    await expectInvalid(costs({}), 'start_time');
    await expectInvalid(usage('completions', { start_time: 'yesterday' }), 'start_time');
    await expectInvalid(usage('completions', { start_time: -5 }), 'start_time');
  });

  it('requires end_time after start_time', async () => {
    await expectInvalid(usage('completions', { start_time: WEEK_START, end_time: WEEK_START }), 'end_time');
    await expectInvalid(costs({ start_time: WEEK_START, end_time: WEEK_START - DAY }), 'end_time');
    await expectInvalid(usage('completions', { start_time: WEEK_START, end_time: 'soon' }), 'end_time');
  });

  it('checks bucket_width against its enum (costs take only 1d)', async () => {
    await expectInvalid(usage('completions', { start_time: WEEK_START, bucket_width: '1w' }), 'bucket_width');
    await expectInvalid(costs({ start_time: WEEK_START, bucket_width: '1h' }), 'bucket_width');
    const ok = await costs({ start_time: WEEK_START, bucket_width: '1d' });
    expect(ok.data).toHaveLength(7);
  });

  it.each([
    ['1d', 7, 31],
    ['1h', 24, 168],
    ['1m', 60, 1440],
  ] as const)('bucket_width=%s: limit defaults to %i and allows 1..%i', async (width, fallback, max) => {
    const start = ANCHOR - 40 * DAY;
    const plain = await usage('completions', { start_time: start, end_time: ANCHOR, bucket_width: width });
    expect(plain.data).toHaveLength(fallback);
    const full = await usage('completions', { start_time: start, end_time: ANCHOR, bucket_width: width, limit: max });
    expect(full.data).toHaveLength(max);
    await expectInvalid(usage('completions', { start_time: start, bucket_width: width, limit: max + 1 }), 'limit');
    await expectInvalid(usage('completions', { start_time: start, bucket_width: width, limit: 0 }), 'limit');
  });

  it('costs: limit 1..180, default 7', async () => {
    const start = ANCHOR - 200 * DAY;
    expect((await costs({ start_time: start })).data).toHaveLength(7);
    expect((await costs({ start_time: start, limit: 180 })).data).toHaveLength(180);
    await expectInvalid(costs({ start_time: start, limit: 181 }), 'limit');
    await expectInvalid(costs({ start_time: start, limit: 0 }), 'limit');
    await expectInvalid(costs({ start_time: start, limit: 'ten' }), 'limit');
  });

  it.each([
    ['costs', 'model'],
    ['completions', 'line_item'],
    ['embeddings', 'batch'],
    ['images', 'service_tier'],
    ['vector_stores', 'model'],
    ['code_interpreter_sessions', 'user_id'],
    ['file_search_calls', 'model'],
    ['web_search_calls', 'vector_store_id'],
    ['audio_speeches', 'size'],
    ['decisions', 'context_level'],
  ])('%s: group_by=%s is not allowed', async (family, field) => {
    const call = family === 'costs' ? costs({ start_time: WEEK_START, group_by: [field] }) : usage(family, { start_time: WEEK_START, group_by: [field] });
    await expectInvalid(call, 'group_by');
  });

  it('checks enum filters and the batch boolean', async () => {
    await expectInvalid(usage('images', { start_time: WEEK_START, sources: ['image.upscale'] }), 'sources');
    await expectInvalid(usage('images', { start_time: WEEK_START, sizes: ['640x480'] }), 'sizes');
    await expectInvalid(usage('web_search_calls', { start_time: WEEK_START, context_levels: ['extreme'] }), 'context_levels');
    await expectInvalid(usage('completions', { start_time: WEEK_START, batch: 'yes' }), 'batch');
  });
});

// Tools

describe('usage tools', () => {
  it('convert times and validate their enums', () => {
    const completions = usageTools.find((t) => t.name === 'usage_completions')!;
    const start = completions.input.query!.start_time!.parse('2026-01-01');
    expect(start).toBe(Date.UTC(2026, 0, 1) / 1000);
    expect(completions.input.query!.bucket_width!.safeParse('1w').success).toBe(false);
    expect(completions.input.query!.group_by!.safeParse(['model', 'batch']).success).toBe(true);
    expect(completions.input.query!.group_by!.safeParse(['line_item']).success).toBe(false);
    const costTool = usageTools.find((t) => t.name === 'usage_costs')!;
    expect(costTool.input.query!.limit!.safeParse(181).success).toBe(false);
    expect(costTool.input.query!.group_by!.safeParse(['line_item', 'project_id']).success).toBe(true);
  });
});
