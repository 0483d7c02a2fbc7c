import { budgetChart } from './budget.js';
import { columnChart } from './chart.js';
import { rerunForm, type ViewContext } from './controls.js';
import { bar, h, num, record, rows, str, table, usd } from './dom.js';

/** The fields that name a breakdown row (spend_report group_by); anything else is a figure or extra. */
const GROUP_FIELDS = ['line_item', 'project', 'api_key'];

/** spend_report: the total and its exact window, a daily chart, and the breakdown with amounts and shares. */
export function renderSpend(data: Record<string, unknown>, ctx: ViewContext): HTMLElement {
  const currency = typeof data.currency === 'string' ? data.currency : 'usd';
  const money = (n: number) => usd(n, currency);
  const total = num(data.total_usd);
  const period = record(data.period);
  const project = record(data.project);
  const scope = project.name ? `Project ${str(project.name)} (${str(project.id)})` : data.api_key ? `API key ${str(data.api_key)}` : 'Whole organization';

  const breakdown = rows(data.breakdown);
  const other = record(data.other);
  const max = Math.max(num(other.usd), ...breakdown.map((r) => num(r.usd)));
  const share = (row: Record<string, unknown>) => (typeof row.share === 'string' ? row.share : total > 0 ? `${Math.round((num(row.usd) / total) * 1000) / 10}%` : '0%');
  const line = (label: string, row: Record<string, unknown>, cls: string) =>
    h(
      'tr',
      { class: cls, 'data-testid': cls === 'other' ? 'other-row' : 'breakdown-row' },
      h('th', { scope: 'row', class: 'label' }, label),
      h('td', { class: 'bar-cell' }, bar(max > 0 ? num(row.usd) / max : 0, `${label}: ${share(row)}`, cls === 'other' ? 'muted' : '')),
      h('td', { class: 'num' }, money(num(row.usd))),
      h('td', { class: 'num' }, share(row)),
    );
  const body = breakdown.map((row) => line(labelOf(row), row, 'row'));
  if (Object.keys(other).length > 0) body.push(line(`Other (${num(other.rows)} more rows)`, other, 'other'));

  const daily = rows(data.daily).map((d) => ({ label: str(d.date), value: num(d.usd) }));
  return h(
    'section',
    { class: 'view', 'data-view': 'spend' },
    h('header', {}, h('h1', {}, 'Spend'), h('p', { class: 'scope' }, scope)),
    h(
      'div',
      { class: 'headline' },
      h('p', { class: 'total' }, h('span', { class: 'total-figure', 'data-testid': 'total' }, money(total)), ' ', h('span', { class: 'muted' }, currency.toUpperCase())),
      h('p', { class: 'window', 'data-testid': 'window' }, `From ${str(period.start)} to ${str(period.end)} (end exclusive, UTC)`),
    ),
    rerunForm(ctx, ['line_item', 'project', 'api_key'], 'line_item'),
    data.budget ? budgetChart(data.budget, data.daily, str(period.data_through), money) : null,
    daily.length > 0
      ? columnChart({ title: 'Spend per day', points: daily, format: money, testId: 'daily-chart' })
      : dailyOnRequest(ctx),
    breakdown.length > 0
      ? table('Breakdown', ['Item', 'Relative size', 'Amount', 'Share'], body, { 'data-testid': 'breakdown' })
      : h('p', { class: 'note' }, 'Nothing was spent in this period.'),
  );
}

/**
 * The report leaves its daily series out unless asked (it costs the model tokens it rarely needs),
 * so the view offers it: one click runs the same report again with daily: true through the host.
 */
function dailyOnRequest(ctx: ViewContext): HTMLElement {
  const rerun = ctx.rerun;
  if (!rerun) return h('p', { class: 'note' }, 'No daily series in this result (run the report with daily: true for one).');
  const button = h('button', { type: 'button', 'data-testid': 'show-daily' }, 'Show spend per day');
  button.addEventListener('click', () => {
    button.disabled = true;
    void rerun({ ...ctx.args, daily: true }).finally(() => {
      button.disabled = false;
    });
  });
  return h('p', { class: 'note' }, 'This result has no daily series. ', button);
}

function labelOf(row: Record<string, unknown>): string {
  const named = GROUP_FIELDS.filter((f) => f in row).map((f) => str(row[f]));
  if (named.length > 0) return named.join(' · ');
  return Object.entries(row)
    .filter(([k, v]) => typeof v === 'string' && k !== 'share')
    .map(([, v]) => String(v))
    .join(' · ');
}
