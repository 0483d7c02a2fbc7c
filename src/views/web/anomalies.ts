import { rerunForm, type ViewContext } from './controls.js';
import { bar, count, h, num, rows, str, svg, usd } from './dom.js';

/*
 * spend_anomalies: one card per anomaly, largest first as the report ranks them. Each card has a
 * small chart of the day against its baseline, the drivers with their shares, and the audit events
 * of the 48 hours before it. New spend (no history) is said to be new and drawn without a baseline,
 * never as an infinite factor. Every figure is text from the result; nothing is computed but bars.
 */

/** `api_key Name (key_…): 62%` → its parts; a driver the view cannot parse is shown as it is. */
function parseDriver(text: string): { dimension: string; name: string; share: number | null } {
  const match = /^(project|api_key|line_item|model) (.+): (\d+(?:\.\d+)?)%$/.exec(text);
  if (!match) return { dimension: '', name: text, share: null };
  return { dimension: match[1] as string, name: match[2] as string, share: Number(match[3]) };
}

const DIMENSION_NAMES: Record<string, string> = { project: 'Project', api_key: 'API key', line_item: 'Line item', model: 'Model' };

export function renderAnomalies(data: Record<string, unknown>, ctx: ViewContext): HTMLElement {
  const method = str(data.method);
  // The unit is in the method line: `usd by project, …`, `tokens by model, …`.
  const metric = /^(usd|tokens|requests)\b/.exec(method)?.[1] ?? 'usd';
  const figure = (n: number) => (metric === 'usd' ? usd(n) : `${count(n)} ${metric}`);
  const anomalies = rows(data.anomalies);
  const more = num(data.more);
  const shifted = num(data.shifted);
  return h(
    'section',
    { class: 'view', 'data-view': 'anomalies' },
    h('header', {}, h('h1', {}, 'Spend anomalies'), h('p', { class: 'scope', 'data-testid': 'period' }, str(data.period))),
    rerunForm(ctx, [], ''),
    anomalies.length > 0
      ? h('ol', { class: 'anomalies', 'aria-label': 'Anomalies, largest first' }, ...anomalies.map((a) => card(a, figure)))
      : h('p', { class: 'note', 'data-testid': 'no-anomalies' }, 'No day in this period departs from its baseline.'),
    more > 0 ? h('p', { class: 'note', 'data-testid': 'more' }, `${more} smaller ${more === 1 ? 'anomaly' : 'anomalies'} not shown.`) : null,
    shifted > 0
      ? h('p', { class: 'note', 'data-testid': 'shifted' }, `${shifted} ${shifted === 1 ? 'jump was' : 'jumps were'} spend moving between groups (the projects' totals did not rise), not shown.`)
      : null,
    h('p', { class: 'note', 'data-testid': 'method' }, `Method: ${method}.`),
  );
}

function card(a: Record<string, unknown>, figure: (n: number) => string): HTMLElement {
  const isNew = a.new === true;
  const value = num(a.value);
  const baseline = num(a.baseline);
  const days = a.through ? `${str(a.day)} to ${str(a.through)}` : str(a.day);
  const headline = isNew ? `New spend: ${figure(value)}, no earlier history` : `${figure(value)} against a baseline of ${figure(baseline)} (${num(a.factor)}×)`;
  const drivers = (Array.isArray(a.drivers) ? a.drivers : []).map((d) => parseDriver(str(d)));
  const audit = Array.isArray(a.audit) ? a.audit.map(str) : [];
  return h(
    'li',
    { class: `anomaly${isNew ? ' new' : ''}`, 'data-testid': 'anomaly' },
    h('h2', { class: 'anomaly-group', 'data-testid': 'anomaly-group' }, str(a.group)),
    h('p', { class: 'muted', 'data-testid': 'anomaly-days' }, days),
    h('p', { class: 'anomaly-headline', 'data-testid': 'anomaly-headline' }, isNew ? h('span', { class: 'badge new', 'data-testid': 'new-badge' }, 'new') : null, headline),
    dayChart(value, baseline, isNew, figure),
    drivers.length > 0
      ? h(
          'table',
          { class: 'drivers', 'data-testid': 'drivers' },
          h('caption', {}, 'What drove it'),
          h(
            'tbody',
            {},
            ...drivers.map((d) =>
              h(
                'tr',
                { 'data-testid': 'driver' },
                h('th', { scope: 'row', class: 'label' }, d.dimension ? h('span', { class: 'muted' }, `${DIMENSION_NAMES[d.dimension] ?? d.dimension} `) : null, d.name),
                h('td', { class: 'bar-cell' }, d.share === null ? null : bar(d.share / 100, `${d.name}: ${d.share}%`)),
                h('td', { class: 'num', 'data-testid': 'driver-share' }, d.share === null ? '' : `${d.share}%`),
              ),
            ),
          ),
        )
      : null,
    audit.length > 0
      ? h('div', { class: 'audit' }, h('p', { class: 'audit-title' }, 'Changes in the 48 hours before'), h('ul', {}, ...audit.map((e) => h('li', { 'data-testid': 'audit-event' }, e))))
      : null,
  );
}

/** Two columns, the baseline and the day, on one scale; a new group has no baseline column. */
function dayChart(value: number, baseline: number, isNew: boolean, figure: (n: number) => string): SVGElement {
  const height = 60;
  const max = Math.max(value, baseline, Number.MIN_VALUE);
  const column = (x: number, v: number, cls: string, label: string) =>
    svg('rect', { x, y: height - (v / max) * height, width: 0.7, height: (v / max) * height, class: `column ${cls}`, 'data-testid': `${cls}-column`, 'data-value': v }, svg('title', {}, `${label}: ${figure(v)}`));
  return svg(
    'svg',
    {
      viewBox: `0 0 2 ${height}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': isNew ? `New spend of ${figure(value)} with no baseline.` : `The day at ${figure(value)} against a baseline of ${figure(baseline)}.`,
      class: 'chart anomaly-chart',
      'data-testid': 'anomaly-chart',
    },
    isNew ? null : column(0.15, baseline, 'baseline', 'Baseline'),
    column(1.15, value, 'spike', isNew ? 'New spend' : 'The day'),
  );
}
