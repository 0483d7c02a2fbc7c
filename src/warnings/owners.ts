import { ApiError, mapLimited, type AdminClient } from '../client/index.js';
import { lastOwner, type Owned } from './index.js';

/*
 * The last-owner warning with the reads it needs, for a single tool's preview (users_delete,
 * projects_users_delete, groups_users_delete, projects_groups_delete) and for a plan
 * (offboard_user) alike: who owns each project the change touches, users with the owner role and
 * groups holding an owner role, and the organization's owners.
 */

/** Per-item fan-out (one GET per project) runs this many at a time. */
const FAN_OUT = 8;

export interface OwnershipScope {
  /** The user the change removes. */
  user?: string;
  /** The group the change removes. */
  group?: string;
  /** Only this project (an ID), or only these projects as already read; default every project. */
  project?: string;
  projects?: ReadonlyArray<{ id: string; name: string; status?: string }>;
  /** Count the organization's owners too; default: when a user leaves and no project is named. */
  organization?: boolean;
}

/**
 * A warning for each place the change leaves without an owner, or one saying the owners could not
 * be read (never a silent "no warning").
 */
export async function lastOwnerWarnings(client: AdminClient, scope: OwnershipScope, signal?: AbortSignal): Promise<string[]> {
  try {
    const places = await ownership(client, scope, signal);
    return lastOwner(places, [scope.user, scope.group].filter((x): x is string => x !== undefined));
  } catch (error) {
    const why = error instanceof ApiError ? `HTTP ${error.status}: ${error.message}` : error instanceof Error ? error.message : String(error);
    return [`owners unknown: whether this removes a project's last owner could not be checked (${why}).`];
  }
}

/** Who owns each project the removed user or group is in, and the organization. */
async function ownership(client: AdminClient, scope: OwnershipScope, signal?: AbortSignal): Promise<Owned[]> {
  const { user, group } = scope;
  const projects: ReadonlyArray<Record<string, unknown>> =
    scope.projects ??
    (scope.project
      ? [await client.get<Record<string, unknown>>(`/organization/projects/${encodeURIComponent(scope.project)}`, undefined, signal)]
      : (await client.collect<Record<string, unknown>>({ path: '/organization/projects', query: { limit: 100 }, style: 'cursor_id', maxPages: 20, signal })).items);
  const places = await mapLimited(
    projects.filter((p) => p.status !== 'archived'),
    FAN_OUT,
    async (p): Promise<Owned | undefined> => {
      const base = `/organization/projects/${encodeURIComponent(String(p.id))}`;
      const [users, groups] = await Promise.all([
        client.collect<{ id: string; role: string }>({ path: `${base}/users`, query: { limit: 100 }, style: 'cursor_id', maxPages: 20, signal }),
        client.collect<{ group_id: string }>({ path: `${base}/groups`, query: { limit: 100 }, style: 'cursor_next', maxPages: 20, signal }),
      ]);
      const involved = (user && users.items.some((u) => u.id === user)) || (group && groups.items.some((g) => g.group_id === group));
      if (!involved) return undefined;
      const ownerGroups = await mapLimited(groups.items, FAN_OUT, async (g) => {
        const roles = await client.collect<{ name: string }>({ path: `/projects/${encodeURIComponent(String(p.id))}/groups/${encodeURIComponent(g.group_id)}/roles`, query: { limit: 100 }, style: 'cursor_next', signal });
        return roles.items.some((r) => /owner/i.test(r.name)) ? g.group_id : undefined;
      });
      return {
        place: `project ${String(p.name)} (${String(p.id)})`,
        owners: [...users.items.filter((u) => u.role === 'owner').map((u) => u.id), ...ownerGroups.filter((g): g is string => g !== undefined)],
      };
    },
  );
  const out = places.filter((p): p is Owned => p !== undefined);
  if (user && (scope.organization ?? (!scope.project && !scope.projects))) {
    const users = await client.collect<{ id: string; role: string }>({ path: '/organization/users', query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal });
    out.push({ place: 'the organization', owners: users.items.filter((u) => u.role === 'owner').map((u) => u.id) });
  }
  return out;
}
