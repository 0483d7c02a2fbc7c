import { isWeekend } from './baseline.js';

/*
 * Month-end spend forecasts, pure arithmetic over complete daily totals (so the backtest in
 * bench/forecast.ts runs the very same code). Each remaining day of the month is expected to
 * spend like the median day of its kind (weekday or weekend) over the last 14 complete days; the
 * low and high ends use the 25th and 75th percentile day of each kind. A median day ignores a
 * one-off spike, so one bad Tuesday does not move the whole forecast.
 */

const DAY = 86_400;
const WINDOW = 14;

export const FORECAST_METHOD = `${WINDOW}-day weekday/weekend median; p25-p75`;

export interface DailyTotal {
  /** 00:00 UTC of the day. */
  day: number;
  usd: number;
}

export interface Forecast {
  /** Spend of the month's complete days. */
  complete: number;
  /** Expected month-end total, and its low and high ends. */
  usd: number;
  low: number;
  high: number;
  /** Expected spend of each remaining day (today first), at the middle estimate. */
  remaining: DailyTotal[];
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

/**
 * The forecast for the month holding `today` (00:00 UTC): `daily` holds complete days before
 * today (any older days are ignored beyond the trailing window), missing days count as zero.
 */
export function forecastMonth(daily: readonly DailyTotal[], today: number): Forecast {
  const date = new Date(today * 1000);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
  const monthEnd = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 1000;
  const byDay = new Map(daily.map((d) => [d.day, d.usd]));
  let complete = 0;
  for (let day = monthStart; day < today; day += DAY) complete += byDay.get(day) ?? 0;
  const kinds = { weekday: [] as number[], weekend: [] as number[] };
  for (let day = today - WINDOW * DAY; day < today; day += DAY) kinds[isWeekend(day) ? 'weekend' : 'weekday'].push(byDay.get(day) ?? 0);
  const level = (weekend: boolean, q: number) => {
    const own = weekend ? kinds.weekend : kinds.weekday;
    return quantile(own.length > 0 ? own : [...kinds.weekday, ...kinds.weekend], q);
  };
  const remaining: DailyTotal[] = [];
  let low = complete;
  let mid = complete;
  let high = complete;
  for (let day = today; day < monthEnd; day += DAY) {
    const weekend = isWeekend(day);
    const usd = level(weekend, 0.5);
    remaining.push({ day, usd });
    low += level(weekend, 0.25);
    mid += usd;
    high += level(weekend, 0.75);
  }
  return { complete, usd: mid, low, high, remaining };
}

/**
 * When a monthly threshold is or will be crossed: the first complete day whose running total reaches
 * it, else the first remaining day the forecast reaches it, else not this month.
 */
export function crossing(daily: readonly DailyTotal[], forecast: Forecast, today: number, threshold: number): { crossed: number } | { projected: number } | null {
  const date = new Date(today * 1000);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
  const byDay = new Map(daily.map((d) => [d.day, d.usd]));
  let total = 0;
  for (let day = monthStart; day < today; day += DAY) {
    total += byDay.get(day) ?? 0;
    if (total >= threshold) return { crossed: day };
  }
  for (const { day, usd } of forecast.remaining) {
    total += usd;
    if (total >= threshold) return { projected: day };
  }
  return null;
}
