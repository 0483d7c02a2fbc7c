import { Truth } from './truth.js';

/*
 * The organization as plain HTTP reads it, flattened to one entry per object: `kind:id` → its JSON.
 * Two snapshots compared give exactly what a job added, removed and changed, so a test can say
 * "this, and nothing else".
 */

export type OrgState = Map<string, string>;

export async function orgState(truth: Truth): Promise<OrgState> {
  const out: OrgState = new Map();
  const put = (kind: string, items: Array<Record<string, unknown>>, key: (item: Record<string, unknown>) => string = (i) => String(i.id)) => {
    for (const item of items) out.set(`${kind}:${key(item)}`, JSON.stringify(item));
  };
  const [projects, users, groups, invites, adminKeys] = await Promise.all([
    truth.list('/organization/projects', { include_archived: true }),
    truth.list('/organization/users'),
    truth.list('/organization/groups'),
    truth.list('/organization/invites'),
    truth.list('/organization/admin_api_keys'),
  ]);
  put('project', projects);
  put('user', users);
  put('group', groups);
  put('invite', invites);
  put('admin_key', adminKeys);
  await Promise.all([
    ...groups.map(async (g) => put(`group_user:${g.id}`, await truth.list(`/organization/groups/${g.id}/users`))),
    ...projects
      .filter((p) => p.status === 'active')
      .map(async (p) => {
        const base = `/organization/projects/${p.id}`;
        const [members, accounts, keys, limits, alerts, projectGroups, spendLimit] = await Promise.all([
          truth.list(`${base}/users`),
          truth.list(`${base}/service_accounts`),
          truth.list(`${base}/api_keys`, { owner_project_access: 'any' }),
          truth.list(`${base}/rate_limits`),
          truth.list(`${base}/spend_alerts`),
          truth.list(`${base}/groups`),
          truth.get(`${base}/spend_limit`),
        ]);
        put(`project_group:${p.id}`, projectGroups, (g) => String(g.group_id));
        if (spendLimit.status === 200) out.set(`spend_limit:${p.id}`, JSON.stringify(spendLimit.body));
        else if (spendLimit.status !== 404) throw new Error(`GET ${base}/spend_limit answered ${spendLimit.status}`);
        put(`project_user:${p.id}`, members);
        put(`service_account:${p.id}`, accounts);
        put(`api_key:${p.id}`, keys);
        put(`rate_limit:${p.id}`, limits);
        put(`spend_alert:${p.id}`, alerts);
      }),
  ]);
  return out;
}

export interface Diff {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diff(before: OrgState, after: OrgState): Diff {
  const added = [...after.keys()].filter((k) => !before.has(k)).sort();
  const removed = [...before.keys()].filter((k) => !after.has(k)).sort();
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort();
  return { added, removed, changed };
}
