import { conflict, invalid, notFound } from '../errors.js';
import { requireActiveProject, requireProject } from '../lookup.js';
import { cursorIdPage } from '../paginate.js';
import type { Route } from '../router.js';
import type { ProjectMemberRecord, ProjectRecord, ProjectRole, RoleRecord, SandboxState } from '../state.js';
import { addProjectAssignment, projectRoles, removeAssignments } from './roles.js';
import { RESIDENCIES } from '../../client/residencies.js';
import { defaultRateLimits } from '../seed/limits.js';

/*
 * Projects and their direct members. Projects are created, renamed and archived, never deleted.
 * Archived projects answer 400 to any change of their users (and to listing them: "archived
 * projects have no users").
 */

/** The residency configurations the simulated organization has access to. */
export const ORG_RESIDENCIES: readonly string[] = ['GLOBAL', 'US_STORAGE_PROCESSING', 'EU_STORAGE_PROCESSING'];

/** The region of a residency configuration (`EU_STORAGE_PROCESSING` → `EU`); no residency is `GLOBAL`. */
const regionOf = (residency: string | null) => (residency ?? 'GLOBAL').split('_')[0] as string;

/**
 * `geography`, the deprecated way to choose residency, names a region (`US`, `EU`, …): it stands for
 * the residency configuration of that region the organization has access to.
 */
function residencyForGeography(geography: string): string {
  const region = geography.toUpperCase();
  const match = ORG_RESIDENCIES.find((r) => regionOf(r) === region);
  if (!match) {
    throw invalid(
      'geography',
      `Your organization has no residency configuration in the '${geography}' region. Use residency, one of ${ORG_RESIDENCIES.map((r) => `'${r}'`).join(', ')}.`,
      'residency_not_available',
    );
  }
  return match;
}

const PROJECT_ROLES = ['owner', 'member'] as const;
const PAGE = { limit: { default: 20, min: 1, max: 100 } };

export function projectObject(project: ProjectRecord) {
  return {
    id: project.id,
    object: 'organization.project' as const,
    name: project.name,
    created_at: project.created_at,
    archived_at: project.archived_at,
    status: project.status,
    external_key_id: project.external_key_id,
    // The API documents residency as optional but not nullable: it is left out when none was chosen.
    ...(project.residency !== null ? { residency: project.residency } : {}),
  };
}

/** The organization's default project is the first one it had; the API refuses to modify it. */
export function isDefaultProject(state: SandboxState, project: ProjectRecord): boolean {
  for (const first of state.projects.values()) return first.id === project.id;
  return false;
}

function projectUserObject(state: SandboxState, member: ProjectMemberRecord) {
  const user = state.users.get(member.user_id);
  return {
    object: 'organization.project.user' as const,
    id: member.user_id,
    name: user?.name ?? null,
    email: user?.email ?? null,
    role: member.role,
    added_at: member.added_at,
  };
}

function requireMember(state: SandboxState, projectId: string, userId: string): ProjectMemberRecord {
  const member = state.projectUsers.get(projectId)?.get(userId);
  if (!member) throw notFound('user in this project', userId, 'user_id');
  return member;
}

function ref(project: ProjectRecord) {
  return { id: project.id, name: project.name };
}

/*
 * A membership's `role` and the user's project role assignments stay in step: the legacy role is
 * the predefined project role of the same name, assigned directly to the user in the project.
 */

function predefinedRole(state: SandboxState, project: ProjectRecord, role: ProjectRole): RoleRecord | undefined {
  return projectRoles(state, project.id).find((r) => r.predefined_role && r.name === role);
}

function grantMemberRole(state: SandboxState, project: ProjectRecord, userId: string, role: ProjectRole): void {
  const predefined = predefinedRole(state, project, role);
  if (!predefined) return;
  const held = state.roleAssignments.some(
    (a) => a.scope === project.id && a.principal_type === 'user' && a.principal_id === userId && a.role_id === predefined.id,
  );
  if (!held) addProjectAssignment(state, project, 'user', userId, predefined);
}

function revokeMemberRole(state: SandboxState, project: ProjectRecord, userId: string, role: ProjectRole): void {
  const predefined = predefinedRole(state, project, role);
  if (!predefined) return;
  removeAssignments(
    state,
    (a) => a.scope === project.id && a.principal_type === 'user' && a.principal_id === userId && a.role_id === predefined.id,
    project,
  );
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/organization/projects',
    handle: ({ query, state }) => {
      const includeArchived = query.bool('include_archived') ?? false;
      const items = [...state.projects.values()].filter((p) => includeArchived || p.status !== 'archived');
      return cursorIdPage(items.map(projectObject), query, PAGE);
    },
  },
  {
    method: 'POST',
    path: '/organization/projects',
    handle: ({ body, state }) => {
      body.only(['name', 'residency', 'geography', 'external_key_id']);
      const name = body.string('name', { required: true, minLength: 1 }) as string;
      const chosen = body.enum('residency', RESIDENCIES, { nullable: true }) ?? null;
      const geography = body.string('geography', { minLength: 1, nullable: true }) ?? null;
      const externalKeyId = body.string('external_key_id', { nullable: true }) ?? null;
      if (chosen !== null && geography !== null) {
        throw invalid('geography', "Provide residency or the deprecated geography, not both: residency alone is enough.");
      }
      if (chosen !== null && !ORG_RESIDENCIES.includes(chosen)) {
        throw invalid('residency', `Your organization does not have access to the '${chosen}' residency configuration.`, 'residency_not_available');
      }
      const residency = geography !== null ? residencyForGeography(geography) : chosen;
      const project: ProjectRecord = {
        id: state.newId('proj'),
        object: 'organization.project',
        name,
        created_at: state.now(),
        archived_at: null,
        status: 'active',
        external_key_id: externalKeyId,
        residency,
      };
      state.projects.set(project.id, project);
      state.scoped(state.projectUsers, project.id);
      // As the API does: a new project has a rate-limit row for every model, at the usual limits.
      const limits = state.scoped(state.rateLimits, project.id);
      for (const row of defaultRateLimits()) limits.set(row.id, row);
      state.audit('project.created', { id: project.id, data: { name, title: name } }, ref(project));
      return projectObject(project);
    },
  },
  {
    method: 'GET',
    path: '/organization/projects/{project_id}',
    handle: ({ params, state }) => projectObject(requireProject(state, params.project_id as string)),
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['name', 'external_key_id', 'geography']);
      const name = body.string('name', { minLength: 1, nullable: true });
      const clearKey = body.isNull('external_key_id');
      const externalKeyId = body.string('external_key_id', { nullable: true });
      const geography = body.string('geography', { minLength: 1, nullable: true });
      requireActiveProject(state, project.id);
      if (isDefaultProject(state, project)) {
        throw invalid('project_id', 'The default project cannot be modified.', 'default_project');
      }
      // Kept for compatibility only: residency is chosen when a project is created and never changes.
      if (geography !== undefined && geography.toUpperCase() !== regionOf(project.residency)) {
        throw invalid('geography', `A project's residency is set when it is created and cannot change; this project's region is '${regionOf(project.residency)}'.`);
      }
      const changes: Record<string, unknown> = {};
      if (name !== undefined) {
        project.name = name;
        changes.title = name;
      }
      if (externalKeyId !== undefined || clearKey) {
        project.external_key_id = externalKeyId ?? null;
        changes.external_key_id = project.external_key_id;
      }
      if (Object.keys(changes).length > 0) state.audit('project.updated', { id: project.id, changes_requested: changes }, ref(project));
      return projectObject(project);
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/archive',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only([]);
      // Archiving is one-way; archiving again leaves the project as it is.
      if (project.status !== 'archived') {
        project.status = 'archived';
        project.archived_at = state.now();
        state.audit('project.archived', { id: project.id }, ref(project));
      }
      return projectObject(project);
    },
  },

  // Project users.
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/users',
    handle: ({ params, query, state }) => {
      const project = requireActiveProject(state, params.project_id as string);
      const members = [...state.scoped(state.projectUsers, project.id).values()];
      return cursorIdPage(
        members.map((m) => projectUserObject(state, m)),
        query,
        PAGE,
      );
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/users',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['user_id', 'email', 'role']);
      const userId = body.string('user_id', { nullable: true });
      const email = body.string('email', { nullable: true });
      const role = body.enum('role', PROJECT_ROLES, { required: true }) as ProjectRole;
      if (userId === undefined && email === undefined) {
        throw invalid('user_id', "Provide the organization user to add as 'user_id' or 'email'.");
      }
      requireActiveProject(state, project.id);

      let user = userId !== undefined ? state.users.get(userId) : undefined;
      if (userId !== undefined && !user) {
        throw invalid('user_id', `User '${userId}' is not a member of the organization; invite them to the organization first.`, 'user_not_in_organization');
      }
      if (email !== undefined) {
        const byEmail = [...state.users.values()].find((u) => u.email.toLowerCase() === email.toLowerCase());
        if (!byEmail) {
          throw invalid('email', `No organization user has the email '${email}'; invite them to the organization first.`, 'user_not_in_organization');
        }
        if (user && user.id !== byEmail.id) throw invalid('email', `'email' and 'user_id' name different users.`);
        user = byEmail;
      }
      const found = user as NonNullable<typeof user>;
      const members = state.scoped(state.projectUsers, project.id);
      if (members.has(found.id)) throw conflict(`User '${found.id}' is already a member of project '${project.id}'.`, 'user_id');
      const member: ProjectMemberRecord = { user_id: found.id, role, added_at: state.now() };
      members.set(found.id, member);
      state.audit('user.added', { id: found.id, data: { role } }, ref(project));
      grantMemberRole(state, project, found.id, role);
      return projectUserObject(state, member);
    },
  },
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/users/{user_id}',
    handle: ({ params, state }) => {
      const project = requireProject(state, params.project_id as string);
      return projectUserObject(state, requireMember(state, project.id, params.user_id as string));
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/users/{user_id}',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['role']);
      const role = body.enum('role', PROJECT_ROLES, { nullable: true });
      requireActiveProject(state, project.id);
      const member = requireMember(state, project.id, params.user_id as string);
      if (role !== undefined && role !== member.role) {
        const previous = member.role;
        member.role = role;
        state.audit('user.updated', { id: member.user_id, changes_requested: { role } }, ref(project));
        revokeMemberRole(state, project, member.user_id, previous);
        grantMemberRole(state, project, member.user_id, role);
      }
      return projectUserObject(state, member);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/projects/{project_id}/users/{user_id}',
    handle: ({ params, state }) => {
      const project = requireActiveProject(state, params.project_id as string);
      const member = requireMember(state, project.id, params.user_id as string);
      state.scoped(state.projectUsers, project.id).delete(member.user_id);
      state.audit('user.deleted', { id: member.user_id }, ref(project));
      // Leaving the project takes every role the user held directly in it.
      removeAssignments(state, (a) => a.scope === project.id && a.principal_type === 'user' && a.principal_id === member.user_id, project);
      return { object: 'organization.project.user.deleted' as const, id: member.user_id, deleted: true };
    },
  },
];
