import { mapLimited, type AdminClient } from '../client/index.js';
import { ReportError } from './report.js';

/*
 * Name resolution for the reports: projects, users and groups by ID, name or email. The lists are
 * cached for a short TTL, and the server calls `invalidate()` after every write it makes, so an
 * answer is never stale after our own change (a generation counter also discards a fetch that was
 * in flight when the write happened).
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

/** A key of either kind, as `anyKey` resolves it. */
export type AnyKeyRef = { kind: 'api_key'; key: KeyRef } | { kind: 'admin_key'; key: AdminKeyRef };

interface RawKey {
  id: string;
  name: string;
  redacted_value?: string;
  last_used_at: number | null;
  created_at: number;
  owner_project_access?: string;
  owner?: { type?: string; user?: { id?: string; email?: string | null; name?: string | null }; service_account?: { id?: string; name?: string }; name?: string; id?: string };
}

/** Per-project lists are fetched this many at a time: enough to hide latency, few enough to spare the API. */
export const FAN_OUT = 8;

type Kind = 'projects' | 'users' | 'groups';
const PATHS: Record<Kind, { path: string; style: 'cursor_id' | 'cursor_next'; query: Record<string, string | number | boolean> }> = {
  projects: { path: '/organization/projects', style: 'cursor_id', query: { limit: 100, include_archived: true } },
  users: { path: '/organization/users', style: 'cursor_id', query: { limit: 100 } },
  groups: { path: '/organization/groups', style: 'cursor_next', query: { limit: 1000 } },
};

export class NameDirectory {
  private readonly cache = new Map<string, { at: number; generation: number; items: Promise<unknown[]> }>();
  private generation = 0;

  constructor(
    private readonly client: AdminClient,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forget everything: called after any write the server makes. */
  invalidate(): void {
    this.generation += 1;
    this.cache.clear();
  }

  projects(signal?: AbortSignal): Promise<ProjectRef[]> {
    return this.list('projects', signal) as Promise<ProjectRef[]>;
  }

  users(signal?: AbortSignal): Promise<UserRef[]> {
    return this.list('users', signal) as Promise<UserRef[]>;
  }

  groups(signal?: AbortSignal): Promise<GroupRef[]> {
    return this.list('groups', signal) as Promise<GroupRef[]>;
  }

  /** Every project key of every project (archived ones too), including keys whose owner lost access. */
  keys(signal?: AbortSignal): Promise<KeyRef[]> {
    return this.cached('keys', async () => {
      const projects = await this.projects(signal);
      const perProject = await mapLimited(projects, FAN_OUT, (p) =>
        this.client
          .collect<RawKey>({ path: `/organization/projects/${encodeURIComponent(p.id)}/api_keys`, query: { limit: 100, owner_project_access: 'any' }, style: 'cursor_id', maxPages: 50, signal })
          .then((r) => r.items.map((k) => keyRef(k, p))),
      );
      return perProject.flat();
    }) as Promise<KeyRef[]>;
  }

  /** The organization's admin keys. */
  adminKeys(signal?: AbortSignal): Promise<AdminKeyRef[]> {
    return this.cached('admin_keys', () =>
      this.client.collect<RawKey>({ path: '/organization/admin_api_keys', query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal }).then((r) =>
        r.items.map((k) => ({ id: k.id, name: k.name, redacted_value: k.redacted_value ?? '', owner: k.owner?.name ?? k.owner?.id ?? 'unknown', owner_id: k.owner?.id ?? null, last_used_at: k.last_used_at, created_at: k.created_at })),
      ),
    ) as Promise<AdminKeyRef[]>;
  }

  /**
   * A project key by ID, exact name, unambiguous name prefix, or the visible part of its redacted
   * value, across every project (or only `projectId`'s).
   */
  async key(ref: string, signal?: AbortSignal, projectId?: string): Promise<KeyRef> {
    const all = await this.keys(signal);
    const keys = projectId ? all.filter((k) => k.project.id === projectId) : all;
    const byValue = keys.filter((k) => matchesRedacted(k.redacted_value, ref));
    if (byValue.length === 1 && !keys.some((k) => k.id.toLowerCase() === ref.trim().toLowerCase())) return byValue[0] as KeyRef;
    return pick('API key', ref, keys, (k) => [k.name], (k) => `${k.name} (${k.id}, project ${k.project.name})`);
  }

  /**
   * A project key or an admin key from any form people write (ID, name, a redacted value such as
   * `sk-proj-...abcd` or `sk-proj…abcd`, the tail alone, or the whole secret), across the organization.
   */
  async anyKey(ref: string, signal?: AbortSignal): Promise<AnyKeyRef> {
    const [keys, admin] = await Promise.all([this.keys(signal), this.adminKeys(signal)]);
    const all: Array<AnyKeyRef & { id: string; name: string }> = [
      ...keys.map((key) => ({ kind: 'api_key' as const, key, id: key.id, name: key.name })),
      ...admin.map((key) => ({ kind: 'admin_key' as const, key, id: key.id, name: key.name ?? '' })),
    ];
    const byValue = all.filter((k) => matchesRedacted(k.key.redacted_value, ref));
    const wanted = ref.trim().toLowerCase();
    const found =
      byValue.length === 1 && !all.some((k) => k.id.toLowerCase() === wanted)
        ? byValue[0]
        : pick('key', ref, byValue.length > 1 ? byValue : all, (k) => [k.name], (k) => `${k.name} (${k.id}, ${k.kind === 'api_key' ? `project ${k.key.project.name}` : 'admin key'})`);
    const { kind, key } = found as AnyKeyRef & { id: string };
    return { kind, key } as AnyKeyRef;
  }

  /** A project by ID, exact name, or unambiguous name prefix, ignoring case. */
  async project(ref: string, signal?: AbortSignal): Promise<ProjectRef> {
    return pick('project', ref, await this.projects(signal), (p) => [p.name]);
  }

  /** A user by ID, email, exact name, or unambiguous name prefix, ignoring case. */
  async user(ref: string, signal?: AbortSignal): Promise<UserRef> {
    return pick('user', ref, await this.users(signal), (u) => [u.email, u.name]);
  }

  private list(kind: Kind, signal?: AbortSignal): Promise<unknown[]> {
    const { path, style, query } = PATHS[kind];
    return this.cached(kind, () => this.client.collect<unknown>({ path, query, style, maxPages: 50, signal }).then((r) => r.items));
  }

  private cached(kind: string, load: () => Promise<unknown[]>): Promise<unknown[]> {
    const cached = this.cache.get(kind);
    if (cached && cached.generation === this.generation && this.now() - cached.at < this.ttlMs) return cached.items;
    const generation = this.generation;
    const items = load();
    const entry = { at: this.now(), generation, items };
    this.cache.set(kind, entry);
    items.catch(() => {
      if (this.cache.get(kind) === entry) this.cache.delete(kind);
    });
    return items;
  }
}

/**
 * Resolves a reference: an exact ID wins, then an exact label (case-insensitive), then a unique
 * prefix. An ambiguous reference lists the candidates; an unknown one says how to look names up.
 */
export function pick<T extends { id: string; name: string }>(
  kind: string,
  ref: string,
  items: readonly T[],
  labels: (item: T) => Array<string | null | undefined>,
  describe: (item: T) => string = (c) => `${c.name} (${c.id})`,
): T {
  const found = pickOrNone(kind, ref, items, labels, describe);
  if (found) return found;
  throw new ReportError(`No ${kind} matches '${ref}'. Use find to search names and emails, or pass the ${kind} ID.`);
}

/** Like `pick`, but nothing matching gives undefined (an ambiguous reference still throws). */
export function pickOrNone<T extends { id: string; name: string }>(
  kind: string,
  ref: string,
  items: readonly T[],
  labels: (item: T) => Array<string | null | undefined>,
  describe: (item: T) => string = (c) => `${c.name} (${c.id})`,
): T | undefined {
  const wanted = ref.trim().toLowerCase();
  if (wanted === '') throw new ReportError(`Give a ${kind} ID or name.`);
  const byId = items.find((item) => item.id.toLowerCase() === wanted);
  if (byId) return byId;
  const exact = items.filter((item) => labels(item).some((l) => l?.toLowerCase() === wanted));
  if (exact.length === 1) return exact[0] as T;
  const candidates = exact.length > 1 ? exact : items.filter((item) => labels(item).some((l) => l?.toLowerCase().startsWith(wanted)));
  if (candidates.length === 1) return candidates[0] as T;
  if (candidates.length > 1) {
    const listed = candidates.slice(0, 10).map(describe).join('; ');
    throw new ReportError(`'${ref}' matches ${candidates.length} ${kind}s: ${listed}. Call again with one of these IDs.`);
  }
  return undefined;
}

/** The visible runs of a redacted key value (`sk-proj...abcd` or `sk-proj-****abcd` give `sk-proj` and `abcd`). */
export function redactedParts(redacted: string): string[] {
  return redacted.split(/\*+|\.{2,}|…/).map((part) => part.replace(/-$/, '')).filter((part) => part.length > 0);
}

/**
 * A key as people write it, reduced to what identifies it: the visible tail (at least 4 characters)
 * and, when given, the kind prefix. `sk-proj-...abcd`, `sk-proj…abcd`, `sk-proj-****abcd`,
 * `sk-svcacct...abcd`, `...abcd` and `abcd` all give the tail `abcd`; a whole secret (`sk-proj-` and
 * 20 or more characters) gives its last four. Undefined for anything else (a prefix alone, say).
 */
export function keyForm(ref: string): { prefix?: string; tail: string } | undefined {
  const given = ref.trim().toLowerCase();
  const parts = redactedParts(given);
  const tail = parts[parts.length - 1];
  if (tail === undefined || tail.length < 4) return undefined;
  if (parts.length >= 2) return { prefix: parts[0], tail };
  // One visible run: a tail after a marker (`...abcd`), a bare tail, or a whole secret.
  if (/(\*+|\.{2,}|…)$/.test(given)) return undefined;
  const secret = /^(sk-[a-z]+)-[a-z0-9_-]{20,}$/.exec(tail);
  if (secret) return { prefix: secret[1], tail: tail.slice(-4) };
  return /^[a-z0-9]+$/.test(tail) ? { tail } : undefined;
}

/** Whether `ref` names the key whose redacted value this is (see `keyForm` for the forms). */
export function matchesRedacted(redacted: string, ref: string): boolean {
  if (redacted.trim().toLowerCase() === ref.trim().toLowerCase()) return true;
  const form = keyForm(ref);
  const parts = redactedParts(redacted.toLowerCase());
  // The prefix (sk-proj) is shared by every key of a kind; only the tail identifies one.
  if (!form || parts.length < 2) return false;
  return parts[parts.length - 1] === form.tail && (form.prefix === undefined || (parts[0] as string).startsWith(form.prefix));
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
    project: { id: project.id, name: project.name, status: project.status },
    owner,
    owner_type: type,
    owner_id: (type === 'service_account' ? k.owner?.service_account?.id : k.owner?.user?.id) ?? null,
    owner_name: type === 'user' ? (k.owner?.user?.name ?? null) : null,
    owner_access: k.owner_project_access === 'active' || k.owner_project_access === 'inactive' ? k.owner_project_access : 'unknown',
    last_used_at: k.last_used_at,
    created_at: k.created_at,
  };
}
