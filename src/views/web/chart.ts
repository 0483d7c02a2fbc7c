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

export interface Line {
  label: string;
  values: number[];
  /** The row that adds up every group after the named ones: drawn in a muted colour. */
  rest?: boolean;
}

/**
 * A stacked column chart of several series over the same steps (the top groups and the rest), so
 * each column's height is the step's total. Colour is never the only cue: the legend names every
 * series, each column part has a title, the image's name summarises the chart, and the full
 * figures are a real table (one row per step, one column per series and the total).
 */
export function stackedChart(options: { title: string; steps: string[]; stepHeading: string; lines: Line[]; format: (n: number) => string; testId: string }): HTMLElement {
  const { title, steps, lines, format } = options;
  const totals = steps.map((_, i) => lines.reduce((s, l) => s + (l.values[i] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const height = 120;
  const colour = (line: Line, j: number) => (line.rest ? 'rest' : `s${j % 4}`);
  const columns = steps.flatMap((step, i) => {
    let y = height;
    return lines.map((line, j) => {
      const value = line.values[i] ?? 0;
      const h2 = max > 0 ? (value / max) * height : 0;
      y -= h2;
      return svg('rect', { x: i + 0.12, y, width: 0.76, height: h2, class: `column ${colour(line, j)}`, 'data-series': j }, svg('title', {}, `${line.label}, ${step}: ${format(value)}`));
    });
  });
  const peak = totals.reduce((best, v, i) => (v > (totals[best] ?? 0) ? i : best), 0);
  const summary =
    steps.length > 0 && lines.length > 0
      ? `${title}: ${steps.length} steps from ${steps[0]} to ${steps[steps.length - 1]}, stacked for ${lines.map((l) => l.label).join(', ')}; highest total ${format(totals[peak] ?? 0)} at ${steps[peak]}.`
      : `${title}: no data in this period.`;
  const chart = svg('svg', { viewBox: `0 0 ${Math.max(1, steps.length)} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': summary, 'data-testid': options.testId, class: 'chart' }, ...columns);
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': `${title}: series` },
    ...lines.map((line, j) => h('li', { 'data-testid': 'legend-item' }, h('span', { class: `swatch ${colour(line, j)}`, 'aria-hidden': 'true' }), line.label)),
  );
  const body = steps.map((step, i) =>
    h('tr', {}, h('th', { scope: 'row', class: 'nowrap' }, step), ...lines.map((line) => h('td', { class: 'num' }, format(line.values[i] ?? 0))), h('td', { class: 'num' }, format(totals[i] ?? 0))),
  );
  return h(
    'figure',
    { class: 'chart-figure', 'data-testid': `${options.testId}-figure` },
    h('figcaption', {}, title),
    legend,
    h('div', { class: 'chart-scale', 'aria-hidden': 'true' }, `Highest: ${format(max)}`),
    chart,
    h('div', { class: 'chart-axis', 'aria-hidden': 'true' }, h('span', {}, steps[0] ?? ''), h('span', {}, steps[steps.length - 1] ?? '')),
    h('details', { class: 'chart-data' }, h('summary', {}, 'Show the figures as a table'), table(title, [options.stepHeading, ...lines.map((l) => l.label), 'Total'], body, { 'data-testid': `${options.testId}-table` })),
  );
}
