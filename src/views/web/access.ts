import type { ViewContext } from './controls.js';
import { h, record, rows, str, table } from './dom.js';

/** An owner the review could not name: the key's user or service account is gone. */
const missingOwner = (owner: unknown) => owner === undefined || owner === null || owner === '' || owner === 'unknown';

/** access_review: members and keys as real tables, stale keys and missing owners highlighted in words, not colour alone. */
export function renderAccess(data: Record<string, unknown>, ctx: ViewContext): HTMLElement {
  const project = record(data.project);
  const flags = Array.isArray(data.flags) ? data.flags.map(str) : [];
  const noOwner = flags.some((f) => f.startsWith('no_owner'));

  const members = [
    ...rows(data.users).map((u) => member('User', str(u.name) || str(u.email), str(u.email), str(u.role))),
    ...rows(data.groups).map((g) => member('Group', str(g.name), str(g.id), str(g.roles))),
    ...rows(data.service_accounts).map((s) => member('Service account', str(s.name), str(s.id), str(s.role))),
  ];
  const keys = rows(data.keys).map((k) => {
    const stale = k.stale === true;
    const orphan = missingOwner(k.owner);
    const status = [stale ? badge('Stale', 'stale') : null, orphan ? badge('Owner missing', 'orphan') : null].filter((b): b is HTMLElement => b !== null);
    return h(
      'tr',
      { class: [stale ? 'stale' : '', orphan ? 'orphan' : ''].join(' ').trim() || undefined, 'data-testid': 'key-row', 'data-stale': String(stale), 'data-key-id': str(k.id) },
      h('th', { scope: 'row', class: 'label' }, str(k.name)),
      h('td', { class: 'mono' }, str(k.id)),
      h('td', {}, orphan ? 'none found' : str(k.owner)),
      h('td', { class: 'nowrap' }, str(k.last_used)),
      h('td', {}, ...(status.length > 0 ? status : ['OK'])),
    );
  });
  const unavailable = Array.isArray(data.unavailable) ? data.unavailable.map(str) : [];

  return h(
    'section',
    { class: 'view', 'data-view': 'access' },
    h('header', {}, h('h1', {}, 'Access review'), h('p', { class: 'scope' }, `Project ${str(project.name)} (${str(project.id)}) · ${str(project.status)}`)),
    h('p', { class: 'summary', 'data-testid': 'summary' }, str(data.summary)),
    flags.length > 0 ? h('ul', { class: 'flags', role: 'alert', 'data-testid': 'flags' }, ...flags.map((f) => (f.startsWith('no_owner') ? h('li', { class: 'flag orphan', 'data-testid': 'flag-no-owner' }, f) : h('li', { class: 'flag' }, f)))) : null,
    staleForm(ctx),
    table(noOwner ? 'Members (no owner)' : 'Members', ['Name', 'Kind', 'Email or ID', 'Role'], members, { 'data-testid': 'members' }),
    table('API keys', ['Name', 'ID', 'Owner', 'Last used', 'Status'], keys, { 'data-testid': 'keys' }),
    unavailable.length > 0 ? h('p', { class: 'note' }, `Not shown: ${unavailable.join('; ')}`) : null,
  );
}

function member(kind: string, name: string, detail: string, role: string): HTMLTableRowElement {
  const owner = /owner/i.test(role);
  return h('tr', { 'data-testid': 'member-row' }, h('th', { scope: 'row', class: 'label' }, name), h('td', {}, kind), h('td', { class: 'mono' }, detail), h('td', {}, owner ? badge(role, 'owner') : role));
}

function badge(text: string, kind: string): HTMLElement {
  return h('span', { class: `badge ${kind}`, 'data-testid': `badge-${kind}` }, text);
}

/** Review again with another staleness threshold. */
function staleForm(ctx: ViewContext): HTMLElement | null {
  const rerun = ctx.rerun;
  if (!rerun) return null;
  const days = h('input', { type: 'number', name: 'stale_days', min: '1', max: '3650', value: String(typeof ctx.args.stale_days === 'number' ? ctx.args.stale_days : 90), 'data-testid': 'stale-days' });
  const button = h('button', { type: 'button', 'data-testid': 'rerun' }, 'Update');
  const form = h('div', { class: 'controls', role: 'group', 'aria-label': 'Review again' }, h('label', {}, 'Stale after (days) ', days), button);
  // A click, not a form submit: hosts sandbox the view without allow-forms, where submit never fires.
  button.addEventListener('click', () => {
    button.disabled = true;
    void rerun({ ...ctx.args, stale_days: Number(days.value) }).finally(() => {
      button.disabled = false;
    });
  });
  return form;
}
