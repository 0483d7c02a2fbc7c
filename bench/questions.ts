/*
 * Ten cross-entity questions (issue 22 §3), each with the run_script code that answers it in one
 * call and a ground truth read over plain HTTP (fetch, every page) from the same organization. The
 * test (test/scripts/questions.test.ts) checks the answers; bench/p11-scripts.ts measures calls and
 * tokens with and without scripts. Answers are sorted lists of IDs or names, so they compare exactly.
 * Key lists ask for owner_project_access=any, as projects_api_keys_list does: the API's default
 * hides the keys whose owner lost project access.
 */

type Row = Record<string, any>;

/** Every row of a list endpoint, over plain HTTP, following either cursor style. */
export type ReadAll = (path: string) => Promise<Row[]>;

export interface Question {
  id: string;
  question: string;
  code: string;
  truth(all: ReadAll): Promise<string[]>;
}

/** The lines every script starts with: whole lists in one call each, and the active projects. */
const PRELUDE = `
const all = async (tool, args = {}) => (await api[tool]({ ...args, max_items: 10000 })).data;
const projects = (await all('projects_list')).filter((p) => p.status === 'active');
`;

const activeProjects = async (all: ReadAll) => (await all('/organization/projects?limit=100')).filter((p) => p.status === 'active');
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** Users with access to each active project: direct members and members of its groups. */
async function accessByProject(all: ReadAll): Promise<Map<string, Set<string>>> {
  const projects = await activeProjects(all);
  const groups = await all('/organization/groups?limit=100');
  const members = new Map<string, string[]>();
  for (const g of groups) members.set(g.id, (await all(`/organization/groups/${g.id}/users?limit=100`)).map((u) => u.id));
  const out = new Map<string, Set<string>>();
  for (const p of projects) {
    const direct = (await all(`/organization/projects/${p.id}/users?limit=100`)).map((u) => u.id);
    const viaGroups = (await all(`/organization/projects/${p.id}/groups?limit=100`)).flatMap((g) => members.get(g.group_id) ?? []);
    out.set(p.id, new Set([...direct, ...viaGroups]));
  }
  return out;
}

const ACCESS = `
const groupMembers = new Map();
await Promise.all((await all('groups_list')).map(async (g) => groupMembers.set(g.id, (await all('groups_users_list', { group_id: g.id })).map((u) => u.id))));
const access = new Map();
await Promise.all(projects.map(async (p) => {
  const [direct, groups] = await Promise.all([all('projects_users_list', { project_id: p.id }), all('projects_groups_list', { project_id: p.id })]);
  access.set(p.id, new Set([...direct.map((u) => u.id), ...groups.flatMap((g) => groupMembers.get(g.group_id) ?? [])]));
}));
`;

export const QUESTIONS: readonly Question[] = [
  {
    id: 'q1',
    question: 'Which users are in no active project, directly or through a group?',
    code: `${PRELUDE}${ACCESS}
const users = await all('users_list');
return users.filter((u) => ![...access.values()].some((s) => s.has(u.id))).map((u) => u.email).sort();`,
    async truth(all) {
      const access = await accessByProject(all);
      const users = await all('/organization/users?limit=100');
      return sorted(users.filter((u) => ![...access.values()].some((s) => s.has(u.id))).map((u) => u.email));
    },
  },
  {
    id: 'q2',
    question: 'Which active projects have no owner among their direct members?',
    code: `${PRELUDE}
const out = [];
await Promise.all(projects.map(async (p) => { if (!(await all('projects_users_list', { project_id: p.id })).some((u) => u.role === 'owner')) out.push(p.name); }));
return out.sort();`,
    async truth(all) {
      const out: string[] = [];
      for (const p of await activeProjects(all)) if (!(await all(`/organization/projects/${p.id}/users?limit=100`)).some((u) => u.role === 'owner')) out.push(p.name);
      return sorted(out);
    },
  },
  {
    id: 'q3',
    question: "Which project keys belong to a user who no longer has access to the key's project (directly or through a group)?",
    code: `${PRELUDE}${ACCESS}
const out = [];
await Promise.all(projects.map(async (p) => { for (const k of await all('projects_api_keys_list', { project_id: p.id })) if (k.owner?.type === 'user' && !access.get(p.id).has(k.owner.user?.id)) out.push(k.id); }));
return out.sort();`,
    async truth(all) {
      const access = await accessByProject(all);
      const out: string[] = [];
      for (const [project, users] of access) for (const k of await all(`/organization/projects/${project}/api_keys?limit=100&owner_project_access=any`)) if (k.owner?.type === 'user' && !users.has(k.owner.user?.id)) out.push(k.id);
      return sorted(out);
    },
  },
  {
    id: 'q4',
    question: 'Which service accounts of active projects have no API key?',
    code: `${PRELUDE}
const out = [];
await Promise.all(projects.map(async (p) => {
  const [accounts, keys] = await Promise.all([all('projects_service_accounts_list', { project_id: p.id }), all('projects_api_keys_list', { project_id: p.id })]);
  const keyed = new Set(keys.filter((k) => k.owner?.type === 'service_account').map((k) => k.owner.service_account?.id));
  for (const a of accounts) if (!keyed.has(a.id)) out.push(a.id);
}));
return out.sort();`,
    async truth(all) {
      const out: string[] = [];
      for (const p of await activeProjects(all)) {
        const keys = await all(`/organization/projects/${p.id}/api_keys?limit=100&owner_project_access=any`);
        const keyed = new Set(keys.filter((k) => k.owner?.type === 'service_account').map((k) => k.owner.service_account?.id));
        for (const a of await all(`/organization/projects/${p.id}/service_accounts?limit=100`)) if (!keyed.has(a.id)) out.push(a.id);
      }
      return sorted(out);
    },
  },
  {
    id: 'q5',
    question: 'Which groups have no members?',
    code: `${PRELUDE}
const out = [];
await Promise.all((await all('groups_list')).map(async (g) => { if ((await all('groups_users_list', { group_id: g.id })).length === 0) out.push(g.name); }));
return out.sort();`,
    async truth(all) {
      const out: string[] = [];
      for (const g of await all('/organization/groups?limit=100')) if ((await all(`/organization/groups/${g.id}/users?limit=100`)).length === 0) out.push(g.name);
      return sorted(out);
    },
  },
  {
    id: 'q6',
    question: 'Which pending invites are for an email that is already a member of the organization?',
    code: `${PRELUDE}
const emails = new Set((await all('users_list')).map((u) => u.email.toLowerCase()));
return (await all('invites_list')).filter((i) => i.status === 'pending' && emails.has(i.email.toLowerCase())).map((i) => i.id).sort();`,
    async truth(all) {
      const emails = new Set((await all('/organization/users?limit=100')).map((u) => String(u.email).toLowerCase()));
      return sorted((await all('/organization/invites?limit=100')).filter((i) => i.status === 'pending' && emails.has(String(i.email).toLowerCase())).map((i) => i.id));
    },
  },
  {
    id: 'q7',
    question: 'Which active projects have no spend alert?',
    code: `${PRELUDE}
const out = [];
await Promise.all(projects.map(async (p) => { if ((await all('projects_spend_alerts_list', { project_id: p.id })).length === 0) out.push(p.name); }));
return out.sort();`,
    async truth(all) {
      const out: string[] = [];
      for (const p of await activeProjects(all)) if ((await all(`/organization/projects/${p.id}/spend_alerts?limit=100`)).length === 0) out.push(p.name);
      return sorted(out);
    },
  },
  {
    id: 'q8',
    question: 'Which organization owners own no active project?',
    code: `${PRELUDE}
const owning = new Set();
await Promise.all(projects.map(async (p) => { for (const u of await all('projects_users_list', { project_id: p.id })) if (u.role === 'owner') owning.add(u.id); }));
return (await all('users_list')).filter((u) => u.role === 'owner' && !owning.has(u.id)).map((u) => u.email).sort();`,
    async truth(all) {
      const owning = new Set<string>();
      for (const p of await activeProjects(all)) for (const u of await all(`/organization/projects/${p.id}/users?limit=100`)) if (u.role === 'owner') owning.add(u.id);
      return sorted((await all('/organization/users?limit=100')).filter((u) => u.role === 'owner' && !owning.has(u.id)).map((u) => u.email));
    },
  },
  {
    id: 'q9',
    question: 'Which users are direct members of three or more active projects?',
    code: `${PRELUDE}
const count = new Map();
await Promise.all(projects.map(async (p) => { for (const u of await all('projects_users_list', { project_id: p.id })) count.set(u.email, (count.get(u.email) ?? 0) + 1); }));
return [...count].filter(([, n]) => n >= 3).map(([e]) => e).sort();`,
    async truth(all) {
      const count = new Map<string, number>();
      for (const p of await activeProjects(all)) for (const u of await all(`/organization/projects/${p.id}/users?limit=100`)) count.set(u.email, (count.get(u.email) ?? 0) + 1);
      return sorted([...count].filter(([, n]) => n >= 3).map(([e]) => e));
    },
  },
  {
    id: 'q10',
    question: 'Which service accounts have keys, all of them unused for 30 days or never used?',
    code: `${PRELUDE}
const cutoff = Date.now() / 1000 - 30 * 86400;
const out = [];
await Promise.all(projects.map(async (p) => {
  const keys = (await all('projects_api_keys_list', { project_id: p.id })).filter((k) => k.owner?.type === 'service_account');
  const by = new Map();
  for (const k of keys) by.set(k.owner.service_account.id, [...(by.get(k.owner.service_account.id) ?? []), k]);
  for (const [id, ks] of by) if (ks.every((k) => !k.last_used_at || k.last_used_at < cutoff)) out.push(id);
}));
return out.sort();`,
    async truth(all) {
      const cutoff = Date.now() / 1000 - 30 * 86400;
      const out: string[] = [];
      for (const p of await activeProjects(all)) {
        const by = new Map<string, Row[]>();
        for (const k of await all(`/organization/projects/${p.id}/api_keys?limit=100&owner_project_access=any`)) if (k.owner?.type === 'service_account') by.set(k.owner.service_account.id, [...(by.get(k.owner.service_account.id) ?? []), k]);
        for (const [id, ks] of by) if (ks.every((k) => !k.last_used_at || k.last_used_at < cutoff)) out.push(id);
      }
      return sorted(out);
    },
  },
];

/** Reads every page of a list over plain HTTP: `after` from `last_id` or `next`. */
export function plainHttp(baseUrl: string, key: string): ReadAll {
  return async (path) => {
    const rows: Row[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const url = new URL(`${baseUrl.replace(/\/$/, '')}${path}`);
      if (after) url.searchParams.set('after', after);
      const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
      const body = (await response.json()) as { data: Row[]; has_more?: boolean; last_id?: string; next?: string };
      rows.push(...body.data);
      after = body.next ?? body.last_id;
      if (!body.has_more || !after) return rows;
    }
    throw new Error(`GET ${path}: more than 100 pages`);
  };
}
