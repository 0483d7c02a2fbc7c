import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { after, id, limit, listOf, objectOf, order } from './common.js';

/*
 * External keys: customer-managed encryption keys (EKM) held in the customer's AWS, GCP, Azure or
 * OCI key store. The API takes one body shape per provider; here it is one flat object whose field
 * descriptions name the provider they belong to, and the API refuses fields of another provider.
 * The API returns references (ARNs, OCIDs, vault URIs), never key material, so nothing is secret.
 */

export const EXTERNAL_KEY_TYPES = ['aws', 'gcp', 'azure', 'oci'] as const;
export const EXTERNAL_KEY_PURPOSES = ['ekm', 'psp_decryption'] as const;

const keyId = () => id('External key ID');
/** A provider field: its description says which `type` it belongs to. */
const of = (provider: string) => z.string().min(1).optional().describe(provider);
const version = (provider: string) => of(`${provider}: required for psp_decryption, refused for ekm`);

const externalKey = objectOf('organization.external_key', {
  name: z.string().optional(),
  type: z.string().optional(),
  purpose: z.string().optional(),
  api_project_ids: z.array(z.string()).optional(),
  created_at: z.number().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'external_keys_list',
    title: 'List external keys',
    description: "List the organization's customer-managed encryption key configs, optionally of one purpose.",
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/external_keys',
    input: {
      query: { after: after(), order: order(), limit: limit(1, 100, 20), purpose: z.enum(EXTERNAL_KEY_PURPOSES).optional() },
    },
    output: listOf(externalKey),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'external_keys_create',
    title: 'Register external key',
    description:
      "Register a customer-managed encryption key in AWS, GCP, Azure or OCI. Every field marked with the chosen type is required, except the version ones.",
    toolset: 'security',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/external_keys',
    input: {
      body: {
        type: z.enum(EXTERNAL_KEY_TYPES).describe('Key store provider'),
        name: z.string().min(1).describe('Friendly name'),
        purpose: z.enum(EXTERNAL_KEY_PURPOSES).optional().describe('Default ekm'),
        external_id: of('aws: the org ID or one of its project IDs'),
        kms_arn: of('aws'),
        role_arn: of('aws: IAM role OpenAI assumes'),
        audience: of('gcp: the org ID or one of its project IDs'),
        kms_key_location: of('gcp'),
        kms_key_name: of('gcp'),
        kms_key_ring_name: of('gcp'),
        kms_project_id: of('gcp'),
        workload_identity_pool_id: of('gcp'),
        workload_identity_project_number: of('gcp'),
        workload_identity_provider_id: of('gcp'),
        kms_key_version: version('gcp'),
        key_name: of('azure'),
        tenant_id: of('azure: tenant UUID'),
        vault_uri: of('azure'),
        key_version: version('azure'),
        key_ocid: of('oci'),
        region: of('oci'),
        vault_ocid: of('oci'),
        key_version_ocid: version('oci'),
      },
    },
    output: externalKey,
  }),
  endpoint({
    name: 'external_keys_retrieve',
    title: 'Get external key',
    description: 'Get one external key config, with the projects that use it (api_project_ids).',
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
    description: 'Remove an external key config (irreversible); the projects in its api_project_ids encrypt with it.',
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/external_keys/{external_key_id}',
    input: { path: { external_key_id: keyId() } },
    output: externalKey,
    target: '/organization/external_keys/{external_key_id}',
  }),
  endpoint({
    name: 'external_keys_validate',
    title: 'Validate external key',
    description: 'Check that OpenAI can reach the key with its stored config and answer the status. Changes nothing.',
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
