import { z } from 'zod';
import type { Period } from './periods.js';
import { isoDate } from './report.js';

/*
 * A report's compact time series: the daily buckets of its period summed into steps, so a chart over
 * a year costs 13 points, not 366. The step follows the period's length: days up to two weeks,
 * weeks (counted from the period's first day) up to 14 of them, calendar months beyond.
 */

const DAY = 86_400;

export type Step = 'day' | 'week' | 'month';

/** How a period is cut into steps: each step's first day, and the step a daily bucket falls in. */
export interface StepPlan {
  step: Step;
  /** The first day of each step (UTC); the first and last steps may be partial. */
  dates: string[];
  /** How many days of the period each step covers, to average a level over. */
  days: number[];
  /** The step of the daily bucket starting at `dayStart`, or -1 outside the period. */
  index(dayStart: number): number;
}

export function planSteps(period: Period): StepPlan {
  const first = Math.floor(period.start / DAY) * DAY;
  const count = Math.max(1, Math.ceil((period.end - first) / DAY));
  const step: Step = count <= 14 ? 'day' : count <= 98 ? 'week' : 'month';
  const stepStart = (day: number): number => {
    if (step === 'day') return day;
    if (step === 'week') return first + Math.floor((day - first) / (7 * DAY)) * 7 * DAY;
    const date = new Date(day * 1000);
    return Math.max(first, Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000);
  };
  const at = new Map<number, number>();
  const dates: string[] = [];
  const days: number[] = [];
  for (let day = first; day < first + count * DAY; day += DAY) {
    const start = stepStart(day);
    if (!at.has(start)) {
      at.set(start, dates.length);
      dates.push(isoDate(start));
      days.push(0);
    }
    const i = at.get(start) as number;
    days[i] = (days[i] ?? 0) + 1;
  }
  return { step, dates, days, index: (dayStart) => (dayStart >= first && dayStart < first + count * DAY ? (at.get(stepStart(Math.floor(dayStart / DAY) * DAY)) ?? -1) : -1) };
}

/** Values per step, by metric (`tokens`, `requests`, or an API field such as `num_sessions`). */
export type StepValues = Map<string, number[]>;

/** Adds `value` to `metric` at step `i` of a series of `length` steps. */
export function addAt(series: StepValues, metric: string, i: number, length: number, value: number): void {
  const values = series.get(metric) ?? new Array<number>(length).fill(0);
  values[i] = (values[i] ?? 0) + value;
  series.set(metric, values);
}

/** The series of several rows added together (the groups after the top few). */
export function sumSeries(rows: readonly StepValues[], length: number): StepValues {
  const out: StepValues = new Map();
  for (const row of rows) for (const [metric, values] of row) values.forEach((v, i) => addAt(out, metric, i, length, v));
  return out;
}

/** How many groups a series names; the rest are added up in one row. */
export const SERIES_ROWS = 3;
export const REST = '(all others)';

/**
 * The output schema: each step's first day (UTC; the last step may be partial), and rows of the top
 * groups, then REST, with one number per step for each metric. Written loosely (no enum, nothing
 * required) because every listing pays for it; the report always gives all three fields.
 */
export const seriesShape = z.object({
  step: z.string().optional(),
  dates: z.array(z.string()).optional(),
  rows: z.array(z.record(z.union([z.string(), z.array(z.number())]))).optional(),
});

export interface Series {
  step: Step;
  dates: string[];
  rows: Array<Record<string, string | number[]>>;
}

/** The series of named rows for the chosen metrics, in step order; a missing metric is all zeros. */
export function seriesOf(plan: StepPlan, metrics: readonly string[], rows: ReadonlyArray<{ group: string; values: StepValues }>): Series {
  const zeros = () => new Array<number>(plan.dates.length).fill(0);
  return {
    step: plan.step,
    dates: plan.dates,
    rows: rows.map(({ group, values }) => ({ group, ...Object.fromEntries(metrics.map((m) => [m, values.get(m) ?? zeros()])) })),
  };
}
