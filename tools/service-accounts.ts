import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, archivedProject, deleted, keyFields, listOf, objectOf, projectId, projectKeys, serviceAccountId, pageSize } from './common.js';

const serviceAccount = objectOf('organization.project.service_account', {
  name: z.string().optional(),
  role: z.string().optional(),
  created_at: z.number().optional(),
});

const newKey = objectOf('organization.project.service_account.api_key', {
  name: z.string().optional(),
  value: z.string().optional(),
  created_at: z.number().optional(),
  expires_at: z.number().nullable().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_service_accounts_list',
    title: 'List service accounts',
    description: "List a project's service accounts.",
    toolset: 'keys',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/service_accounts',
    input: {
      path: { project_id: projectId() },
      query: { limit: pageSize(1, 100), after: after() },
    },
    output: listOf(serviceAccount),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'projects_service_accounts_create',
    title: 'Create service account',
    description: 'Create a project service account with an API key.',
    toolset: 'keys',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/projects/{project_id}/service_accounts',
    input: {
      path: { project_id: projectId() },
      body: {
        name: z.string().min(1).describe('Service account name'),
        create_service_account_only: z.boolean().nullable().optional().describe('No key, no default role (role none)'),
        expires_in_seconds: z.number().int().min(1).nullable().optional().describe('First key lifetime; omit for none'),
      },
    },
    output: serviceAccount.extend({ api_key: newKey.nullable().optional() }),
    secrets: ['api_key.value'],
  }),
  endpoint({
    name: 'projects_service_accounts_retrieve',
    title: 'Get service account',
    description: 'Get a project service account.',
    toolset: 'keys',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    input: { path: { project_id: projectId(), service_account_id: serviceAccountId() } },
    output: serviceAccount,
  }),
  endpoint({
    name: 'projects_service_accounts_update',
    title: 'Update service account',
    description: 'Rename a service account or change its role.',
    toolset: 'keys',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    input: {
      path: { project_id: projectId(), service_account_id: serviceAccountId() },
      body: {
        name: z.string().min(1).optional().describe('New name'),
        role: z.enum(['member', 'owner']).optional(),
      },
    },
    output: serviceAccount,
  }),
  endpoint({
    name: 'projects_service_accounts_delete',
    title: 'Delete service account',
    description: 'Delete a service account and revoke its keys.',
    toolset: 'keys',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    input: { path: { project_id: projectId(), service_account_id: serviceAccountId() } },
    output: deleted('organization.project.service_account.deleted'),
    target: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    preview: {
      refuseWhen: [archivedProject],
      affects: [
        { label: 'keys', effect: 'deleted with it: apps using them stop working', ...projectKeys('{project_id}'), where: { field: 'owner.service_account.id', equals: '{service_account_id}' }, show: keyFields },
      ],
    },
  }),
  endpoint({
    name: 'projects_service_accounts_api_keys_create',
    title: 'Create service account key',
    description: 'Add an API key to a service account.',
    toolset: 'keys',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys',
    input: {
      path: { project_id: projectId(), service_account_id: serviceAccountId() },
      body: {
        name: z.string().optional().describe('Key name'),
        scopes: z.array(z.string()).optional().describe('e.g. api.responses.write'),
        expires_in_seconds: z.number().int().min(1).nullable().optional().describe('Key lifetime; omit for none'),
      },
    },
    output: newKey,
    secrets: ['value'],
  }),
];

export default tools;
