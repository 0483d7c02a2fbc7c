import { invalid } from '../errors.js';
import type { QueryParams } from '../params.js';
import { hashString } from '../rng.js';
import type { Route } from '../router.js';
import { timezoneShift } from '../seed/usage.js';
import type { DailyActivity, SandboxState, UsageFamily } from '../state.js';

/*
 * The usage endpoints and costs, aggregated from the seeded daily activity.
 *
 * Buckets are aligned to their width (UTC) and cover [start_time, end_time); a bucket without
 * matching activity is still returned, with `results: []`. Finer buckets split each day's record
 * over its hours (a diurnal curve shifted to the project's timezone, with deterministic noise) and
 * each hour over its minutes. The split is done per record with cumulative floors, so parts are
 * integers, a day's parts add up to the day exactly, and any grouping adds up to the ungrouped
 * totals. Vector store `usage_bytes` is a storage level, not a flow: every bucket within a day
 * reports that day's level.
 */

const DAY = 86_400;
const HOUR = 3_600;
const MINUTE = 60;

type Width = '1m' | '1h' | '1d';
const WIDTHS: Readonly<Record<Width, { seconds: number; default: number; max: number }>> = {
  '1m': { seconds: MINUTE, default: 60, max: 1440 },
  '1h': { seconds: HOUR, default: 24, max: 168 },
  '1d': { seconds: DAY, default: 7, max: 31 },
};
const COSTS_LIMIT = { default: 7, max: 180 };

type Dimension = 'project_id' | 'user_id' | 'api_key_id' | 'model' | 'batch' | 'service_tier' | 'size' | 'source' | 'vector_store_id' | 'context_level' | 'api_source';

export const IMAGE_SOURCES = ['image.generation', 'image.edit', 'image.variation'] as const;
export const IMAGE_SIZES = ['256x256', '512x512', '1024x1024', '1792x1792', '1024x1792'] as const;
export const CONTEXT_LEVELS = ['low', 'medium', 'high'] as const;

interface Filter {
  /** Query parameter, e.g. `project_ids`. */
  param: string;
  dimension: Dimension;
  /** Allowed values when the API documents an enum. */
  values?: readonly string[];
}

interface FamilySpec {
  path: string;
  family: UsageFamily;
  object: string;
  /** Allowed `group_by` values. */
  groupBy: readonly Dimension[];
  /** Nullable grouping fields of the result object, in the documented order. */
  fields: readonly Dimension[];
  filters: readonly Filter[];
  /** Whether the `batch` boolean filter applies. */
  batchFilter?: boolean;
  /** A level rather than a flow: not split across sub-day buckets. */
  gauge?: boolean;
  /** The additive integer quantities of a record. */
  atoms(record: DailyActivity): number[];
  /** The result's measures from summed atoms. */
  measures(sum: readonly number[]): Record<string, number>;
}

const PROJECT: Filter = { param: 'project_ids', dimension: 'project_id' };
const USER: Filter = { param: 'user_ids', dimension: 'user_id' };
const KEY: Filter = { param: 'api_key_ids', dimension: 'api_key_id' };
const MODEL: Filter = { param: 'models', dimension: 'model' };
const STANDARD_FILTERS = [PROJECT, USER, KEY, MODEL];
const STANDARD_DIMENSIONS: readonly Dimension[] = ['project_id', 'user_id', 'api_key_id', 'model'];

const tokensAndRequests = (record: DailyActivity) => [record.input_tokens, record.num_model_requests];
const unitsAndRequests = (record: DailyActivity) => [record.units, record.num_model_requests];

export const FAMILIES: readonly FamilySpec[] = [
  {
    path: '/organization/usage/completions',
    family: 'completions',
    object: 'organization.usage.completions.result',
    groupBy: ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'],
    fields: ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'],
    filters: STANDARD_FILTERS,
    batchFilter: true,
    // Atoms: uncached text input, cached input, audio input, text output, audio output, requests.
    atoms: (r) => [
      r.input_tokens - r.input_cached_tokens - r.input_audio_tokens,
      r.input_cached_tokens,
      r.input_audio_tokens,
      r.output_tokens - r.output_audio_tokens,
      r.output_audio_tokens,
      r.num_model_requests,
    ],
    measures: ([text = 0, cached = 0, audioIn = 0, textOut = 0, audioOut = 0, requests = 0]) => ({
      input_tokens: text + cached + audioIn,
      output_tokens: textOut + audioOut,
      input_cached_tokens: cached,
      input_audio_tokens: audioIn,
      output_audio_tokens: audioOut,
      num_model_requests: requests,
    }),
  },
  {
    path: '/organization/usage/decisions',
    family: 'decisions',
    object: 'organization.usage.decisions.result',
    groupBy: ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'],
    fields: ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'],
    filters: STANDARD_FILTERS,
    batchFilter: true,
    // Text only. Atoms: uncached input, cached input, output, requests.
    atoms: (r) => [r.input_tokens - r.input_cached_tokens, r.input_cached_tokens, r.output_tokens, r.num_model_requests],
    measures: ([uncached = 0, cached = 0, output = 0, requests = 0]) => ({
      input_tokens: uncached + cached,
      output_tokens: output,
      input_cached_tokens: cached,
      input_uncached_tokens: uncached,
      num_model_requests: requests,
    }),
  },
  {
    path: '/organization/usage/embeddings',
    family: 'embeddings',
    object: 'organization.usage.embeddings.result',
    groupBy: STANDARD_DIMENSIONS,
    fields: STANDARD_DIMENSIONS,
    filters: STANDARD_FILTERS,
    atoms: tokensAndRequests,
    measures: ([tokens = 0, requests = 0]) => ({ input_tokens: tokens, num_model_requests: requests }),
  },
  {
    path: '/organization/usage/moderations',
    family: 'moderations',
    object: 'organization.usage.moderations.result',
    groupBy: STANDARD_DIMENSIONS,
    fields: STANDARD_DIMENSIONS,
    filters: STANDARD_FILTERS,
    atoms: tokensAndRequests,
    measures: ([tokens = 0, requests = 0]) => ({ input_tokens: tokens, num_model_requests: requests }),
  },
  {
    path: '/organization/usage/images',
    family: 'images',
    object: 'organization.usage.images.result',
    groupBy: ['project_id', 'user_id', 'api_key_id', 'model', 'size', 'source'],
    fields: ['source', 'size', 'project_id', 'user_id', 'api_key_id', 'model'],
    filters: [
      { param: 'sources', dimension: 'source', values: IMAGE_SOURCES },
      { param: 'sizes', dimension: 'size', values: IMAGE_SIZES },
      ...STANDARD_FILTERS,
    ],
    atoms: unitsAndRequests,
    measures: ([images = 0, requests = 0]) => ({ images, num_model_requests: requests }),
  },
  {
    path: '/organization/usage/audio_speeches',
    family: 'audio_speeches',
    object: 'organization.usage.audio_speeches.result',
    groupBy: STANDARD_DIMENSIONS,
    fields: STANDARD_DIMENSIONS,
    filters: STANDARD_FILTERS,
    atoms: unitsAndRequests,
    measures: ([characters = 0, requests = 0]) => ({ characters, num_model_requests: requests }),
  },
  {
    path: '/organization/usage/audio_transcriptions',
    family: 'audio_transcriptions',
    object: 'organization.usage.audio_transcriptions.result',
    groupBy: STANDARD_DIMENSIONS,
    fields: STANDARD_DIMENSIONS,
    filters: STANDARD_FILTERS,
    atoms: unitsAndRequests,
    measures: ([seconds = 0, requests = 0]) => ({ seconds, num_model_requests: requests }),
  },
  {
    path: '/organization/usage/vector_stores',
    family: 'vector_stores',
    object: 'organization.usage.vector_stores.result',
    groupBy: ['project_id'],
    fields: ['project_id'],
    filters: [PROJECT],
    gauge: true,
    atoms: (r) => [r.units],
    measures: ([bytes = 0]) => ({ usage_bytes: bytes }),
  },
  {
    path: '/organization/usage/code_interpreter_sessions',
    family: 'code_interpreter_sessions',
    object: 'organization.usage.code_interpreter_sessions.result',
    groupBy: ['project_id'],
    fields: ['project_id'],
    filters: [PROJECT],
    atoms: (r) => [r.units],
    measures: ([sessions = 0]) => ({ num_sessions: sessions }),
  },
  {
    path: '/organization/usage/file_search_calls',
    family: 'file_search_calls',
    object: 'organization.usage.file_searches.result',
    groupBy: ['project_id', 'user_id', 'api_key_id', 'vector_store_id'],
    fields: ['project_id', 'user_id', 'api_key_id', 'vector_store_id'],
    filters: [PROJECT, USER, KEY, { param: 'vector_store_ids', dimension: 'vector_store_id' }],
    atoms: (r) => [r.units],
    measures: ([calls = 0]) => ({ num_requests: calls }),
  },
  {
    path: '/organization/usage/web_search_calls',
    family: 'web_search_calls',
    object: 'organization.usage.web_searches.result',
    groupBy: ['project_id', 'user_id', 'api_key_id', 'model', 'context_level', 'api_source'],
    fields: ['project_id', 'user_id', 'api_key_id', 'model', 'context_level', 'api_source'],
    filters: [...STANDARD_FILTERS, { param: 'context_levels', dimension: 'context_level', values: CONTEXT_LEVELS }],
    atoms: (r) => [r.num_model_requests, r.units],
    measures: ([requests = 0, calls = 0]) => ({ num_model_requests: requests, num_requests: calls }),
  },
];

function dimensionOf(record: DailyActivity, dimension: Dimension): string | boolean | null {
  if (dimension === 'batch') return record.batch;
  // Every record has a source: the attributed one, or `unlabeled`.
  if (dimension === 'api_source') return record.api_source ?? 'unlabeled';
  return record[dimension] ?? null;
}

// Activity index: records by day, with what the sub-day split needs.

interface Entry {
  record: DailyActivity;
  salt: number;
  /** Hours added to UTC to get the project's local time. */
  shift: number;
  /** Batch and background traffic runs around the clock. */
  flat: boolean;
}

interface ActivityIndex {
  size: number;
  days: Map<number, Entry[]>;
}

const indexes = new WeakMap<SandboxState, ActivityIndex>();

function activityIndex(state: SandboxState): ActivityIndex {
  const known = indexes.get(state);
  if (known && known.size === state.activity.length) return known;
  const days = new Map<number, Entry[]>();
  const shifts = new Map<string, number>();
  for (const record of state.activity) {
    let shift = shifts.get(record.project_id);
    if (shift === undefined) {
      shift = timezoneShift(state.projects.get(record.project_id)?.name ?? '');
      shifts.set(record.project_id, shift);
    }
    const salt = hashString(
      `${record.project_id}|${record.api_key_id ?? ''}|${record.family}|${record.model ?? ''}|${record.batch}|${record.size ?? ''}|${record.vector_store_id ?? ''}`,
    );
    const entry: Entry = { record, salt, shift, flat: record.batch };
    let list = days.get(record.day);
    if (!list) {
      list = [];
      days.set(record.day, list);
    }
    list.push(entry);
  }
  const index = { size: state.activity.length, days };
  indexes.set(state, index);
  return index;
}

/** Relative traffic by local hour: quiet nights, a working-day plateau. */
const DIURNAL = [18, 13, 10, 9, 9, 11, 18, 34, 58, 80, 94, 100, 92, 96, 100, 97, 90, 80, 66, 55, 46, 38, 31, 24];

function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** Cumulative hour weights of one record's day: 25 entries from 0 to the total. */
function hourCumulative(entry: Entry): number[] {
  const cumulative = [0];
  let total = 0;
  for (let h = 0; h < 24; h++) {
    const base = entry.flat ? 60 : (DIURNAL[(h + entry.shift + 24) % 24] as number);
    total += base * (85 + (mix(entry.salt, entry.record.day, h) % 31));
    cumulative.push(total);
  }
  return cumulative;
}

/** Cumulative minute weights of one record's hour: 61 entries. */
function minuteCumulative(entry: Entry, hourStart: number): number[] {
  const cumulative = [0];
  let total = 0;
  for (let m = 0; m < 60; m++) {
    total += 60 + (mix(entry.salt, hourStart, m) % 41);
    cumulative.push(total);
  }
  return cumulative;
}

/** Part `i` of `value` split by cumulative weights; the parts are integers and add up to `value`. */
function part(value: number, cumulative: readonly number[], i: number): number {
  const total = cumulative[cumulative.length - 1] as number;
  return Math.floor((value * (cumulative[i + 1] as number)) / total) - Math.floor((value * (cumulative[i] as number)) / total);
}

// Buckets, pages and tokens

interface Window {
  width: number;
  /** Aligned start of the first bucket of the query. */
  first: number;
  /** Number of buckets in the query. */
  count: number;
  /** Index of the first bucket of this page, and the page's bucket count. */
  offset: number;
  size: number;
}

function tokenCheck(path: string, width: number, first: number, offset: number): string {
  return hashString(`${path}|${width}|${first}|${offset}`).toString(36);
}

function encodePage(path: string, window: Window, offset: number): string {
  const next = window.first + offset * window.width;
  return Buffer.from(`${next}.${tokenCheck(path, window.width, window.first, offset)}`).toString('base64url');
}

interface Range {
  start: number;
  end: number | undefined;
}

function readRange(q: QueryParams): Range {
  const start = q.int('start_time', { required: true, min: 0 }) as number;
  const end = q.int('end_time', { min: 0 });
  if (end !== undefined && end <= start) throw invalid('end_time', `Invalid 'end_time': ${end} must be after start_time (${start}).`);
  return { start, end };
}

/** The page: aligned buckets over [start_time, end_time), `limit` of them per page, from the page token on. */
function readWindow(q: QueryParams, state: SandboxState, path: string, { start, end }: Range, width: number, limit: number): Window {
  const first = Math.floor(start / width) * width;
  const last = Math.ceil((end ?? Math.max(state.now(), start + 1)) / width) * width;
  const count = Math.max(0, (last - first) / width);
  let offset = 0;
  const token = q.string('page');
  if (token !== undefined) {
    const bad = () => invalid('page', "Invalid 'page': not a page token from a previous response to this query.");
    const match = /^(\d+)\.([0-9a-z]+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match) throw bad();
    const next = Number(match[1]);
    if ((next - first) % width !== 0) throw bad();
    offset = (next - first) / width;
    if (offset <= 0 || offset >= count || match[2] !== tokenCheck(path, width, first, offset)) throw bad();
  }
  return { width, first, count, offset, size: Math.min(limit, count - offset) };
}

interface Group {
  fields: Record<string, string | boolean | null>;
  sums: number[];
}

type Buckets = Array<Map<string, Group>>;

function page(path: string, window: Window, results: (bucket: number) => unknown[]) {
  const data = [];
  for (let i = 0; i < window.size; i++) {
    const start = window.first + (window.offset + i) * window.width;
    data.push({ object: 'bucket', start_time: start, end_time: start + window.width, results: results(i) });
  }
  const next = window.offset + window.size;
  const hasMore = next < window.count;
  return { object: 'page', data, has_more: hasMore, next_page: hasMore ? encodePage(path, window, next) : null };
}

/** Reads the filter arrays; a record passes when every given filter lists its value. */
function readFilters(q: QueryParams, filters: readonly Filter[]): Array<{ dimension: Dimension; values: Set<string> }> {
  const out = [];
  for (const filter of filters) {
    const values = filter.values ? q.enumArray(filter.param, filter.values) : q.array(filter.param);
    if (values) out.push({ dimension: filter.dimension, values: new Set(values) });
  }
  return out;
}

function passes(record: DailyActivity, filter: { dimension: Dimension; values: Set<string> }): boolean {
  const value = dimensionOf(record, filter.dimension);
  return value !== null && filter.values.has(String(value));
}

function readGroupBy<T extends string>(q: QueryParams, allowed: readonly T[]): T[] {
  return [...new Set(q.enumArray('group_by', allowed) ?? [])];
}

function usageRoute(spec: FamilySpec): Route {
  return {
    method: 'GET',
    path: spec.path,
    handle: ({ query: q, state }) => {
      const range = readRange(q);
      const widthName = q.enum('bucket_width', ['1m', '1h', '1d'] as const, '1d') as Width;
      const rule = WIDTHS[widthName];
      const limit = q.int('limit', { min: 1, max: rule.max, default: rule.default }) as number;
      const groupBy = readGroupBy(q, spec.groupBy);
      const filters = readFilters(q, spec.filters);
      const batch = spec.batchFilter ? q.bool('batch') : undefined;
      const window = readWindow(q, state, spec.path, range, rule.seconds, limit);

      const buckets: Buckets = Array.from({ length: window.size }, () => new Map());
      const from = window.first + window.offset * window.width;
      const to = from + window.size * window.width;
      const index = activityIndex(state);
      for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
        for (const entry of index.days.get(day) ?? []) {
          const record = entry.record;
          if (record.family !== spec.family || record.costsOnly) continue;
          if (batch !== undefined && record.batch !== batch) continue;
          if (!filters.every((f) => passes(record, f))) continue;
          const group = groupOf(record, groupBy);
          const atoms = spec.atoms(record);
          const add = (bucket: number, amounts: readonly number[]) => addTo(buckets[bucket] as Map<string, Group>, group, amounts);
          spread(entry, atoms, window, from, to, spec.gauge === true, add);
        }
      }
      return page(spec.path, window, (i) =>
        sortedGroups(buckets[i] as Map<string, Group>).map((g) => {
          const result: Record<string, unknown> = { object: spec.object, ...spec.measures(g.sums) };
          for (const field of spec.fields) result[field] = g.fields[field] ?? null;
          return result;
        }),
      );
    },
  };
}

function groupOf(record: DailyActivity, groupBy: readonly Dimension[]): { key: string; fields: Record<string, string | boolean | null> } {
  const fields: Record<string, string | boolean | null> = {};
  for (const dimension of groupBy) fields[dimension] = dimensionOf(record, dimension);
  return { key: groupBy.map((d) => String(fields[d])).join('\u0001'), fields };
}

function addTo(bucket: Map<string, Group>, group: { key: string; fields: Group['fields'] }, amounts: readonly number[]): void {
  let g = bucket.get(group.key);
  if (!g) {
    g = { fields: group.fields, sums: amounts.map(() => 0) };
    bucket.set(group.key, g);
  }
  for (let i = 0; i < amounts.length; i++) g.sums[i] = (g.sums[i] as number) + (amounts[i] as number);
}

function sortedGroups(bucket: Map<string, Group>): Group[] {
  return [...bucket.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

/** Adds a day's record to the page buckets it falls in, split by hour or minute where needed. */
function spread(
  entry: Entry,
  atoms: readonly number[],
  window: Window,
  from: number,
  to: number,
  gauge: boolean,
  add: (bucket: number, amounts: readonly number[]) => void,
): void {
  const day = entry.record.day;
  const bucketOf = (t: number) => Math.floor((t - from) / window.width);
  if (window.width === DAY) {
    add(bucketOf(day), atoms);
    return;
  }
  const lo = Math.max(day, from);
  const hi = Math.min(day + DAY, to);
  if (gauge) {
    for (let t = lo; t < hi; t += window.width) add(bucketOf(t), atoms);
    return;
  }
  const hours = hourCumulative(entry);
  const firstHour = Math.floor((lo - day) / HOUR);
  const lastHour = Math.ceil((hi - day) / HOUR);
  for (let h = firstHour; h < lastHour; h++) {
    const hourly = atoms.map((value) => part(value, hours, h));
    const hourStart = day + h * HOUR;
    if (window.width === HOUR) {
      add(bucketOf(hourStart), hourly);
      continue;
    }
    if (hourly.every((v) => v === 0)) continue;
    const minutes = minuteCumulative(entry, hourStart);
    const m0 = Math.max(0, (lo - hourStart) / MINUTE);
    const m1 = Math.min(60, (hi - hourStart) / MINUTE);
    for (let m = m0; m < m1; m++) add(bucketOf(hourStart + m * MINUTE), hourly.map((value) => part(value, minutes, m)));
  }
}

// Costs

const COST_DIMENSIONS = ['project_id', 'user_id', 'line_item', 'api_key_id', 'api_source'] as const;

type CostRow = Readonly<{
  object: 'organization.costs.result';
  amount: Readonly<{ value: number; currency: 'usd' }>;
  line_item: string | null;
  project_id: string | null;
  user_id: string | null;
  api_key_id: string | null;
  api_source: string | null;
  quantity: number | null;
  quantity_unit: string | null;
}>;

/**
 * The costs of one day for one query (its grouping and filters), computed once per state of the
 * activity: the report that judges 58 days grouped by project, key and line item asks for the same
 * days again and again, and the real API answers those from its own aggregates. Answers are built
 * from these frozen rows, so no caller can alter what the next one reads. Planting records rebuilds
 * the activity index, which drops the cache with it.
 */
const costDays = new WeakMap<ActivityIndex, Map<string, Map<number, readonly CostRow[]>>>();
/** Whole answers by query and window, frozen: the server encodes a frozen answer once (server.ts). */
const costPages = new WeakMap<ActivityIndex, Map<string, object>>();
/** Distinct queries kept per activity state; tests with many filters start over rather than grow. */
const MAX_COST_QUERIES = 64;

interface CostQuery {
  key: string;
  groupBy: Array<(typeof COST_DIMENSIONS)[number]>;
  projects: Set<string> | null;
  keys: Set<string> | null;
  lineItems: Set<string> | null;
}

function costRowsOf(index: ActivityIndex, query: CostQuery, day: number): readonly CostRow[] {
  let queries = costDays.get(index);
  if (!queries) costDays.set(index, (queries = new Map()));
  let days = queries.get(query.key);
  if (!days) {
    if (queries.size >= MAX_COST_QUERIES) queries.clear();
    queries.set(query.key, (days = new Map()));
  }
  let rows = days.get(day);
  if (!rows) days.set(day, (rows = aggregateCosts(index.days.get(day) ?? [], query)));
  return rows;
}

function aggregateCosts(entries: readonly Entry[], { groupBy, projects, keys, lineItems }: CostQuery): readonly CostRow[] {
  const byLine = groupBy.includes('line_item');
  // The group's dimensions other than line_item, read once per record rather than once per cost line.
  const recordDims = COST_DIMENSIONS.filter((d): d is Exclude<(typeof COST_DIMENSIONS)[number], 'line_item'> => d !== 'line_item' && groupBy.includes(d));
  const groups = new Map<string, { fields: Record<string, string | null>; sortKey: string; micros: number; quantity: number; unit: string | null }>();
  for (const { record } of entries) {
    if (projects && !projects.has(record.project_id)) continue;
    if (keys && (record.api_key_id === null || !keys.has(record.api_key_id))) continue;
    let recordKey = '';
    for (const d of recordDims) recordKey += `${String(dimensionOf(record, d) ?? '')}\u0001`;
    for (const line of record.costs) {
      if (lineItems && !lineItems.has(line.line_item)) continue;
      const key = byLine ? `${recordKey}${line.line_item}` : recordKey;
      let group = groups.get(key);
      if (!group) {
        const fields: Record<string, string | null> = {};
        for (const d of recordDims) fields[d] = dimensionOf(record, d) as string | null;
        if (byLine) fields.line_item = line.line_item;
        // Rows sort in COST_DIMENSIONS order, as they always have.
        const sortKey = COST_DIMENSIONS.map((d) => String(fields[d] ?? '')).join('\u0001');
        group = { fields, sortKey, micros: 0, quantity: 0, unit: byLine ? line.quantity_unit : null };
        groups.set(key, group);
      }
      group.micros += Math.round(line.amount * 1e6);
      group.quantity += line.quantity;
    }
  }
  return Object.freeze(
    [...groups.values()]
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
      .map((g) =>
        Object.freeze({
          object: 'organization.costs.result' as const,
          amount: Object.freeze({ value: g.micros / 1e6, currency: 'usd' as const }),
          line_item: g.fields.line_item ?? null,
          project_id: g.fields.project_id ?? null,
          user_id: g.fields.user_id ?? null,
          api_key_id: g.fields.api_key_id ?? null,
          api_source: g.fields.api_source ?? null,
          quantity: byLine ? Math.round(g.quantity * 1e6) / 1e6 : null,
          quantity_unit: g.unit,
        }),
      ),
  );
}

const costsRoute: Route = {
  method: 'GET',
  path: '/organization/costs',
  handle: ({ query: q, state }) => {
    const range = readRange(q);
    q.enum('bucket_width', ['1d'] as const, '1d');
    const limit = q.int('limit', { min: 1, max: COSTS_LIMIT.max, default: COSTS_LIMIT.default }) as number;
    const groupBy = readGroupBy(q, COST_DIMENSIONS);
    const projects = q.array('project_ids');
    const keys = q.array('api_key_ids');
    const lineItems = q.array('line_items');
    const window = readWindow(q, state, '/organization/costs', range, DAY, limit);
    const set = (values: string[] | undefined) => (values ? new Set(values) : null);
    const list = (values: string[] | undefined) => (values ? [...new Set(values)].sort().join('\u0002') : '-');
    const query: CostQuery = {
      key: [[...groupBy].sort().join(','), list(projects), list(keys), list(lineItems)].join('\u0003'),
      groupBy,
      projects: set(projects),
      keys: set(keys),
      lineItems: set(lineItems),
    };
    const from = window.first + window.offset * DAY;
    const index = activityIndex(state);
    let pages = costPages.get(index);
    if (!pages) costPages.set(index, (pages = new Map()));
    const pageKey = `${query.key}\u0004${window.first}.${window.offset}.${window.size}.${window.count}`;
    const known = pages.get(pageKey);
    if (known) return known;
    if (pages.size >= MAX_COST_QUERIES) pages.clear();
    const answer = page('/organization/costs', window, (i) => costRowsOf(index, query, from + i * DAY) as unknown[]);
    for (const bucket of answer.data) Object.freeze(bucket);
    Object.freeze(answer.data);
    pages.set(pageKey, Object.freeze(answer));
    return answer;
  },
};

export const routes: Route[] = [costsRoute, ...FAMILIES.map(usageRoute)];
