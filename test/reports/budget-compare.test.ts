import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { ToolHost } from '../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { pickProjectNamed, useSandbox } from '../helpers.js';
import { DAY, hostFor, NOW, ok, refused, text, TODAY } from './support.js';

/*
 * spend_report's budget block and the previous-period comparison of spend_report and usage_report,
 * each figure checked against the sandbox's own records or against a second report call.
 */

let sandbox: Sandbox;
let client: AdminClient;
let host: ToolHost;
useSandbox({ seed: 1, now: () => NOW }, (started) => ({ sandbox, client } = started));
beforeAll(() => {
  host = hostFor(client);
});

interface Threshold {
  usd: number;
  pct: number;
  when: string;
}
interface Budget {
  month: string;
  month_to_date_usd: number;
  limit?: Threshold & { enforcement: string };
  alerts: Array<Threshold & { recipients: number }>;
  forecast: { usd: number; low: number; high: number; method: string };
}

const MONTH_START = Date.UTC(2026, 10, 1) / 1000;

/** A project's (or the org's) spend per day of this month, from the sandbox's records. */
function dailyThisMonth(projectId?: string): number[] {
  const days = (TODAY - MONTH_START) / DAY;
  const out = new Array<number>(days).fill(0);
  for (const r of sandbox.state.activity) {
    if (r.day < MONTH_START || r.day >= TODAY || (projectId && r.project_id !== projectId)) continue;
    for (const line of r.costs) out[(r.day - MONTH_START) / DAY] += line.amount;
  }
  return out;
}

describe('spend_report budget block', () => {
  it('answers "are we on track this month?" for a project in one call, under 600 tokens, with the limit, alerts and forecast', async () => {
    const project = pickProjectNamed(sandbox.state, 'Support Assistant');
    const result = await host.call('spend_report', { project: 'Support Assistant', period: 'this_month' });
    expect(result.isError, text(result)).toBeFalsy();
    // The boundary tag around the data is random hex, which tokenizes to a few tokens more or less
    // per draw (592 to 595 here): the answer is counted with one fixed tag, so the test cannot flip.
    const answer = (result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    const tokens = encode(answer.replace(/api-data-[0-9a-f]{8}/g, 'api-data-00000000')).length;
    console.log(`on track, Support Assistant this_month: ${tokens} o200k tokens`);
    expect(tokens).toBeLessThanOrEqual(600);
    const budget = (result.structuredContent as { budget: Budget }).budget;
    const daily = dailyThisMonth(project.id);
    const mtd = daily.reduce((s, v) => s + v, 0);
    expect(budget.month).toBe('2026-11');
    expect(budget.month_to_date_usd).toBeCloseTo(mtd, 1);
    const limit = sandbox.state.projectSpendLimits.get(project.id);
    expect(budget.limit?.usd).toBe((limit?.threshold_amount ?? 0) / 100);
    expect(budget.limit?.pct).toBe(Math.round((mtd / ((limit?.threshold_amount ?? 1) / 100)) * 100));
    const alerts = [...(sandbox.state.projectSpendAlerts.get(project.id)?.values() ?? [])].map((a) => a.threshold_amount / 100).sort((a, b) => a - b);
    expect(budget.alerts.map((a) => a.usd)).toEqual(alerts);
    // Each threshold: crossed on the first day the running total reached it, else projected or not.
    for (const t of [...budget.alerts, ...(budget.limit ? [budget.limit] : [])]) {
      let running = 0;
      const day = daily.findIndex((v) => (running += v) >= t.usd);
      if (day >= 0) expect(t.when).toBe(`crossed 2026-11-${String(day + 1).padStart(2, '0')}`);
      else expect(t.when).toMatch(/^(projected 2026-11-(2[3-9]|30)|not this month)$/);
    }
    expect(budget.forecast.low).toBeLessThanOrEqual(budget.forecast.usd);
    expect(budget.forecast.usd).toBeLessThanOrEqual(budget.forecast.high);
    expect(budget.forecast.low).toBeGreaterThanOrEqual(Math.floor(mtd));
  });

  it('gives the block for the org by default when the period reaches this month, not for last month unless asked', async () => {
    const org = await ok<{ budget?: Budget }>(host, 'spend_report', {});
    expect(org.budget?.alerts.length).toBe(sandbox.state.orgSpendAlerts.size);
    expect(org.budget?.limit?.usd).toBe((sandbox.state.orgSpendLimit?.threshold_amount ?? 0) / 100);
    expect((await ok<{ budget?: Budget }>(host, 'spend_report', { period: 'last_month' })).budget).toBeUndefined();
    expect((await ok<{ budget?: Budget }>(host, 'spend_report', { period: 'last_month', budget: true })).budget?.month).toBe('2026-11');
    const noLimit = await ok<{ budget?: Budget }>(host, 'spend_report', { project: 'Atlas', period: 'this_month' });
    expect(noLimit.budget?.alerts).toBeDefined();
    expect(noLimit.budget?.limit).toBeUndefined();
    expect(await refused(host, 'spend_report', { api_key: 'key_nope', budget: true })).toMatch(/budget is for the organization or a project/);
  });
});

describe('compare: previous_period', () => {
  it('spend_report: a finished period against the one before, rows and total agreeing with a separate report of it', async () => {
    const now = await ok<Record<string, any>>(host, 'spend_report', { period: 'last_month', compare: 'previous_period', group_by: ['project'] });
    const before = await ok<Record<string, any>>(host, 'spend_report', { start: '2026-09-01', end: '2026-10-01', group_by: ['project'], top: 100 });
    expect(now.previous.total_usd).toBe(before.total_usd);
    expect(now.previous.period).toMatch(/^2026-09-01T00:00Z to 2026-10-01T00:00Z: the previous month$/);
    for (const row of now.breakdown) {
      const prior = before.breakdown.find((r: { project: string }) => r.project === row.project)?.usd ?? 0;
      expect(row.previous).toBeCloseTo(prior, 2);
      expect(row.change).toBeCloseTo(row.usd - prior, 1);
    }
  });

  it('a running period is compared on its complete days with the same days before, today left out', async () => {
    const now = await ok<Record<string, any>>(host, 'spend_report', { period: 'this_month', compare: 'previous_period', budget: false });
    expect(now.previous.period).toMatch(/^2026-10-01T00:00Z to 2026-10-23T00:00Z: this period is still running: its 22 complete days \(to 2026-11-23T00:00Z; today left out\)/);
    const before = await ok<Record<string, any>>(host, 'spend_report', { start: '2026-10-01', end: '2026-10-23', budget: false });
    const completeNow = await ok<Record<string, any>>(host, 'spend_report', { start: '2026-11-01', end: '2026-11-23', budget: false });
    expect(now.previous.total_usd).toBe(before.total_usd);
    expect(now.previous.change).toBeCloseTo(completeNow.total_usd - before.total_usd, 1);
  });

  it('usage_report: tokens by model against the previous 30 days, with a model family filter', async () => {
    const now = await ok<Record<string, any>>(host, 'usage_report', { model: 'gpt-4o', compare: 'previous_period', group_by: ['model'] });
    expect(now.models.length).toBeGreaterThan(1);
    for (const m of now.models) expect(m).toMatch(/^gpt-4o-/);
    for (const row of now.groups) expect(now.models).toContain(row.model);
    const exact = await Promise.all(now.models.map((m: string) => ok<Record<string, any>>(host, 'usage_report', { model: m })));
    expect(now.totals.input_tokens).toBe(exact.reduce((s, e) => s + e.totals.input_tokens, 0));
    // last_30_days runs from 00:00 UTC 30 days ago to now: its 30 complete days against the 30 before.
    const before = await ok<Record<string, any>>(host, 'usage_report', { model: 'gpt-4o', start: TODAY - 60 * DAY, end: TODAY - 30 * DAY, group_by: ['model'] });
    const completeNow = await ok<Record<string, any>>(host, 'usage_report', { model: 'gpt-4o', start: TODAY - 30 * DAY, end: TODAY, group_by: ['model'] });
    expect(now.previous.figure).toBe('tokens');
    expect(now.previous.value).toBe(before.totals.input_tokens + before.totals.output_tokens);
    expect(now.previous.period).toMatch(/still running/);
    const row = now.groups[0];
    const priorRow = before.groups.find((g: { model: string }) => g.model === row.model);
    expect(row.previous).toBe(priorRow.input_tokens + priorRow.output_tokens);
    const nowRow = completeNow.groups.find((g: { model: string }) => g.model === row.model);
    expect(row.change).toBe(nowRow.input_tokens + nowRow.output_tokens - row.previous);
    expect(now.previous.change).toBe(completeNow.totals.input_tokens + completeNow.totals.output_tokens - now.previous.value);
    expect(await refused(host, 'usage_report', { model: 'gpt-9' })).toMatch(/No usage of a model matching 'gpt-9'/);
  });
});
