import { z } from 'zod';
import { mapLimited } from '../client/index.js';
import { report } from './report.js';

/*
 * find: names and emails to IDs across projects, users, groups and service accounts, so a model can
 * go from "Ada's billing project" to the IDs the endpoint tools take.
 */

const KINDS = ['project', 'user', 'group', 'service_account'] as const;
type Kind = (typeof KINDS)[number];

interface Match {
  kind: Kind;
  id: string;
  name: string;
  email?: string;
  status?: string;
  project?: { id: string; name: string };
  rank: number;
}

export const find = report({
  name: 'find',
  title: 'Find',
  description: 'Resolve names or emails to IDs across projects, users, groups and service accounts (case-insensitive, partial).',
  input: {
    query: z.string().min(1).describe('Name, email or ID, or part of one'),
    kinds: z.array(z.enum(KINDS)).optional().describe('Default all'),
    limit: z.number().int().min(1).max(100).optional().describe('Default 10'),
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
        project: z.object({ id: z.string(), name: z.string() }).optional(),
        match: z.enum(['exact', 'prefix', 'partial']),
      }),
    ),
    more: z.number().optional(),
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
    const matches: Match[] = [];
    const needProjects = kinds.has('project') || kinds.has('service_account');
    const [projects, users, groups] = await Promise.all([
      needProjects ? ctx.names.projects(ctx.signal) : Promise.resolve([]),
      kinds.has('user') ? ctx.names.users(ctx.signal) : Promise.resolve([]),
      kinds.has('group') ? ctx.names.groups(ctx.signal) : Promise.resolve([]),
    ]);
    if (kinds.has('project')) for (const p of projects) push({ kind: 'project', id: p.id, name: p.name, status: p.status, rank: rank(p.id, p.name) });
    for (const u of users) push({ kind: 'user', id: u.id, name: u.name, email: u.email, rank: rank(u.id, u.name, u.email) });
    for (const g of groups) push({ kind: 'group', id: g.id, name: g.name, rank: rank(g.id, g.name) });
    if (kinds.has('service_account')) {
      // Service accounts live per project; archived projects refuse the listing, so only active ones are searched.
      const active = projects.filter((p) => p.status !== 'archived');
      const perProject = await mapLimited(active, 4, (p) =>
        ctx.client
          .collect<{ id: string; name: string }>({ path: `/organization/projects/${encodeURIComponent(p.id)}/service_accounts`, query: { limit: 100 }, style: 'cursor_id', signal: ctx.signal })
          .then((r) => r.items.map((a) => ({ account: a, project: p }))),
      );
      for (const { account, project } of perProject.flat()) {
        push({ kind: 'service_account', id: account.id, name: account.name, project: { id: project.id, name: project.name }, rank: rank(account.id, account.name) });
      }
    }
    function push(match: Match): void {
      if (match.rank > 0) matches.push(match);
    }
    matches.sort((a, b) => b.rank - a.rank || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const limit = args.limit ?? 10;
    return {
      query: args.query,
      matches: matches.slice(0, limit).map(({ rank: r, ...m }) => ({ ...m, match: r === 3 ? 'exact' : r === 2 ? 'prefix' : 'partial' })),
      ...(matches.length > limit ? { more: matches.length - limit } : {}),
    };
  },
});
