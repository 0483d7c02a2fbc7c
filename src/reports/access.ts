import { z } from 'zod';
import { ApiError } from '../client/index.js';
import { mapLimited } from '../client/index.js';
import { isoDate, report, type ReportContext } from './report.js';

/*
 * access_review: who can reach a project (users, groups, service accounts) with their roles, and its
 * API keys with owner and last use, flagging stale keys and a project with no owner. Every list is
 * fetched in parallel, every page of it.
 */

interface ProjectUser {
  id: string;
  name: string | null;
  email: string | null;
  role: string;
}
interface ProjectGroup {
  group_id: string;
  group_name: string;
}
interface ServiceAccount {
  id: string;
  name: string;
  role: string;
}
interface ApiKey {
  id: string;
  name: string;
  last_used_at: number | null;
  created_at: number;
  owner?: { type?: string; user?: { id?: string; email?: string | null; name?: string | null }; service_account?: { id?: string; name?: string } };
}
interface Role {
  id: string;
  name: string;
}

export const accessReview = report({
  name: 'access_review',
  title: 'Access review',
  description: "Who can reach a project (users, groups, service accounts, roles) and its keys' last use; flags stale keys and no owner.",
  input: {
    project: z.string().min(1).describe('Project ID or name'),
    stale_days: z.number().int().min(1).max(3650).optional().describe('Key unused this many days is stale; default 90'),
  },
  // Names and emails come from the API as they are, and may be null.
  output: z.object({
    project: z.object({ id: z.string(), name: z.string(), status: z.string().optional() }),
    summary: z.string(),
    flags: z.array(z.string()),
    users: z.array(z.object({ name: z.string().nullable(), email: z.string().nullable(), role: z.string() })),
    groups: z.array(z.object({ name: z.string().nullable(), id: z.string(), roles: z.array(z.string()) })),
    service_accounts: z.array(z.object({ name: z.string().nullable(), id: z.string(), role: z.string() })),
    keys: z.array(z.object({ name: z.string().nullable(), id: z.string(), owner: z.string(), last_used: z.string(), stale: z.boolean().optional() })),
    unavailable: z.array(z.string()).optional(),
  }),
  async run(args, ctx) {
    const project = await ctx.names.project(args.project, ctx.signal);
    const base = `/organization/projects/${encodeURIComponent(project.id)}`;
    const all = <T>(path: string, style: 'cursor_id' | 'cursor_next', limit: number, extra: Record<string, string> = {}) =>
      section(() => ctx.client.collect<T>({ path, query: { limit, ...extra }, style, maxPages: 100, signal: ctx.signal }));
    const [users, groups, accounts, keys] = await Promise.all([
      all<ProjectUser>(`${base}/users`, 'cursor_id', 100),
      all<ProjectGroup>(`${base}/groups`, 'cursor_next', 100),
      all<ServiceAccount>(`${base}/service_accounts`, 'cursor_id', 100),
      // Every key, including those whose owner has lost access to the project (hidden by default).
      all<ApiKey>(`${base}/api_keys`, 'cursor_id', 100, { owner_project_access: 'any' }),
    ]);
    const groupRoles = groups.items
      ? await mapLimited(groups.items, 4, (g) =>
          ctx.client
            .collect<Role>({ path: `/projects/${encodeURIComponent(project.id)}/groups/${encodeURIComponent(g.group_id)}/roles`, query: { limit: 100 }, style: 'cursor_next', signal: ctx.signal })
            .then((r) => r.items.map((role) => role.name)),
        )
      : [];

    const staleDays = args.stale_days ?? 90;
    const nowSeconds = Math.floor(ctx.now() / 1000);
    const staleBefore = nowSeconds - staleDays * 86_400;
    const keyRows = (keys.items ?? []).map((k) => {
      const stale = k.last_used_at === null ? k.created_at < staleBefore : k.last_used_at < staleBefore;
      return {
        name: k.name,
        id: k.id,
        owner: k.owner?.type === 'service_account' ? `service account ${k.owner.service_account?.name ?? k.owner.service_account?.id}` : (k.owner?.user?.email ?? k.owner?.user?.id ?? 'unknown'),
        last_used: k.last_used_at ? isoDate(k.last_used_at) : 'never',
        ...(stale ? { stale: true } : {}),
      };
    });
    const userRows = (users.items ?? []).map((u) => ({ name: u.name, email: u.email, role: u.role }));
    const groupRows = (groups.items ?? []).map((g, i) => ({ name: g.group_name, id: g.group_id, roles: groupRoles[i] ?? [] }));
    const accountRows = (accounts.items ?? []).map((a) => ({ name: a.name, id: a.id, role: a.role }));

    const owners = userRows.filter((u) => u.role === 'owner').length + groupRows.filter((g) => g.roles.some((r) => /owner/i.test(r))).length;
    const stale = keyRows.filter((k) => 'stale' in k);
    const flags: string[] = [];
    if (users.items && groups.items && owners === 0) flags.push('no_owner: no user or group holds the owner role on this project');
    if (stale.length > 0) flags.push(`stale_keys: ${stale.length} key(s) unused for more than ${staleDays} days: ${stale.map((k) => k.name).join(', ')}`);
    if (project.status === 'archived') flags.push('archived: the project is archived and cannot be changed');
    const errors = Object.entries({ users, groups, service_accounts: accounts, keys })
      .filter(([, s]) => s.error)
      .map(([name, s]) => `${name}: ${s.error}`);

    const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
    return {
      project: { id: project.id, name: project.name, status: project.status },
      summary: `${count(userRows.length, 'user')} (${count(userRows.filter((u) => u.role === 'owner').length, 'owner')}), ${count(groupRows.length, 'group')}, ${count(accountRows.length, 'service account')}, ${count(keyRows.length, 'key')} (${stale.length} stale)`,
      flags,
      users: userRows,
      groups: groupRows,
      service_accounts: accountRows,
      keys: keyRows,
      ...(errors.length > 0 ? { unavailable: errors } : {}),
    };
  },
});

/** One list of the review; an API refusal (an archived project's members, say) is reported, not fatal. */
async function section<T>(fetch: () => Promise<{ items: T[]; truncated: boolean }>): Promise<{ items?: T[]; error?: string }> {
  try {
    // A list longer than the page cap is reported too: a review must never look complete when it is not.
    const result = await fetch();
    return result.truncated ? { items: result.items, error: `only the first ${result.items.length} are shown (page cap reached)` } : { items: result.items };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500 && error.status !== 401 && error.status !== 429) return { error: `${error.status} ${error.message}` };
    throw error;
  }
}

export type { ReportContext };
