import { spawn } from 'node:child_process';
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
  /** The view's tools/call requests through the host, each with the result the server gave it once answered. */
  calls: Array<{ name: string; arguments?: Record<string, unknown>; result?: CallToolResult }>;
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

const UPDATE_SHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SHOTS = UPDATE_SHOTS ? new URL('../../docs/img/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'views-shots-'));
mkdirSync(SHOTS, { recursive: true });

let browser: Browser;
let server: RunningServer;
let host: { url: string; close(): Promise<void> };
/** One host page for every hosted test: show() replaces the iframe and the recorded calls each time. */
let hostPage: Page;
/** Every URL the host page requested and every console error it logged, since it opened. */
const hostRequests: string[] = [];
const hostConsoleErrors: string[] = [];
/** One blank page for the tests that render a result with setContent and no host. */
let plainPage: Page;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startMcpServer()]);
  host = await startHostServer(server.url);
  hostPage = await browser.newPage({ viewport: { width: 760, height: 1600 } });
  hostPage.on('pageerror', (error) => {
    throw error;
  });
  hostPage.on('request', (r) => hostRequests.push(r.url()));
  hostPage.on('console', (m) => {
    if (m.type() === 'error') hostConsoleErrors.push(m.text());
  });
  await hostPage.goto(host.url);
  await hostPage.waitForFunction(() => 'testHost' in globalThis);
  plainPage = await browser.newPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  if (!UPDATE_SHOTS) rmSync(SHOTS, { recursive: true, force: true });
});

/** Runs node with these arguments to the end, as spawnSync would, without blocking the test's event loop. */
function run(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const money = (n: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 }).format(n);
const count = (n: number) => new Intl.NumberFormat('en-US').format(n);
const figure = (text: string | null) => Number((text ?? '').replace(/[^0-9.-]/g, ''));

/**
 * The shared host page at this viewport. Tall enough for the whole view at 400 px: headless chromium
 * paints an out-of-process iframe only where it meets the viewport, and a screenshot of the rest
 * comes out blank. A page per test would cost a page load, an MCP session and a tools/list each.
 */
async function openHost(width: number, height = 1600): Promise<Page> {
  await hostPage.setViewportSize({ width, height });
  return hostPage;
}

async function show(page: Page, tool: string, args: Data, theme: 'light' | 'dark'): Promise<{ shown: Shown; data: Data; frame: FrameLocator }> {
  const shown = await page.evaluate(([t, a, th]) => (globalThis as unknown as InPage).testHost.show(t, a, th), [tool, args, theme] as const);
  expect(shown.result.isError).toBeFalsy();
  const frame = page.frameLocator('iframe');
  await frame.locator('[data-view]').waitFor();
  return { shown, data: shown.result.structuredContent as Data, frame };
}

/** The tools/call requests the view made through the host since show(), each with the result the server gave it. */
const viewCalls = (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).testHost.calls());

async function shoot(page: Page, name: string): Promise<void> {
  // The view reports its height to the host, which sizes the iframe; wait for it to settle.
  await page.waitForFunction(() => ((globalThis as unknown as InPage).document.querySelector('iframe')?.clientHeight ?? 0) > 320);
  const png = await page.locator('iframe').screenshot();
  writeFileSync(join(SHOTS, name), png);
  expect(png.length).toBeGreaterThan(5_000);
}

/** One element as the view shows it: its text, its attributes, its th and td cells' texts, and every data-testid inside it. */
interface Seen {
  text: string;
  attrs: Record<string, string>;
  th: string[];
  td: string[];
  testids: string[];
}
interface Look {
  /** Every element the selector matched, in document order. */
  all(selector: string): Seen[];
  /** The one element the selector matched (it fails, as a strict locator does, on none or several). */
  one(selector: string): Seen;
  /** The body's background as luminance 0..1, to tell the themes apart. */
  luminance: number;
  /** How far the document is wider than its viewport (≤ 0: no sideways scrolling). */
  overflow: number;
}

/**
 * What the view (or a page) shows for each selector, read in one round trip. A textContent(),
 * count() or getAttribute() per value is a CDP round trip through the frame (tens of milliseconds of
 * chromium CPU each), and checking a whole table that way took hundreds of them.
 */
async function look(scope: FrameLocator | Page, selectors: string[]): Promise<Look> {
  const read = await scope.locator('html').evaluate((html, sels) => {
    type El = {
      textContent: string | null;
      attributes: ArrayLike<{ name: string; value: string }>;
      getAttribute(name: string): string | null;
      querySelectorAll(selector: string): ArrayLike<El>;
      querySelector(selector: string): El | null;
      scrollWidth: number;
      clientWidth: number;
      ownerDocument: El;
    };
    const root = html as unknown as El;
    const texts = (el: El, selector: string) => Array.from(el.querySelectorAll(selector), (c) => c.textContent ?? '');
    const matches = sels.map((selector) =>
      Array.from(root.ownerDocument.querySelectorAll(selector), (el) => ({
        text: el.textContent ?? '',
        attrs: Object.fromEntries(Array.from(el.attributes, (a) => [a.name, a.value])),
        th: texts(el, 'th'),
        td: texts(el, 'td'),
        testids: Array.from(el.querySelectorAll('[data-testid]'), (c) => c.getAttribute('data-testid') ?? ''),
      })),
    );
    const body = root.querySelector('body');
    const background = body ? (globalThis as unknown as InPage).getComputedStyle(body).backgroundColor : '';
    return { matches, background, overflow: root.scrollWidth - root.clientWidth };
  }, selectors);
  const [r = 0, g = 0, b = 0] = (read.background.match(/\d+/g) ?? []).map(Number);
  const all = (selector: string): Seen[] => {
    const i = selectors.indexOf(selector);
    if (i < 0) throw new Error(`look() was not asked for ${selector}`);
    return read.matches[i] as Seen[];
  };
  return {
    all,
    one: (selector) => {
      const found = all(selector);
      expect(found, `exactly one element matches ${selector}`).toHaveLength(1);
      return found[0]!;
    },
    luminance: (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255,
    overflow: read.overflow,
  };
}

// Each test drives a browser through many round trips; on a busy machine that takes time, not luck.
vi.setConfig({ testTimeout: 180_000 });

describe('spend view', () => {
  it('shows the total, the window, a daily chart and one bar per breakdown row, and re-runs through the host', async () => {
    const page = await openHost(760);
    const args = { period: 'last_month', group_by: ['line_item'], top: 6, daily: true };
    const { shown, data, frame } = await show(page, 'spend_report', args, 'light');
    expect(shown.mimeType).toBe('text/html;profile=mcp-app');
    const seen = await look(frame, [
      '[data-testid=total]',
      '[data-testid=window]',
      '[data-testid=breakdown-row]',
      '[data-testid=breakdown] [data-testid=bar]',
      '[data-testid=other-row]',
      'table[data-testid=breakdown] caption',
      '[data-testid=daily-chart]',
      '[data-testid=daily-chart] rect',
      '.chart-data tbody tr',
    ]);

    // The total shown is structuredContent.total_usd, to the cent.
    const total = seen.one('[data-testid=total]').text;
    expect(figure(total)).toBe(data.total_usd);
    expect(total).toBe(money(data.total_usd as number));
    const period = data.period as { start: string; end: string };
    expect(seen.one('[data-testid=window]').text).toContain(`From ${period.start} to ${period.end}`);

    // One row and one bar per breakdown row, with its label, amount and share; the "other" row after them.
    const breakdown = data.breakdown as Row[];
    const other = data.other as { rows: number; usd: number } | undefined;
    expect(other, 'top 6 leaves an "other" row to check').toBeDefined();
    const rows = seen.all('[data-testid=breakdown-row]');
    expect(rows.map((r) => r.th)).toEqual(breakdown.map((row) => [row.line_item]));
    expect(rows.map((r) => r.td.slice(1, 3))).toEqual(breakdown.map((row) => [money(row.usd as number), row.share]));
    expect(rows.map((r) => r.testids.filter((id) => id === 'bar').length)).toEqual(breakdown.map(() => 1));
    expect(seen.all('[data-testid=breakdown] [data-testid=bar]')).toHaveLength(breakdown.length + 1);
    const otherRow = seen.one('[data-testid=other-row]');
    expect(otherRow.td[1]).toBe(money(other!.usd));
    expect(otherRow.th).toHaveLength(1);
    expect(otherRow.th[0]).toContain(`${other!.rows} more rows`);
    expect(seen.one('table[data-testid=breakdown] caption').text).toBe('Breakdown');

    // The daily chart: one column per day, a name for screen readers and the figures as a table.
    const daily = data.daily as Array<{ date: string; usd: number }>;
    expect(daily.length).toBeGreaterThan(27);
    const chart = seen.one('[data-testid=daily-chart]');
    expect(seen.all('[data-testid=daily-chart] rect')).toHaveLength(daily.length);
    expect(chart.attrs.role).toBe('img');
    expect(chart.attrs['aria-label']).toContain(`from ${daily[0]!.date} to ${daily[daily.length - 1]!.date}`);
    expect(seen.all('.chart-data tbody tr')).toHaveLength(daily.length);

    expect(seen.luminance).toBeGreaterThan(0.8);
    await shoot(page, 'spend-light.png');

    // Re-run for another period from the view: it calls spend_report through the host, and the
    // total becomes what the server answers that call.
    await frame.getByTestId('period').selectOption('last_7_days');
    await frame.getByTestId('rerun').click();
    await expect.poll(() => frame.getByTestId('total').textContent(), { timeout: 60_000 }).not.toBe(total);
    const calls = await viewCalls(page);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe('spend_report');
    expect(calls[0]?.arguments).toEqual({ ...args, period: 'last_7_days' });
    const answer = calls[0]!.result!.structuredContent as Data;
    const expected = answer.total_usd as number;
    expect(expected).not.toBe(data.total_usd);
    const after = await look(frame, ['[data-testid=total]', '.chart rect']);
    expect(figure(after.one('[data-testid=total]').text)).toBe(expected);
    // A rolling 7 days ends now, so its daily series spans 8 calendar days (today's part included).
    expect(after.all('.chart rect')).toHaveLength((answer.daily as unknown[]).length);
  });

  it('offers the daily chart when the result has none, and draws it from one re-run with daily: true', async () => {
    const page = await openHost(760);
    const args = { period: 'last_month' };
    const { data, frame } = await show(page, 'spend_report', args, 'light');
    expect(data.daily, 'the report leaves the daily series out unless asked').toBeUndefined();
    expect(await frame.getByTestId('daily-chart').count()).toBe(0);
    await frame.getByTestId('show-daily').click();
    await expect.poll(() => frame.getByTestId('daily-chart').count(), { timeout: 60_000 }).toBe(1);
    const calls = await viewCalls(page);
    expect(calls.map((c) => c.arguments)).toEqual([{ ...args, daily: true }]);
    const daily = (calls[0]!.result!.structuredContent as Data).daily as Array<{ date: string; usd: number }>;
    const seen = await look(frame, ['[data-testid=daily-chart] rect', '[data-testid=total]']);
    expect(seen.all('[data-testid=daily-chart] rect')).toHaveLength(daily.length);
    expect(figure(seen.one('[data-testid=total]').text)).toBe(data.total_usd);
  });

  it('follows a dark host theme and fits 400 px without sideways scrolling', async () => {
    const page = await openHost(400);
    const { data, frame } = await show(page, 'spend_report', { period: 'last_30_days', group_by: ['project'], daily: true }, 'dark');
    const seen = await look(frame, ['html', '[data-testid=breakdown-row]']);
    expect(seen.luminance).toBeLessThan(0.2);
    expect(seen.one('html').attrs['data-theme']).toBe('dark');
    expect(seen.all('[data-testid=breakdown-row]').map((r) => r.th)).toEqual((data.breakdown as Row[]).map((row) => [row.project]));
    expect(seen.overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'spend-dark-400.png');
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
  const parts = (metric: string) => ({
    chart: `[data-testid="series-${metric}"]`,
    rects: `[data-testid="series-${metric}"] rect`,
    legend: `[data-testid="series-${metric}-figure"] [data-testid=legend-item]`,
    caption: `[data-testid="series-${metric}-figure"] figcaption`,
    head: `[data-testid="series-${metric}-table"] thead th`,
    rows: `[data-testid="series-${metric}-table"] tbody tr`,
  });
  const seen = await look(frame, ['figure svg.chart', ...metrics.flatMap((m) => Object.values(parts(m)))]);
  expect(seen.all('figure svg.chart')).toHaveLength(metrics.length);
  for (const metric of metrics) {
    const at = parts(metric);
    // One column part per step and series, in the series' own colour class; the legend names each series.
    const rects = seen.all(at.rects);
    expect(rects).toHaveLength(series.dates.length * series.rows.length);
    expect(series.rows.map((_, j) => rects.filter((r) => r.attrs['data-series'] === String(j)).length)).toEqual(series.rows.map(() => series.dates.length));
    expect(seen.all(at.legend).map((l) => l.text)).toEqual(series.rows.map((r) => r.group));
    expect(seen.one(at.caption).text).toBe(`${({ tokens: 'Tokens', requests: 'Requests', usage_bytes: 'Stored bytes (average)' } as Record<string, string>)[metric] ?? metric} per ${series.step}`);
    // The text alternative: the image's name covers the whole span and names the series.
    const chart = seen.one(at.chart);
    expect(chart.attrs.role).toBe('img');
    const name = chart.attrs['aria-label'] ?? '';
    expect(name).toContain(`${series.dates.length} steps from ${series.dates[0]}`);
    expect(name).toContain(` to ${series.dates[series.dates.length - 1]}`);
    for (const row of series.rows) expect(name).toContain(String(row.group));
    // The real table: a header per series plus the total, a row per step with the exact figures.
    expect(seen.all(at.head).map((th) => th.text)).toEqual([series.step === 'day' ? 'Day' : series.step === 'week' ? 'Week from' : 'Month from', ...series.rows.map((r) => String(r.group)), 'Total']);
    const rows = seen.all(at.rows);
    // The last step of a period that ends today, and a month the period starts in the middle of, are marked as partial.
    const cut = (i: number, date: string) => (i === series.dates.length - 1 && period.end.slice(0, 10) <= addDays(date, series.step)) || (i === 0 && series.step === 'month' && !date.endsWith('-01'));
    expect(rows.map((row) => row.th)).toEqual(series.dates.map((date, i) => [cut(i, date) ? `${date} (partial)` : date]));
    expect(rows.map((row) => row.td)).toEqual(
      series.dates.map((_, i) => {
        const values = series.rows.map((r) => (r[metric] as number[])[i] ?? 0);
        return [...values.map(count), count(values.reduce((a, b) => a + b, 0))];
      }),
    );
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
    const args = { period: 'last_30_days', group_by: ['model'], top: 8 };
    const { data, frame } = await show(page, 'usage_report', args, 'light');
    const seen = await look(frame, ['[data-testid=total-tokens]', '[data-testid=total-requests]', '[data-testid=no-series]', '[data-testid=group-row]']);
    const totals = data.totals as Record<string, number>;
    expect(seen.one('[data-testid=total-tokens]').text).toBe(count((totals.input_tokens ?? 0) + (totals.output_tokens ?? 0)));
    expect(seen.one('[data-testid=total-requests]').text).toBe(count(totals.num_model_requests ?? 0));

    // Over time: weekly steps for 30 days, the top 3 models and the rest, in two charts.
    const series = data.series as UsageSeries;
    expect(series.step).toBe('week');
    expect(series.rows.map((r) => r.group)).toEqual([...(data.groups as Row[]).slice(0, 3).map((g) => g.model), '(all others)']);
    await expectSeriesShown(frame, data);
    expect(seen.all('[data-testid=no-series]')).toHaveLength(0);

    const groups = data.groups as Row[];
    expect(groups.length).toBeGreaterThan(1);
    const rows = seen.all('[data-testid=group-row]');
    expect(rows.map((row) => row.th)).toEqual(groups.map((group) => [group.model]));
    expect(rows.map((row) => row.td.slice(0, 2))).toEqual(groups.map((group) => [count((group.input_tokens as number) + (group.output_tokens as number)), count(group.num_model_requests as number)]));
    expect(rows.map((row) => row.testids.filter((id) => id === 'bar').length)).toEqual(groups.map(() => 2));
    await frame.locator('#app:not([aria-busy])').waitFor();
    await shoot(page, 'usage-light.png');

    // Regrouping from the view calls usage_report with the new grouping; the charts follow it.
    await frame.getByTestId('group-by').selectOption('project');
    await frame.getByTestId('rerun').click();
    await expect.poll(async () => frame.locator('table[data-testid=groups] thead th').first().textContent(), { timeout: 60_000 }).toBe('Project');
    let calls = await viewCalls(page);
    expect(calls[0]?.arguments).toEqual({ ...args, group_by: ['project'] });
    await expectSeriesShown(frame, calls[0]!.result!.structuredContent as Data);
    expect((await look(frame, ['[data-testid=legend-item]'])).all('[data-testid=legend-item]')[0]?.text).toMatch(/\(proj_[A-Za-z0-9]+\)$/);

    // Another period: 7 days come in daily steps, and the view shows what the server answers.
    await frame.getByTestId('period').selectOption('last_7_days');
    await frame.getByTestId('rerun').click();
    await expect.poll(async () => frame.getByTestId('series-tokens-figure').locator('figcaption').textContent(), { timeout: 60_000 }).toBe('Tokens per day');
    calls = await viewCalls(page);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.arguments).toEqual({ ...args, group_by: ['project'], period: 'last_7_days' });
    const weekData = calls[1]!.result!.structuredContent as Data;
    expect((weekData.series as UsageSeries).dates).toHaveLength(8);
    await expectSeriesShown(frame, weekData);
    expect((await look(frame, ['[data-testid=total-tokens]'])).one('[data-testid=total-tokens]').text).toBe(count(((weekData.totals as Record<string, number>).input_tokens ?? 0) + ((weekData.totals as Record<string, number>).output_tokens ?? 0)));

    // Nothing but the host page, its script and its /mcp, since the page opened: the view itself fetches nothing.
    const origin = new URL(host.url).origin;
    expect(hostRequests.length).toBeGreaterThan(0);
    expect(hostRequests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('about:'))).toEqual([]);
    expect(hostConsoleErrors).toEqual([]);
  });

  it('follows a dark host theme at 400 px, and keeps stored bytes a level', async () => {
    const page = await openHost(400);
    const { data, frame } = await show(page, 'usage_report', { period: 'last_90_days', group_by: ['project'] }, 'dark');
    const seen = await look(frame, ['html']);
    expect(seen.luminance).toBeLessThan(0.2);
    expect(seen.one('html').attrs['data-theme']).toBe('dark');
    await expectSeriesShown(frame, data);
    expect(seen.overflow).toBeLessThanOrEqual(0);
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
    const bytes = await look(stored.frame, ['[data-testid=series-usage_bytes-figure] figcaption', '[data-testid=series-usage_bytes] rect', '[data-testid=series-usage_bytes-table] tbody tr']);
    expect(bytes.one('[data-testid=series-usage_bytes-figure] figcaption').text).toBe('Stored bytes (average) per week');
    expect(bytes.all('[data-testid=series-usage_bytes] rect')).toHaveLength(series.dates.length * series.rows.length);
    expect(bytes.all('[data-testid=series-usage_bytes-table] tbody tr')[0]?.td[0]).toMatch(/^\d+(\.\d)? GiB$/);
  });
});

describe('access view', () => {
  it('lists members and keys in real tables and flags every stale key and missing owner', async () => {
    const page = await openHost(760);
    const { data, frame } = await show(page, 'access_review', { project: 'Billing' }, 'dark');
    const seen = await look(frame, ['table[data-testid=members] tbody tr', 'table[data-testid=members] thead th', '[data-testid=key-row]', '[data-testid=badge-stale]', '[data-testid=flags] li', '[data-testid=summary]']);
    const members = [...(data.users as Row[]), ...(data.groups as Row[]), ...(data.service_accounts as Row[])];
    expect(seen.all('table[data-testid=members] tbody tr')).toHaveLength(members.length);
    expect(seen.all('table[data-testid=members] thead th').map((th) => th.text)).toEqual(['Name', 'Kind', 'Email or ID', 'Role']);
    const keys = data.keys as Row[];
    const stale = keys.filter((k) => k.stale === true);
    expect(stale.length, 'the Billing project has stale keys to flag').toBeGreaterThan(0);
    const keyRows = seen.all('[data-testid=key-row]');
    expect(keyRows).toHaveLength(keys.length);
    // Each key's own row (exactly one per id): its name, whether it is stale, and its badges.
    const shownFor = (key: Row) => {
      const row = keyRows.filter((r) => r.attrs['data-key-id'] === String(key.id));
      expect(row, `one row for ${String(key.id)}`).toHaveLength(1);
      const { th, attrs, testids } = row[0]!;
      return { th, stale: attrs['data-stale'], staleBadges: testids.filter((id) => id === 'badge-stale').length, orphanBadges: testids.filter((id) => id === 'badge-orphan').length };
    };
    expect(keys.map(shownFor)).toEqual(
      keys.map((key) => ({ th: [key.name], stale: String(key.stale === true), staleBadges: key.stale === true ? 1 : 0, orphanBadges: key.owner === 'unknown' ? 1 : 0 })),
    );
    expect(seen.all('[data-testid=badge-stale]')).toHaveLength(stale.length);
    const flags = data.flags as string[];
    expect(seen.all('[data-testid=flags] li').map((li) => li.text)).toEqual(flags);
    expect(seen.one('[data-testid=summary]').text).toBe(data.summary);
    await shoot(page, 'access-dark.png');
  });

  it('marks a project nobody owns', async () => {
    const page = await openHost(760);
    const { data, frame } = await show(page, 'access_review', { project: 'Research' }, 'light');
    const flag = (data.flags as string[]).find((f) => f.startsWith('no_owner'));
    expect(flag, 'the Research project has no owner').toBeDefined();
    const seen = await look(frame, ['[data-testid=flag-no-owner]', 'table[data-testid=members] caption']);
    expect(seen.one('[data-testid=flag-no-owner]').text).toBe(flag);
    expect(seen.one('table[data-testid=members] caption').text).toBe('Members (no owner)');
  });
});

describe('results with fields the view does not know', () => {
  it('renders from the documented fields, ignores the rest, and marks a key whose owner is gone', async () => {
    const page = plainPage;
    const errors: string[] = [];
    const onError = (e: Error) => errors.push(e.message);
    page.on('pageerror', onError);
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
    const shown = await look(page, ['[data-testid=total]', '[data-testid=breakdown-row] th', '[data-testid=other-row]', '[data-testid=daily-chart]']);
    expect(shown.one('[data-testid=total]').text).toBe('$12.50');
    expect(shown.all('[data-testid=breakdown-row] th').map((th) => th.text)).toEqual(['a', 'b']);
    expect(shown.all('[data-testid=other-row]')).toHaveLength(0);
    expect(shown.all('[data-testid=daily-chart]')).toHaveLength(0);

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
    const keys = await look(page, ['[data-key-id=key_1] [data-testid=badge-orphan]', '[data-key-id=key_1] [data-testid=badge-stale]', '[data-key-id=key_2] .badge']);
    expect(keys.one('[data-key-id=key_1] [data-testid=badge-orphan]').text).toBe('Owner missing');
    expect(keys.one('[data-key-id=key_1] [data-testid=badge-stale]').text).toBe('Stale');
    expect(keys.all('[data-key-id=key_2] .badge')).toHaveLength(0);
    expect(await page.getByText('Not shown: groups: 403 forbidden').count()).toBe(1);
    expect(errors).toEqual([]);
    page.off('pageerror', onError);
  });
});

describe('standalone file', () => {
  it('view --out writes one HTML file that renders the report with every request blocked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'views-standalone-'));
    try {
      const file = join(dir, 'spend.html');
      const args = { period: 'last_month', daily: true };
      // What the report is, from the running server on its own sandbox (the same seed as the CLI's).
      const [written, called] = await Promise.all([
        run([CLI, 'view', 'spend_report', JSON.stringify(args), '--sandbox', '--out', file], { PATH: process.env.PATH ?? '' }),
        hostPage.evaluate(([a]) => (globalThis as unknown as InPage).testHost.callTool('spend_report', a), [args] as const),
      ]);
      expect(written.status, written.stderr).toBe(0);
      expect(written.stdout.trim()).toBe(file);
      expect(called.isError).toBeFalsy();
      const expected = called.structuredContent as Data;

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
      const seen = await look(page, ['[data-testid=total]', '[data-testid=breakdown-row]', '.chart rect', '[data-testid=rerun]']);
      expect(figure(seen.one('[data-testid=total]').text)).toBe(expected.total_usd);
      expect(seen.all('[data-testid=breakdown-row]')).toHaveLength((expected.breakdown as Row[]).length);
      expect(seen.all('.chart rect')).toHaveLength((expected.daily as Row[]).length);
      // No host, so nothing to re-run with.
      expect(seen.all('[data-testid=rerun]')).toHaveLength(0);
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
/** An attribute as a number, as the budget chart draws it. */
const attr = (seen: Seen, name: string) => Number(seen.attrs[name] ?? null);

describe('spend view: budget', () => {
  it('draws spend so far, the limit and every alert at their amounts, and the dashed forecast with its range to month end', async () => {
    const page = await openHost(760);
    const { data, frame } = await show(page, 'spend_report', { project: 'Support Assistant', period: 'this_month', daily: true }, 'light');
    const budget = data.budget as { month: string; month_to_date_usd: number; limit?: { usd: number; pct: number; when: string }; alerts: Array<{ usd: number; pct: number; when: string }>; forecast: { usd: number; low: number; high: number; method: string } };
    expect(budget.limit, 'the seeded project has a spend limit').toBeDefined();
    expect(budget.alerts.length).toBeGreaterThan(0);
    const ids = ['budget-chart', 'limit-line', 'alert-line', 'spent-line', 'forecast-line', 'forecast-range', 'threshold-row', 'forecast-method'] as const;
    const seen = await look(frame, ids.map((id) => `[data-testid=${id}]`));
    const all = (id: (typeof ids)[number]) => seen.all(`[data-testid=${id}]`);
    const one = (id: (typeof ids)[number]) => seen.one(`[data-testid=${id}]`);
    const chart = one('budget-chart');
    const max = attr(chart, 'data-max');
    const days = attr(chart, 'data-days');
    const [year, month] = budget.month.split('-').map(Number) as [number, number];
    expect(days).toBe(new Date(Date.UTC(year, month, 0)).getUTCDate());
    expect(max).toBeGreaterThanOrEqual(Math.max(budget.limit!.usd, budget.forecast.high, ...budget.alerts.map((a) => a.usd)));

    // Each threshold is a full-width rule at its own height, carrying its amount.
    const limit = one('limit-line');
    expect(attr(limit, 'data-usd')).toBe(budget.limit!.usd);
    expect(attr(limit, 'y1')).toBeCloseTo(yFor(budget.limit!.usd, max), 2);
    expect(attr(limit, 'x2')).toBe(days);
    const alerts = all('alert-line');
    expect(alerts).toHaveLength(budget.alerts.length);
    for (const [i, alert] of budget.alerts.entries()) {
      expect(attr(alerts[i]!, 'data-usd')).toBe(alert.usd);
      expect(attr(alerts[i]!, 'y1')).toBeCloseTo(yFor(alert.usd, max), 2);
    }

    // Spend so far ends at the month to date; the forecast runs dashed from there to the month's last day.
    const spent = one('spent-line');
    const points = (spent.attrs.points ?? '').split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    const [lastX, lastY] = points[points.length - 1] as [number, number];
    const daily = (data.daily as Array<{ date: string; usd: number }>).filter((d) => d.date.startsWith(budget.month));
    expect(points.length).toBe(daily.length + 1);
    expect(lastX).toBe(Number(daily[daily.length - 1]!.date.slice(8, 10)));
    expect(Math.abs(attr(spent, 'data-usd') - budget.month_to_date_usd)).toBeLessThan(0.05);
    expect(lastY).toBeCloseTo(yFor(attr(spent, 'data-usd'), max), 2);
    const forecast = one('forecast-line');
    expect(attr(forecast, 'data-usd')).toBe(budget.forecast.usd);
    expect([attr(forecast, 'x1'), attr(forecast, 'y1')]).toEqual([lastX, lastY]);
    expect(attr(forecast, 'x2')).toBe(days);
    expect(attr(forecast, 'y2')).toBeCloseTo(yFor(budget.forecast.usd, max), 2);
    expect(await frame.getByTestId('forecast-line').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { strokeDasharray: string } }).getComputedStyle(el).strokeDasharray)).not.toBe('none');
    const range = one('forecast-range');
    const corners = (range.attrs.points ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(corners[1]![0]).toBe(days);
    expect(corners[1]![1]).toBeCloseTo(yFor(budget.forecast.low, max), 2);
    expect(corners[2]![1]).toBeCloseTo(yFor(budget.forecast.high, max), 2);
    expect([attr(range, 'data-low'), attr(range, 'data-high')]).toEqual([budget.forecast.low, budget.forecast.high]);

    // The same facts as text: one row per threshold with amount, use and when; the method in a line.
    const thresholds = [budget.limit!, ...budget.alerts];
    expect(all('threshold-row').map((row) => row.td.slice(0, 3))).toEqual(thresholds.map((t) => [money(t.usd), `${t.pct}%`, t.when]));
    expect(one('forecast-method').text).toContain(budget.forecast.method);
    expect(chart.attrs['aria-label']).toContain(`forecast ${money(budget.forecast.usd)}`);
    await shoot(page, 'spend-budget-light.png');
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
    const seen = await look(frame, ['[data-testid=more]']);
    expect(seen.all('[data-testid=more]')).toHaveLength(data.more ? 1 : 0);
    expect(seen.luminance).toBeLessThan(0.2);
    expect(seen.overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'anomalies-dark-400.png');
  });

  it('shows names and audit lines as text, never markup, and a new group without a baseline or factor', async () => {
    const page = plainPage;
    const errors: string[] = [];
    const onError = (e: Error) => errors.push(e.message);
    page.on('pageerror', onError);
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
    const first = '[data-testid=anomaly]:nth-child(1 of [data-testid=anomaly])';
    const second = '[data-testid=anomaly]:nth-child(2 of [data-testid=anomaly])';
    const at = {
      cards: '[data-testid=anomaly]',
      group: `${first} [data-testid=anomaly-group]`,
      audit: `${first} [data-testid=audit-event]`,
      img: 'img',
      badge: `${first} [data-testid=new-badge]`,
      headline: `${first} [data-testid=anomaly-headline]`,
      drivers: `${second} [data-testid=driver]`,
      more: '[data-testid=more]',
      shifted: '[data-testid=shifted]',
    };
    const seen = await look(page, Object.values(at));
    expect(seen.all(at.cards)).toHaveLength(2);
    expect(seen.one(at.group).text).toBe(`${hostile} (key_1)`);
    expect(seen.one(at.audit).text).toBe(result.anomalies[0]!.audit![0]);
    expect(seen.all(at.img)).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(seen.all(at.badge)).toHaveLength(1);
    expect(seen.one(at.headline).text).not.toMatch(/Infinity|×/);
    expect(seen.all(at.drivers)[1]?.text).toBe('unparsed driver');
    expect(seen.one(at.more).text).toBe('2 smaller anomalies not shown.');
    expect(seen.one(at.shifted).text).toMatch(/^3 jumps were spend moving between groups/);
    expect(errors).toEqual([]);
    page.off('pageerror', onError);
  });
});
