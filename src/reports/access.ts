import { z } from 'zod';
import { ApiError, mapLimited, type AdminClient } from '../client/index.js';
import { DEFAULT_REQUEST_BUDGET, RequestBudget } from './directory.js';
import { FAN_OUT, type KeyRef, type ProjectRef, type UserRef } from './names.js';
import { FRESH, isoDate, partialRead, partialReadShape, report, ReportError, type ReportContext } from './report.js';

/*
 * access_review, three ways:
 * - with `project`: who can reach it (users, groups, service accounts) with roles, and its keys'
 *   owners and last use, flagging stale keys and no owner;
 * - with `user`: that user's memberships across every project, direct and through groups;
 * - with neither: the whole organization: every key with its project, owner and last use, admin
 *   keys, projects without an owner and the organization's owners, summary first, the key list
 *   cut at `max_items` with a cursor for the tail.
 * A section the API would not list is reported as unknown with the reason, never as zero; what can
 * still be read one by one (an archived project's members) is read that way, but never as users ×
 * projects: the organization review asks only the users who own keys in an archived project.
 * Names, keys and each project's owners come from the directory, within a request budget per call.
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
interface Role {
  id: string;
  name: string;
}

/** A list of the review: its items, or why they are unknown (and, if partly read, what was found). */
interface Section<T> {
  items?: T[];
  /** Set when the list is incomplete or could not be read. */
  error?: string;
  /** How the items were read when the listing itself was refused. */
  how?: string;
}

/** A table row of the review: names, IDs, roles, flags and lists of names. */
const row = z.record(z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]));

export const accessReview = report({
  name: 'access_review',
  title: 'Access review',
  description:
    'Who can reach what, stale and orphaned keys flagged: the organization, a project, or a user and their keys.',
  input: {
    project: z.string().min(1).optional().describe('ID or name'),
    user: z.string().min(1).optional().describe('Email, name or ID'),
    stale_days: z.number().int().min(1).max(3650).optional().describe('Default 90'),
    expand_groups: z.boolean().optional().describe('List group members'),
    group_keys_by: z.literal('owner').optional(),
    max_items: z.number().int().min(1).max(500).optional().describe('Default 12'),
    cursor: z.string().optional().describe('next_cursor'),
    fresh: FRESH,
  },
  output: z.object({
    summary: z.string(),
    flags: z.array(z.string()),
    project: z.object({ id: z.string(), name: z.string(), status: z.string().optional() }).optional(),
    user: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable(), organization_role: z.string() }).optional(),
    /** A section that could not be read is the string 'unknown' (the reason is in unavailable), never an empty list. */
    users: z.union([z.array(row), z.string()]).optional(),
    groups: z.union([z.array(row), z.string()]).optional(),
    service_accounts: z.union([z.array(row), z.string()]).optional(),
    keys: z.array(z.union([row, z.string()])).optional(),
    key_columns: z.string().optional(),
    /** With group_keys_by: one line per key owner (user or service account) in key_columns' order, all-stale owners first. */
    owners: z.array(z.string()).optional(),
    memberships: z.array(row).optional(),
    organization_owners: z.array(z.string()).optional(),
    projects_without_owner: z.array(z.string()).optional(),
    owners_unknown: z.array(z.string()).optional(),
    project_owners: z.record(z.string()).optional(),
    admin_keys: z.array(z.string()).optional(),
    unavailable: z.array(z.string()).optional(),
    next_cursor: z.string().optional(),
    more_keys: z.number().optional(),
    partial: partialReadShape.optional(),
  }),
  async run(args, ctx) {
    refuseIgnored(args);
    const staleDays = args.stale_days ?? 90;
    if (args.user) return reviewUser(args.user, args.project, staleDays, ctx);
    if (args.group_keys_by) return keysByOwner(args.project, staleDays, args.max_items ?? 12, args.cursor, ctx);
    if (args.project) return reviewProject(args.project, staleDays, args.expand_groups === true, ctx);
    return reviewOrganization(staleDays, args.expand_groups === true, args.max_items ?? 12, args.cursor, ctx);
  },
});

/** An argument the chosen review does not use is refused with the reason, never dropped. */
function refuseIgnored(args: { project?: string; user?: string; stale_days?: number; expand_groups?: boolean; max_items?: number; cursor?: string; group_keys_by?: string }): void {
  if (args.group_keys_by) {
    if (args.user) throw new ReportError("group_keys_by: a user review already shows one owner's keys. Leave out user to group the organization's (or a project's) keys by owner.");
    if (args.expand_groups !== undefined) throw new ReportError('expand_groups: not used when keys are grouped by owner, which lists keys rather than members. Leave it out.');
    return;
  }
  const mode = args.user ? 'user' : args.project ? 'project' : undefined;
  if (!mode) return;
  const unused = [
    ...(args.user && args.expand_groups !== undefined ? ['expand_groups'] : []),
    ...(args.max_items !== undefined ? ['max_items'] : []),
    ...(args.cursor !== undefined ? ['cursor'] : []),
  ];
  if (unused.length > 0) {
    throw new ReportError(`${unused.join(', ')}: not used by the ${mode} review (max_items and cursor page the organization review's keys${args.user ? '; expand_groups lists group members in project and organization reviews' : ''}). Leave ${unused.length === 1 ? 'it' : 'them'} out.`);
  }
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function staleCheck(staleDays: number, ctx: ReportContext): (k: { last_used_at: number | null; created_at: number }) => boolean {
  const staleBefore = Math.floor(ctx.now() / 1000) - staleDays * 86_400;
  return (k) => (k.last_used_at === null ? k.created_at < staleBefore : k.last_used_at < staleBefore);
}

const lastUsed = (k: { last_used_at: number | null }) => (k.last_used_at ? isoDate(k.last_used_at) : 'never');

/** Everything needed to say who can reach one project. */
interface ProjectAccess {
  project: ProjectRef;
  users: Section<ProjectUser>;
  groups: Section<ProjectGroup & { roles: string[]; members?: string[] }>;
  accounts: Section<ServiceAccount>;
  keys: KeyRef[];
}

async function loadProject(project: ProjectRef, expandGroups: boolean, ctx: ReportContext, keys?: KeyRef[]): Promise<ProjectAccess> {
  const base = `/organization/projects/${encodeURIComponent(project.id)}`;
  const all = <T>(path: string, style: 'cursor_id' | 'cursor_next') => section(() => ctx.client.collect<T>({ path, query: { limit: 100 }, style, maxPages: 100, signal: ctx.signal }));
  const [listedUsers, groups, listedAccounts, projectKeys] = await Promise.all([
    all<ProjectUser>(`${base}/users`, 'cursor_id'),
    all<ProjectGroup>(`${base}/groups`, 'cursor_next'),
    all<ServiceAccount>(`${base}/service_accounts`, 'cursor_id'),
    // Only this project's keys: one request when the directory does not hold them yet.
    keys ? Promise.resolve(keys) : ctx.names.keys(ctx.signal, { projects: [project] }),
  ]);
  // An archived project refuses to list its users and service accounts, but answers for each one.
  const users = listedUsers.items ? listedUsers : await probeUsers(project, listedUsers.error as string, projectKeys, ctx);
  const accounts = listedAccounts.items ? listedAccounts : await probeAccounts(project, listedAccounts.error as string, projectKeys, ctx);
  const withRoles = groups.items
    ? await mapLimited(groups.items, FAN_OUT, async (g) => ({
        ...g,
        roles: await ctx.client
          .collect<Role>({ path: `/projects/${encodeURIComponent(project.id)}/groups/${encodeURIComponent(g.group_id)}/roles`, query: { limit: 100 }, style: 'cursor_next', signal: ctx.signal })
          .then((r) => r.items.map((role) => role.name)),
        ...(expandGroups ? { members: await groupMembers(ctx.client, g.group_id, ctx.signal) } : {}),
      }))
    : undefined;
  return { project, users, groups: { ...groups, items: withRoles }, accounts, keys: projectKeys };
}

/**
 * Every organization user asked about one by one: complete, since a member must be an organization
 * user. Past the request budget (a large organization), only the users who own a key in the project
 * are asked, and the list says it is incomplete.
 */
async function probeUsers(project: ProjectRef, refusal: string, keys: KeyRef[], ctx: ReportContext): Promise<Section<ProjectUser>> {
  const everyone = await ctx.names.users(ctx.signal);
  const complete = everyone.length <= DEFAULT_REQUEST_BUDGET;
  const ids = complete ? everyone.map((u) => u.id) : [...new Set(keys.filter((k) => k.owner_type === 'user' && k.owner_id).map((k) => k.owner_id as string))];
  const found = await mapLimited(ids, FAN_OUT, (id) => getOrNull<ProjectUser>(ctx, `/organization/projects/${encodeURIComponent(project.id)}/users/${encodeURIComponent(id)}`));
  const items = found.filter((u): u is ProjectUser => u !== null);
  if (complete) return { items, how: `the listing was refused (${refusal}); each organization user was looked up one by one` };
  return { items, error: `the listing was refused (${refusal}); ${items.length} found among the ${ids.length} users who own a key here; asking each of the ${everyone.length} users would take more than ${DEFAULT_REQUEST_BUDGET} requests` };
}

/** Service accounts can only be found through the keys they own: the rest stay unknown. */
async function probeAccounts(project: ProjectRef, refusal: string, keys: KeyRef[], ctx: ReportContext): Promise<Section<ServiceAccount>> {
  const ids = [...new Set(keys.filter((k) => k.owner_type === 'service_account' && k.owner_id).map((k) => k.owner_id as string))];
  const found = await mapLimited(ids, FAN_OUT, (id) => getOrNull<ServiceAccount>(ctx, `/organization/projects/${encodeURIComponent(project.id)}/service_accounts/${encodeURIComponent(id)}`));
  const items = found.filter((a): a is ServiceAccount => a !== null);
  return { items, error: `the listing was refused (${refusal}); ${items.length} found through their keys, any without a key are unknown` };
}

async function getOrNull<T>(ctx: ReportContext, path: string): Promise<T | null> {
  try {
    return await ctx.client.get<T>(path, undefined, ctx.signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

async function groupMembers(client: AdminClient, groupId: string, signal?: AbortSignal): Promise<string[]> {
  const members = await client.collect<{ id: string; email?: string | null; name?: string | null }>({
    path: `/organization/groups/${encodeURIComponent(groupId)}/users`,
    query: { limit: 100 },
    style: 'cursor_next',
    maxPages: 50,
    signal,
  });
  return members.items.map((u) => u.email ?? u.name ?? u.id);
}

const isOwnerRole = (role: string) => /owner/i.test(role);

/** Owners of a project, direct and through groups; undefined when the users could not be read. */
function ownersOf(access: ProjectAccess): { direct: string[]; groups: string[] } | undefined {
  if (!access.users.items || !access.groups.items) return undefined;
  return {
    direct: access.users.items.filter((u) => u.role === 'owner').map((u) => u.email ?? u.name ?? u.id),
    groups: access.groups.items.filter((g) => g.roles.some(isOwnerRole)).map((g) => g.group_name),
  };
}

async function reviewProject(ref: string, staleDays: number, expandGroups: boolean, ctx: ReportContext): Promise<Record<string, unknown>> {
  const project = await ctx.names.project(ref, ctx.signal);
  const access = await loadProject(project, expandGroups, ctx);
  const isStale = staleCheck(staleDays, ctx);
  const keyRows = access.keys.map((k) => ({ name: k.name, id: k.id, owner: k.owner, last_used: lastUsed(k), ...(isStale(k) ? { stale: true } : {}), ...(k.owner_access === 'inactive' ? { owner_lost_access: true } : {}) }));
  const userRows = access.users.items?.map((u) => ({ name: u.name, email: u.email, role: u.role }));
  const groupRows = access.groups.items?.map((g) => ({ name: g.group_name, id: g.group_id, roles: g.roles, ...(g.members ? { members: g.members } : {}) }));
  const accountRows = access.accounts.items?.map((a) => ({ name: a.name, id: a.id, role: a.role }));
  const owners = ownersOf(access);
  const stale = keyRows.filter((k) => 'stale' in k);
  const flags: string[] = [];
  if (owners && owners.direct.length + owners.groups.length === 0) flags.push('no_owner: no user or group holds the owner role on this project');
  if (stale.length > 0) flags.push(`stale_keys: ${stale.length} key(s) unused for more than ${staleDays} days: ${stale.map((k) => k.name).join(', ')}`);
  const orphaned = access.keys.filter((k) => k.owner_access === 'inactive');
  if (orphaned.length > 0) flags.push(lostAccessFlag(orphaned));
  if (project.status === 'archived') flags.push('archived: the project is archived and cannot be changed');
  const notes = Object.entries({ users: access.users, groups: access.groups, service_accounts: access.accounts }).flatMap(([name, s]) => [
    ...(s.error ? [`${name}: ${s.error}`] : []),
    ...(s.how ? [`${name}: ${s.how}`] : []),
  ]);

  // A count is stated only for a list that was read in full.
  const known = <T>(s: Section<T>, noun: string, extra = '') => (s.items && !s.error ? `${count(s.items.length, noun)}${extra}` : s.items ? `at least ${count(s.items.length, noun)} (list incomplete)` : `${noun}s unknown`);
  const ownerCount = owners ? ` (${count(owners.direct.length, 'owner')}${owners.groups.length > 0 ? ` + ${count(owners.groups.length, 'owner group')}` : ''})` : '';
  return {
    project: { id: project.id, name: project.name, status: project.status },
    summary: [known(access.users, 'user', ownerCount), known(access.groups, 'group'), known(access.accounts, 'service account'), `${count(keyRows.length, 'key')} (${stale.length} stale)`].join(', '),
    flags,
    users: userRows ?? 'unknown',
    groups: groupRows ?? 'unknown',
    service_accounts: accountRows ?? 'unknown',
    keys: keyRows,
    ...(notes.length > 0 ? { unavailable: notes } : {}),
  };
}

async function reviewUser(ref: string, projectRef: string | undefined, staleDays: number, ctx: ReportContext): Promise<Record<string, unknown>> {
  const [user, projects, groups, allKeys, adminKeys] = await Promise.all([
    ctx.names.user(ref, ctx.signal),
    ctx.names.projects(ctx.signal),
    ctx.names.groups(ctx.signal),
    ctx.names.keys(ctx.signal),
    ctx.names.adminKeys(ctx.signal),
  ]);
  const scope = projectRef ? [await ctx.names.project(projectRef, ctx.signal)] : projects;
  // The groups the user is in, then for each project: the direct membership and the groups there.
  const memberOf = (
    await mapLimited(groups, FAN_OUT, async (g) => ((await getOrNull(ctx, `/organization/groups/${encodeURIComponent(g.id)}/users/${encodeURIComponent(user.id)}`)) ? g : null))
  ).filter((g): g is NonNullable<typeof g> => g !== null);
  const rows = await mapLimited(scope, FAN_OUT, async (p) => {
    const [direct, projectGroups] = await Promise.all([
      getOrNull<ProjectUser>(ctx, `/organization/projects/${encodeURIComponent(p.id)}/users/${encodeURIComponent(user.id)}`),
      memberOf.length > 0
        ? ctx.client.collect<ProjectGroup>({ path: `/organization/projects/${encodeURIComponent(p.id)}/groups`, query: { limit: 100 }, style: 'cursor_next', signal: ctx.signal }).then((r) => r.items)
        : Promise.resolve([]),
    ]);
    const via = projectGroups.filter((pg) => memberOf.some((g) => g.id === pg.group_id));
    const viaRoles = await mapLimited(via, FAN_OUT, async (g) => ({
      group: g.group_name,
      roles: (await ctx.client.collect<Role>({ path: `/projects/${encodeURIComponent(p.id)}/groups/${encodeURIComponent(g.group_id)}/roles`, query: { limit: 100 }, style: 'cursor_next', signal: ctx.signal })).items.map((r) => r.name),
    }));
    if (!direct && viaRoles.length === 0) return null;
    return {
      project: `${p.name} (${p.id})${p.status === 'archived' ? ' [archived]' : ''}`,
      ...(direct ? { role: direct.role } : {}),
      ...(viaRoles.length > 0 ? { via_groups: viaRoles.map((g) => `${g.group}: ${g.roles.join('/') || 'no role'}`) } : {}),
    };
  });
  const memberships = rows.filter((r): r is NonNullable<typeof r> => r !== null);
  const owned = memberships.filter((m) => m.role === 'owner' || m.via_groups?.some((g) => isOwnerRole(g))).length;
  // The keys they own, in every project (or the one asked), including keys in projects they have left.
  const inScope = new Set(scope.map((p) => p.id));
  const keys = allKeys.filter((k) => k.owner_type === 'user' && k.owner_id === user.id && inScope.has(k.project.id));
  const admin = projectRef ? [] : adminKeys.filter((k) => k.owner_id === user.id);
  const orphaned = keys.filter((k) => k.owner_access === 'inactive');
  return {
    user: { id: user.id, name: user.name, email: user.email, organization_role: user.role },
    summary:
      `${user.name} <${user.email}> is in ${count(memberships.length, 'project')} of ${scope.length} (owner of ${owned})${memberOf.length > 0 ? `, member of ${count(memberOf.length, 'group')}: ${memberOf.map((g) => g.name).join(', ')}` : ''}` +
      `; owns ${count(keys.length, 'project key')}${projectRef ? '' : ` and ${count(admin.length, 'admin key')}`}`,
    flags: orphaned.length > 0 ? [lostAccessFlag(orphaned)] : [],
    memberships,
    key_columns: KEY_COLUMNS,
    keys: keys.map(keyRowOf(staleCheck(staleDays, ctx))),
    ...(projectRef ? {} : { admin_keys: admin.map((k) => `${k.name} (${k.id}) | ${lastUsed(k)}`) }),
  };
}

async function reviewOrganization(staleDays: number, expandGroups: boolean, maxItems: number, cursor: string | undefined, ctx: ReportContext): Promise<Record<string, unknown>> {
  const offset = cursor === undefined ? 0 : Number(/^keys:(\d+)$/.exec(cursor)?.[1] ?? Number.NaN);
  if (!Number.isInteger(offset)) throw new ReportError(`cursor: '${cursor}' is not a cursor from access_review; pass its next_cursor as is, or leave it out to start.`);
  const isStale = staleCheck(staleDays, ctx);
  const budget = new RequestBudget();
  const [projects, users, adminKeys] = await Promise.all([ctx.names.projects(ctx.signal), ctx.names.users(ctx.signal), ctx.names.adminKeys(ctx.signal)]);
  const keys = await ctx.names.keys(ctx.signal, { budget, progress: ctx.progress });
  // Stale keys first (oldest use first), then the rest by last use: the ones to act on lead.
  const order = (k: KeyRef) => (isStale(k) ? 0 : 1);
  const sorted = [...keys].sort((a, b) => order(a) - order(b) || (a.last_used_at ?? 0) - (b.last_used_at ?? 0) || a.project.name.localeCompare(b.project.name));
  const keyRow = keyRowOf(isStale);
  const page = sorted.slice(offset, offset + maxItems);
  const tail = offset + maxItems < sorted.length ? { next_cursor: `keys:${offset + maxItems}`, more_keys: sorted.length - offset - maxItems } : {};
  if (cursor !== undefined) return { summary: `keys ${offset + 1}–${offset + page.length} of ${sorted.length}`, flags: [], key_columns: KEY_COLUMNS, keys: page.map(keyRow), ...tail, ...partialRead(budget, 'access_review') };

  // Who owns each project, kept in the directory like its lists: a second review reads none of it again.
  const keysByProject = new Map<string, KeyRef[]>();
  for (const k of keys) keysByProject.set(k.project.id, [...(keysByProject.get(k.project.id) ?? []), k]);
  const ownership = await ctx.names.perProjectValues<Ownership>('ownership', projects, (p) => readOwnership(p, keysByProject.get(p.id) ?? [], ctx), { signal: ctx.signal, budget, progress: ctx.progress, cost: 2 });
  const memberCache = new Map<string, Promise<string[]>>();
  const membersOf = (groupId: string) => {
    let found = memberCache.get(groupId);
    if (!found) memberCache.set(groupId, (found = groupMembers(ctx.client, groupId, ctx.signal)));
    return found;
  };
  const ownerless: string[] = [];
  const unknownOwners: string[] = [];
  const ownersByProject: Record<string, string> = {};
  for (const project of projects) {
    const owners = ownership.get(project.id);
    const label = `${project.name} (${project.id})${project.status === 'archived' ? ' [archived]' : ''}`;
    if (!owners) continue;
    if (owners.unknown) unknownOwners.push(`${label}: ${owners.unknown}`);
    else if (owners.direct.length + owners.groups.length === 0) ownerless.push(label);
    if (expandGroups && !owners.unknown) {
      const viaGroups = (await Promise.all(owners.groups.map(async (g) => (await membersOf(g.id)).map((m) => `${m} (via ${g.name})`)))).flat();
      ownersByProject[project.name] = [...owners.direct, ...viaGroups].join(', ') || 'none';
    }
  }
  const orgOwners = users.filter((u: UserRef) => u.role === 'owner').map((u) => `${u.name} <${u.email}>`);
  const stale = keys.filter(isStale);
  const staleAdmin = adminKeys.filter(isStale);
  const archived = projects.filter((p) => p.status === 'archived').length;
  const flags: string[] = [];
  if (ownerless.length > 0) flags.push(`no_owner: ${ownerless.join('; ')}`);
  if (stale.length > 0) flags.push(`stale_keys: ${stale.length} project key(s) unused for more than ${staleDays} days (listed first)`);
  if (staleAdmin.length > 0) flags.push(`stale_admin_keys: ${staleAdmin.map((k) => k.name).join(', ')}`);
  const orphaned = keys.filter((k) => k.owner_access === 'inactive');
  if (orphaned.length > 0) flags.push(lostAccessFlag(orphaned));
  return {
    summary:
      `${count(projects.length, 'project')} (${archived} archived), ${count(users.length, 'user')} (${count(orgOwners.length, 'owner')}), ` +
      `${count(keys.length, 'project key')} (${stale.length} stale), ${count(adminKeys.length, 'admin key')} (${staleAdmin.length} stale), ${count(ownerless.length, 'project')} without an owner`,
    flags,
    organization_owners: orgOwners,
    projects_without_owner: ownerless,
    ...(unknownOwners.length > 0 ? { owners_unknown: unknownOwners } : {}),
    ...(expandGroups ? { project_owners: ownersByProject } : {}),
    admin_keys: adminKeys.map((k) => `${k.name} (${k.id}) | ${k.owner} | ${lastUsed(k)}${isStale(k) ? ' | stale' : ''}`),
    key_columns: KEY_COLUMNS,
    keys: page.map(keyRow),
    ...tail,
    ...partialRead(budget, 'access_review'),
  };
}

/**
 * Keys grouped by who owns them (a user, or a service account), across the organization or one
 * project: per owner their keys with last use, and whether every one is stale, so "service accounts
 * whose keys are all stale" is one row filter. Owners whose keys are all stale come first; the
 * list is paged like the organization review's keys.
 */
async function keysByOwner(projectRef: string | undefined, staleDays: number, maxItems: number, cursor: string | undefined, ctx: ReportContext): Promise<Record<string, unknown>> {
  const offset = cursor === undefined ? 0 : Number(/^owners:(\d+)$/.exec(cursor)?.[1] ?? Number.NaN);
  if (!Number.isInteger(offset)) throw new ReportError(`cursor: '${cursor}' is not a cursor from access_review with group_keys_by; pass its next_cursor as is, or leave it out to start.`);
  const project = projectRef ? await ctx.names.project(projectRef, ctx.signal) : undefined;
  const keys = (await ctx.names.keys(ctx.signal)).filter((k) => !project || k.project.id === project.id);
  const isStale = staleCheck(staleDays, ctx);
  const groups = new Map<string, KeyRef[]>();
  for (const k of keys) {
    const who = `${k.owner_type}:${k.owner_id ?? k.owner}`;
    groups.set(who, [...(groups.get(who) ?? []), k]);
  }
  const owners = [...groups.values()].map((owned) => {
    const first = owned[0] as KeyRef;
    const label = first.owner_type === 'user' ? `${first.owner_name ?? first.owner} <${first.owner}>${first.owner_id ? ` (${first.owner_id})` : ''}` : `${first.owner}${first.owner_id ? ` (${first.owner_id})` : ''}`;
    const latest = owned.reduce<number | null>((max, k) => (k.last_used_at !== null && (max === null || k.last_used_at > max) ? k.last_used_at : max), null);
    const allStale = owned.every(isStale);
    const keyList = owned.map((k) => `${k.name} (${k.id}) in ${k.project.name}, ${lastUsed(k)}${isStale(k) ? ', stale' : ''}`).join('; ');
    return {
      owner: label,
      type: first.owner_type,
      all_stale: allStale,
      line: `${label} | ${first.owner_type} | ${latest === null ? 'never' : isoDate(latest)} | ${allStale ? 'all stale' : 'in use'} | ${keyList}`,
    };
  });
  owners.sort((a, b) => Number(b.all_stale) - Number(a.all_stale) || a.type.localeCompare(b.type) || a.owner.localeCompare(b.owner));
  const allStale = owners.filter((o) => o.all_stale);
  const accounts = allStale.filter((o) => o.type === 'service_account');
  const page = owners.slice(offset, offset + maxItems);
  return {
    ...(project ? { project: { id: project.id, name: project.name, status: project.status } } : {}),
    summary: `${count(keys.length, 'project key')} held by ${count(owners.length, 'owner')}${project ? '' : ` across the organization`}; ${allStale.length} owner(s) have only stale keys (${accounts.length} service account(s)); owners ${page.length === 0 ? 'none' : `${offset + 1}–${offset + page.length}`} of ${owners.length} shown`,
    flags: allStale.length > 0 ? [`all_keys_stale: every key unused for more than ${staleDays} days: ${allStale.map((o) => o.owner).join('; ')}`] : [],
    key_columns: OWNER_COLUMNS,
    owners: page.map((o) => o.line),
    ...(offset + maxItems < owners.length ? { next_cursor: `owners:${offset + maxItems}` } : {}),
  };
}

const OWNER_COLUMNS = 'owner (id) | type | last used (latest key) | all stale or in use | keys: name (id) in project, last used, stale';

const KEY_COLUMNS = 'name (id) | project | owner | last used | stale | owner lost access';

/** A key as one row of KEY_COLUMNS; the flags are words, so an empty column needs no placeholder. */
function keyRowOf(isStale: (k: KeyRef) => boolean): (k: KeyRef) => string {
  return (k) => `${k.name} (${k.id}) | ${k.project.name} | ${k.owner} | ${lastUsed(k)}${isStale(k) ? ' | stale' : ''}${k.owner_access === 'inactive' ? ' | owner lost access' : ''}`;
}

/** Keys whose owner no longer has access to the project: enabled, and often forgotten. */
function lostAccessFlag(keys: readonly KeyRef[]): string {
  return `owner_lost_access: ${keys.length} key(s) still enabled whose owner no longer has access to the project: ${keys.map((k) => `${k.name} (${k.id})`).join(', ')}`;
}

/** A project's owners, direct and through groups, or why they are unknown. */
interface Ownership {
  direct: string[];
  groups: Array<{ id: string; name: string }>;
  unknown?: string;
}

/**
 * Who owns one project: its members' roles and its groups' roles. An archived project refuses to list
 * its members; there each user who owns a key in it is asked for (requests in proportion to its keys,
 * never to the organization's users), and if none of them is an owner, the owners are unknown.
 */
async function readOwnership(project: ProjectRef, keys: KeyRef[], ctx: ReportContext): Promise<Ownership> {
  const base = `/organization/projects/${encodeURIComponent(project.id)}`;
  const all = <T>(path: string, style: 'cursor_id' | 'cursor_next') => section(() => ctx.client.collect<T>({ path, query: { limit: 100 }, style, maxPages: 100, signal: ctx.signal }));
  // An active project's members come through the directory, where offboard_user finds them again.
  const members = project.status === 'archived' ? all<ProjectUser>(`${base}/users`, 'cursor_id') : ctx.names.members(ctx.signal, { projects: [project] }).then((m): Section<ProjectUser> => ({ items: m.get(project.id) ?? [] }));
  const [listed, groups] = await Promise.all([members, all<ProjectGroup>(`${base}/groups`, 'cursor_next')]);
  if (!groups.items) return { direct: [], groups: [], unknown: groups.error ?? 'the groups could not be read' };
  const withRoles = await mapLimited(groups.items, FAN_OUT, async (g) => ({
    id: g.group_id,
    name: g.group_name,
    roles: (await ctx.client.collect<Role>({ path: `/projects/${encodeURIComponent(project.id)}/groups/${encodeURIComponent(g.group_id)}/roles`, query: { limit: 100 }, style: 'cursor_next', signal: ctx.signal })).items.map((r) => r.name),
  }));
  const ownerGroups = withRoles.filter((g) => g.roles.some(isOwnerRole)).map(({ id, name }) => ({ id, name }));
  const label = (u: ProjectUser) => u.email ?? u.name ?? u.id;
  if (listed.items && !listed.error) return { direct: listed.items.filter((u) => u.role === 'owner').map(label), groups: ownerGroups };
  const candidates = [...new Set(keys.filter((k) => k.owner_type === 'user' && k.owner_id).map((k) => k.owner_id as string))];
  const found = (await mapLimited(candidates, FAN_OUT, (id) => getOrNull<ProjectUser>(ctx, `${base}/users/${encodeURIComponent(id)}`))).filter((u): u is ProjectUser => u !== null);
  const direct = found.filter((u) => u.role === 'owner').map(label);
  if (direct.length + ownerGroups.length > 0) return { direct, groups: ownerGroups };
  return { direct, groups: ownerGroups, unknown: `${listed.error ?? 'the member list is incomplete'}; none of its ${candidates.length} key owner(s) is an owner, and other members cannot be listed (access_review with project reads them one by one)` };
}

/** One list of the review; an API refusal (an archived project's members, say) is reported, not fatal. */
async function section<T>(fetch: () => Promise<{ items: T[]; truncated: boolean }>): Promise<Section<T>> {
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
