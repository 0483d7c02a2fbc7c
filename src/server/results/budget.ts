import { asUntrustedText, inertJson } from './results.js';
import { estimateTokens } from './tokens.js';

/*
 * Every result fits in a conversation. A result whose text would go over the token budget is cut
 * at an item boundary (list items, usage and cost buckets, a bucket's rows, a report's array
 * entries), never inside an object, and says what was returned, what remains, the exact arguments
 * that continue it and how to ask for less. Text and structuredContent are the same data, so the
 * cut applies to both.
 */

export const DEFAULT_MAX_RESULT_TOKENS = 8_000;

/** What the cut needs to know about the call that produced the data. */
export interface CutContext {
  tool: string;
  /** How the result continues: cursor lists by `after`, bucket pages by `start_time`, anything else not at all. */
  kind: 'cursor' | 'buckets' | 'other';
  /** What the caller can do to get a smaller answer, in a phrase ("pass fields, or a shorter period"). */
  narrow: string;
}

/**
 * The tokens a result's text costs: the data as inert JSON inside its untrusted-data boundary.
 * With a `ceiling`, counting stops once over it (the answer is then above the ceiling, not exact).
 */
export function resultTokens(data: unknown, ceiling = Infinity): number {
  return estimateTokens(inertJson(data), ceiling - WRAPPER_TOKENS) + WRAPPER_TOKENS;
}

const WRAPPER_TOKENS = estimateTokens(asUntrustedText({})) - estimateTokens('{}');

/** The data as is when it fits, else cut to fit with its continuation. */
export function fitToBudget(data: Record<string, unknown>, budget: number, context: CutContext): Record<string, unknown> {
  if (resultTokens(data, budget) <= budget) return data;
  const items = data.data;
  if (Array.isArray(items) && context.kind === 'cursor') return cutList(data, items, budget, context);
  if (Array.isArray(items) && context.kind === 'buckets') return cutBuckets(data, items, budget, context);
  return cutArrays(data, budget, context);
}

function costOf(value: unknown): number {
  // Each item costs its JSON plus the comma before it.
  return estimateTokens(inertJson(value)) + 1;
}

/**
 * How many leading items fit in `room` tokens. Items are costed one by one up to the first that does
 * not fit, so a cut of 10,000 fetched items costs what the few kept ones cost, not all of them.
 */
function fitting(count: number, costAt: (i: number) => number, room: number): number {
  let used = 0;
  for (let i = 0; i < count; i++) {
    used += costAt(i);
    if (used > room) return i;
  }
  return count;
}

/** `fitting` over items not yet costed. */
function fittingItems(items: readonly unknown[], room: number): number {
  return fitting(items.length, (i) => costOf(items[i]), room);
}

/**
 * Builds a cut result for `kept` leading items and shrinks `kept` until the whole text fits. The
 * first guess comes from per-item costs, so this is one or two passes, not one per item.
 */
function largestFitting(total: number, guess: number, build: (kept: number) => Record<string, unknown>, budget: number): { kept: number; result: Record<string, unknown> } {
  let kept = Math.min(guess, total);
  for (;;) {
    const result = build(kept);
    const over = resultTokens(result, budget) - budget;
    if (over <= 0 || kept === 0) return { kept, result };
    kept -= 1;
  }
}

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

function cutList(data: Record<string, unknown>, items: unknown[], budget: number, context: CutContext): Record<string, unknown> {
  const moreBeyond = data.has_more === true;
  const build = (kept: number): Record<string, unknown> => {
    const returned = items.slice(0, kept);
    const last = idOf(returned[returned.length - 1]);
    const remaining = items.length - kept;
    const left = moreBeyond ? (remaining > 0 ? `${remaining} more fetched and more exist` : 'more exist') : `${remaining} more`;
    const cont = last === undefined ? undefined : { after: last };
    const { next_cursor: _next, note: _note, last_id: _lastId, ...rest } = data;
    return {
      ...rest,
      data: returned,
      has_more: true,
      ...(last !== undefined && 'last_id' in data ? { last_id: last } : {}),
      ...(last !== undefined ? { next_cursor: last } : {}),
      cut: cutFacts(context, budget, kept, moreBeyond ? `${remaining}+` : remaining, cont),
      note:
        `Cut at the ${budget}-token result budget: ${kept} items returned, ${left}. ` +
        (cont ? `Call ${context.tool} again with the same arguments and after: "${cont.after}" to continue. ` : 'The items carry no id to continue from. ') +
        `For a smaller answer: ${context.narrow}.`,
    };
  };
  const room = budget - resultTokens(build(0));
  const { kept, result } = largestFitting(items.length, fittingItems(items, room), build, budget);
  // Not even one item fits: return the first one shrunk, marked, rather than nothing.
  if (kept === 0 && items.length > 0) return withFirstShrunk(build(1), budget, context);
  return result;
}

interface Bucket {
  start_time?: unknown;
  end_time?: unknown;
  results?: unknown;
}

function cutBuckets(data: Record<string, unknown>, items: unknown[], budget: number, context: CutContext): Record<string, unknown> {
  const buckets = items as Bucket[];
  const moreBeyond = data.has_more === true;
  const build = (kept: number, partial?: { rows: number }): Record<string, unknown> => {
    let returned: unknown[] = buckets.slice(0, kept);
    let note = '';
    let cont: Record<string, unknown> | undefined;
    const remaining = buckets.length - kept;
    if (partial) {
      // One bucket alone is over the budget: its rows are cut, and the bucket cannot be continued
      // from inside (page tokens and start_time address whole buckets), so the way on is narrower.
      const bucket = buckets[0] as Bucket;
      const rows = Array.isArray(bucket.results) ? bucket.results : [];
      returned = [{ ...bucket, results: rows.slice(0, partial.rows), results_cut: { returned: partial.rows, omitted: rows.length - partial.rows } }];
      const next = buckets[1]?.start_time ?? bucket.end_time;
      cont = typeof next === 'number' && (buckets.length > 1 || moreBeyond) ? { start_time: next } : undefined;
      note =
        `Cut at the ${budget}-token result budget: the first bucket alone is over it, so only ${partial.rows} of its ${rows.length} rows are returned (results_cut); ` +
        `get the rest of that bucket with a narrower query. ` +
        (cont ? `The next bucket starts at start_time ${String(cont.start_time)}; call again with start_time: ${String(cont.start_time)} to continue after it. ` : '');
    } else {
      const next = buckets[kept]?.start_time;
      cont = typeof next === 'number' ? { start_time: next } : undefined;
      const left = moreBeyond ? `${remaining} more fetched and more exist` : `${remaining} more`;
      note =
        `Cut at the ${budget}-token result budget: ${kept} buckets returned, ${left}. ` +
        (cont ? `Call ${context.tool} again with the same arguments and start_time: ${String(cont.start_time)} (no page) to continue. ` : '');
    }
    const { next_page: _page, next_start_time: _nst, note: _note, ...rest } = data;
    return {
      ...rest,
      data: returned,
      has_more: true,
      ...(cont ? { next_start_time: cont.start_time } : {}),
      cut: cutFacts(context, budget, kept === 0 && partial ? 1 : kept, moreBeyond ? `${remaining}+` : remaining, cont),
      note: `${note}For a smaller answer: ${context.narrow}.`,
    };
  };
  const room = budget - resultTokens(build(0));
  const { kept, result } = largestFitting(buckets.length, fittingItems(buckets, room), build, budget);
  if (kept > 0 || buckets.length === 0) return result;
  const rows = Array.isArray(buckets[0]?.results) ? (buckets[0]?.results as unknown[]) : [];
  const rowRoom = budget - resultTokens(build(0, { rows: 0 }));
  const fitted = largestFitting(rows.length, fittingItems(rows, rowRoom), (n) => build(0, { rows: n }), budget);
  return fitted.kept > 0 ? fitted.result : withFirstShrunk(build(0, { rows: Math.min(1, rows.length) }), budget, context);
}

/** The machine-readable side of a cut: counts, and the arguments that continue it exactly. */
function cutFacts(context: CutContext, budget: number, returned: number, remaining: number | string, cont: Record<string, unknown> | undefined): Record<string, unknown> {
  return { reason: 'max_result_tokens', max_tokens: budget, returned, remaining, ...(cont ? { continue_with: cont } : {}), narrow: context.narrow };
}

/**
 * Anything else (a report, a single object): the largest arrays lose their tail items, largest
 * first, until the result fits; what was cut is listed under `cut`. Reports answer a question
 * about a period, so the way on is a narrower question rather than a cursor.
 */
function cutArrays(data: Record<string, unknown>, budget: number, context: CutContext): Record<string, unknown> {
  const copy = structuredClone(data) as Record<string, unknown>;
  const cuts: Array<{ path: string; returned: number; total: number }> = [];
  const build = () => ({
    ...copy,
    cut: { reason: 'max_result_tokens', max_tokens: budget, arrays: cuts, narrow: context.narrow },
    note: `Cut at the ${budget}-token result budget: ${cuts.map((c) => `${c.path} ${c.returned} of ${c.total} items`).join(', ')}. For a smaller answer: ${context.narrow}.`,
  });
  for (let guard = 0; guard < 1_000; guard++) {
    const over = resultTokens(build()) - budget;
    if (over <= 0) return build();
    // A chart's series is parallel arrays (dates and one value per date per row): cut piecemeal it
    // would chart the first step alone, so it goes whole, before any row of the answer itself.
    const series = copy.series as { dates?: unknown[] } | undefined;
    if (series !== undefined) {
      cuts.push({ path: 'series.dates', returned: 0, total: Array.isArray(series.dates) ? series.dates.length : 0 });
      delete copy.series;
      continue;
    }
    const largest = largestArray(copy, '');
    if (!largest) break;
    const { array, path } = largest;
    const costs = array.map(costOf);
    const total = costs.reduce((a, b) => a + b, 0);
    // Keep the leading items that fit once this array gives up `over` tokens, at least one fewer.
    const keep = Math.max(1, Math.min(array.length - 1, fitting(costs.length, (i) => costs[i] as number, total - over - 40)));
    const known = cuts.find((c) => c.path === path);
    if (known) known.returned = keep;
    else cuts.push({ path, returned: keep, total: array.length });
    array.length = keep;
  }
  return shrinkStrings(build(), budget);
}

function largestArray(node: unknown, path: string): { array: unknown[]; path: string; cost: number } | undefined {
  let best: { array: unknown[]; path: string; cost: number } | undefined;
  const visit = (value: unknown, at: string) => {
    if (Array.isArray(value)) {
      if (value.length > 1) {
        const cost = estimateTokens(inertJson(value));
        if (!best || cost > best.cost) best = { array: value, path: at, cost };
      }
      value.forEach((item, i) => visit(item, `${at}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, at ? `${at}.${key}` : key);
    }
  };
  visit(node, path);
  return best;
}

/** One item over the whole budget on its own: its arrays and long strings are cut, and it says so. */
function withFirstShrunk(result: Record<string, unknown>, budget: number, context: CutContext): Record<string, unknown> {
  const data = result.data as unknown[];
  const first = structuredClone(data[0]) as Record<string, unknown>;
  const room = budget - resultTokens({ ...result, data: [] }) - 60;
  const shrunk = cutArrays(first, room, { ...context, narrow: 'this item is larger than the whole budget' });
  return { ...result, data: [shrunk] };
}

/** Last resort, for one huge text value: long strings are cut with a marker until the result fits. */
function shrinkStrings(data: Record<string, unknown>, budget: number): Record<string, unknown> {
  let result = data;
  for (let limit = 2_000; limit >= 20 && resultTokens(result, budget) > budget; limit = Math.floor(limit / 2)) {
    result = mapStrings(data, (s) => (s.length > limit ? `${s.slice(0, limit)}…[cut: ${s.length - limit} more characters]` : s)) as Record<string, unknown>;
  }
  return result;
}

function mapStrings(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'note' || k === 'cut' ? v : mapStrings(v, map)]));
  return value;
}

// Compaction

/**
 * Fields that are null are left out (the server instructions say an absent field is null), and in
 * usage and cost rows counters that are zero too (the tool descriptions say so). Arrays keep their
 * elements as they are, so positions never shift.
 */
export function compact(data: Record<string, unknown>, options: { zeroCountersInRows: boolean }): Record<string, unknown> {
  const out = dropNulls(data) as Record<string, unknown>;
  if (options.zeroCountersInRows && Array.isArray(out.data)) {
    for (const bucket of out.data as Bucket[]) {
      if (bucket && Array.isArray(bucket.results)) bucket.results = bucket.results.map(dropZeros);
    }
  }
  return out;
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (inner !== null) out[key] = dropNulls(inner);
  return out;
}

function dropZeros(row: unknown): unknown {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return row;
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== 0));
}

// Field selection

/** Fields always kept, so a selected item or row can still be told apart and continued from. */
export const IDENTIFYING_FIELDS = ['id', 'object', 'start_time', 'end_time'];

/**
 * Keeps only `fields` (plus the identifying ones) in each list item, or in each row of each
 * bucket when `rows` is set (usage and costs), where the bucket keeps its times.
 */
export function selectFields(data: Record<string, unknown>, fields: readonly string[], rows: boolean): Record<string, unknown> {
  const keep = new Set([...fields, ...IDENTIFYING_FIELDS]);
  const pick = (item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).filter(([k]) => keep.has(k))) : item;
  if (!Array.isArray(data.data)) return data;
  const items = rows
    ? (data.data as Bucket[]).map((b) => (b && Array.isArray(b.results) ? { ...b, results: b.results.map(pick) } : b))
    : data.data.map(pick);
  return { ...data, data: items };
}
