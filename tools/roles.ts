import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deleted, everyGroup, listOf, objectOf, order, pageSize, roleId } from './common.js';

/** The Role object: loose, naming the fields a model reads. */
export const roleOutput = objectOf('role', {
  name: z.string(),
  description: z.string().nullable().optional(),
  permissions: z.array(z.string()),
  resource_type: z.string().optional(),
  predefined_role: z.boolean().optional(),
});

/** A role as named in an assignment answer (user.role, group.role). */
export const roleSummary = objectOf('role', {
  name: z.string().optional(),
  resource_type: z.string().optional(),
  predefined_role: z.boolean().optional(),
});

/** Where a held role comes from: a direct assignment or a group. */
export const assignmentSources = () =>
  z.array(z.object({ principal_id: z.string(), principal_type: z.string() }).passthrough()).nullable().optional();

/**
 * The fields of a held role (AssignedRoleDetails) besides id, name and its sources. Declared so
 * that `fields` accepts every one of them: its names come from the output schema.
 */
export const assignedRoleFields = () => ({
  permissions: z.array(z.string()).optional(),
  predefined_role: z.boolean().optional(),
  resource_type: z.string().optional(),
  description: z.string().nullable().optional(),
  created_at: z.number().nullable().optional(),
  updated_at: z.number().nullable().optional(),
  created_by: z.string().nullable().optional(),
  created_by_user_obj: z.record(z.unknown()).nullable().optional(),
  metadata: z.record(z.unknown()).nullable().optional(),
});

/** An organization role as held by a user or a group (AssignedRoleDetails). */
export const orgAssignedRole = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    ...assignedRoleFields(),
    assignment_sources: assignmentSources(),
  })
  .passthrough();

/** Assignment lists document bounds but no default page size. */
export const assignmentLimit = () => pageSize(0, 1000);

/** Body fields shared by the organization and project role tools. */
export const roleCreateBody = {
  role_name: z.string().min(1).describe('Unique in its scope'),
  permissions: z.array(z.string().min(1)).describe('e.g. api.organization.projects.read'),
  description: z.string().nullable().optional(),
};

export const roleUpdateBody = {
  role_name: z.string().min(1).nullable().optional().describe('Unique in its scope'),
  permissions: z.array(z.string().min(1)).nullable().optional().describe('Replaces all'),
  description: z.string().nullable().optional().describe('null clears it'),
};

const tools: EndpointTool[] = [
  endpoint({
    name: 'roles_list',
    title: 'List organization roles',
    description: 'List org roles, predefined and custom, with permissions.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/roles',
    input: { query: { limit: pageSize(0, 1000), after: after(), order: order() } },
    output: listOf(roleOutput),
    pagination: 'cursor_next',
  }),
  endpoint({
    name: 'roles_create',
    title: 'Create organization role',
    description: 'Create a custom org role.',
    toolset: 'members',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/roles',
    input: { body: roleCreateBody },
    output: roleOutput,
  }),
  endpoint({
    name: 'roles_retrieve',
    title: 'Get organization role',
    description: 'Get an org role and its permissions.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/roles/{role_id}',
    input: { path: { role_id: roleId() } },
    output: roleOutput,
  }),
  endpoint({
    name: 'roles_update',
    title: 'Update organization role',
    description: 'Rename or re-permission a custom org role.',
    toolset: 'members',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/roles/{role_id}',
    input: { path: { role_id: roleId() }, body: roleUpdateBody },
    output: roleOutput,
  }),
  endpoint({
    name: 'roles_delete',
    title: 'Delete organization role',
    description: 'Delete a custom org role and its assignments.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/roles/{role_id}',
    input: { path: { role_id: roleId() } },
    output: deleted('role.deleted'),
    target: '/organization/roles/{role_id}',
    preview: {
      affects: [
        { label: 'users_holding_it', effect: 'lose it (the API removes every assignment)', each: { get: '/organization/users', as: 'user' }, get: '/organization/users/{user.id}/roles', style: 'cursor_next', where: { field: 'id', equals: '{role_id}' }, show: [] },
        { label: 'groups_holding_it', effect: 'lose it (the API removes every assignment)', each: everyGroup, get: '/organization/groups/{group.id}/roles', style: 'cursor_next', where: { field: 'id', equals: '{role_id}' }, show: [] },
      ],
    },
  }),
];

export default tools;
