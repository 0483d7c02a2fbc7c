import { invalid, notFound, SandboxError } from '../errors.js';
import { requireActiveProject } from '../lookup.js';
import { cursorIdPage } from '../paginate.js';
import type { Body } from '../params.js';
import type { Route } from '../router.js';
import type { ExternalKeyType, ExternalStorageRecord, SandboxState } from '../state.js';
import { ORG_RESIDENCIES } from './projects.js';
import { placeProvider } from '../storage-providers.js';

/*
 * External storage: a project's data in a customer-managed bucket.
 *
 * A new configuration answers `pending`; the simulated background check then runs at once, so later
 * reads show what it found (`validated` for a new one; seeded ones can be `degraded` or
 * `unhealthy`). A validation repeats that check and answers its result without changing anything.
 * OpenAI fills in what it derives: the AWS account from the role ARN, the identity it presents (the
 * project's ID as AWS external_id or GCP audience), and the region, from the project's residency
 * where the request does not name one. The geography comes from the region and must be one the
 * organization can use. Deleting a deleted configuration again succeeds, as the API documents
 * (repeating completes an interrupted retention update); the sandbox keeps no customer-managed
 * retention, so there is nothing else to restore.
 */

const TYPES = ['aws', 'azure', 'gcp', 'oci'] as const;
const PAGE = { limit: { default: 20, min: 1, max: 100 }, order: true };

/** The fields each provider takes, all required. */
const PROVIDER_FIELDS: Readonly<Record<ExternalKeyType, readonly string[]>> = {
  aws: ['bucket', 'role_arn'],
  azure: ['account_name', 'container', 'resource_group', 'subscription_id', 'tenant_id'],
  gcp: ['bucket', 'workload_identity_pool_id', 'workload_identity_project_number', 'workload_identity_provider_id'],
  oci: ['bucket', 'region', 'tenancy_ocid'],
};

/** The geographies whose residency the organization has: US (also GLOBAL) and EU. */
function usableGeographies(): Set<string> {
  return new Set(ORG_RESIDENCIES.map((r) => (r === 'GLOBAL' ? 'us' : r.split('_')[0]?.toLowerCase() ?? 'us')));
}

export function externalStorageObject(record: ExternalStorageRecord, status = record.status) {
  return {
    object: 'organization.external_storage' as const,
    id: record.id,
    project_id: record.project_id,
    created_at: record.created_at,
    geography: record.geography,
    provider: { ...record.provider },
    status,
  };
}

function requireStorage(state: SandboxState, id: string): ExternalStorageRecord {
  const record = state.externalStorage.get(id);
  if (!record) throw notFound('external storage configuration', id, 'external_storage_id');
  return record;
}

function readProvider(body: Body): Record<string, string> & { type: ExternalKeyType } {
  const provider = body.object('provider', { required: true }) as Body;
  const type = provider.enum('type', TYPES, { required: true }) as ExternalKeyType;
  const fields = PROVIDER_FIELDS[type];
  provider.only(['type', ...fields]);
  const out: Record<string, string> & { type: ExternalKeyType } = { type };
  for (const field of fields) {
    if (!provider.has(field)) throw invalid(`provider.${field}`, `Missing required parameter: 'provider.${field}' (required for type '${type}').`);
    out[field] = provider.string(field, { required: true, minLength: 1 }) as string;
  }
  return out;
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/organization/external_storage',
    handle: ({ query, state }) => {
      const projectId = query.string('project_id');
      const records = [...state.externalStorage.values()].filter((r) => projectId === undefined || r.project_id === projectId);
      return cursorIdPage(records.map((r) => externalStorageObject(r)), query, PAGE);
    },
  },
  {
    method: 'POST',
    path: '/organization/external_storage',
    handle: ({ body, state }) => {
      body.only(['project_id', 'provider']);
      const projectId = body.string('project_id', { required: true, minLength: 1 }) as string;
      const given = readProvider(body);
      const project = requireActiveProject(state, projectId);
      const { provider, geography } = placeProvider(given, project);
      if (!usableGeographies().has(geography)) {
        throw new SandboxError(
          400,
          'invalid_request_error',
          `The bucket's region is in the '${geography}' geography, which this organization's data residency does not include (it has: ${[...usableGeographies()].join(', ')}).`,
          'provider.region',
          'geography_not_available',
        );
      }
      const record: ExternalStorageRecord = { id: state.newId('extstorage'), project_id: project.id, created_at: state.now(), geography, provider, status: 'validated' };
      state.externalStorage.set(record.id, record);
      state.audit('external_storage.registered', { id: record.id, data: { geography, provider } }, { id: project.id, name: project.name });
      // The answer predates the check; the record holds what the check found.
      return externalStorageObject(record, 'pending');
    },
  },
  {
    method: 'GET',
    path: '/organization/external_storage/{external_storage_id}',
    handle: ({ params, state }) => externalStorageObject(requireStorage(state, params.external_storage_id as string)),
  },
  {
    method: 'DELETE',
    path: '/organization/external_storage/{external_storage_id}',
    handle: ({ params, state }) => {
      const id = params.external_storage_id as string;
      const answer = { object: 'organization.external_storage.deleted' as const, id, deleted: true };
      if (state.removedExternalStorage.has(id)) return answer;
      const record = requireStorage(state, id);
      state.externalStorage.delete(id);
      state.removedExternalStorage.add(id);
      const project = state.projects.get(record.project_id);
      state.audit('external_storage.removed', { id }, project ? { id: project.id, name: project.name } : undefined);
      return answer;
    },
  },
  {
    method: 'POST',
    path: '/organization/external_storage/{external_storage_id}/validate',
    handle: ({ params, body, state }) => {
      body.only([]);
      // The check finds what the background check last found; nothing is changed.
      return externalStorageObject(requireStorage(state, params.external_storage_id as string));
    },
  },
];
