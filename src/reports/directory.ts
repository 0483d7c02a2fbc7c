import { ApiError, buildPath, mapLimited, type AdminClient, type WindowProgress } from '../client/index.js';

/*
 * The directory: the organization's names and IDs (projects, users, groups, admin keys, organization
 * roles, and per project its keys, service accounts and custom roles), read once and kept, so that
 * find, the reports, name resolution and the plans cost requests that grow with the answer rather
 * than with the organization.
 *
 * Freshness (README, "The directory"):
 * - A write made through this server drops the entries it touches before its answer is returned
 *   (`invalidatePath`), so our own change is never answered from memory.
 * - Entries are trusted for `maxAgeMs` (5 minutes by default). The first use after that syncs: it
 *   reads the audit log since the last sync and re-reads only what those events touched (a project's
 *   keys, one user, the groups...), and reads new items of the top-level lists, which are in creation
 *   order, from after the last one known. If the audit log cannot be read, every entry is re-read.
 * - `fresh: true` on a call re-reads everything that call uses that was read before it started (each
 *   once: what the call itself read, or another call read meanwhile, is not read again).
 * Per-project lists are read with bounded concurrency through the client's rate-limit gate, within
 * the call's request budget: a call that would need more stops, keeps what it read, and says so.
 */

export interface ProjectRef {
  id: string;
  name: string;
  status: string;
}
export interface UserRef {
  id: string;
  name: string;
  email: string;
  role: string;
}
export interface GroupRef {
  id: string;
  name: string;
  /** Its members are changed in the identity provider, and the API refuses to change them. */
  is_scim_managed: boolean;
}
/** A project API key as the reports show it, with its project and a readable owner. */
export interface KeyRef {
  id: string;
  name: string;
  redacted_value: string;
  project: { id: string; name: string; status: string };
  owner: string;
  owner_type: 'user' | 'service_account' | 'unknown';
  owner_id: string | null;
  /** The owner's name, when the owner is a user (`owner` is their email). */
  owner_name: string | null;
  /** Whether the owner still has access to the project (`inactive`: the key is a leftover). */
  owner_access: 'active' | 'inactive' | 'unknown';
  last_used_at: number | null;
  created_at: number;
}
/** An organization admin key. */
export interface AdminKeyRef {
  id: string;
  name: string;
  redacted_value: string;
  owner: string;
  owner_id: string | null;
  last_used_at: number | null;
  created_at: number;
}
export interface AccountRef {
  id: string;
  name: string;
  role: string;
  project: ProjectRef;
}
/** A direct member of a project, with their project role. */
export interface MemberRef {
  id: string;
  name: string | null;
  email: string | null;
  role: string;
}
export interface RoleRef {
  id: string;
  name: string;
  /** Null for an organization role. */
  project: ProjectRef | null;
}

interface RawKey {
  id: string;
  name: string;
  redacted_value?: string;
  last_used_at: number | null;
  created_at: number;
  owner_project_access?: string;
  owner?: { type?: string; user?: { id?: string; email?: string | null; name?: string | null }; service_account?: { id?: string; name?: string }; name?: string; id?: string };
}

/** Per-project lists are fetched this many at a time; the client's gate slows them further under a rate limit. */
export const FAN_OUT = 8;
/** Requests one call may spend filling the directory before it answers with what it has. */
export const DEFAULT_REQUEST_BUDGET = 500;
export const DEFAULT_MAX_AGE_MS = 5 * 60_000;

type Top = 'projects' | 'users' | 'groups' | 'admin_keys' | 'org_roles';
export type PerProject = 'keys' | 'service_accounts' | 'project_roles' | 'members';
/** Per-group facts are kept beside the per-project ones, under a group's ID. */
export const GROUP_MEMBERS = 'group_members';

/** What one call may spend, and what it could not read within that. */
export class RequestBudget {
  used = 0;
  /** Projects left unread, by family. */
  readonly unread = new Map<string, number>();
  constructor(readonly max = DEFAULT_REQUEST_BUDGET) {}
  spend(n = 1): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }
}

interface TopSpec {
  path: string;
  style: 'cursor_id' | 'cursor_next';
  query: Record<string, string | number | boolean>;
  map: (raw: Record<string, unknown>) => { id: string };
}

const TOP: Record<Top, TopSpec> = {
  projects: { path: '/organization/projects', style: 'cursor_id', query: { limit: 100, include_archived: true }, map: (r) => ({ id: String(r.id), name: String(r.name), status: String(r.status) }) },
  users: { path: '/organization/users', style: 'cursor_id', query: { limit: 100 }, map: (r) => ({ id: String(r.id), name: String(r.name), email: String(r.email), role: String(r.role) }) },
  groups: { path: '/organization/groups', style: 'cursor_next', query: { limit: 1000 }, map: (r) => ({ id: String(r.id), name: String(r.name), is_scim_managed: r.is_scim_managed === true }) },
  admin_keys: { path: '/organization/admin_api_keys', style: 'cursor_id', query: { limit: 100 }, map: (r) => adminKeyRef(r as unknown as RawKey) },
  org_roles: { path: '/organization/roles', style: 'cursor_next', query: { limit: 100 }, map: (r) => ({ id: String(r.id), name: String(r.name), project: null }) },
};

interface TopEntry {
  items: Map<string, { id: string }>;
  readAt: number;
  /** When it was read, in `mark()`s. */
  stamp: number;
  loading?: Promise<void>;
}
interface ProjectEntry {
  value: unknown;
  readAt: number;
  stamp: number;
}

export interface PerProjectOptions {
  signal?: AbortSignal;
  budget?: RequestBudget;
  progress?: WindowProgress;
  /** Re-read what was read before this mark (`Directory.mark()` at the start of a call that asked for `fresh: true`). */
  freshSince?: number;
}

export interface DirectoryOptions {
  maxAgeMs?: number;
  now?: () => number;
}

export class Directory {
  private readonly top = new Map<Top, TopEntry>();
  /** Family → project ID → what was read. Reports may keep their own per-project facts here (`perProjectValues`). */
  private readonly perProject = new Map<string, Map<string, ProjectEntry>>();
  private syncedAt = 0;
  private syncing: Promise<void> | undefined;
  /** Bumped by every invalidation, so a read that was in flight during a write is not kept. */
  private generation = 0;
  readonly maxAgeMs: number;
  private readonly now: () => number;
  private stamps = 0;
  /** Upstream requests the directory has made, for the benchmarks and tests. */
  requests = 0;

  constructor(
    private readonly client: AdminClient,
    options: DirectoryOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
  }

  /** Forget everything. */
  invalidate(): void {
    this.generation += 1;
    this.top.clear();
    this.perProject.clear();
    this.syncedAt = 0;
  }

  /**
   * Forget what a write to `path` may have changed: the project it names (its keys, accounts and
   * roles, and the project list), or the organization list it addresses. A path it cannot place
   * drops everything.
   */
  invalidatePath(path: string): void {
    this.generation += 1;
    const project = /^\/(?:organization\/)?projects\/([^/]+)(\/.*)?$/.exec(path);
    if (project) {
      const id = decodeURIComponent(project[1] as string);
      for (const map of this.perProject.values()) map.delete(id);
      this.top.delete('projects');
      // A membership or role change in a project may come with a new user or group role.
      if (project[2]?.startsWith('/roles')) this.top.delete('org_roles');
      return;
    }
    if (path === '/organization/projects') return void this.top.delete('projects');
    const org = /^\/organization\/(users|groups|admin_api_keys|roles|invites)(\/.*)?$/.exec(path);
    if (org) {
      const family: Top | null = org[1] === 'users' ? 'users' : org[1] === 'groups' ? 'groups' : org[1] === 'admin_api_keys' ? 'admin_keys' : org[1] === 'roles' ? 'org_roles' : null;
      if (family) this.top.delete(family);
      // Removing a user removes their project memberships and keys' owners' access too.
      if (family === 'users' && org[2]) this.perProject.clear();
      // A group's members, under its ID.
      const group = family === 'groups' ? /^\/([^/]+)/.exec(org[2] ?? '')?.[1] : undefined;
      if (group) this.perProject.get(GROUP_MEMBERS)?.delete(decodeURIComponent(group));
      return;
    }
    this.invalidate();
  }

  /** After a write by an endpoint tool: its path template filled from its arguments, or everything when that fails. */
  invalidateWrite(template: string | undefined, args: unknown): void {
    let path = '';
    try {
      if (template && args !== null && typeof args === 'object') path = buildPath(template, args as Record<string, unknown>);
    } catch {
      path = '';
    }
    this.invalidatePath(path);
  }

  /** How many names and IDs the directory holds: its memory grows with this and nothing else. */
  get size(): number {
    let n = 0;
    for (const entry of this.top.values()) n += entry.items.size;
    for (const map of this.perProject.values()) for (const entry of map.values()) n += Array.isArray(entry.value) ? entry.value.length : 1;
    return n;
  }

  /**
   * A point in the directory's reads, for a call that asked for `fresh: true`: entries read before
   * it are read again. A counter rather than the clock, which tests (and fast machines) may hold still.
   */
  mark(): number {
    return ++this.stamps;
  }

  async list<T>(family: Top, signal?: AbortSignal, freshSince?: number): Promise<T[]> {
    await this.syncIfDue(signal);
    let entry = this.top.get(family);
    if (freshSince !== undefined && entry && !entry.loading && entry.stamp < freshSince) {
      this.top.delete(family);
      entry = undefined;
    }
    if (!entry) {
      const created: TopEntry = { items: new Map(), readAt: this.now(), stamp: ++this.stamps };
      const generation = this.generation;
      created.loading = this.readTop(family, created, undefined, signal).then(
        () => {
          created.loading = undefined;
        },
        (error: unknown) => {
          if (this.top.get(family) === created) this.top.delete(family);
          throw error;
        },
      );
      this.top.set(family, created);
      entry = created;
      await created.loading;
      // A write during the read: this read may predate it; serve it to this caller only.
      if (generation !== this.generation && this.top.get(family) === created) this.top.delete(family);
    } else if (entry.loading) {
      await entry.loading;
    }
    return [...entry.items.values()] as T[];
  }

  /**
   * A per-project list for each of `projects`, read where not held, within `budget`. Projects it
   * could not read are counted in `budget.unread` and left out.
   */
  async perProjectLists<T>(family: PerProject, projects: readonly ProjectRef[], opts: PerProjectOptions = {}): Promise<T[]> {
    // Archived projects refuse to list their service accounts and members.
    const wanted = projects.filter((p) => !((family === 'service_accounts' || family === 'members') && p.status === 'archived'));
    const values = await this.perProjectMap<T>(family, wanted, opts);
    return wanted.flatMap((p) => values.get(p.id) ?? []);
  }

  /** Like `perProjectLists`, by project ID. */
  perProjectMap<T>(family: PerProject, projects: readonly ProjectRef[], opts: PerProjectOptions = {}): Promise<Map<string, T[]>> {
    return this.perProjectValues<T[]>(family, projects, (p) => this.readProject(family, p, opts.signal) as Promise<T[]>, opts);
  }

  /** The user IDs in each of `groups`, read where not held (one request a group, more past 100 members). */
  groupMembers(groups: readonly GroupRef[], opts: PerProjectOptions = {}): Promise<Map<string, string[]>> {
    return this.perProjectValues<string[], GroupRef>(
      GROUP_MEMBERS,
      groups,
      async (g) => {
        this.requests += 1;
        const read = await this.client.collect<{ id: string }>({ path: `/organization/groups/${encodeURIComponent(g.id)}/users`, query: { limit: 100 }, style: 'cursor_next', maxPages: 100, signal: opts.signal });
        return read.items.map((u) => u.id);
      },
      opts,
    );
  }

  /**
   * Any per-project fact (`read` for one project, costing about `cost` requests), kept and dropped
   * by the same rules as the lists. Projects past the budget are counted in `budget.unread`.
   */
  async perProjectValues<T, R extends { id: string } = ProjectRef>(family: string, projects: readonly R[], read: (p: R) => Promise<T>, opts: PerProjectOptions & { cost?: number } = {}): Promise<Map<string, T>> {
    await this.syncIfDue(opts.signal);
    let held = this.perProject.get(family);
    if (!held) this.perProject.set(family, (held = new Map()));
    const since = opts.freshSince;
    const missing = projects.filter((p) => {
      const entry = held.get(p.id);
      return !entry || (since !== undefined && entry.stamp < since);
    });
    if (missing.length > 0) {
      opts.progress?.plan(missing.length);
      const generation = this.generation;
      let unread = 0;
      await mapLimited(missing, FAN_OUT, async (p) => {
        if (opts.budget && !opts.budget.spend(opts.cost ?? 1)) {
          unread += 1;
          return;
        }
        const value = await read(p);
        if (generation === this.generation) held.set(p.id, { value, readAt: this.now(), stamp: ++this.stamps });
        opts.progress?.done();
      });
      if (unread > 0 && opts.budget) opts.budget.unread.set(family, Math.max(opts.budget.unread.get(family) ?? 0, unread));
    }
    const out = new Map<string, T>();
    for (const p of projects) {
      const entry = held.get(p.id);
      if (entry) out.set(p.id, entry.value as T);
    }
    return out;
  }

  private async readTop(family: Top, entry: TopEntry, after: string | undefined, signal?: AbortSignal): Promise<void> {
    const spec = TOP[family];
    const pages = await this.client.collect<Record<string, unknown>>({ path: spec.path, query: { ...spec.query, ...(after ? { after } : {}) }, style: spec.style, maxPages: 1_000, signal });
    this.requests += pages.pages ?? 1;
    for (const raw of pages.items) {
      const item = spec.map(raw);
      entry.items.set(item.id, item);
    }
    entry.readAt = this.now();
  }

  private async readProject(family: PerProject, p: ProjectRef, signal?: AbortSignal): Promise<unknown[]> {
    const base = encodeURIComponent(p.id);
    this.requests += 1;
    switch (family) {
      case 'keys':
        return (await this.client.collect<RawKey>({ path: `/organization/projects/${base}/api_keys`, query: { limit: 100, owner_project_access: 'any' }, style: 'cursor_id', maxPages: 50, signal })).items.map((k) => keyRef(k, p));
      case 'service_accounts':
        return (await this.client.collect<{ id: string; name: string; role: string }>({ path: `/organization/projects/${base}/service_accounts`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal })).items.map((a) => ({ id: a.id, name: a.name, role: a.role, project: p }));
      case 'members':
        return (await this.client.collect<MemberRef>({ path: `/organization/projects/${base}/users`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal })).items.map((u) => ({ id: u.id, name: u.name ?? null, email: u.email ?? null, role: u.role }));
      case 'project_roles':
        // Predefined project roles repeat in every project: only custom ones name something.
        return (await this.client.collect<{ id: string; name: string; predefined_role?: boolean }>({ path: `/projects/${base}/roles`, query: { limit: 100 }, style: 'cursor_next', maxPages: 50, signal })).items
          .filter((r) => !r.predefined_role)
          .map((r) => ({ id: r.id, name: r.name, project: p }));
    }
  }

  /** Past the freshness window: read the audit log since the last sync and drop what it touched. */
  private syncIfDue(signal?: AbortSignal): Promise<void> {
    if (this.syncedAt === 0) {
      // Nothing read yet: there is nothing to sync, only to read.
      this.syncedAt = this.now();
      return Promise.resolve();
    }
    if (this.now() - this.syncedAt < this.maxAgeMs) return Promise.resolve();
    this.syncing ??= this.sync(signal).finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async sync(signal?: AbortSignal): Promise<void> {
    const since = Math.floor(this.syncedAt / 1000) - 1;
    const startedAt = this.now();
    let events: Array<{ type?: string; project?: { id?: string } | null; [key: string]: unknown }>;
    try {
      const read = await this.client.collect<{ type?: string; project?: { id?: string } | null }>({ path: '/organization/audit_logs', query: { 'effective_at[gte]': since, limit: 100 }, style: 'cursor_id', maxPages: 20, signal });
      this.requests += read.pages ?? 1;
      if (read.truncated) throw new Error('too many changes to follow one by one');
      events = read.items as typeof events;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 429 || error.status >= 500)) throw error;
      // The audit log is off, or refused: everything is re-read on use.
      this.invalidate();
      this.syncedAt = startedAt;
      return;
    }
    const touchedTop = new Set<Top>();
    for (const event of events) {
      const kind = (event.type ?? '').split('.')[0] ?? '';
      const projectId = event.project?.id;
      if (kind === 'api_key' || kind === 'service_account' || kind === 'role' || kind === 'project') {
        if (projectId) for (const map of this.perProject.values()) map.delete(projectId);
        if (kind === 'api_key') touchedTop.add('admin_keys');
        if (kind === 'role') touchedTop.add('org_roles');
        if (kind === 'project') touchedTop.add('projects');
      } else if (kind === 'user') {
        touchedTop.add('users');
        // A membership change names its project; one without a project (a user removed from the
        // organization, say) may have changed any project's or group's members.
        if (projectId) this.perProject.get('members')?.delete(projectId);
        else {
          this.perProject.delete('members');
          this.perProject.delete(GROUP_MEMBERS);
        }
      } else if (kind === 'group') {
        touchedTop.add('groups');
        this.perProject.delete(GROUP_MEMBERS);
      }
    }
    // Changed lists are re-read; unchanged ones only gain the items created after the last one known.
    for (const family of touchedTop) this.top.delete(family);
    await Promise.all(
      [...this.top.entries()].map(async ([family, entry]) => {
        if (entry.loading) return;
        const last = [...entry.items.keys()].at(-1);
        if (!last || TOP[family].style !== 'cursor_id') return void this.top.delete(family);
        try {
          await this.readTop(family, entry, last, signal);
        } catch {
          this.top.delete(family);
        }
      }),
    );
    this.syncedAt = startedAt;
  }
}

function adminKeyRef(k: RawKey): AdminKeyRef {
  return { id: k.id, name: k.name, redacted_value: k.redacted_value ?? '', owner: k.owner?.name ?? k.owner?.id ?? 'unknown', owner_id: k.owner?.id ?? null, last_used_at: k.last_used_at, created_at: k.created_at };
}

function keyRef(k: RawKey, project: ProjectRef): KeyRef {
  const type = k.owner?.type === 'service_account' ? 'service_account' : k.owner?.type === 'user' ? 'user' : 'unknown';
  const owner =
    type === 'service_account'
      ? `service account ${k.owner?.service_account?.name ?? k.owner?.service_account?.id ?? '?'}`
      : (k.owner?.user?.email ?? k.owner?.user?.name ?? k.owner?.user?.id ?? 'unknown');
  return {
    id: k.id,
    name: k.name,
    redacted_value: k.redacted_value ?? '',
    // The project's own entry, shared by its keys rather than copied into each.
    project,
    owner,
    owner_type: type,
    owner_id: (type === 'service_account' ? k.owner?.service_account?.id : k.owner?.user?.id) ?? null,
    owner_name: type === 'user' ? (k.owner?.user?.name ?? null) : null,
    owner_access: k.owner_project_access === 'active' || k.owner_project_access === 'inactive' ? k.owner_project_access : 'unknown',
    last_used_at: k.last_used_at,
    created_at: k.created_at,
  };
}
