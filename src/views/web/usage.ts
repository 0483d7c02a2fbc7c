import { rerunForm, type ViewContext } from './controls.js';
import { bar, count, h, num, record, rows, str, table } from './dom.js';

const GROUP_FIELDS = ['model', 'project', 'user', 'api_key', 'family'];

const tokensOf = (m: Record<string, unknown>) => num(m.input_tokens) + num(m.output_tokens);
const requestsOf = (m: Record<string, unknown>) => num(m.num_model_requests);

/**
 * usage_report: tokens and requests for the top groups (or for each family with `family: "all"`).
 * The report carries totals for the period, not a series over time, so the view shows the period's
 * totals and says so; changing the period from the form compares periods.
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
  const body = groups.map((g) => line(labelOf(g), g, 'row'));
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
    groups.length > 0
      ? table(`Top ${groups.length} by ${groupedBy.replace(/_/g, ' ')}`, [heading(groupedBy), 'Tokens', 'Requests'], body, { 'data-testid': 'groups' })
      : h('p', { class: 'note' }, 'No usage in this period.'),
    h('p', { class: 'note', 'data-testid': 'no-series' }, 'This report gives totals for the whole period, not a series over time: change the period above to compare.'),
  );
}

const heading = (field: string) => field.charAt(0).toUpperCase() + field.slice(1).replace(/_/g, ' ');

function tile(title: string, value: string, testId: string, detail?: string): HTMLElement {
  return h('div', { class: 'tile' }, h('p', { class: 'tile-title' }, title), h('p', { class: 'tile-value', 'data-testid': testId }, value), detail ? h('p', { class: 'muted' }, detail) : null);
}

function labelOf(row: Record<string, unknown>): string {
  const named = GROUP_FIELDS.filter((f) => f in row).map((f) => str(row[f]));
  return named.length > 0 ? named.join(' · ') : '(all)';
}
