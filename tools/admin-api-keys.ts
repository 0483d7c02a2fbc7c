import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deleted, id, listOf, objectOf, order, pageSize } from './common.js';

const keyId = () => id('Admin API key ID');

const adminKey = objectOf('organization.admin_api_key', {
  name: z.string().nullable().optional(),
  redacted_value: z.string().optional(),
  created_at: z.number().optional(),
  expires_at: z.number().nullable().optional(),
  last_used_at: z.number().nullable().optional(),
  owner: z.object({ id: z.string().optional(), name: z.string().optional() }).passthrough().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'admin_api_keys_list',
    title: 'List admin API keys',
    description: 'List admin API keys with expiry and last use.',
    toolset: 'keys',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/admin_api_keys',
    input: {
      query: { after: after(), order: order(), limit: pageSize(1, undefined) },
    },
    output: listOf(adminKey),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'admin_api_keys_create',
    title: 'Create admin API key',
    description: 'Create an admin API key.',
    toolset: 'keys',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/admin_api_keys',
    input: {
      body: {
        name: z.string().min(1).describe('Key name'),
        expires_in_seconds: z
          .number()
          .int()
          .min(1)
          .max(31_536_000)
          .optional()
          .describe('Omit for no expiry'),
      },
    },
    output: adminKey.extend({ value: z.string().optional() }),
    secrets: ['value'],
  }),
  endpoint({
    name: 'admin_api_keys_retrieve',
    title: 'Get admin API key',
    description: 'Get an admin API key.',
    toolset: 'keys',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/admin_api_keys/{key_id}',
    input: { path: { key_id: keyId() } },
    output: adminKey,
  }),
  endpoint({
    name: 'admin_api_keys_delete',
    title: 'Revoke admin API key',
    description: 'Revoke an admin API key.',
    toolset: 'keys',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/admin_api_keys/{key_id}',
    input: { path: { key_id: keyId() } },
    output: deleted('organization.admin_api_key.deleted'),
    target: '/organization/admin_api_keys/{key_id}',
    preview: { alone: 'Only this key: scripts using it stop working; its owner keeps their access.' },
  }),
];

export default tools;
