import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, keyFields, listOf, objectOf, projectId, projectKeys, pageSize } from './common.js';
import { RESIDENCIES } from '../src/client/residencies.js';

const project = objectOf('organization.project', {
  name: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  created_at: z.number().optional(),
  archived_at: z.number().nullable().optional(),
  residency: z.string().nullable().optional(),
  external_key_id: z.string().nullable().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_list',
    title: 'List projects',
    description: 'List projects; archived ones with include_archived.',
    toolset: 'projects',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects',
    input: {
      query: {
        limit: pageSize(1, 100),
        after: after(),
        include_archived: z.boolean().optional(),
      },
    },
    output: listOf(project),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'projects_create',
    title: 'Create project',
    description: 'Create a project (projects are never deleted, only archived).',
    toolset: 'projects',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/projects',
    input: {
      body: {
        name: z.string().min(1),
        residency: z.enum(RESIDENCIES).nullable().optional().describe('Data residency; org must have access'),
        geography: z.string().min(1).nullable().optional().describe('Deprecated (US, EU…); use residency'),
        external_key_id: z.string().nullable().optional(),
      },
    },
    output: project,
    // The API makes a second project with a name an active one has; the dry run and the result say so.
    preview: { duplicate: { get: '/organization/projects', field: 'name', equals: '{name}', noun: 'active project' } },
  }),
  endpoint({
    name: 'projects_retrieve',
    title: 'Get project',
    description: 'Get a project and its status.',
    toolset: 'projects',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}',
    input: { path: { project_id: projectId() } },
    output: project,
  }),
  endpoint({
    name: 'projects_update',
    title: 'Update project',
    description: 'Rename a project or set its external key.',
    toolset: 'projects',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}',
    input: {
      path: { project_id: projectId() },
      body: {
        name: z.string().min(1).nullable().optional(),
        external_key_id: z.string().nullable().optional(),
        geography: z.string().min(1).nullable().optional().describe("Deprecated; must match the project's region"),
      },
    },
    output: project,
  }),
  endpoint({
    name: 'projects_archive',
    title: 'Archive project',
    description: 'Archive a project for good; it can no longer be used.',
    toolset: 'projects',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/archive',
    input: { path: { project_id: projectId() } },
    output: project,
    target: '/organization/projects/{project_id}',
    preview: {
      affects: [
        { label: 'keys', effect: 'stop working', ...projectKeys('{project_id}'), show: keyFields },
        { label: 'service_accounts', effect: 'can no longer be used or changed', get: '/organization/projects/{project_id}/service_accounts', show: ['name', 'id', 'role'] },
        { label: 'members', effect: 'can no longer use the project; its members, keys and settings can no longer be changed', get: '/organization/projects/{project_id}/users', show: ['name', 'email', 'role'] },
      ],
    },
  }),
];

export default tools;
