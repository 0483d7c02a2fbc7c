import { conflict, invalid, notFound } from '../errors.js';
import { cursorIdPage } from '../paginate.js';
import type { Body } from '../params.js';
import type { Route } from '../router.js';
import type { ExternalKeyPurpose, ExternalKeyRecord, ExternalKeyType, SandboxState } from '../state.js';

/*
 * External key configs (customer-managed encryption keys). The body's fields depend on `type`:
 * all of a type's fields are required, fields of another type are refused, and the key version
 * field (GCP, Azure, OCI) is required for psp_decryption and refused for ekm. The identity OpenAI
 * presents (AWS `external_id`, GCP `audience`) must be the organization's ID or one of its projects'.
 *
 * Sandbox assumptions the SDK does not state: removing a key that active projects still use is
 * refused (409), so no live project points at a missing key (archived projects, which cannot be
 * changed any more, do not hold it); a validation answers `valid` or `invalid`.
 */

const TYPES = ['aws', 'gcp', 'azure', 'oci'] as const;
const PURPOSES = ['ekm', 'psp_decryption'] as const;
const PAGE = { limit: { default: 20, min: 1, max: 100 }, order: true };

interface Provider {
  required: readonly string[];
  /** The exact key version: required for psp_decryption, refused for ekm. */
  version?: string;
}

const PROVIDERS: Readonly<Record<ExternalKeyType, Provider>> = {
  aws: { required: ['external_id', 'kms_arn', 'role_arn'] },
  gcp: {
    required: [
      'audience',
      'kms_key_location',
      'kms_key_name',
      'kms_key_ring_name',
      'kms_project_id',
      'workload_identity_pool_id',
      'workload_identity_project_number',
      'workload_identity_provider_id',
    ],
    version: 'kms_key_version',
  },
  azure: { required: ['key_name', 'tenant_id', 'vault_uri'], version: 'key_version' },
  oci: { required: ['key_ocid', 'region', 'vault_ocid'], version: 'key_version_ocid' },
};

/** Fields that name the organization or one of its projects as the identity OpenAI presents. */
const IDENTITY_FIELDS = ['external_id', 'audience'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function externalKeyObject(state: SandboxState, key: ExternalKeyRecord) {
  return {
    object: 'organization.external_key' as const,
    id: key.id,
    name: key.name,
    type: key.type,
    purpose: key.purpose,
    created_at: key.created_at,
    workspace_id: state.organizationId,
    api_project_ids: projectsUsing(state, key.id),
    ...key.config,
  };
}

function projectsUsing(state: SandboxState, keyId: string): string[] {
  return [...state.projects.values()].filter((p) => p.external_key_id === keyId).map((p) => p.id);
}

function requireExternalKey(state: SandboxState, id: string): ExternalKeyRecord {
  const key = state.externalKeys.get(id);
  if (!key) throw notFound('external key', id, 'external_key_id');
  return key;
}

/** The provider fields of a create body, checked against the type's rules. */
function readConfig(state: SandboxState, body: Body, type: ExternalKeyType, purpose: ExternalKeyPurpose): Record<string, string> {
  const provider = PROVIDERS[type];
  const allowed = ['type', 'name', 'purpose', ...provider.required, ...(provider.version ? [provider.version] : [])];
  for (const field of body.keys()) {
    if (allowed.includes(field)) continue;
    const owner = TYPES.find((t) => PROVIDERS[t].required.includes(field) || PROVIDERS[t].version === field);
    if (owner) throw invalid(field, `Invalid '${field}': it belongs to type '${owner}', not '${type}'. Leave it out.`);
  }
  body.only(allowed);
  const config: Record<string, string> = {};
  for (const field of provider.required) {
    if (!body.has(field)) throw invalid(field, `Missing required parameter: '${field}' (required for type '${type}').`);
    config[field] = body.string(field, { required: true, minLength: 1 }) as string;
  }
  if (provider.version) {
    const version = body.string(provider.version, { minLength: 1 });
    if (purpose === 'psp_decryption' && version === undefined) {
      throw invalid(provider.version, `Missing required parameter: '${provider.version}' (required for purpose 'psp_decryption': the exact key version).`);
    }
    if (purpose === 'ekm' && version !== undefined) {
      throw invalid(provider.version, `Invalid '${provider.version}': not accepted for purpose 'ekm'; leave it out or use purpose 'psp_decryption'.`);
    }
    if (version !== undefined) config[provider.version] = version;
  }
  for (const field of IDENTITY_FIELDS) {
    const value = config[field];
    if (value !== undefined && value !== state.organizationId && !state.projects.has(value)) {
      throw invalid(field, `Invalid '${field}': must be this organization's ID (${state.organizationId}) or the ID of one of its projects, got '${value}'.`);
    }
  }
  if (config.tenant_id !== undefined && !UUID.test(config.tenant_id)) {
    throw invalid('tenant_id', `Invalid 'tenant_id': expected the Azure tenant's UUID, got '${config.tenant_id}'.`);
  }
  return config;
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/organization/external_keys',
    handle: ({ query, state }) => {
      const purpose = query.enum('purpose', PURPOSES);
      const keys = [...state.externalKeys.values()].filter((k) => purpose === undefined || k.purpose === purpose);
      return cursorIdPage(
        keys.map((k) => externalKeyObject(state, k)),
        query,
        PAGE,
      );
    },
  },
  {
    method: 'POST',
    path: '/organization/external_keys',
    handle: ({ body, state }) => {
      const type = body.enum('type', TYPES, { required: true }) as ExternalKeyType;
      const name = body.string('name', { required: true, minLength: 1 }) as string;
      const purpose = body.enum('purpose', PURPOSES) ?? 'ekm';
      const config = readConfig(state, body, type, purpose);
      const key: ExternalKeyRecord = { id: state.newId('ekm'), name, type, purpose, created_at: state.now(), config, reachable: true };
      state.externalKeys.set(key.id, key);
      state.audit('external_key.registered', { id: key.id, data: { name, type, purpose } });
      return externalKeyObject(state, key);
    },
  },
  {
    method: 'GET',
    path: '/organization/external_keys/{external_key_id}',
    handle: ({ params, state }) => externalKeyObject(state, requireExternalKey(state, params.external_key_id as string)),
  },
  {
    method: 'DELETE',
    path: '/organization/external_keys/{external_key_id}',
    handle: ({ params, state }) => {
      const key = requireExternalKey(state, params.external_key_id as string);
      const users = projectsUsing(state, key.id).filter((id) => state.projects.get(id)?.status === 'active');
      if (users.length > 0) {
        throw conflict(
          `External key '${key.id}' is still used by ${users.length === 1 ? 'project' : 'projects'} ${users.join(', ')}. Point ${users.length === 1 ? 'it' : 'them'} at another key (or none) first.`,
          'external_key_id',
        );
      }
      const answer = externalKeyObject(state, key);
      state.externalKeys.delete(key.id);
      state.audit('external_key.removed', { id: key.id });
      return answer;
    },
  },
  {
    method: 'POST',
    path: '/organization/external_keys/{external_key_id}/validate',
    handle: ({ params, body, state }) => {
      body.only([]);
      const key = requireExternalKey(state, params.external_key_id as string);
      // A check of the key store only: nothing here is changed.
      return { status: key.reachable ? 'valid' : 'invalid' };
    },
  },
];
