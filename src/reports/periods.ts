import { z } from 'zod';
import { isoMinute, numberAsTime, parseTime } from '../time.js';
import { ReportError } from './report.js';

/*
 * Report periods: a named period (`last_month`) or start/end (dates, Unix seconds or relative forms,
 * end exclusive). Everything is UTC, as the API's buckets are.
 */

export const PERIODS = ['today', 'yesterday', 'last_7_days', 'last_30_days', 'last_90_days', 'this_month', 'last_month', 'this_year', 'last_365_days'] as const;
export type PeriodName = (typeof PERIODS)[number];

/** A period's name, listed as a string (an enum costs about 30 tokens more) and checked against the list. */
export const periodName = z
  .string()
  .refine((value): value is PeriodName => (PERIODS as readonly string[]).includes(value), { message: `expected one of ${PERIODS.join(', ')}` });

export const periodFields = {
  // Listed as a string (an enum costs about 30 tokens more in each report) and checked against the
  // list, with the names in the refusal. The description names them all and where each starts and
  // ends, so no reader takes "last_7_days" for 7 whole days (issue 19): the schema keeps the whole
  // truth even though the instructions say it again.
  period: periodName
    .optional()
    .describe('Default last_30_days; today, yesterday, last_7/30/90/365_days (whole days+today), this_month, last_month, this_year (UTC)'),
  start: z.preprocess(numberAsTime, z.string().min(1)).optional().describe('Date, Unix s or 30d'),
  end: z.preprocess(numberAsTime, z.string().min(1)).optional().describe('Exclusive; default now'),
};

export interface Period {
  start: number;
  end: number;
}

const DAY = 86_400;

export function resolvePeriod(args: { period?: PeriodName; start?: string | number; end?: string | number }, nowMs: number, fallback: PeriodName = 'last_30_days'): Period {
  if (args.period && (args.start !== undefined || args.end !== undefined)) throw new ReportError('Give either period or start/end, not both.');
  if (args.start === undefined && args.end !== undefined) throw new ReportError('end needs a start (or use period).');
  if (args.start !== undefined) {
    const start = time('start', args.start, nowMs);
    const end = args.end === undefined ? Math.floor(nowMs / 1000) : time('end', args.end, nowMs);
    if (end <= start) throw new ReportError(`The period is empty: end (${new Date(end * 1000).toISOString()}) must be after start (${new Date(start * 1000).toISOString()}).`);
    return { start, end };
  }
  return named(args.period ?? fallback, nowMs);
}

export function named(period: PeriodName, nowMs: number): Period {
  const now = Math.floor(nowMs / 1000);
  const today = Math.floor(now / DAY) * DAY;
  const date = new Date(today * 1000);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
  switch (period) {
    case 'today':
      return { start: today, end: now };
    case 'yesterday':
      return { start: today - DAY, end: today };
    // Rolling periods end now, so this morning's changes are in "the last 7 days"; they start at
    // 00:00 UTC N days back, so daily buckets are whole and the window covers at least N × 24 h.
    case 'last_7_days':
      return { start: today - 7 * DAY, end: now };
    case 'last_30_days':
      return { start: today - 30 * DAY, end: now };
    case 'last_90_days':
      return { start: today - 90 * DAY, end: now };
    case 'last_365_days':
      return { start: today - 365 * DAY, end: now };
    case 'this_month':
      return { start: monthStart, end: now };
    case 'last_month':
      return { start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1) / 1000, end: monthStart };
    case 'this_year':
      return { start: Date.UTC(date.getUTCFullYear(), 0, 1) / 1000, end: now };
  }
}

/**
 * A report's exact window, to the minute, end exclusive, the named period it came from, and
 * `data_through`: the end of its last complete bucket (see `completeThrough`).
 */
export const periodShape = z.object({ start: z.string(), end: z.string(), name: z.string().optional(), data_through: z.string().optional() });

export function describePeriod(period: Period, name?: string, nowMs?: number): { start: string; end: string; name?: string; data_through?: string } {
  return { start: isoMinute(period.start), end: isoMinute(period.end), ...(name ? { name } : {}), ...(nowMs !== undefined ? dataThrough(period, nowMs) : {}) };
}

/**
 * The end of a period's last complete daily bucket: the period's end, or 00:00 UTC today when the
 * period runs into today, whose bucket is still filling. Averages, rates and levels use buckets
 * before it; a report states it as `data_through`.
 */
export function completeThrough(period: Period, nowMs: number): number {
  const today = Math.floor(Math.floor(nowMs / 1000) / DAY) * DAY;
  return Math.max(period.start, Math.min(period.end, today));
}

/** `data_through` as a report states it: before `period.end` when the last bucket is still filling. */
export function dataThrough(period: Period, nowMs: number): { data_through: string } {
  return { data_through: isoMinute(completeThrough(period, nowMs)) };
}

function time(field: string, value: string | number, nowMs: number): number {
  const seconds = parseTime(value, nowMs);
  if (seconds === null) throw new ReportError(`${field}: '${String(value)}' is not a time; use a date like 2026-10-01, Unix seconds, 30d or today.`);
  return seconds;
}
