import { conflict, notFound } from '../errors.js';
import { requireActiveProject, requireGroup, requireProject } from '../lookup.js';
import { cursorNextPage } from '../paginate.js';
import type { Route } from '../router.js';
import { projectGroupObject } from '../serialize.js';
import type { GroupRecord, ProjectGroupRecord, SandboxState } from '../state.js';
import { addProjectAssignment, readAssignableRole, removeAssignments } from './roles.js';

/*
 * Groups with access to a project. Adding a group grants it a project role in the same step;
 * removing it takes its project role assignments away with it.
 */

function membership(state: SandboxState, projectId: string, group: GroupRecord): ProjectGroupRecord {
  const record = state.projectGroups.get(projectId)?.get(group.id);
  if (!record) throw notFound('group in project', group.id, 'group_id');
  return record;
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/groups',
    handle: ({ state, params, query }) => {
      const project = requireProject(state, params.project_id as string);
      const items = [...(state.projectGroups.get(project.id)?.values() ?? [])].flatMap((record) => {
        const group = state.groups.get(record.group_id);
        return group ? [projectGroupObject(project.id, group, record.created_at)] : [];
      });
      return cursorNextPage(items, query, { limit: { min: 0, max: 100, default: 20 }, order: true, idOf: (g) => g.group_id });
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/groups',
    handle: ({ state, params, body }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['group_id', 'role']);
      const groupId = body.string('group_id', { required: true, minLength: 1 }) as string;
      body.string('role', { required: true, minLength: 1 });
      const group = requireGroup(state, groupId);
      const role = readAssignableRole(state, project.id, body, 'role');
      requireActiveProject(state, project.id);
      const groups = state.scoped(state.projectGroups, project.id);
      if (groups.has(group.id)) {
        throw conflict(`Group '${group.id}' already has access to project '${project.id}'.`, 'group_id');
      }
      const record: ProjectGroupRecord = { group_id: group.id, created_at: state.now() };
      groups.set(group.id, record);
      addProjectAssignment(state, project, 'group', group.id, role);
      return projectGroupObject(project.id, group, record.created_at);
    },
  },
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/groups/{group_id}',
    handle: ({ state, params, query }) => {
      const project = requireProject(state, params.project_id as string);
      const groupType = query.enum('group_type', ['group', 'tenant_group'] as const, 'group');
      const group = requireGroup(state, params.group_id as string);
      if (group.group_type !== groupType) throw notFound(groupType === 'group' ? 'group' : 'tenant group', group.id, 'group_id');
      const record = membership(state, project.id, group);
      return projectGroupObject(project.id, group, record.created_at);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/projects/{project_id}/groups/{group_id}',
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const group = requireGroup(state, params.group_id as string);
      membership(state, project.id, group);
      requireActiveProject(state, project.id);
      state.projectGroups.get(project.id)?.delete(group.id);
      removeAssignments(state, (a) => a.scope === project.id && a.principal_type === 'group' && a.principal_id === group.id, project);
      return { object: 'project.group.deleted' as const, deleted: true };
    },
  },
];
