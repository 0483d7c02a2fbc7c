import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, archivedProject, deleted, id, listOf, objectOf, projectId, pageSize } from './common.js';

const apiKeyId = () => id('Project API key ID (key_…)');

const projectKey = objectOf('organization.project.api_key', {
  name: z.string().optional(),
  redacted_value: z.string().optional(),
  created_at: z.number().optional(),
  last_used_at: z.number().nullable().optional(),
  expires_at: z.number().nullable().optional(),
  owner_project_access: z.string().optional(),
  owner: z.object({ type: z.string().optional() }).passthrough().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_api_keys_list',
    title: 'List project API keys',
    description: "List a project's API keys with owner and last use.",
    toolset: 'keys',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/api_keys',
    input: {
      path: { project_id: projectId() },
      query: {
        limit: pageSize(1, 100),
        after: after(),
        // Sent as `any` unless asked: the API's own default hides keys whose owner lost project
        // access, which are still enabled and exactly the ones a review must see.
        owner_project_access: z.enum(['active', 'inactive', 'any']).default('any').describe('Default any; inactive: owner lost access'),
      },
    },
    output: listOf(projectKey),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'projects_api_keys_retrieve',
    title: 'Get project API key',
    description: 'Get a project API key.',
    toolset: 'keys',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    input: { path: { project_id: projectId(), api_key_id: apiKeyId() } },
    output: projectKey,
  }),
  endpoint({
    // Destructive: narrower scopes take permissions away from every app using the key, and a short
    // expires_in_seconds is a revocation on a timer; neither can be told apart from a harmless
    // change by the arguments alone (the API never shows a key's current scopes). The preview shows
    // the key as it is and the token is bound to it. Not idempotent: the expiry counts from each call.
    name: 'projects_api_keys_update',
    title: 'Update project API key',
    description: "Replace a key's scopes and/or set its expiry; either can break apps using it.",
    toolset: 'keys',
    effect: 'destructive',
    idempotent: false,
    method: 'POST',
    path: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    input: {
      path: { project_id: projectId(), api_key_id: apiKeyId() },
      body: {
        scopes: z.array(z.string().min(1)).optional().describe('Replaces all; [] = unrestricted, ["api.all.read"] = read-only'),
        expires_in_seconds: z.number().int().min(1).optional().describe('From now'),
      },
    },
    output: projectKey,
    target: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    preview: { refuseWhen: [archivedProject], alone: 'Only this key: apps using it get the new scopes or expiry.' },
  }),
  endpoint({
    name: 'projects_api_keys_delete',
    title: 'Revoke project API key',
    description: "Revoke a project API key, a service account's too.",
    toolset: 'keys',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    input: { path: { project_id: projectId(), api_key_id: apiKeyId() } },
    output: deleted('organization.project.api_key.deleted'),
    target: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    preview: { refuseWhen: [archivedProject], alone: 'Only this key: apps using it stop working; its owner keeps access.' },
  }),
];

export default tools;
