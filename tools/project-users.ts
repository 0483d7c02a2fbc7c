import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, archivedProject, deleted, keyFields, listOf, objectOf, projectId, projectKeys, userId, pageSize } from './common.js';

const role = () => z.enum(['owner', 'member']);

const projectUser = objectOf('organization.project.user', {
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  role: z.string().optional(),
  added_at: z.number().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_users_list',
    title: 'List project users',
    description: "List a project's users and roles.",
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/users',
    input: {
      path: { project_id: projectId() },
      query: { limit: pageSize(1, 100), after: after() },
    },
    output: listOf(projectUser),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'projects_users_create',
    title: 'Add project user',
    description: 'Add an org user (user_id or email) to a project.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/users',
    input: {
      path: { project_id: projectId() },
      body: {
        user_id: z.string().nullable().optional().describe('Or give email'),
        email: z.string().nullable().optional().describe('Or give user_id'),
        role: role(),
      },
    },
    output: projectUser,
  }),
  endpoint({
    name: 'projects_users_retrieve',
    title: 'Get project user',
    description: "Get a user's role in a project.",
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/users/{user_id}',
    input: { path: { project_id: projectId(), user_id: userId() } },
    output: projectUser,
  }),
  endpoint({
    name: 'projects_users_update',
    title: 'Change project user role',
    description: "Change a user's project role.",
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/users/{user_id}',
    input: {
      path: { project_id: projectId(), user_id: userId() },
      body: { role: role().nullable().optional() },
    },
    output: projectUser,
  }),
  endpoint({
    name: 'projects_users_delete',
    title: 'Remove project user',
    description: 'Remove a user from a project; their keys there stop working.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/projects/{project_id}/users/{user_id}',
    input: { path: { project_id: projectId(), user_id: userId() } },
    output: deleted('organization.project.user.deleted'),
    target: '/organization/projects/{project_id}/users/{user_id}',
    preview: {
      refuseWhen: [archivedProject],
      affects: [
        { label: 'keys', effect: "stop working unless a group still gives the owner access to the project", ...projectKeys('{project_id}'), where: { field: 'owner.user.id', equals: '{user_id}' }, show: keyFields },
        { label: 'project_roles', effect: 'unassigned', get: '/projects/{project_id}/users/{user_id}/roles', style: 'cursor_next', show: ['name', 'id'] },
      ],
      lastOwner: { project: '{project_id}', user: '{user_id}' },
    },
  }),
];

export default tools;
