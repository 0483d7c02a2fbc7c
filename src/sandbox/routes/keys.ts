import { invalid, notFound } from '../errors.js';
import { requireActiveProject, requireProject } from '../lookup.js';
import { cursorIdPage } from '../paginate.js';
import type { Route } from '../router.js';
import type { AdminApiKeyRecord, ProjectApiKeyRecord, ProjectRecord, SandboxState, ServiceAccountRecord } from '../state.js';

/*
 * Service accounts and their keys, project API keys and admin API keys.
 *
 * Secrets: a key's plaintext value is made at creation, put in that one response and forgotten;
 * state keeps only the redacted form. A service account's keys live in the project's key map with
 * a service-account owner: they are listed, updated and revoked there like a user's keys, and
 * deleting the account revokes all of them.
 */

const PAGE = { limit: { default: 20, min: 1, max: 100 } };
const ADMIN_PAGE = { limit: { default: 20, min: 1 }, order: true };
const DEFAULT_KEY_NAME = 'Secret key';

export type KeyKind = 'admin' | 'proj' | 'svcacct';

/** A fresh plaintext key, e.g. `sk-proj-…`. Only ever returned, never stored. */
export function mintKeyValue(state: SandboxState, kind: KeyKind): string {
  return `sk-${kind}-${state.runtimeRng.token(kind === 'admin' ? 58 : 48)}`;
}

/** The redacted form the API lists: the kind prefix and the last four characters. */
export function redactKeyValue(value: string): string {
  const kind = /^sk-(admin|proj|svcacct)-/.exec(value)?.[1];
  return `${kind ? `sk-${kind}` : 'sk-'}...${value.slice(-4)}`;
}

/** Whether the key's owner currently has effective access to the project (directly or through a group). */
export function ownerHasAccess(state: SandboxState, projectId: string, key: ProjectApiKeyRecord): boolean {
  if (key.owner.type === 'service_account') {
    const account = state.serviceAccounts.get(projectId)?.get(key.owner.service_account_id);
    return account !== undefined && account.role !== 'none';
  }
  return userProjectRole(state, projectId, key.owner.user_id) !== null;
}

function userProjectRole(state: SandboxState, projectId: string, userId: string): string | null {
  const direct = state.projectUsers.get(projectId)?.get(userId);
  if (direct) return direct.role;
  for (const groupId of state.projectGroups.get(projectId)?.keys() ?? []) {
    if (state.groupUsers.get(groupId)?.has(userId)) return 'member';
  }
  return null;
}

export function projectApiKeyObject(state: SandboxState, projectId: string, key: ProjectApiKeyRecord) {
  let owner: Record<string, unknown>;
  if (key.owner.type === 'user') {
    const user = state.users.get(key.owner.user_id);
    owner = {
      type: 'user',
      user: {
        id: key.owner.user_id,
        email: user?.email ?? '',
        name: user?.name ?? '',
        created_at: user?.added_at ?? key.created_at,
        role: userProjectRole(state, projectId, key.owner.user_id) ?? 'none',
      },
    };
  } else {
    const account = state.serviceAccounts.get(projectId)?.get(key.owner.service_account_id);
    owner = {
      type: 'service_account',
      service_account: {
        id: key.owner.service_account_id,
        name: account?.name ?? '',
        created_at: account?.created_at ?? key.created_at,
        role: account?.role ?? 'none',
      },
    };
  }
  return {
    object: 'organization.project.api_key' as const,
    redacted_value: key.redacted_value,
    name: key.name,
    created_at: key.created_at,
    last_used_at: key.last_used_at,
    expires_at: key.expires_at ?? null,
    id: key.id,
    owner_project_access: ownerHasAccess(state, projectId, key) ? ('active' as const) : ('inactive' as const),
    owner,
  };
}

function serviceAccountObject(account: ServiceAccountRecord) {
  return {
    object: 'organization.project.service_account' as const,
    id: account.id,
    name: account.name,
    role: account.role,
    created_at: account.created_at,
  };
}

export function adminApiKeyObject(state: SandboxState, key: AdminApiKeyRecord) {
  const user = state.users.get(key.owner_user_id);
  return {
    object: 'organization.admin_api_key' as const,
    id: key.id,
    name: key.name,
    redacted_value: key.redacted_value,
    created_at: key.created_at,
    expires_at: key.expires_at,
    last_used_at: key.last_used_at,
    owner: {
      type: 'user',
      object: 'organization.user',
      id: key.owner_user_id,
      name: user?.name ?? '',
      created_at: user?.added_at ?? key.created_at,
      role: 'owner',
    },
  };
}

function requireServiceAccount(state: SandboxState, projectId: string, id: string): ServiceAccountRecord {
  const account = state.serviceAccounts.get(projectId)?.get(id);
  if (!account) throw notFound('service account', id, 'service_account_id');
  return account;
}

function requireProjectKey(state: SandboxState, projectId: string, id: string): ProjectApiKeyRecord {
  const key = state.projectApiKeys.get(projectId)?.get(id);
  if (!key) throw notFound('API key', id, 'api_key_id');
  return key;
}

function requireAdminKey(state: SandboxState, id: string): AdminApiKeyRecord {
  const key = state.adminApiKeys.get(id);
  if (!key) throw notFound('admin API key', id, 'key_id');
  return key;
}

/** Creates a key owned by a service account; returns the record and its one-time plaintext value. */
function mintServiceAccountKey(state: SandboxState, project: ProjectRecord, account: ServiceAccountRecord, name: string, expiresIn: number | null) {
  const value = mintKeyValue(state, 'svcacct');
  const now = state.now();
  const key: ProjectApiKeyRecord = {
    id: state.newId('key'),
    name,
    redacted_value: redactKeyValue(value),
    created_at: now,
    last_used_at: null,
    expires_at: expiresIn === null ? null : now + expiresIn,
    owner: { type: 'service_account', service_account_id: account.id },
  };
  state.scoped(state.projectApiKeys, project.id).set(key.id, key);
  return {
    key,
    body: {
      object: 'organization.project.service_account.api_key' as const,
      value,
      name: key.name,
      created_at: key.created_at,
      expires_at: key.expires_at ?? null,
      id: key.id,
    },
  };
}

/** The first organization owner: who the sandbox's own admin key acts as. */
function actingOwnerId(state: SandboxState): string {
  for (const user of state.users.values()) if (user.role === 'owner') return user.id;
  const first = state.users.values().next().value;
  return first?.id ?? 'user-sandbox';
}

function ref(project: ProjectRecord) {
  return { id: project.id, name: project.name };
}

export const routes: Route[] = [
  // Service accounts.
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/service_accounts',
    handle: ({ params, query, state }) => {
      const project = requireActiveProject(state, params.project_id as string);
      const accounts = [...state.scoped(state.serviceAccounts, project.id).values()];
      return cursorIdPage(accounts.map(serviceAccountObject), query, PAGE);
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/service_accounts',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['name', 'create_service_account_only', 'expires_in_seconds']);
      const name = body.string('name', { required: true, minLength: 1 }) as string;
      const accountOnly = body.bool('create_service_account_only', { nullable: true }) ?? false;
      const expiresIn = body.int('expires_in_seconds', { min: 1, nullable: true }) ?? null;
      if (accountOnly && expiresIn !== null) {
        throw invalid('expires_in_seconds', "Invalid 'expires_in_seconds': a service account created without a key (create_service_account_only) has no key to expire.");
      }
      requireActiveProject(state, project.id);
      const account: ServiceAccountRecord = {
        object: 'organization.project.service_account',
        id: state.newId('svc_acct'),
        name,
        role: accountOnly ? 'none' : 'member',
        created_at: state.now(),
      };
      state.scoped(state.serviceAccounts, project.id).set(account.id, account);
      state.audit('service_account.created', { id: account.id, data: { role: account.role } }, ref(project));
      let apiKey: ReturnType<typeof mintServiceAccountKey>['body'] | null = null;
      if (!accountOnly) {
        const minted = mintServiceAccountKey(state, project, account, DEFAULT_KEY_NAME, expiresIn);
        state.audit('api_key.created', { id: minted.key.id, data: { scopes: [] } }, ref(project));
        apiKey = minted.body;
      }
      return { ...serviceAccountObject(account), api_key: apiKey };
    },
  },
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    handle: ({ params, state }) => {
      const project = requireProject(state, params.project_id as string);
      return serviceAccountObject(requireServiceAccount(state, project.id, params.service_account_id as string));
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['name', 'role']);
      const name = body.string('name', { minLength: 1 });
      const role = body.enum('role', ['member', 'owner'] as const);
      requireActiveProject(state, project.id);
      const account = requireServiceAccount(state, project.id, params.service_account_id as string);
      const changes: Record<string, unknown> = {};
      if (name !== undefined && name !== account.name) {
        account.name = name;
        changes.name = name;
      }
      if (role !== undefined && role !== account.role) {
        account.role = role;
        changes.role = role;
      }
      if (Object.keys(changes).length > 0) state.audit('service_account.updated', { id: account.id, changes_requested: changes }, ref(project));
      return serviceAccountObject(account);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}',
    handle: ({ params, state }) => {
      const project = requireActiveProject(state, params.project_id as string);
      const account = requireServiceAccount(state, project.id, params.service_account_id as string);
      state.scoped(state.serviceAccounts, project.id).delete(account.id);
      const keys = state.scoped(state.projectApiKeys, project.id);
      for (const key of [...keys.values()]) {
        if (key.owner.type === 'service_account' && key.owner.service_account_id === account.id) keys.delete(key.id);
      }
      state.audit('service_account.deleted', { id: account.id }, ref(project));
      return { object: 'organization.project.service_account.deleted' as const, id: account.id, deleted: true };
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['name', 'scopes', 'expires_in_seconds']);
      const name = body.string('name', { minLength: 1 });
      const scopes = body.stringArray('scopes') ?? [];
      const expiresIn = body.int('expires_in_seconds', { min: 1, nullable: true }) ?? null;
      requireActiveProject(state, project.id);
      const account = requireServiceAccount(state, project.id, params.service_account_id as string);
      const minted = mintServiceAccountKey(state, project, account, name ?? DEFAULT_KEY_NAME, expiresIn);
      state.audit('api_key.created', { id: minted.key.id, data: { scopes } }, ref(project));
      return minted.body;
    },
  },

  // Project API keys.
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/api_keys',
    handle: ({ params, query, state }) => {
      const project = requireProject(state, params.project_id as string);
      // Without the filter the API shows keys by membership, which hides keys whose owner lost access.
      const access = query.enum('owner_project_access', ['active', 'inactive', 'any'] as const) ?? 'active';
      const items = [...state.scoped(state.projectApiKeys, project.id).values()]
        .map((key) => projectApiKeyObject(state, project.id, key))
        .filter((key) => access === 'any' || key.owner_project_access === access);
      return cursorIdPage(items, query, PAGE);
    },
  },
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    handle: ({ params, state }) => {
      const project = requireProject(state, params.project_id as string);
      return projectApiKeyObject(state, project.id, requireProjectKey(state, project.id, params.api_key_id as string));
    },
  },
  {
    // Scopes and expiry of any project key, a service account's included. Both changes land together.
    method: 'POST',
    path: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['scopes', 'expires_in_seconds']);
      // Neither field takes null: omitting a field is how to keep it.
      const scopes = body.stringArray('scopes');
      const expiresIn = body.int('expires_in_seconds', { min: 1 });
      if (scopes === undefined && expiresIn === undefined) {
        throw invalid('scopes', 'Nothing to update: provide scopes, expires_in_seconds or both.');
      }
      if (scopes?.some((scope) => scope.trim() === '')) throw invalid('scopes', "Invalid 'scopes': scope names must not be empty.");
      requireActiveProject(state, project.id);
      const key = requireProjectKey(state, project.id, params.api_key_id as string);
      const now = state.now();
      if (key.expires_at != null && key.expires_at <= now) {
        throw invalid('api_key_id', `API key '${key.id}' expired at ${key.expires_at}; expired keys cannot be updated. Create a new key instead.`, 'api_key_expired');
      }
      const changes: Record<string, unknown> = {};
      if (scopes !== undefined) {
        // An empty list lifts every restriction (all permissions the owner has); it never means no access.
        key.scopes = [...new Set(scopes)];
        changes.scopes = key.scopes;
      }
      if (expiresIn !== undefined) {
        // Relative to this request: sending the same update again moves the expiry again.
        key.expires_at = now + expiresIn;
        changes.expires_in_seconds = expiresIn;
      }
      state.audit('api_key.updated', { id: key.id, changes_requested: changes }, ref(project));
      return projectApiKeyObject(state, project.id, key);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/projects/{project_id}/api_keys/{api_key_id}',
    handle: ({ params, state }) => {
      const project = requireProject(state, params.project_id as string);
      const key = requireProjectKey(state, project.id, params.api_key_id as string);
      requireActiveProject(state, project.id);
      // A service account's key can be revoked here too; the account and its other keys stay.
      state.scoped(state.projectApiKeys, project.id).delete(key.id);
      state.audit('api_key.deleted', { id: key.id }, ref(project));
      return { object: 'organization.project.api_key.deleted' as const, id: key.id, deleted: true };
    },
  },

  // Admin API keys.
  {
    method: 'GET',
    path: '/organization/admin_api_keys',
    handle: ({ query, state }) => {
      const items = [...state.adminApiKeys.values()].map((key) => adminApiKeyObject(state, key));
      return cursorIdPage(items, query, ADMIN_PAGE);
    },
  },
  {
    method: 'POST',
    path: '/organization/admin_api_keys',
    handle: ({ body, state }) => {
      body.only(['name', 'expires_in_seconds']);
      const name = body.string('name', { required: true, minLength: 1 }) as string;
      const expiresIn = body.int('expires_in_seconds', { min: 1, max: 31_536_000 });
      const value = mintKeyValue(state, 'admin');
      const now = state.now();
      const key: AdminApiKeyRecord = {
        object: 'organization.admin_api_key',
        id: state.newId('key'),
        name,
        redacted_value: redactKeyValue(value),
        created_at: now,
        expires_at: expiresIn === undefined ? null : now + expiresIn,
        last_used_at: null,
        owner_user_id: actingOwnerId(state),
      };
      state.adminApiKeys.set(key.id, key);
      state.audit('api_key.created', { id: key.id, data: { scopes: [] } });
      return { ...adminApiKeyObject(state, key), value };
    },
  },
  {
    method: 'GET',
    path: '/organization/admin_api_keys/{key_id}',
    handle: ({ params, state }) => adminApiKeyObject(state, requireAdminKey(state, params.key_id as string)),
  },
  {
    method: 'DELETE',
    path: '/organization/admin_api_keys/{key_id}',
    handle: ({ params, state }) => {
      const key = requireAdminKey(state, params.key_id as string);
      state.adminApiKeys.delete(key.id);
      state.audit('api_key.deleted', { id: key.id });
      return { id: key.id, object: 'organization.admin_api_key.deleted' as const, deleted: true };
    },
  },
];
