import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { after, deleted, id, limit, listOf, objectOf, order } from './common.js';

/*
 * External storage: a project's data kept in a customer-managed bucket (AWS S3, Azure Blob, GCP or
 * OCI Object Storage). The configuration holds references (bucket, role ARN, tenancy), no
 * credentials: access is granted by the customer's cloud to OpenAI's identity.
 */

export const EXTERNAL_STORAGE_STATUSES = ['pending', 'validated', 'degraded', 'unhealthy'] as const;

const storageId = () => id('External storage ID (extstorage_…)');
const text = () => z.string().min(1);

/** One provider shape per cloud, told apart by `type`, as the API takes them. */
const provider = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('aws'), bucket: text(), role_arn: text().describe('IAM role OpenAI assumes') }).strict(),
    z
      .object({
        type: z.literal('azure'),
        account_name: text(),
        container: text(),
        resource_group: text(),
        subscription_id: text(),
        tenant_id: text(),
      })
      .strict(),
    z
      .object({
        type: z.literal('gcp'),
        bucket: text(),
        workload_identity_pool_id: text(),
        workload_identity_project_number: text(),
        workload_identity_provider_id: text(),
      })
      .strict(),
    z.object({ type: z.literal('oci'), bucket: text(), region: text(), tenancy_ocid: text() }).strict(),
  ])
  .describe('The bucket and how OpenAI reaches it');

const storage = objectOf('organization.external_storage', {
  project_id: z.string().optional(),
  status: z.string().optional(),
  geography: z.string().optional(),
  provider: z.object({ type: z.string().optional() }).passthrough().optional(),
  created_at: z.number().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'external_storage_list',
    title: 'List external storage',
    description: "List the organization's customer-managed storage configs with their health status, optionally for one project.",
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/external_storage',
    input: {
      query: {
        after: after(),
        order: order(),
        limit: limit(1, 100, 20),
        project_id: z.string().min(1).optional().describe('Only this project'),
      },
    },
    output: listOf(storage),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'external_storage_create',
    title: 'Connect external storage',
    description: "Keep a project's data in a customer-managed bucket; the config starts pending until the bucket is checked.",
    toolset: 'security',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/external_storage',
    input: { body: { project_id: id('Project ID (proj_…)'), provider } },
    output: storage,
  }),
  endpoint({
    name: 'external_storage_retrieve',
    title: 'Get external storage',
    description: 'Get one external storage config: project, bucket, geography and health status.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/external_storage/{external_storage_id}',
    input: { path: { external_storage_id: storageId() } },
    output: storage,
  }),
  endpoint({
    name: 'external_storage_delete',
    title: 'Disconnect external storage',
    description: "Disconnect a storage config; the bucket keeps its data. Removing a project's last one restores default retention.",
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/external_storage/{external_storage_id}',
    input: { path: { external_storage_id: storageId() } },
    output: deleted('organization.external_storage.deleted'),
    target: '/organization/external_storage/{external_storage_id}',
  }),
  endpoint({
    name: 'external_storage_validate',
    title: 'Validate external storage',
    description: 'Check that OpenAI can reach the bucket and answer the config with the checked status. Changes nothing.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'POST',
    path: '/organization/external_storage/{external_storage_id}/validate',
    input: { path: { external_storage_id: storageId() } },
    output: storage,
    safe: true,
  }),
];

export default tools;
