import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, archivedProject, groupId, id, listOf, objectOf, order, projectId, pageSize } from './common.js';

const projectGroup = objectOf('project.group', {
  project_id: z.string(),
  group_id: z.string(),
  group_name: z.string(),
  group_type: z.string().optional(),
  created_at: z.number().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_groups_list',
    title: 'List project groups',
    description: 'List the groups with access to a project.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/groups',
    input: { path: { project_id: projectId() }, query: { limit: pageSize(0, 100), after: after(), order: order() } },
    output: listOf(projectGroup),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'projects_groups_create',
    title: 'Add group to project',
    description: 'Give a group access to a project, with a role.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/groups',
    input: {
      path: { project_id: projectId() },
      body: { group_id: groupId(), role: id('Role ID, not name') },
    },
    output: projectGroup,
  }),
  endpoint({
    name: 'projects_groups_retrieve',
    title: 'Get project group',
    description: "Get a group's access to a project.",
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/groups/{group_id}',
    input: {
      path: { project_id: projectId(), group_id: groupId() },
      query: { group_type: z.enum(['group', 'tenant_group']).optional().describe('Default group') },
    },
    output: projectGroup,
  }),
  endpoint({
    name: 'projects_groups_delete',
    title: 'Remove group from project',
    description: "Revoke a group's project access and roles.",
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/projects/{project_id}/groups/{group_id}',
    input: { path: { project_id: projectId(), group_id: groupId() } },
    output: z.object({ object: z.string(), deleted: z.boolean() }).passthrough(),
    target: '/organization/projects/{project_id}/groups/{group_id}',
    preview: {
      refuseWhen: [archivedProject],
      affects: [
        { label: 'members', effect: "lose the project access the group gave them unless they are members directly; their keys there stop working then", get: '/organization/groups/{group_id}/users', style: 'cursor_next', show: ['name', 'email'] },
        { label: 'project_roles', effect: 'unassigned', get: '/projects/{project_id}/groups/{group_id}/roles', style: 'cursor_next', show: ['name', 'id'] },
      ],
      lastOwner: { project: '{project_id}', group: '{group_id}' },
    },
  }),
];

export default tools;
