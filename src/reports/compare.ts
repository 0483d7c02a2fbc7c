import { z } from 'zod';
import type { Bucket } from '../client/index.js';
import { isoMinute } from '../time.js';
import { completeThrough, describePeriod, type Period } from './periods.js';

/*
 * compare: "previous_period" for spend_report and usage_report. The previous period has the same
 * length and ends where this one starts; a calendar period (this_month, last_month, this_year)
 * is compared with the previous calendar one. A period still running (it ends now) is compared
 * with the same elapsed span of the previous one, and the answer says so.
 */

export const compareField = z.enum(['previous_period']).optional().describe('Add previous figure, change and %');

/** The previous window, to the minute, end exclusive, and how it was chosen. */
export const comparedShape = z.string();

const DAY = 86_400;

/**
 * The previous window and `current`, the part of this period it is compared with. A running period
 * is compared on its complete days only (to `data_through`, see `completeThrough`): today's bucket
 * is still filling, while the same day of the previous period is whole, so including it would read
 * as a drop. Only a period with no complete day yet (today) is compared as it stands.
 */
export function previousPeriod(period: Period, name: string | undefined, nowMs: number): Compared {
  const running = period.end >= Math.floor(nowMs / 1000) - 60;
  const through = completeThrough(period, nowMs);
  const wholeDays = running && through > period.start;
  const current = wholeDays ? { start: period.start, end: through } : period;
  const elapsed = current.end - current.start;
  const start = new Date(period.start * 1000);
  const monthsBack = name === 'this_month' || name === 'last_month' ? 1 : name === 'this_year' ? 12 : 0;
  const previousStart =
    monthsBack > 0 ? Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - monthsBack, 1) / 1000 : period.start - elapsed;
  // A whole calendar month is compared with the whole month before, whatever their lengths.
  const previousEnd = monthsBack > 0 && !running ? period.start : previousStart + elapsed;
  const of = monthsBack === 12 ? 'year' : monthsBack === 1 ? 'month' : 'period';
  const note = !running
    ? `the previous ${monthsBack > 0 ? of : 'period of the same length'}`
    : wholeDays
      ? `this period is still running: its ${Math.round(elapsed / DAY)} complete days (to ${isoMinute(through)}; today left out) against the same days of the previous ${of}`
      : `no day of this period is complete yet: today so far against the same hours of the previous ${of}`;
  return { period: { start: previousStart, end: Math.min(previousEnd, period.start) }, current, note };
}

export interface Compared {
  /** The previous window. */
  period: Period;
  /** The part of this period compared: the complete days of a running period, else all of it. */
  current: Period;
  note: string;
}

/** This period's buckets that fall in the compared part of it. */
export function comparedBuckets(buckets: readonly Bucket[], compared: Compared): Bucket[] {
  return buckets.filter((b) => b.start_time >= compared.current.start && b.start_time < compared.current.end);
}

export function describeCompared(previous: Compared): string {
  const { start, end } = describePeriod(previous.period);
  return `${start} to ${end}: ${previous.note}`;
}

/** previous, change and change_pct for one figure (change_pct is absent when there was nothing before). */
export function change(now: number, before: number, round: (n: number) => number): { previous: number; change: number; change_pct?: string } {
  return {
    previous: round(before),
    change: round(now - before),
    ...(before !== 0 ? { change_pct: `${now >= before ? '+' : ''}${Math.round(((now - before) / before) * 1000) / 10}%` } : {}),
  };
}

/** A figure summed over every result, and per group as `keyOf` names it. */
export function sumsByKey(buckets: Bucket[], keyOf: (result: Record<string, unknown>) => string, measure: (result: Record<string, unknown>) => number): { total: number; byKey: Map<string, number> } {
  const byKey = new Map<string, number>();
  let total = 0;
  for (const bucket of buckets) {
    for (const raw of bucket.results) {
      const result = raw as Record<string, unknown>;
      const value = measure(result);
      const id = keyOf(result);
      total += value;
      byKey.set(id, (byKey.get(id) ?? 0) + value);
    }
  }
  return { total, byKey };
}

/** A model filter: the exact model, or a family prefix followed by `-` or `.` (gpt-4o: gpt-4o-2024-08-06, gpt-4o-mini-…). */
export function modelMatcher(model: string): (candidate: unknown) => boolean {
  const m = model.trim().toLowerCase();
  return (candidate) => {
    if (typeof candidate !== 'string') return false;
    const c = candidate.toLowerCase();
    return c === m || c.startsWith(`${m}-`) || c.startsWith(`${m}.`);
  };
}
