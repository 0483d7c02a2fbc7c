import { h, svg, table } from './dom.js';

export interface Point {
  label: string;
  value: number;
}

/**
 * A column chart of a series. The SVG holds only the columns (so it can stretch to any width without
 * distorting text); the scale and the first and last labels are HTML, readable at 400 px. Screen
 * readers get a summary as the image's name and the full series as a table under a disclosure.
 */
export function columnChart(options: { title: string; points: Point[]; format: (n: number) => string; testId: string }): HTMLElement {
  const { title, points, format } = options;
  const max = Math.max(0, ...points.map((p) => p.value));
  const height = 120;
  const width = Math.max(1, points.length);
  const columns = points.map((p, i) => {
    const h2 = max > 0 ? (p.value / max) * height : 0;
    return svg('rect', { x: i + 0.1, y: height - h2, width: 0.8, height: h2, class: 'column' }, svg('title', {}, `${p.label}: ${format(p.value)}`));
  });
  const first = points[0];
  const last = points[points.length - 1];
  const peak = points.reduce<Point | undefined>((best, p) => (best === undefined || p.value > best.value ? p : best), undefined);
  const summary =
    first && last && peak
      ? `${title}: ${points.length} values from ${first.label} to ${last.label}; highest ${format(peak.value)} on ${peak.label}.`
      : `${title}: no data in this period.`;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': summary, 'data-testid': options.testId, class: 'chart' }, ...columns);
  return h(
    'figure',
    { class: 'chart-figure' },
    h('figcaption', {}, title),
    h('div', { class: 'chart-scale', 'aria-hidden': 'true' }, `Highest: ${format(max)}`),
    chart,
    h('div', { class: 'chart-axis', 'aria-hidden': 'true' }, h('span', {}, first?.label ?? ''), h('span', {}, last?.label ?? '')),
    h(
      'details',
      { class: 'chart-data' },
      h('summary', {}, 'Show the figures as a table'),
      table(title, ['Date', 'Value'], points.map((p) => h('tr', {}, h('td', {}, p.label), h('td', { class: 'num' }, format(p.value))))),
    ),
  );
}
