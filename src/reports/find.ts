import { z } from 'zod';
import { RequestBudget } from './directory.js';
import { matchesRedacted } from './names.js';
import { FRESH, partialRead, partialReadShape, report } from './report.js';

/*
 * find: names, emails and IDs to objects across the whole organization in one call: projects,
 * users, groups, service accounts, project API keys (by name or the visible tail of the redacted
 * value), admin keys, invites and roles (organization roles and every project's roles). Everything
 * but invites comes from the directory, so once it is warm a search costs no request at all.
 */

const KINDS = ['project', 'user', 'group', 'service_account', 'api_key', 'admin_key', 'invite', 'role'] as const;
type Kind = (typeof KINDS)[number];

interface Match {
  kind: Kind;
  id: string;
  name: string;
  email?: string;
  status?: string;
  project?: string;
  owner?: string;
  rank: number;
  /** Found through its owner's name or email rather than its own. */
  byOwner?: boolean;
}

export const find = report({
  name: 'find',
  title: 'Find',
  description: 'Names, emails or key tails to IDs: projects, users, groups, service accounts, keys or their owners, invites, roles.',
  input: {
    query: z.string().min(1).describe('Name, email, ID or key tail, or part of one'),
    kinds: z.array(z.enum(KINDS)).optional().describe('Default all'),
    limit: z.number().int().min(1).max(100).optional().describe('Default 10'),
    fresh: FRESH,
  },
  output: z.object({
    query: z.string(),
    matches: z.array(
      z.object({
        kind: z.enum(KINDS),
        id: z.string(),
        name: z.string().nullable(),
        email: z.string().nullable().optional(),
        status: z.string().nullable().optional(),
        /** Where it lives: "Name (proj_…)", or "organization role". */
        project: z.string().optional(),
        owner: z.string().optional(),
        /** owner: the query matched the key's owner (name or email), not the key. */
        match: z.enum(['exact', 'prefix', 'partial', 'owner']),
      }),
    ),
    more: z.number().optional(),
    partial: partialReadShape.optional(),
  }),
  async run(args, ctx) {
    const kinds = new Set<Kind>(args.kinds && args.kinds.length > 0 ? args.kinds : KINDS);
    const wanted = args.query.trim().toLowerCase();
    const rank = (...labels: Array<string | null | undefined>): number => {
      let best = 0;
      for (const label of labels) {
        const l = label?.toLowerCase();
        if (!l) continue;
        if (l === wanted) best = Math.max(best, 3);
        else if (l.startsWith(wanted)) best = Math.max(best, 2);
        else if (l.includes(wanted)) best = Math.max(best, 1);
      }
      return best;
    };
    const none = Promise.resolve([]);
    const budget = new RequestBudget();
    const scope = { budget, progress: ctx.progress };
    const [projects, users, groups, keys, adminKeys, invites, orgRoles, accounts, projectRoles] = await Promise.all([
      kinds.has('project') ? ctx.names.projects(ctx.signal) : none,
      kinds.has('user') ? ctx.names.users(ctx.signal) : none,
      kinds.has('group') ? ctx.names.groups(ctx.signal) : none,
      kinds.has('api_key') ? ctx.names.keys(ctx.signal, scope) : none,
      kinds.has('admin_key') ? ctx.names.adminKeys(ctx.signal) : none,
      kinds.has('invite')
        ? ctx.client.collect<{ id: string; email: string; role: string; status: string }>({ path: '/organization/invites', query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => r.items)
        : none,
      kinds.has('role') ? ctx.names.orgRoles(ctx.signal) : none,
      kinds.has('service_account') ? ctx.names.serviceAccounts(ctx.signal, scope) : none,
      kinds.has('role') ? ctx.names.projectRoles(ctx.signal, scope) : none,
    ]);

    const matches: Match[] = [];
    const push = (match: Match) => {
      if (match.rank > 0) matches.push(match);
    };
    const where = (p: { id: string; name: string }) => `${p.name} (${p.id})`;
    if (kinds.has('project')) for (const p of projects) push({ kind: 'project', id: p.id, name: p.name, status: p.status, rank: rank(p.id, p.name) });
    for (const u of users) push({ kind: 'user', id: u.id, name: u.name, email: u.email, rank: rank(u.id, u.name, u.email) });
    for (const g of groups) push({ kind: 'group', id: g.id, name: g.name, rank: rank(g.id, g.name) });
    // A key matches by its own ID, name or value first; failing that, by its owner's name or email,
    // ranked below every direct match so a person's keys follow the person.
    const keyMatch = (own: number, owner: number): Pick<Match, 'rank' | 'byOwner'> => (own > 0 || owner === 0 ? { rank: own } : { rank: 0.5, byOwner: true });
    for (const k of keys) {
      const own = matchesRedacted(k.redacted_value, args.query) ? 3 : rank(k.id, k.name);
      push({ kind: 'api_key', id: k.id, name: k.name, project: where(k.project), owner: k.owner, ...keyMatch(own, rank(k.owner, k.owner_name)) });
    }
    for (const k of adminKeys) push({ kind: 'admin_key', id: k.id, name: k.name, owner: k.owner, ...keyMatch(matchesRedacted(k.redacted_value, args.query) ? 3 : rank(k.id, k.name), rank(k.owner)) });
    for (const i of invites) push({ kind: 'invite', id: i.id, name: i.email, status: `${i.status}, role ${i.role}`, rank: rank(i.id, i.email) });
    for (const r of orgRoles) push({ kind: 'role', id: r.id, name: r.name, project: 'organization role', rank: rank(r.id, r.name) });
    for (const a of accounts) push({ kind: 'service_account', id: a.id, name: a.name, project: where(a.project), rank: rank(a.id, a.name) });
    for (const r of projectRoles) push({ kind: 'role', id: r.id, name: r.name, project: r.project ? where(r.project) : 'organization role', rank: rank(r.id, r.name) });
    matches.sort((a, b) => b.rank - a.rank || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const limit = args.limit ?? 10;
    return {
      query: args.query,
      matches: matches.slice(0, limit).map(({ rank: r, byOwner, ...m }) => ({ ...m, match: byOwner ? 'owner' : r === 3 ? 'exact' : r === 2 ? 'prefix' : 'partial' })),
      ...(matches.length > limit ? { more: matches.length - limit } : {}),
      ...partialRead(budget, 'find'),
    };
  },
});
