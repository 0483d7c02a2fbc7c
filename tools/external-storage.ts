import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deleted, id, listOf, objectOf, order, pageSize } from './common.js';

/*
 * External storage: a project's data kept in a customer-managed bucket (AWS S3, Azure Blob, GCP or
 * OCI Object Storage). The configuration holds references (bucket, role ARN, tenancy), no
 * credentials: access is granted by the customer's cloud to OpenAI's identity.
 */

export const EXTERNAL_STORAGE_STATUSES = ['pending', 'validated', 'degraded', 'unhealthy'] as const;

const storageId = () => id('External storage ID (extstorage_…)');
const text = () => z.string().min(1);

/** One provider shape per cloud, told apart by `type`, as the API takes them; a stray field is refused. */
const provider = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('aws'), bucket: text(), role_arn: text() }).strict(),
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
  ]);

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
    description: 'List customer-managed storage configs with their health status.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/external_storage',
    input: {
      query: {
        after: after(),
        order: order(),
        limit: pageSize(1, 100),
        project_id: z.string().min(1).optional().describe('Only this project'),
      },
    },
    output: listOf(storage),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'external_storage_create',
    title: 'Connect external storage',
    description: "Keep a project's data in a customer-managed bucket; pending until checked.",
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
    description: 'Get a storage config and its status.',
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
    description: "Disconnect a storage config (bucket data stays); a project's last one restores default retention.",
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/external_storage/{external_storage_id}',
    input: { path: { external_storage_id: storageId() } },
    output: deleted('organization.external_storage.deleted'),
    target: '/organization/external_storage/{external_storage_id}',
    preview: { alone: "Only the connection: the bucket's data stays; a project's last one restores its default retention." },
  }),
  endpoint({
    name: 'external_storage_validate',
    title: 'Validate external storage',
    description: 'Check OpenAI can reach the bucket; answers the config. Changes nothing.',
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
