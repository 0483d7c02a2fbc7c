import { conflict, invalid, notFound } from './errors.js';
import type { ProjectRecord, RoleRecord, SandboxState, UserRecord } from './state.js';

/** Shared look-ups that answer 404 in the API's envelope. */

export function requireProject(state: SandboxState, id: string): ProjectRecord {
  const project = state.projects.get(id);
  if (!project) throw notFound('project', id, 'project_id');
  return project;
}

/** Archived projects cannot be changed: their users, service accounts and keys are frozen. */
export function requireActiveProject(state: SandboxState, id: string): ProjectRecord {
  const project = requireProject(state, id);
  if (project.status === 'archived') {
    throw invalid('project_id', `Project '${id}' is archived; archived projects cannot be modified.`, 'project_archived');
  }
  return project;
}

export function requireUser(state: SandboxState, id: string, param = 'user_id'): UserRecord {
  const user = state.users.get(id);
  if (!user) throw notFound('user', id, param);
  return user;
}

export function requireRole(state: SandboxState, id: string, param = 'role_id'): RoleRecord {
  const role = state.roles.get(id);
  if (!role) throw notFound('role', id, param);
  return role;
}

export function requireGroup(state: SandboxState, id: string, param = 'group_id') {
  const group = state.groups.get(id);
  if (!group) throw notFound('group', id, param);
  return group;
}

export function requireAbsent(exists: boolean, message: string, param: string | null = null): void {
  if (exists) throw conflict(message, param);
}
