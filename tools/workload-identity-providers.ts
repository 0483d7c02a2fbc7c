import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deleted, id, listOf, objectOf, order, pageSize } from './common.js';

/*
 * Workload identity providers: OIDC issuers the organization trusts, so workloads (CI jobs,
 * cluster pods) sign in as project service accounts with their own tokens instead of stored keys.
 *
 * An update is destructive: a new issuer, audience or signing keys, or enabled:false, makes every
 * workload federated through the provider fail to sign in at once, like deactivating a
 * certificate. The preview shows the provider as it is, and the token is bound to that state.
 */

export const providerId = () => id('Workload identity provider ID');

/** How token signatures are checked: the issuer's discovery document, or keys uploaded here. */
const verificationShapes = z.discriminatedUnion('type', [
  z.object({ type: z.literal('discovery'), discovery_url: z.string().min(1).nullable() }).strict(),
  // The sandbox checks each key's kty; listing JWK fields here would cost tokens in every conversation.
  z.object({ type: z.literal('uploaded_jwks'), jwks: z.object({ keys: z.array(z.object({}).passthrough()).min(1) }).passthrough() }).strict(),
]);
const verification = () =>
  verificationShapes.optional().describe("discovery_url null: the issuer's. Default discovery");

const transformations = () =>
  z.array(z.object({ attribute: z.string().min(1), expression: z.string().min(1) }).strict())
    .optional()
    .describe('Derived from token claims');

const provider = objectOf('organization.workload_identity_provider', {
  name: z.string().optional(),
  description: z.string().nullable().optional(),
  type: z.string().optional(),
  issuer: z.string().optional(),
  audience: z.string().optional(),
  enabled: z.boolean().optional(),
  verification: z.object({ type: z.string() }).passthrough().optional(),
  attribute_transformations: z.array(z.record(z.unknown())).nullable().optional(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
});

const PROVIDERS = '/organization/workload_identity_providers';
const PROVIDER = `${PROVIDERS}/{workload_identity_provider_id}`;

const tools: EndpointTool[] = [
  endpoint({
    name: 'workload_identity_providers_list',
    title: 'List workload identity providers',
    description: 'List trusted OIDC providers, whose tokens workloads use instead of API keys.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PROVIDERS,
    input: { query: { limit: pageSize(1, undefined), after: after(), order: order() } },
    output: listOf(provider),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'workload_identity_providers_create',
    title: 'Register workload identity provider',
    description: 'Trust an OIDC issuer; federation rules map its tokens to service accounts.',
    toolset: 'security',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: PROVIDERS,
    input: {
      body: {
        name: z.string().min(1),
        type: z.enum(['oidc']),
        issuer: z.string().min(1).describe('Issuer URL, as in the iss claim'),
        audience: z.string().min(1).describe('Expected aud claim'),
        description: z.string().optional(),
        enabled: z.boolean().optional().describe('Default true'),
        verification: verification(),
        attribute_transformations: transformations(),
      },
    },
    output: provider,
  }),
  endpoint({
    name: 'workload_identity_providers_retrieve',
    title: 'Get workload identity provider',
    description: 'Get a trusted OIDC provider.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PROVIDER,
    input: { path: { workload_identity_provider_id: providerId() } },
    output: provider,
  }),
  endpoint({
    name: 'workload_identity_providers_update',
    title: 'Update workload identity provider',
    description: 'Change given fields; new issuer, audience or keys, or enabled:false, lock workloads out.',
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: PROVIDER,
    input: {
      path: { workload_identity_provider_id: providerId() },
      body: {
        name: z.string().min(1).optional(),
        issuer: z.string().min(1).optional(),
        audience: z.string().min(1).optional(),
        description: z.string().nullable().optional().describe('null clears it'),
        enabled: z.boolean().optional(),
        verification: verification(),
        attribute_transformations: transformations(),
      },
    },
    output: provider,
    target: PROVIDER,
    preview: {
      affects: [{ label: 'federation_rules', effect: 'judged under the new settings; a new issuer, audience or keys, or enabled:false, locks their workloads out', get: '/organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules', show: ['name', 'id', 'project_id', 'service_account_id'] }],
    },
  }),
  endpoint({
    name: 'workload_identity_providers_delete',
    title: 'Delete workload identity provider',
    description: 'Delete a provider and its federation rules, locking its workloads out.',
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: PROVIDER,
    input: { path: { workload_identity_provider_id: providerId() } },
    output: deleted('organization.workload_identity_provider.deleted'),
    target: PROVIDER,
    preview: {
      affects: [{ label: 'federation_rules', effect: 'deleted with it: their workloads are locked out', get: '/organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules', show: ['name', 'id', 'project_id', 'service_account_id'] }],
    },
  }),
];

export default tools;
