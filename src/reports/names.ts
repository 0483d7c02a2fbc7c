import type { AdminClient } from '../client/index.js';
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

type Kind = 'projects' | 'users' | 'groups';
const PATHS: Record<Kind, { path: string; style: 'cursor_id' | 'cursor_next'; query: Record<string, string | number | boolean> }> = {
  projects: { path: '/organization/projects', style: 'cursor_id', query: { limit: 100, include_archived: true } },
  users: { path: '/organization/users', style: 'cursor_id', query: { limit: 100 } },
  groups: { path: '/organization/groups', style: 'cursor_next', query: { limit: 1000 } },
};

export class NameDirectory {
  private readonly cache = new Map<Kind, { at: number; generation: number; items: Promise<unknown[]> }>();
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

  /** A project by ID, exact name, or unambiguous name prefix, ignoring case. */
  async project(ref: string, signal?: AbortSignal): Promise<ProjectRef> {
    return pick('project', ref, await this.projects(signal), (p) => [p.name]);
  }

  /** A user by ID, email, exact name, or unambiguous name prefix, ignoring case. */
  async user(ref: string, signal?: AbortSignal): Promise<UserRef> {
    return pick('user', ref, await this.users(signal), (u) => [u.email, u.name]);
  }

  private list(kind: Kind, signal?: AbortSignal): Promise<unknown[]> {
    const cached = this.cache.get(kind);
    if (cached && cached.generation === this.generation && this.now() - cached.at < this.ttlMs) return cached.items;
    const generation = this.generation;
    const { path, style, query } = PATHS[kind];
    const items = this.client.collect<unknown>({ path, query, style, maxPages: 50, signal }).then((r) => r.items);
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
export function pick<T extends { id: string; name: string }>(kind: string, ref: string, items: readonly T[], labels: (item: T) => string[]): T {
  const wanted = ref.trim().toLowerCase();
  if (wanted === '') throw new ReportError(`Give a ${kind} ID or name.`);
  const byId = items.find((item) => item.id.toLowerCase() === wanted);
  if (byId) return byId;
  const exact = items.filter((item) => labels(item).some((l) => l?.toLowerCase() === wanted));
  if (exact.length === 1) return exact[0] as T;
  const candidates = exact.length > 1 ? exact : items.filter((item) => labels(item).some((l) => l?.toLowerCase().startsWith(wanted)));
  if (candidates.length === 1) return candidates[0] as T;
  if (candidates.length > 1) {
    const listed = candidates.slice(0, 10).map((c) => `${c.name} (${c.id})`).join('; ');
    throw new ReportError(`'${ref}' matches ${candidates.length} ${kind}s: ${listed}. Call again with one of these IDs.`);
  }
  throw new ReportError(`No ${kind} matches '${ref}'. Use find to search names and emails, or pass the ${kind} ID.`);
}
