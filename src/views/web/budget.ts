import { h, num, record, rows, str, svg, table } from './dom.js';

/*
 * The budget block of spend_report drawn as the month it judges: spend accumulated day by day, the
 * hard limit and each alert as horizontal lines, and the month-end forecast as a dashed line from
 * the last day spent to the month's end with its low–high range as a band. The SVG stretches to any
 * width (strokes keep their width), the figures and what each line means are HTML beside it, and
 * every drawn element carries the value it stands for (data-usd), which the browser tests read back.
 */

const HEIGHT = 120;

interface Threshold {
  kind: 'limit' | 'alert';
  usd: number;
  pct: number;
  when: string;
  note: string;
}

export function budgetChart(budgetValue: unknown, dailyValue: unknown, dataThrough: string, money: (n: number) => string): HTMLElement | null {
  const budget = record(budgetValue);
  const month = /^(\d{4})-(\d{2})$/.exec(str(budget.month));
  if (!month) return null;
  const monthStart = Date.UTC(Number(month[1]), Number(month[2]) - 1, 1);
  const days = Math.round((Date.UTC(Number(month[1]), Number(month[2]), 1) - monthStart) / 86_400_000);
  const mtd = num(budget.month_to_date_usd);
  const forecast = record(budget.forecast);
  const limit = record(budget.limit);
  const thresholds: Threshold[] = [
    ...(Object.keys(limit).length > 0 ? [{ kind: 'limit' as const, usd: num(limit.usd), pct: num(limit.pct), when: str(limit.when), note: `enforcement ${str(limit.enforcement)}` }] : []),
    ...rows(budget.alerts).map((a) => ({ kind: 'alert' as const, usd: num(a.usd), pct: num(a.pct), when: str(a.when), note: `${num(a.recipients)} recipients` })),
  ];

  // Spend so far: the month's days of the daily series added up, else one straight segment to today.
  const dayOf = (date: string) => (Date.parse(`${date.slice(0, 10)}T00:00:00Z`) - monthStart) / 86_400_000;
  const points: Array<[number, number]> = [[0, 0]];
  let total = 0;
  for (const d of rows(dailyValue)) {
    const i = dayOf(str(d.date));
    if (!(i >= 0 && i < days)) continue;
    total += num(d.usd);
    points.push([i + 1, total]);
  }
  if (points.length === 1) {
    const through = dayOf(dataThrough);
    points.push([Number.isFinite(through) ? Math.min(days, Math.max(0, through)) : days, mtd]);
  }
  const [lastX, lastY] = points[points.length - 1] as [number, number];

  const f = { usd: num(forecast.usd), low: num(forecast.low), high: num(forecast.high) };
  const max = Math.max(1, mtd, f.high, f.usd, ...thresholds.map((t) => t.usd)) * 1.08;
  const y = (usd: number) => round(HEIGHT * (1 - usd / max));
  const line = (t: Threshold) =>
    svg(
      'line',
      { x1: 0, x2: days, y1: y(t.usd), y2: y(t.usd), class: `budget-line ${t.kind}`, 'vector-effect': 'non-scaling-stroke', 'data-testid': `${t.kind}-line`, 'data-usd': t.usd },
      svg('title', {}, `${t.kind === 'limit' ? 'Spend limit' : 'Alert'}: ${money(t.usd)}`),
    );
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${days} ${HEIGHT}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `Month to date ${money(mtd)} of ${str(budget.month)}; forecast ${money(f.usd)} (${money(f.low)} to ${money(f.high)}) by month end${thresholds.map((t) => `; ${t.kind} ${money(t.usd)} ${t.when}`).join('')}.`,
      'data-testid': 'budget-chart',
      'data-max': max,
      'data-days': days,
      class: 'chart budget',
    },
    svg('polygon', { points: `${lastX},${y(lastY)} ${days},${y(f.low)} ${days},${y(f.high)}`, class: 'forecast-range', 'data-testid': 'forecast-range', 'data-low': f.low, 'data-high': f.high }),
    ...thresholds.map(line),
    svg('polyline', { points: points.map(([px, py]) => `${px},${y(py)}`).join(' '), class: 'spent-line', 'vector-effect': 'non-scaling-stroke', 'data-testid': 'spent-line', 'data-usd': lastY }),
    svg('line', { x1: lastX, y1: y(lastY), x2: days, y2: y(f.usd), class: 'forecast-line', 'vector-effect': 'non-scaling-stroke', 'data-testid': 'forecast-line', 'data-usd': f.usd }),
  );
  const key = (cls: string, text: string) => h('li', {}, h('span', { class: `key ${cls}`, 'aria-hidden': 'true' }), text);
  const body = thresholds.map((t) =>
    h(
      'tr',
      { 'data-testid': 'threshold-row', class: t.when.startsWith('crossed') ? 'crossed' : '' },
      h('th', { scope: 'row' }, t.kind === 'limit' ? 'Spend limit' : 'Alert'),
      h('td', { class: 'num' }, money(t.usd)),
      h('td', { class: 'num' }, `${t.pct}%`),
      h('td', {}, t.when),
      h('td', { class: 'muted' }, t.note),
    ),
  );
  return h(
    'figure',
    { class: 'chart-figure', 'data-testid': 'budget' },
    h('figcaption', {}, `Budget for ${str(budget.month)}: ${money(mtd)} so far`),
    h(
      'ul',
      { class: 'legend' },
      key('spent', 'Spent so far'),
      key('forecast', `Forecast ${money(f.usd)} (range ${money(f.low)}–${money(f.high)})`),
      thresholds.some((t) => t.kind === 'limit') ? key('limit', 'Limit') : null,
      thresholds.some((t) => t.kind === 'alert') ? key('alert', 'Alerts') : null,
    ),
    h('div', { class: 'chart-scale', 'aria-hidden': 'true' }, `Top of the chart: ${money(max)}`),
    chart,
    h('div', { class: 'chart-axis', 'aria-hidden': 'true' }, h('span', {}, `${str(budget.month)}-01`), h('span', {}, `${str(budget.month)}-${String(days).padStart(2, '0')}`)),
    h('p', { class: 'note', 'data-testid': 'forecast-method' }, `Forecast method: ${str(forecast.method)}.`),
    thresholds.length > 0
      ? table('Limit and alerts', ['Threshold', 'Amount', 'Used', 'When', ''], body, { 'data-testid': 'thresholds' })
      : h('p', { class: 'note' }, 'No spend limit or alert is set.'),
  );
}

const round = (v: number) => Math.round(v * 1000) / 1000;
