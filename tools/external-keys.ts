import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, id, listOf, objectOf, order, pageSize } from './common.js';

/*
 * External keys: customer-managed encryption keys (EKM) held in the customer's AWS, GCP, Azure or
 * OCI key store. The API takes one body shape per provider; here it is one flat object, and `type`'s
 * description names each provider's fields in one line (a description per field cost twice as
 * much). The API refuses a missing field of the chosen provider, or a field of another one.
 * The API returns references (ARNs, OCIDs, vault URIs), never key material, so nothing is secret.
 */

export const EXTERNAL_KEY_TYPES = ['aws', 'gcp', 'azure', 'oci'] as const;
export const EXTERNAL_KEY_PURPOSES = ['ekm', 'psp_decryption'] as const;

const keyId = () => id('External key ID');
/** A provider field; `type`'s description says which fields each provider takes. */
const field = () => z.string().min(1).optional();

/** Every provider's reference fields, as create takes them and the API answers them. */
const PROVIDER_FIELDS = [
  'external_id', 'kms_arn', 'role_arn', 'audience', 'kms_key_location', 'kms_key_name', 'kms_key_ring_name', 'kms_project_id',
  'workload_identity_pool_id', 'workload_identity_project_number', 'workload_identity_provider_id', 'kms_key_version',
  'key_name', 'tenant_id', 'vault_uri', 'key_version', 'key_ocid', 'region', 'vault_ocid', 'key_version_ocid',
] as const;

const externalKey = objectOf('organization.external_key', {
  name: z.string().optional(),
  type: z.string().optional(),
  purpose: z.string().optional(),
  api_project_ids: z.array(z.string()).optional(),
  created_at: z.number().optional(),
  workspace_id: z.string().nullable().optional(),
  // Declared so that `fields` accepts them (its names come from the output schema).
  ...Object.fromEntries(PROVIDER_FIELDS.map((name) => [name, z.string().nullable().optional()])),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'external_keys_list',
    title: 'List external keys',
    description: 'List customer-managed encryption key configs.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/external_keys',
    input: {
      query: { after: after(), order: order(), limit: pageSize(1, 100), purpose: z.enum(EXTERNAL_KEY_PURPOSES).optional() },
    },
    output: listOf(externalKey),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'external_keys_create',
    title: 'Register external key',
    description: 'Register a customer-managed encryption key held in AWS, GCP, Azure or OCI.',
    toolset: 'security',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/external_keys',
    input: {
      body: {
        type: z
          .enum(EXTERNAL_KEY_TYPES)
          .describe(
            'Required per type: aws external_id (org or project ID), kms_arn, role_arn; gcp audience (same), kms_key_location, kms_key_name, kms_key_ring_name, kms_project_id, workload_identity_*; azure key_name, tenant_id, vault_uri; oci key_ocid, region, vault_ocid. Version fields: psp_decryption only, required there',
          ),
        name: z.string().min(1),
        purpose: z.enum(EXTERNAL_KEY_PURPOSES).optional().describe('Default ekm'),
        ...Object.fromEntries(PROVIDER_FIELDS.map((name) => [name, field()])),
      },
    },
    output: externalKey,
  }),
  endpoint({
    name: 'external_keys_retrieve',
    title: 'Get external key',
    description: 'Get an external key config.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/external_keys/{external_key_id}',
    input: { path: { external_key_id: keyId() } },
    output: externalKey,
  }),
  endpoint({
    name: 'external_keys_delete',
    title: 'Remove external key',
    description: 'Remove an external key config for good; projects in its api_project_ids use it.',
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/external_keys/{external_key_id}',
    input: { path: { external_key_id: keyId() } },
    output: externalKey,
    target: '/organization/external_keys/{external_key_id}',
    preview: {
      affects: [
        { label: 'projects_using_it', effect: 'use it: the API refuses the removal while an active one does', get: '/organization/projects', query: { include_archived: 'true' }, where: { field: 'external_key_id', equals: '{external_key_id}' }, show: ['name', 'id', 'status'] },
      ],
    },
  }),
  endpoint({
    name: 'external_keys_validate',
    title: 'Validate external key',
    description: 'Check OpenAI can reach the key; answers the status. Changes nothing.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'POST',
    path: '/organization/external_keys/{external_key_id}/validate',
    input: { path: { external_key_id: keyId() } },
    output: z.object({ status: z.string() }).passthrough(),
    safe: true,
  }),
];

export default tools;
