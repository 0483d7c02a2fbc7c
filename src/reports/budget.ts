import { z } from 'zod';
import { ApiError } from '../client/index.js';
import { crossing, forecastMonth, FORECAST_METHOD, type DailyTotal, type Forecast } from './forecast.js';
import { completeThrough } from './periods.js';
import { cents, isoDate, type ReportContext } from './report.js';

/*
 * The budget block of spend_report: "are we on track this month?" for the organization or one
 * project. Three requests side by side with the report's own: the hard spend limit, the spend
 * alerts, and this month's daily costs with the 14 days before (the forecast's window). The API
 * speaks cents; the block speaks USD like the rest of the report.
 */

const DAY = 86_400;

/** `pct`: month-to-date as a percentage of the threshold. */
const threshold = z.object({ usd: z.number(), pct: z.number(), when: z.string() });
export const budgetShape = z.object({
  month: z.string(),
  /** Including today so far; thresholds are judged and forecasts made on complete days only. */
  month_to_date_usd: z.number(),
  /** Absent when no hard limit is set. `enforcement` as the API reports it: `enforcing` once spend has reached the limit. */
  limit: threshold.extend({ enforcement: z.string() }).optional(),
  alerts: z.array(threshold.extend({ recipients: z.number() })),
  forecast: z.object({ usd: z.number(), low: z.number(), high: z.number(), method: z.string() }),
});
export type BudgetBlock = z.infer<typeof budgetShape>;

interface LimitObject {
  threshold_amount?: number;
  enforcement?: { status?: string };
}
interface AlertObject {
  threshold_amount: number;
  notification_channel?: { recipients?: string[] };
}

/** Starts the block's requests for the org (no project) or a project; awaited when the report is assembled. */
export function startBudget(ctx: ReportContext, projectId: string | undefined): Promise<BudgetBlock> {
  const nowMs = ctx.now();
  // Complete days end at 00:00 UTC today, as the report's data_through says: the forecast and the
  // crossing days use them only; month_to_date_usd adds today so far.
  const today = completeThrough({ start: 0, end: Math.floor(nowMs / 1000) }, nowMs);
  const date = new Date(today * 1000);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
  const base = projectId ? `/organization/projects/${encodeURIComponent(projectId)}` : '/organization';
  // No limit set is a 404: that is "no limit", not a failure.
  const limit = ctx.client.get<LimitObject>(`${base}/spend_limit`, undefined, ctx.signal).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  });
  const alerts = ctx.client.collect<AlertObject>({ path: `${base}/spend_alerts`, query: { limit: 100 }, style: 'cursor_id', maxPages: 10, signal: ctx.signal });
  const costs = ctx.client.range({
    path: '/organization/costs',
    query: projectId ? { project_ids: [projectId] } : {},
    start: Math.min(monthStart, today - 14 * DAY),
    end: Math.floor(nowMs / 1000),
    width: '1d',
    windowBuckets: 31,
    signal: ctx.signal,
  });
  const block = Promise.all([limit, alerts, costs]).then(([limitObject, alertList, range]) => {
    if (range.partial) throw new Error(`Could not read this month's costs for the budget: ${range.partial.warning}`);
    const daily: DailyTotal[] = range.buckets.map((b) => ({
      day: Math.floor(b.start_time / DAY) * DAY,
      usd: b.results.reduce((s: number, r) => s + ((r as { amount?: { value?: number } }).amount?.value ?? 0), 0),
    }));
    const todaySoFar = daily.filter((d) => d.day >= today).reduce((s, d) => s + d.usd, 0);
    const complete = daily.filter((d) => d.day < today);
    const forecast = forecastMonth(complete, today);
    const monthToDate = forecast.complete + todaySoFar;
    const judge = (usd: number) => ({ usd: cents(usd), pct: Math.round((monthToDate / usd) * 100), when: when(complete, forecast, today, usd) });
    const limitUsd = limitObject?.threshold_amount;
    return {
      month: isoDate(monthStart).slice(0, 7),
      month_to_date_usd: cents(monthToDate),
      ...(limitObject && typeof limitUsd === 'number' ? { limit: { ...judge(limitUsd / 100), enforcement: limitObject.enforcement?.status ?? 'unknown' } } : {}),
      alerts: alertList.items
        .map((a) => ({ ...judge(a.threshold_amount / 100), recipients: a.notification_channel?.recipients?.length ?? 0 }))
        .sort((a, b) => a.usd - b.usd),
      // Whole dollars: a forecast's cents are false precision, and they cost tokens in every answer.
      forecast: { usd: Math.round(forecast.usd), low: Math.round(forecast.low), high: Math.round(forecast.high), method: FORECAST_METHOD },
    };
  });
  block.catch(() => undefined);
  return block;
}

function when(daily: DailyTotal[], forecast: Forecast, today: number, usd: number): string {
  const at = crossing(daily, forecast, today, usd);
  if (at === null) return 'not this month';
  return 'crossed' in at ? `crossed ${isoDate(at.crossed)}` : `projected ${isoDate(at.projected)}`;
}
