import { stackedChart, type Line } from './chart.js';
import { rerunForm, type ViewContext } from './controls.js';
import { bar, count, h, num, record, rows, str, table } from './dom.js';

const GROUP_FIELDS = ['model', 'project', 'user', 'api_key', 'family'];

const tokensOf = (m: Record<string, unknown>) => num(m.input_tokens) + num(m.output_tokens);
const requestsOf = (m: Record<string, unknown>) => num(m.num_model_requests);

/**
 * usage_report: tokens and requests over time for the top groups (the report's `series`, in days,
 * weeks or months), then the period's figures for every group shown (or each family with
 * `family: "all"`).
 */
export function renderUsage(data: Record<string, unknown>, ctx: ViewContext): HTMLElement {
  const totals = record(data.totals);
  const period = record(data.period);
  const project = record(data.project);
  const family = str(data.family) || 'completions';
  const byFamily = rows(data.by_family);
  const groups = byFamily.length > 0 ? byFamily : rows(data.groups);
  const other = record(data.other);
  const maxTokens = Math.max(tokensOf(other), ...groups.map(tokensOf));
  const maxRequests = Math.max(requestsOf(other), ...groups.map(requestsOf));
  const line = (label: string, m: Record<string, unknown>, cls: string) =>
    h(
      'tr',
      { class: cls, 'data-testid': cls === 'other' ? 'other-row' : 'group-row' },
      h('th', { scope: 'row', class: 'label' }, label),
      h('td', { class: 'num' }, count(tokensOf(m)), bar(maxTokens > 0 ? tokensOf(m) / maxTokens : 0, `${label}: ${count(tokensOf(m))} tokens`)),
      h('td', { class: 'num' }, count(requestsOf(m)), bar(maxRequests > 0 ? requestsOf(m) / maxRequests : 0, `${label}: ${count(requestsOf(m))} requests`, 'alt')),
    );
  const groupFields = Array.isArray(data.group_by) ? data.group_by.map(str) : GROUP_FIELDS;
  const body = groups.map((g) => line(labelOf(g, groupFields), g, 'row'));
  if (Object.keys(other).length > 0) body.push(line(`Other (${num(other.groups)} more groups)`, other, 'other'));
  const groupedBy = Array.isArray(data.group_by) ? data.group_by.map(str).join(', ') : byFamily.length > 0 ? 'family' : 'model';

  return h(
    'section',
    { class: 'view', 'data-view': 'usage' },
    h('header', {}, h('h1', {}, 'Usage'), h('p', { class: 'scope' }, `${project.name ? `Project ${str(project.name)} · ` : ''}family ${family}`)),
    h(
      'div',
      { class: 'tiles' },
      tile('Tokens', count(tokensOf(totals)), 'total-tokens', `${count(num(totals.input_tokens))} in, ${count(num(totals.output_tokens))} out`),
      tile('Requests', count(requestsOf(totals)), 'total-requests'),
    ),
    h('p', { class: 'window', 'data-testid': 'window' }, `From ${str(period.start)} to ${str(period.end)} (end exclusive, UTC)`),
    rerunForm(ctx, byFamily.length > 0 ? [] : ['model', 'project', 'user', 'api_key'], 'model'),
    ...seriesCharts(record(data.series), record(data.period)),
    groups.length > 0
      ? table(`Top ${groups.length} by ${groupedBy.replace(/_/g, ' ')}`, [heading(groupedBy), 'Tokens', 'Requests'], body, { 'data-testid': 'groups' })
      : h('p', { class: 'note' }, 'No usage in this period.'),
  );
}

const STEP_WORDS: Record<string, string> = { day: 'Day', week: 'Week from', month: 'Month from' };
const METRIC_TITLES: Record<string, string> = { tokens: 'Tokens', requests: 'Requests', usage_bytes: 'Stored bytes (average)' };
const REST = '(all others)';

/** One stacked chart per metric of the series: the top groups and the rest, step by step. */
function seriesCharts(series: Record<string, unknown>, period: Record<string, unknown>): HTMLElement[] {
  const dates = Array.isArray(series.dates) ? series.dates.map(str) : [];
  const seriesRows = rows(series.rows);
  if (dates.length === 0 || seriesRows.length === 0) return [h('p', { class: 'note', 'data-testid': 'no-series' }, 'No usage over time in this period.')];
  const step = str(series.step) || 'day';
  // The period may cut the first month and the last step short: say so next to their dates.
  const cut = (date: string, i: number) => (i === 0 && step === 'month' && !date.endsWith('-01')) || (i === dates.length - 1 && partial(date, step, str(period.end)));
  const steps = dates.map((date, i) => (cut(date, i) ? `${date} (partial)` : date));
  const metrics = [...new Set(seriesRows.flatMap((r) => Object.keys(r).filter((k) => Array.isArray(r[k]))))];
  return metrics.map((metric) => {
    const lines: Line[] = seriesRows.map((r) => ({ label: str(r.group), values: Array.isArray(r[metric]) ? r[metric].map(num) : [], rest: r.group === REST }));
    const name = METRIC_TITLES[metric] ?? heading(metric);
    return stackedChart({ title: `${name} per ${step}`, steps, stepHeading: STEP_WORDS[step] ?? 'From', lines, format: metric === 'usage_bytes' ? bytes : count, testId: `series-${metric}` });
  });
}

/** Whether the period ends before the step that starts on `date` would (today, so far). */
function partial(date: string, step: string, periodEnd: string): boolean {
  const start = Date.parse(`${date}T00:00Z`);
  const end = Date.parse(periodEnd.replace(' ', 'T'));
  if (Number.isNaN(start) || Number.isNaN(end)) return false;
  const d = new Date(start);
  const stepEnd = step === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : start + (step === 'week' ? 7 : 1) * 86_400_000;
  return end < stepEnd;
}

/** Stored bytes in binary units (3.6 GiB), as storage is billed. */
function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? scaled : scaled.toFixed(1)} ${units[unit]}`;
}

const heading = (field: string) => field.charAt(0).toUpperCase() + field.slice(1).replace(/_/g, ' ');

function tile(title: string, value: string, testId: string, detail?: string): HTMLElement {
  return h('div', { class: 'tile' }, h('p', { class: 'tile-title' }, title), h('p', { class: 'tile-value', 'data-testid': testId }, value), detail ? h('p', { class: 'muted' }, detail) : null);
}

/** A group's label: its values in the report's group_by order, as the series names it. */
function labelOf(row: Record<string, unknown>, fields: readonly string[] = GROUP_FIELDS): string {
  const named = [...fields, ...GROUP_FIELDS.filter((f) => !fields.includes(f))].filter((f) => f in row).map((f) => str(row[f]));
  return named.length > 0 ? named.join(' · ') : '(all)';
}
