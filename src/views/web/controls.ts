import { h } from './dom.js';

/** What a layout gets besides the result: the arguments it came from, and a way to run it again. */
export interface ViewContext {
  tool: string;
  args: Record<string, unknown>;
  /** Present when the host lets the view call the server's tools. */
  rerun?: (args: Record<string, unknown>) => Promise<void>;
}

/** The named periods of the reports (src/reports/periods.ts). */
const PERIODS = ['today', 'yesterday', 'last_7_days', 'last_30_days', 'last_90_days', 'this_month', 'last_month', 'this_year', 'last_365_days'];

/**
 * A form that runs the same report again for another period and grouping, keeping every other
 * argument. A named period replaces start/end.
 */
export function rerunForm(ctx: ViewContext, groupings: readonly string[], defaultGroup: string): HTMLElement | null {
  const rerun = ctx.rerun;
  if (!rerun) return null;
  const currentPeriod = typeof ctx.args.period === 'string' ? ctx.args.period : ctx.args.start !== undefined ? '' : 'last_30_days';
  const currentGroup = Array.isArray(ctx.args.group_by) && typeof ctx.args.group_by[0] === 'string' ? ctx.args.group_by[0] : defaultGroup;
  const period = h('select', { name: 'period', 'data-testid': 'period' });
  if (currentPeriod === '') period.append(h('option', { value: '', selected: '' }, 'as asked'));
  for (const p of PERIODS) period.append(h('option', { value: p, ...(p === currentPeriod ? { selected: '' } : {}) }, p.replace(/_/g, ' ')));
  const group = h('select', { name: 'group_by', 'data-testid': 'group-by' });
  for (const g of groupings) group.append(h('option', { value: g, ...(g === currentGroup ? { selected: '' } : {}) }, g.replace(/_/g, ' ')));
  const button = h('button', { type: 'button', 'data-testid': 'rerun' }, 'Update');
  const form = h('div', { class: 'controls', role: 'group', 'aria-label': 'Run the report again' }, h('label', {}, 'Period ', period), groupings.length > 0 ? h('label', {}, 'Group by ', group) : null, button);
  // A click, not a form submit: hosts sandbox the view without allow-forms, where submit never fires.
  button.addEventListener('click', () => {
    const next: Record<string, unknown> = { ...ctx.args, ...(groupings.length > 0 ? { group_by: [group.value] } : {}) };
    if (period.value !== '') {
      delete next.start;
      delete next.end;
      next.period = period.value;
    }
    button.disabled = true;
    void rerun(next).finally(() => {
      button.disabled = false;
    });
  });
  return form;
}
