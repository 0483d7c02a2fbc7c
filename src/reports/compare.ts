import { z } from 'zod';
import type { Bucket } from '../client/index.js';
import { describePeriod, type Period } from './periods.js';

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

export function previousPeriod(period: Period, name: string | undefined, nowMs: number): { period: Period; note: string } {
  const running = period.end >= Math.floor(nowMs / 1000) - 60;
  const elapsed = period.end - period.start;
  const start = new Date(period.start * 1000);
  const monthsBack = name === 'this_month' || name === 'last_month' ? 1 : name === 'this_year' ? 12 : 0;
  const previousStart =
    monthsBack > 0 ? Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - monthsBack, 1) / 1000 : period.start - elapsed;
  // A whole calendar month is compared with the whole month before, whatever their lengths.
  const previousEnd = monthsBack > 0 && !running ? period.start : previousStart + elapsed;
  const span = `${Math.floor(elapsed / DAY)} d ${Math.round((elapsed % DAY) / 3600)} h`;
  const note = running
    ? `this period is still running: compared with the same elapsed span (${span}) of the previous ${monthsBack === 12 ? 'year' : monthsBack === 1 ? 'month' : 'period'}`
    : `the previous ${monthsBack === 12 ? 'year' : monthsBack === 1 ? 'month' : 'period of the same length'}`;
  return { period: { start: previousStart, end: Math.min(previousEnd, period.start) }, note };
}

export function describeCompared(previous: { period: Period; note: string }): string {
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
