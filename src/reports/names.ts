import type { AdminClient, WindowProgress } from '../client/index.js';
import { Directory, type AccountRef, type AdminKeyRef, type DirectoryOptions, type GroupRef, type KeyRef, type MemberRef, type PerProject, type PerProjectOptions, type ProjectRef, type RequestBudget, type RoleRef, type UserRef } from './directory.js';
import { ReportError } from './report-error.js';

/*
 * Name resolution for the reports: projects, users, groups and keys by ID, name, email or key tail,
 * against the directory (directory.ts), which holds the lists and says how fresh they are.
 */

export type { AccountRef, AdminKeyRef, GroupRef, KeyRef, MemberRef, ProjectRef, RoleRef, UserRef } from './directory.js';
export { FAN_OUT } from './directory.js';

/** A key of either kind, as `anyKey` resolves it. */
export type AnyKeyRef = { kind: 'api_key'; key: KeyRef } | { kind: 'admin_key'; key: AdminKeyRef };

/**
 * The directory as the reports use it: lists by kind, and references (IDs, names, emails, key tails)
 * resolved against them. One per server, shared by every call of its admin key; `fresh()` gives a
 * view for one call that re-reads each list it uses once.
 */
export class NameDirectory {
  readonly directory: Directory;
  /** Set in the view of a call that asked for `fresh: true`: the directory's mark when it started. */
  readonly freshSince: number | undefined;

  constructor(client: AdminClient | Directory, options: DirectoryOptions = {}, freshSince?: number) {
    this.directory = client instanceof Directory ? client : new Directory(client, options);
    this.freshSince = freshSince;
  }

  /**
   * A view of this directory for one call that asked for `fresh: true`: whatever the call uses that
   * was read before it started is read again, once.
   */
  fresh(): NameDirectory {
    return new NameDirectory(this.directory, {}, this.directory.mark());
  }

  /** Forget everything. */
  invalidate(): void {
    this.directory.invalidate();
  }

  /**
   * Any per-project fact a report keeps in the directory (see `Directory.perProjectValues`), honouring
   * this view's `fresh`.
   */
  perProjectValues<T>(family: string, projects: readonly ProjectRef[], read: (p: ProjectRef) => Promise<T>, opts: Omit<PerProjectOptions, 'freshSince'> & { cost?: number } = {}): Promise<Map<string, T>> {
    return this.directory.perProjectValues<T>(family, projects, read, { ...opts, freshSince: this.freshSince });
  }

  projects(signal?: AbortSignal): Promise<ProjectRef[]> {
    return this.directory.list<ProjectRef>('projects', signal, this.freshSince);
  }

  users(signal?: AbortSignal): Promise<UserRef[]> {
    return this.directory.list<UserRef>('users', signal, this.freshSince);
  }

  groups(signal?: AbortSignal): Promise<GroupRef[]> {
    return this.directory.list<GroupRef>('groups', signal, this.freshSince);
  }

  /** The organization's roles (predefined and custom). */
  orgRoles(signal?: AbortSignal): Promise<RoleRef[]> {
    return this.directory.list<RoleRef>('org_roles', signal, this.freshSince);
  }

  /** Every project key of every project (archived ones too), including keys whose owner lost access. */
  async keys(signal?: AbortSignal, scope: PerProjectScope = {}): Promise<KeyRef[]> {
    return this.perProject<KeyRef>('keys', signal, scope);
  }

  /** Every service account of every active project (archived projects refuse to list theirs). */
  serviceAccounts(signal?: AbortSignal, scope: PerProjectScope = {}): Promise<AccountRef[]> {
    return this.perProject<AccountRef>('service_accounts', signal, scope);
  }

  /** The custom roles of every project. */
  projectRoles(signal?: AbortSignal, scope: PerProjectScope = {}): Promise<RoleRef[]> {
    return this.perProject<RoleRef>('project_roles', signal, scope);
  }

  /** The direct members of each active project (archived projects refuse to list theirs), by project ID. */
  async members(signal?: AbortSignal, scope: PerProjectScope = {}): Promise<Map<string, MemberRef[]>> {
    const projects = (scope.projects ?? (await this.projects(signal))).filter((p) => p.status !== 'archived');
    return this.directory.perProjectMap<MemberRef>('members', projects, { signal, budget: scope.budget, progress: scope.progress, freshSince: this.freshSince });
  }

  /** The user IDs in each group, by group ID. */
  async groupMembers(signal?: AbortSignal, groups?: readonly GroupRef[]): Promise<Map<string, string[]>> {
    return this.directory.groupMembers(groups ?? (await this.groups(signal)), { signal, freshSince: this.freshSince });
  }

  /** The organization's admin keys. */
  adminKeys(signal?: AbortSignal): Promise<AdminKeyRef[]> {
    return this.directory.list<AdminKeyRef>('admin_keys', signal, this.freshSince);
  }

  private async perProject<T>(family: PerProject, signal: AbortSignal | undefined, scope: PerProjectScope): Promise<T[]> {
    const projects = scope.projects ?? (await this.projects(signal));
    return this.directory.perProjectLists<T>(family, projects, { signal, budget: scope.budget, progress: scope.progress, freshSince: this.freshSince });
  }

  /**
   * A project key by ID, exact name, unambiguous name prefix, or the visible part of its redacted
   * value, across every project (or only `projectId`'s).
   */
  async key(ref: string, signal?: AbortSignal, projectId?: string): Promise<KeyRef> {
    const scoped = projectId ? (await this.projects(signal)).filter((p) => p.id === projectId) : undefined;
    const keys = await this.keys(signal, scoped ? { projects: scoped } : {});
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
}

/** Which projects a per-project list covers (default all), what the call may spend, and its progress. */
export interface PerProjectScope {
  projects?: readonly ProjectRef[];
  budget?: RequestBudget;
  progress?: WindowProgress;
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
