import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { standaloneHtml } from '../../src/views/resource.js';
import { CLI } from '../connect.js';
import { launchBrowser, startHostServer, startMcpServer, type RunningServer } from './browser.js';
import { describeNeeding } from '../prerequisites.js';

const describe = describeNeeding('chromium');

/*
 * The report view in a real browser (Debian's chromium through playwright-core), hosted the way a
 * chat client hosts it: the test host page uses ext-apps' AppBridge, reads the ui:// resource from
 * the real server on the sandbox and hands the view a real tools/call result. Screenshots go to a
 * temporary directory, or to docs/img/ with UPDATE_SCREENSHOTS=1 (how the README's were made).
 */

interface Shown {
  result: CallToolResult;
  calls: Array<{ name: string; arguments?: Record<string, unknown> }>;
  mimeType: string;
}
type Data = Record<string, unknown>;
type Row = Record<string, unknown>;
/** The test host page's API (test/views/host/host.ts); page functions reach it as globalThis.testHost. */
interface InPage {
  testHost: { show(tool: string, args: Data, theme: string): Promise<Shown>; callTool(name: string, args: unknown): Promise<CallToolResult>; calls(): Shown['calls'] };
  document: { querySelector(selector: string): { clientHeight: number } | null };
  getComputedStyle(element: unknown): { backgroundColor: string };
}

const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? new URL('../../docs/img/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'views-shots-'));
mkdirSync(SHOTS, { recursive: true });

let browser: Browser;
let server: RunningServer;
let host: { url: string; close(): Promise<void> };

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startMcpServer()]);
  host = await startHostServer(server.url);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
});

const money = (n: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 }).format(n);
const count = (n: number) => new Intl.NumberFormat('en-US').format(n);
const figure = (text: string | null) => Number((text ?? '').replace(/[^0-9.-]/g, ''));

async function openHost(width: number, height = 1600): Promise<Page> {
  // Tall enough for the whole view at 400 px: headless chromium paints an out-of-process iframe only
  // where it meets the viewport, and a screenshot of the rest comes out blank.
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('pageerror', (error) => {
    throw error;
  });
  await page.goto(host.url);
  await page.waitForFunction(() => 'testHost' in globalThis);
  return page;
}

async function show(page: Page, tool: string, args: Data, theme: 'light' | 'dark'): Promise<{ shown: Shown; data: Data; frame: FrameLocator }> {
  const shown = await page.evaluate(([t, a, th]) => (globalThis as unknown as InPage).testHost.show(t, a, th), [tool, args, theme] as const);
  expect(shown.result.isError).toBeFalsy();
  const frame = page.frameLocator('iframe');
  await frame.locator('[data-view]').waitFor();
  return { shown, data: shown.result.structuredContent as Data, frame };
}

async function shoot(page: Page, name: string): Promise<void> {
  // The view reports its height to the host, which sizes the iframe; wait for it to settle.
  await page.waitForFunction(() => ((globalThis as unknown as InPage).document.querySelector('iframe')?.clientHeight ?? 0) > 320);
  const png = await page.locator('iframe').screenshot();
  writeFileSync(join(SHOTS, name), png);
  expect(png.length).toBeGreaterThan(5_000);
}

/** The body's background as luminance 0..1, to tell the themes apart. */
async function luminance(frame: FrameLocator): Promise<number> {
  const rgb = await frame.locator('body').evaluate((b) => (globalThis as unknown as InPage).getComputedStyle(b).backgroundColor);
  const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

// Each test drives a browser through many round trips; on a busy machine that takes time, not luck.
vi.setConfig({ testTimeout: 180_000 });

describe('spend view', () => {
  it('shows the total, the window, a daily chart and one bar per breakdown row, and re-runs through the host', async () => {
    const page = await openHost(760);
    const args = { period: 'last_month', group_by: ['line_item'], top: 6, daily: true };
    const { shown, data, frame } = await show(page, 'spend_report', args, 'light');
    expect(shown.mimeType).toBe('text/html;profile=mcp-app');

    // The total shown is structuredContent.total_usd, to the cent.
    expect(figure(await frame.getByTestId('total').textContent())).toBe(data.total_usd);
    expect(await frame.getByTestId('total').textContent()).toBe(money(data.total_usd as number));
    const period = data.period as { start: string; end: string };
    expect(await frame.getByTestId('window').textContent()).toContain(`From ${period.start} to ${period.end}`);

    // One row and one bar per breakdown row, with its label, amount and share; the "other" row after them.
    const breakdown = data.breakdown as Row[];
    const other = data.other as { rows: number; usd: number } | undefined;
    expect(other, 'top 6 leaves an "other" row to check').toBeDefined();
    const rows = frame.getByTestId('breakdown-row');
    expect(await rows.count()).toBe(breakdown.length);
    for (const [i, row] of breakdown.entries()) {
      const cells = rows.nth(i);
      expect(await cells.locator('th').textContent()).toBe(row.line_item);
      expect(await cells.locator('td').nth(1).textContent()).toBe(money(row.usd as number));
      expect(await cells.locator('td').nth(2).textContent()).toBe(row.share);
      expect(await cells.getByTestId('bar').count()).toBe(1);
    }
    expect(await frame.locator('[data-testid=breakdown] [data-testid=bar]').count()).toBe(breakdown.length + 1);
    expect(await frame.getByTestId('other-row').locator('td').nth(1).textContent()).toBe(money(other!.usd));
    expect(await frame.getByTestId('other-row').locator('th').textContent()).toContain(`${other!.rows} more rows`);
    expect(await frame.locator('table[data-testid=breakdown] caption').textContent()).toBe('Breakdown');

    // The daily chart: one column per day, a name for screen readers and the figures as a table.
    const daily = data.daily as Array<{ date: string; usd: number }>;
    expect(daily.length).toBeGreaterThan(27);
    const chart = frame.getByTestId('daily-chart');
    expect(await chart.locator('rect').count()).toBe(daily.length);
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await chart.getAttribute('aria-label')).toContain(`from ${daily[0]!.date} to ${daily[daily.length - 1]!.date}`);
    expect(await frame.locator('.chart-data tbody tr').count()).toBe(daily.length);

    expect(await luminance(frame)).toBeGreaterThan(0.8);
    await shoot(page, 'spend-light.png');

    // Re-run for another period from the view: it calls spend_report through the host, and the
    // total becomes what a direct call with those arguments returns.
    const before = await frame.getByTestId('total').textContent();
    await frame.getByTestId('period').selectOption('last_7_days');
    await frame.getByTestId('rerun').click();
    await expect.poll(() => frame.getByTestId('total').textContent(), { timeout: 60_000 }).not.toBe(before);
    const calls = await page.evaluate(() => (globalThis as unknown as InPage).testHost.calls());
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe('spend_report');
    expect(calls[0]?.arguments).toEqual({ ...args, period: 'last_7_days' });
    const direct = await page.evaluate(([a]) => (globalThis as unknown as InPage).testHost.callTool('spend_report', a), [calls[0]!.arguments] as const);
    const expected = (direct.structuredContent as Data).total_usd as number;
    expect(expected).not.toBe(data.total_usd);
    expect(figure(await frame.getByTestId('total').textContent())).toBe(expected);
    // A rolling 7 days ends now, so its daily series spans 8 calendar days (today's part included).
    expect(await frame.locator('.chart rect').count()).toBe(((direct.structuredContent as Data).daily as unknown[]).length);
    await page.close();
  });

  it('offers the daily chart when the result has none, and draws it from one re-run with daily: true', async () => {
    const page = await openHost(760);
    const args = { period: 'last_month' };
    const { data, frame } = await show(page, 'spend_report', args, 'light');
    expect(data.daily, 'the report leaves the daily series out unless asked').toBeUndefined();
    expect(await frame.getByTestId('daily-chart').count()).toBe(0);
    await frame.getByTestId('show-daily').click();
    await expect.poll(() => frame.getByTestId('daily-chart').count(), { timeout: 60_000 }).toBe(1);
    const calls = await page.evaluate(() => (globalThis as unknown as InPage).testHost.calls());
    expect(calls.map((c) => c.arguments)).toEqual([{ ...args, daily: true }]);
    const direct = await page.evaluate(([a]) => (globalThis as unknown as InPage).testHost.callTool('spend_report', a), [calls[0]!.arguments] as const);
    const daily = (direct.structuredContent as Data).daily as Array<{ date: string; usd: number }>;
    expect(await frame.getByTestId('daily-chart').locator('rect').count()).toBe(daily.length);
    expect(figure(await frame.getByTestId('total').textContent())).toBe(data.total_usd);
    await page.close();
  });

  it('follows a dark host theme and fits 400 px without sideways scrolling', async () => {
    const page = await openHost(400);
    const { data, frame } = await show(page, 'spend_report', { period: 'last_30_days', group_by: ['project'], daily: true }, 'dark');
    expect(await luminance(frame)).toBeLessThan(0.2);
    expect(await frame.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await frame.getByTestId('breakdown-row').count()).toBe((data.breakdown as Row[]).length);
    for (const [i, row] of (data.breakdown as Row[]).entries()) expect(await frame.getByTestId('breakdown-row').nth(i).locator('th').textContent()).toBe(row.project);
    const overflow = await frame.locator('html').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'spend-dark-400.png');
    await page.close();
  });
});

interface UsageSeries {
  step: string;
  dates: string[];
  rows: Array<Record<string, string | number[]>>;
}

/** Every stacked chart of the usage view against the report's series: steps, parts, legend and table. */
async function expectSeriesShown(frame: FrameLocator, data: Data): Promise<void> {
  const series = data.series as UsageSeries;
  const period = data.period as { end: string };
  expect(series.dates.length).toBeGreaterThan(1);
  const metrics = Object.keys(series.rows[0] ?? {}).filter((k) => k !== 'group');
  expect(await frame.locator('figure svg.chart').count()).toBe(metrics.length);
  for (const metric of metrics) {
    const chart = frame.getByTestId(`series-${metric}`);
    // One column part per step and series, in the series' own colour class; the legend names each series.
    expect(await chart.locator('rect').count()).toBe(series.dates.length * series.rows.length);
    for (const [j] of series.rows.entries()) expect(await chart.locator(`rect[data-series="${j}"]`).count()).toBe(series.dates.length);
    const figure = frame.getByTestId(`series-${metric}-figure`);
    expect(await figure.getByTestId('legend-item').allTextContents()).toEqual(series.rows.map((r) => r.group));
    expect(await figure.locator('figcaption').textContent()).toBe(`${({ tokens: 'Tokens', requests: 'Requests', usage_bytes: 'Stored bytes (average)' } as Record<string, string>)[metric] ?? metric} per ${series.step}`);
    // The text alternative: the image's name covers the whole span and names the series.
    expect(await chart.getAttribute('role')).toBe('img');
    const name = (await chart.getAttribute('aria-label')) ?? '';
    expect(name).toContain(`${series.dates.length} steps from ${series.dates[0]}`);
    expect(name).toContain(` to ${series.dates[series.dates.length - 1]}`);
    for (const row of series.rows) expect(name).toContain(String(row.group));
    // The real table: a header per series plus the total, a row per step with the exact figures.
    const table = frame.getByTestId(`series-${metric}-table`);
    expect(await table.locator('thead th').allTextContents()).toEqual([series.step === 'day' ? 'Day' : series.step === 'week' ? 'Week from' : 'Month from', ...series.rows.map((r) => String(r.group)), 'Total']);
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(series.dates.length);
    for (const [i, date] of series.dates.entries()) {
      const row = rows.nth(i);
      const label = (await row.locator('th').textContent()) ?? '';
      // The last step of a period that ends today, and a month the period starts in the middle of, are marked as partial.
      const cut = (i === series.dates.length - 1 && period.end.slice(0, 10) <= addDays(date, series.step)) || (i === 0 && series.step === 'month' && !date.endsWith('-01'));
      expect(label).toBe(cut ? `${date} (partial)` : date);
      const values = series.rows.map((r) => (r[metric] as number[])[i] ?? 0);
      expect(await row.locator('td').allTextContents()).toEqual([...values.map(count), count(values.reduce((a, b) => a + b, 0))]);
    }
  }
}

/** The last day a step starting on `date` would still cover, as YYYY-MM-DD. */
function addDays(date: string, step: string): string {
  const d = new Date(`${date}T00:00Z`);
  const end = step === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : d.getTime() + (step === 'week' ? 7 : 1) * 86_400_000;
  return new Date(end - 86_400_000).toISOString().slice(0, 10);
}

describe('usage view', () => {
  it('charts tokens and requests over time for the top groups, lists every group, and re-runs through the host', async () => {
    const page = await openHost(760);
    // Nothing but the host page, its script and its /mcp: the view itself fetches nothing.
    const requests: string[] = [];
    const violations: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    const args = { period: 'last_30_days', group_by: ['model'], top: 8 };
    const { data, frame } = await show(page, 'usage_report', args, 'light');
    const totals = data.totals as Record<string, number>;
    expect(await frame.getByTestId('total-tokens').textContent()).toBe(count((totals.input_tokens ?? 0) + (totals.output_tokens ?? 0)));
    expect(await frame.getByTestId('total-requests').textContent()).toBe(count(totals.num_model_requests ?? 0));

    // Over time: weekly steps for 30 days, the top 3 models and the rest, in two charts.
    const series = data.series as UsageSeries;
    expect(series.step).toBe('week');
    expect(series.rows.map((r) => r.group)).toEqual([...(data.groups as Row[]).slice(0, 3).map((g) => g.model), '(all others)']);
    await expectSeriesShown(frame, data);
    expect(await frame.getByTestId('no-series').count()).toBe(0);

    const groups = data.groups as Row[];
    expect(groups.length).toBeGreaterThan(1);
    const rows = frame.getByTestId('group-row');
    expect(await rows.count()).toBe(groups.length);
    for (const [i, group] of groups.entries()) {
      const row = rows.nth(i);
      expect(await row.locator('th').textContent()).toBe(group.model);
      expect(await row.locator('td').nth(0).textContent()).toBe(count((group.input_tokens as number) + (group.output_tokens as number)));
      expect(await row.locator('td').nth(1).textContent()).toBe(count(group.num_model_requests as number));
      expect(await row.getByTestId('bar').count()).toBe(2);
    }
    await frame.locator('#app:not([aria-busy])').waitFor();
    await shoot(page, 'usage-light.png');

    // Regrouping from the view calls usage_report with the new grouping; the charts follow it.
    await frame.getByTestId('group-by').selectOption('project');
    await frame.getByTestId('rerun').click();
    await expect.poll(async () => frame.locator('table[data-testid=groups] thead th').first().textContent(), { timeout: 60_000 }).toBe('Project');
    let calls = await page.evaluate(() => (globalThis as unknown as InPage).testHost.calls());
    expect(calls[0]?.arguments).toEqual({ ...args, group_by: ['project'] });
    const byProject = await page.evaluate(([a]) => (globalThis as unknown as InPage).testHost.callTool('usage_report', a), [calls[0]!.arguments] as const);
    await expectSeriesShown(frame, byProject.structuredContent as Data);
    expect(await frame.getByTestId('legend-item').first().textContent()).toMatch(/\(proj_[A-Za-z0-9]+\)$/);

    // Another period: 7 days come in daily steps, and the view shows what a direct call returns.
    await frame.getByTestId('period').selectOption('last_7_days');
    await frame.getByTestId('rerun').click();
    await expect.poll(async () => frame.getByTestId('series-tokens-figure').locator('figcaption').textContent(), { timeout: 60_000 }).toBe('Tokens per day');
    calls = await page.evaluate(() => (globalThis as unknown as InPage).testHost.calls());
    expect(calls).toHaveLength(2);
    expect(calls[1]?.arguments).toEqual({ ...args, group_by: ['project'], period: 'last_7_days' });
    const week = await page.evaluate(([a]) => (globalThis as unknown as InPage).testHost.callTool('usage_report', a), [calls[1]!.arguments] as const);
    const weekData = week.structuredContent as Data;
    expect((weekData.series as UsageSeries).dates).toHaveLength(8);
    await expectSeriesShown(frame, weekData);
    expect(await frame.getByTestId('total-tokens').textContent()).toBe(count(((weekData.totals as Record<string, number>).input_tokens ?? 0) + ((weekData.totals as Record<string, number>).output_tokens ?? 0)));

    const origin = new URL(host.url).origin;
    expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('about:'))).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('follows a dark host theme at 400 px, and keeps stored bytes a level', async () => {
    const page = await openHost(400);
    const { data, frame } = await show(page, 'usage_report', { period: 'last_90_days', group_by: ['project'] }, 'dark');
    expect(await luminance(frame)).toBeLessThan(0.2);
    expect(await frame.locator('html').getAttribute('data-theme')).toBe('dark');
    await expectSeriesShown(frame, data);
    const overflow = await frame.locator('html').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await frame.locator('#app:not([aria-busy])').waitFor();
    await shoot(page, 'usage-dark-400.png');

    // A year of every family: calendar months (the first one cut by the period), one series per top family.
    const year = await show(page, 'usage_report', { family: 'all', period: 'last_365_days' }, 'dark');
    expect((year.data.series as UsageSeries).step).toBe('month');
    expect((year.data.series as UsageSeries).rows.map((r) => r.group)).toContain('completions');
    await expectSeriesShown(year.frame, year.data);

    // Vector store storage: one chart of the average level per step, never a sum of days.
    const stored = await show(page, 'usage_report', { family: 'vector_stores', period: 'last_30_days' }, 'dark');
    const series = stored.data.series as UsageSeries;
    expect(Object.keys(series.rows[0] ?? {})).toEqual(['group', 'usage_bytes']);
    expect(await stored.frame.getByTestId('series-usage_bytes-figure').locator('figcaption').textContent()).toBe('Stored bytes (average) per week');
    expect(await stored.frame.getByTestId('series-usage_bytes').locator('rect').count()).toBe(series.dates.length * series.rows.length);
    expect(await stored.frame.getByTestId('series-usage_bytes-table').locator('tbody tr').first().locator('td').first().textContent()).toMatch(/^\d+(\.\d)? GiB$/);
    await page.close();
  });
});

describe('access view', () => {
  it('lists members and keys in real tables and flags every stale key and missing owner', async () => {
    const page = await openHost(760);
    const { data, frame } = await show(page, 'access_review', { project: 'Billing' }, 'dark');
    const members = [...(data.users as Row[]), ...(data.groups as Row[]), ...(data.service_accounts as Row[])];
    expect(await frame.locator('table[data-testid=members] tbody tr').count()).toBe(members.length);
    expect(await frame.locator('table[data-testid=members] thead th').allTextContents()).toEqual(['Name', 'Kind', 'Email or ID', 'Role']);
    const keys = data.keys as Row[];
    const stale = keys.filter((k) => k.stale === true);
    expect(stale.length, 'the Billing project has stale keys to flag').toBeGreaterThan(0);
    expect(await frame.getByTestId('key-row').count()).toBe(keys.length);
    for (const key of keys) {
      const row = frame.locator(`[data-testid=key-row][data-key-id="${String(key.id)}"]`);
      expect(await row.locator('th').textContent()).toBe(key.name);
      expect(await row.getAttribute('data-stale')).toBe(String(key.stale === true));
      expect(await row.getByTestId('badge-stale').count()).toBe(key.stale === true ? 1 : 0);
      expect(await row.getByTestId('badge-orphan').count()).toBe(key.owner === 'unknown' ? 1 : 0);
    }
    expect(await frame.getByTestId('badge-stale').count()).toBe(stale.length);
    const flags = data.flags as string[];
    expect(await frame.locator('[data-testid=flags] li').allTextContents()).toEqual(flags);
    expect(await frame.getByTestId('summary').textContent()).toBe(data.summary);
    await shoot(page, 'access-dark.png');
    await page.close();
  });

  it('marks a project nobody owns', async () => {
    const page = await openHost(760);
    const { data, frame } = await show(page, 'access_review', { project: 'Research' }, 'light');
    const flag = (data.flags as string[]).find((f) => f.startsWith('no_owner'));
    expect(flag, 'the Research project has no owner').toBeDefined();
    expect(await frame.getByTestId('flag-no-owner').textContent()).toBe(flag);
    expect(await frame.locator('table[data-testid=members] caption').textContent()).toBe('Members (no owner)');
    await page.close();
  });
});

describe('results with fields the view does not know', () => {
  it('renders from the documented fields, ignores the rest, and marks a key whose owner is gone', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const spend = {
      total_usd: 12.5,
      currency: 'usd',
      period: { start: '2026-01-01', end: '2026-02-01' },
      breakdown: [
        { line_item: 'a', usd: 10, share: '80%', project_id: 'proj_x', note: { nested: true } },
        { line_item: 'b', usd: 2.5, share: '20%' },
      ],
      forecast_usd: 99,
      notes: ['extra'],
    };
    await page.setContent(standaloneHtml('spend_report', {}, spend));
    expect(await page.getByTestId('total').textContent()).toBe('$12.50');
    expect(await page.getByTestId('breakdown-row').locator('th').allTextContents()).toEqual(['a', 'b']);
    expect(await page.getByTestId('other-row').count()).toBe(0);
    expect(await page.getByTestId('daily-chart').count()).toBe(0);

    const access = {
      project: { id: 'proj_1', name: 'P', status: 'active' },
      summary: 's',
      flags: [],
      users: [{ name: 'Ann', email: 'ann@example.test', role: 'owner', joined: 1 }],
      groups: [],
      service_accounts: [],
      keys: [
        { name: 'gone', id: 'key_1', owner: 'unknown', last_used: 'never', stale: true, scopes: ['x'] },
        { name: 'fine', id: 'key_2', owner: 'ann@example.test', last_used: '2026-01-01' },
      ],
      unavailable: ['groups: 403 forbidden'],
    };
    await page.setContent(standaloneHtml('access_review', {}, access));
    const gone = page.locator('[data-key-id=key_1]');
    expect(await gone.getByTestId('badge-orphan').textContent()).toBe('Owner missing');
    expect(await gone.getByTestId('badge-stale').textContent()).toBe('Stale');
    expect(await page.locator('[data-key-id=key_2] .badge').count()).toBe(0);
    expect(await page.getByText('Not shown: groups: 403 forbidden').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('standalone file', () => {
  it('view --out writes one HTML file that renders the report with every request blocked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'views-standalone-'));
    try {
      const file = join(dir, 'spend.html');
      const args = JSON.stringify({ period: 'last_month', daily: true });
      const env = { PATH: process.env.PATH ?? '' };
      const written = spawnSync(process.execPath, [CLI, 'view', 'spend_report', args, '--sandbox', '--out', file], { encoding: 'utf8', env });
      expect(written.status, written.stderr).toBe(0);
      expect(written.stdout.trim()).toBe(file);
      const called = spawnSync(process.execPath, [CLI, 'call', 'spend_report', args, '--sandbox'], { encoding: 'utf8', env });
      const expected = JSON.parse(called.stdout) as Data;

      const context = await browser.newContext({ offline: true, viewport: { width: 760, height: 900 } });
      const requests: string[] = [];
      const violations: string[] = [];
      // Everything but the file itself is refused, and the context is offline besides.
      await context.route('**/*', (route) => (route.request().url() === pathToFileURL(file).href ? route.continue() : route.abort()));
      const page = await context.newPage();
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') violations.push(m.text());
      });
      await page.goto(pathToFileURL(file).href);
      await page.locator('[data-view=spend]').waitFor();
      expect(figure(await page.getByTestId('total').textContent())).toBe(expected.total_usd);
      expect(await page.getByTestId('breakdown-row').count()).toBe((expected.breakdown as Row[]).length);
      expect(await page.locator('.chart rect').count()).toBe((expected.daily as Row[]).length);
      // No host, so nothing to re-run with.
      expect(await page.getByTestId('rerun').count()).toBe(0);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(violations).toEqual([]);
      // The page's own CSP allows its one script and style by hash and nothing else.
      expect(readFileSync(file, 'utf8')).toMatch(/http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/);
      await context.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A drawn y coordinate as the budget chart computes it: 0 at the top of a 120-unit-high chart. */
const yFor = (usd: number, max: number) => 120 * (1 - usd / max);
const attr = async (locator: ReturnType<FrameLocator['locator']>, name: string) => Number(await locator.getAttribute(name));

describe('spend view: budget', () => {
  it('draws spend so far, the limit and every alert at their amounts, and the dashed forecast with its range to month end', async () => {
    const page = await openHost(760);
    const { data, frame } = await show(page, 'spend_report', { project: 'Support Assistant', period: 'this_month', daily: true }, 'light');
    const budget = data.budget as { month: string; month_to_date_usd: number; limit?: { usd: number; pct: number; when: string }; alerts: Array<{ usd: number; pct: number; when: string }>; forecast: { usd: number; low: number; high: number; method: string } };
    expect(budget.limit, 'the seeded project has a spend limit').toBeDefined();
    expect(budget.alerts.length).toBeGreaterThan(0);
    const chart = frame.getByTestId('budget-chart');
    const max = await attr(chart, 'data-max');
    const days = await attr(chart, 'data-days');
    const [year, month] = budget.month.split('-').map(Number) as [number, number];
    expect(days).toBe(new Date(Date.UTC(year, month, 0)).getUTCDate());
    expect(max).toBeGreaterThanOrEqual(Math.max(budget.limit!.usd, budget.forecast.high, ...budget.alerts.map((a) => a.usd)));

    // Each threshold is a full-width rule at its own height, carrying its amount.
    const limit = frame.getByTestId('limit-line');
    expect(await limit.count()).toBe(1);
    expect(await attr(limit, 'data-usd')).toBe(budget.limit!.usd);
    expect(await attr(limit, 'y1')).toBeCloseTo(yFor(budget.limit!.usd, max), 2);
    expect(await attr(limit, 'x2')).toBe(days);
    const alerts = frame.getByTestId('alert-line');
    expect(await alerts.count()).toBe(budget.alerts.length);
    for (const [i, alert] of budget.alerts.entries()) {
      expect(await attr(alerts.nth(i), 'data-usd')).toBe(alert.usd);
      expect(await attr(alerts.nth(i), 'y1')).toBeCloseTo(yFor(alert.usd, max), 2);
    }

    // Spend so far ends at the month to date; the forecast runs dashed from there to the month's last day.
    const spent = frame.getByTestId('spent-line');
    const points = ((await spent.getAttribute('points')) ?? '').split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    const [lastX, lastY] = points[points.length - 1] as [number, number];
    const daily = (data.daily as Array<{ date: string; usd: number }>).filter((d) => d.date.startsWith(budget.month));
    expect(points.length).toBe(daily.length + 1);
    expect(lastX).toBe(Number(daily[daily.length - 1]!.date.slice(8, 10)));
    expect(Math.abs(await attr(spent, 'data-usd') - budget.month_to_date_usd)).toBeLessThan(0.05);
    expect(lastY).toBeCloseTo(yFor(await attr(spent, 'data-usd'), max), 2);
    const forecast = frame.getByTestId('forecast-line');
    expect(await attr(forecast, 'data-usd')).toBe(budget.forecast.usd);
    expect([await attr(forecast, 'x1'), await attr(forecast, 'y1')]).toEqual([lastX, lastY]);
    expect(await attr(forecast, 'x2')).toBe(days);
    expect(await attr(forecast, 'y2')).toBeCloseTo(yFor(budget.forecast.usd, max), 2);
    expect(await forecast.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { strokeDasharray: string } }).getComputedStyle(el).strokeDasharray)).not.toBe('none');
    const range = frame.getByTestId('forecast-range');
    const corners = ((await range.getAttribute('points')) ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(corners[1]![0]).toBe(days);
    expect(corners[1]![1]).toBeCloseTo(yFor(budget.forecast.low, max), 2);
    expect(corners[2]![1]).toBeCloseTo(yFor(budget.forecast.high, max), 2);
    expect([await attr(range, 'data-low'), await attr(range, 'data-high')]).toEqual([budget.forecast.low, budget.forecast.high]);

    // The same facts as text: one row per threshold with amount, use and when; the method in a line.
    const rowsShown = frame.getByTestId('threshold-row');
    const thresholds = [budget.limit!, ...budget.alerts];
    expect(await rowsShown.count()).toBe(thresholds.length);
    for (const [i, t] of thresholds.entries()) {
      const cells = await rowsShown.nth(i).locator('td').allTextContents();
      expect(cells.slice(0, 3)).toEqual([money(t.usd), `${t.pct}%`, t.when]);
    }
    expect(await frame.getByTestId('forecast-method').textContent()).toContain(budget.forecast.method);
    expect(await chart.getAttribute('aria-label')).toContain(`forecast ${money(budget.forecast.usd)}`);
    await shoot(page, 'spend-budget-light.png');
    await page.close();
  });
});

interface AnomalyShown {
  day: string;
  through?: string;
  group: string;
  value: number;
  baseline: number;
  factor?: number;
  new?: boolean;
  drivers: string[];
  audit?: string[];
}

describe('anomaly view', () => {
  it('draws one card per anomaly: the day against its baseline, the drivers with their shares, the audit events, new spend as new', async () => {
    // Tall: eight cards at 400 px, all painted for the screenshot.
    const page = await openHost(400, 3600);
    const { shown, data, frame } = await show(page, 'spend_anomalies', { by: 'api_key', period: 'last_90_days' }, 'dark');
    expect(shown.mimeType).toBe('text/html;profile=mcp-app');
    const anomalies = data.anomalies as AnomalyShown[];
    expect(anomalies.length, 'the seed has key-level anomalies over 90 days').toBeGreaterThan(0);
    // Read every card in one pass (a round trip per field would take a minute on a busy machine).
    const cards = await frame.getByTestId('anomaly').evaluateAll((elements) => {
      type El = { textContent: string | null; getAttribute(n: string): string | null; querySelector(s: string): El | null; querySelectorAll(s: string): El[] };
      const text = (el: El, id: string) => el.querySelector(`[data-testid=${id}]`)?.textContent ?? null;
      const column = (el: El, id: string) => {
        const c = el.querySelector(`[data-testid=${id}]`);
        return c ? { value: Number(c.getAttribute('data-value')), height: Number(c.getAttribute('height')) } : null;
      };
      return (elements as unknown as El[]).map((el) => ({
        group: text(el, 'anomaly-group'),
        days: text(el, 'anomaly-days'),
        headline: text(el, 'anomaly-headline') ?? '',
        badge: el.querySelectorAll('[data-testid=new-badge]').length,
        spike: column(el, 'spike-column'),
        base: column(el, 'baseline-column'),
        shares: [...el.querySelectorAll('[data-testid=driver-share]')].map((d) => d.textContent),
        labels: [...el.querySelectorAll('[data-testid=driver] th')].map((d) => d.textContent ?? ''),
        audit: [...el.querySelectorAll('[data-testid=audit-event]')].map((d) => d.textContent),
      }));
    });
    expect(cards.length).toBe(anomalies.length);
    for (const [i, a] of anomalies.entries()) {
      const card = cards[i]!;
      expect(card.group).toBe(a.group);
      expect(card.days).toBe(a.through ? `${a.day} to ${a.through}` : a.day);
      expect(card.headline).toContain(money(a.value));
      expect(card.spike?.value).toBe(a.value);
      if (a.new) {
        expect(card.badge).toBe(1);
        expect(card.headline).toContain('no earlier history');
        expect(card.base).toBeNull();
      } else {
        expect(card.badge).toBe(0);
        expect(card.headline).toContain(`${money(a.baseline)} (${a.factor}×)`);
        expect(card.base?.value).toBe(a.baseline);
        // Both columns on one scale: their heights stand in the ratio of the figures.
        expect(card.spike!.height * a.baseline).toBeCloseTo(card.base!.height * a.value, 3);
      }
      expect(card.shares).toEqual(a.drivers.map((d) => /(\d+)%$/.exec(d)![0]));
      for (const [j, d] of a.drivers.entries()) expect(card.labels[j]).toContain(/^\w+ (.+): \d+%$/.exec(d)![1]!);
      expect(card.audit).toEqual(a.audit ?? []);
    }
    expect(await frame.getByTestId('more').count()).toBe(data.more ? 1 : 0);
    expect(await luminance(frame)).toBeLessThan(0.2);
    expect(await frame.locator('html').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await shoot(page, 'anomalies-dark-400.png');
    await page.close();
  });

  it('shows names and audit lines as text, never markup, and a new group without a baseline or factor', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const hostile = '<img src=x onerror="globalThis.pwned=1">';
    const result = {
      period: '2026-11-01 to 2026-11-30 (last_30_days, whole UTC days)',
      method: 'usd by api_key, 3 groups × 30 days: test',
      anomalies: [
        { day: '2026-11-20', group: `${hostile} (key_1)`, value: 500, baseline: 0, new: true, drivers: [`model ${hostile}: 90%`], audit: ['</script><script>globalThis.pwned=2</script> api_key.created'] },
        { day: '2026-11-21', through: '2026-11-22', group: 'ok (key_2)', value: 300, baseline: 100, factor: 3, drivers: ['line_item gpt-4o, input: 70%', 'unparsed driver'] },
      ],
      more: 2,
      shifted: 3,
    };
    await page.setContent(standaloneHtml('spend_anomalies', {}, result));
    const cards = page.getByTestId('anomaly');
    expect(await cards.count()).toBe(2);
    expect(await cards.nth(0).getByTestId('anomaly-group').textContent()).toBe(`${hostile} (key_1)`);
    expect(await cards.nth(0).getByTestId('audit-event').textContent()).toBe(result.anomalies[0]!.audit![0]);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await cards.nth(0).getByTestId('new-badge').count()).toBe(1);
    expect(await cards.nth(0).getByTestId('anomaly-headline').textContent()).not.toMatch(/Infinity|×/);
    expect(await cards.nth(1).getByTestId('driver').nth(1).textContent()).toBe('unparsed driver');
    expect(await page.getByTestId('more').textContent()).toBe('2 smaller anomalies not shown.');
    expect(await page.getByTestId('shifted').textContent()).toMatch(/^3 jumps were spend moving between groups/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
