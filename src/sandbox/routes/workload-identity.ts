import { invalid, notFound } from '../errors.js';
import { requireActiveProject } from '../lookup.js';
import { cursorIdPage } from '../paginate.js';
import type { Body } from '../params.js';
import type { Route } from '../router.js';
import type {
  FederationPermissions,
  FederationRuleRecord,
  ProviderVerification,
  SandboxState,
  WorkloadIdentityProviderRecord,
} from '../state.js';

/*
 * Workload identity federation: OIDC providers the organization trusts, and the federation rules
 * that map a provider's verified token claims onto a project service account, so workloads
 * authenticate without a stored API key.
 *
 * Rules stated by the reference and enforced here: a rule binds to a service account that exists
 * in its project; a rule is reached only through its own provider (another provider's ID is a
 * 404); deleting a provider first deletes all its rules; updates change only the fields supplied.
 */

const PAGE = { limit: { default: 20, min: 1 }, order: true };
const PROVIDER_FIELDS = ['name', 'type', 'issuer', 'audience', 'description', 'enabled', 'verification', 'attribute_transformations'] as const;
const RULE_FIELDS = ['project_id', 'service_account_id', 'attribute_matchers', 'name', 'description', 'enabled', 'permissions'] as const;

export function providerObject(provider: WorkloadIdentityProviderRecord) {
  return {
    object: provider.object,
    id: provider.id,
    name: provider.name,
    description: provider.description,
    type: provider.type,
    issuer: provider.issuer,
    audience: provider.audience,
    enabled: provider.enabled,
    verification: structuredClone(provider.verification),
    attribute_transformations: provider.attribute_transformations.map((t) => ({ ...t })),
    created_at: provider.created_at,
    updated_at: provider.updated_at,
  };
}

export function ruleObject(rule: FederationRuleRecord) {
  return {
    object: rule.object,
    id: rule.id,
    workload_identity_provider_id: rule.workload_identity_provider_id,
    project_id: rule.project_id,
    service_account_id: rule.service_account_id,
    name: rule.name,
    description: rule.description,
    enabled: rule.enabled,
    attribute_matchers: { ...rule.attribute_matchers },
    permissions: structuredClone(rule.permissions),
    created_at: rule.created_at,
    updated_at: rule.updated_at,
  };
}

function requireProvider(state: SandboxState, id: string): WorkloadIdentityProviderRecord {
  const provider = state.workloadIdentityProviders.get(id);
  if (!provider) throw notFound('workload identity provider', id, 'workload_identity_provider_id');
  return provider;
}

/** A rule of this provider; a rule that exists under another provider is not found here either. */
function requireRule(state: SandboxState, providerId: string, id: string): FederationRuleRecord {
  const rule = state.federationRules.get(providerId)?.get(id);
  if (!rule) throw notFound('federation rule', id, 'workload_identity_federation_rule_id');
  return rule;
}

function readVerification(body: Body): ProviderVerification | undefined {
  const verification = body.object('verification');
  if (!verification) return undefined;
  const type = verification.enum('type', ['discovery', 'uploaded_jwks'] as const, { required: true });
  if (type === 'discovery') {
    verification.only(['type', 'discovery_url']);
    // The key is required; null means the issuer's own /.well-known/openid-configuration.
    if (!verification.has('discovery_url')) {
      throw invalid('verification.discovery_url', "Missing required parameter: 'verification.discovery_url' (a URL, or null to use the issuer's discovery document).");
    }
    return { type, discovery_url: verification.string('discovery_url', { minLength: 1, nullable: true }) ?? null };
  }
  verification.only(['type', 'jwks']);
  const jwks = verification.object('jwks', { required: true }) as Body;
  // A JSON Web Key Set is an object whose `keys` member lists the keys (RFC 7517 §5).
  const keys = jwks.objectArray('keys', { required: true, minItems: 1 }) as Body[];
  for (const key of keys) key.string('kty', { required: true, minLength: 1 });
  return { type: 'uploaded_jwks', jwks: structuredClone(verification.raw('jwks')) as Record<string, unknown> };
}

function readTransformations(body: Body): WorkloadIdentityProviderRecord['attribute_transformations'] | undefined {
  const items = body.objectArray('attribute_transformations');
  return items?.map((item) => {
    item.only(['attribute', 'expression']);
    return {
      attribute: item.string('attribute', { required: true, minLength: 1 }) as string,
      expression: item.string('expression', { required: true, minLength: 1 }) as string,
    };
  });
}

/** Claim name → the value the verified token must carry: a string, a boolean or a number. */
function readMatchers(body: Body, required: boolean): FederationRuleRecord['attribute_matchers'] | undefined {
  const matchers = body.object('attribute_matchers', { required });
  if (!matchers) return undefined;
  const entries = matchers.keys().map((claim) => {
    const value = matchers.raw(claim);
    const param = `attribute_matchers.${claim}`;
    if (claim.trim() === '') throw invalid('attribute_matchers', "Invalid 'attribute_matchers': claim names must not be empty.");
    if (typeof value === 'number' && !Number.isFinite(value)) throw invalid(param, `Invalid '${param}': expected a finite number.`);
    if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') {
      throw invalid(param, `Invalid '${param}': expected a string, a boolean or a number.`);
    }
    return [claim, value] as const;
  });
  // fromEntries defines own properties, so a claim named __proto__ stays a plain key.
  return Object.fromEntries(entries);
}

function readPermissions(body: Body): FederationPermissions | undefined {
  const permissions = body.object('permissions');
  if (!permissions) return undefined;
  const type = permissions.enum('type', ['service_account_default', 'restricted'] as const, { required: true });
  if (type === 'service_account_default') {
    permissions.only(['type']);
    return { type };
  }
  permissions.only(['type', 'scopes']);
  const scopes = permissions.stringArray('scopes', { required: true }) as string[];
  return { type: 'restricted', scopes: [...new Set(scopes)] };
}

/** The fields of an update that differ from the record, as the audit log's `changes_requested`. */
function changed(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(after)) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out[key] = after[key];
  return out;
}

function ruleProject(state: SandboxState, rule: FederationRuleRecord) {
  const project = state.projects.get(rule.project_id);
  return project ? { id: project.id, name: project.name } : undefined;
}

function deleteRule(state: SandboxState, rule: FederationRuleRecord): void {
  state.federationRules.get(rule.workload_identity_provider_id)?.delete(rule.id);
  state.audit(
    'workload_identity_provider_mapping.deleted',
    { id: rule.id, identity_provider_id: rule.workload_identity_provider_id, project_id: rule.project_id, service_account_id: rule.service_account_id },
    ruleProject(state, rule),
  );
}

const PROVIDERS = '/organization/workload_identity_providers';
const PROVIDER = `${PROVIDERS}/{workload_identity_provider_id}`;
const RULES = `${PROVIDER}/federation_rules`;
const RULE = `${RULES}/{workload_identity_federation_rule_id}`;

export const routes: Route[] = [
  {
    method: 'GET',
    path: PROVIDERS,
    handle: ({ query, state }) => cursorIdPage([...state.workloadIdentityProviders.values()].map(providerObject), query, PAGE),
  },
  {
    method: 'POST',
    path: PROVIDERS,
    handle: ({ body, state }) => {
      body.only(PROVIDER_FIELDS);
      const name = body.string('name', { required: true, minLength: 1 }) as string;
      const type = body.enum('type', ['oidc'] as const, { required: true }) as 'oidc';
      const issuer = body.string('issuer', { required: true, minLength: 1 }) as string;
      const audience = body.string('audience', { required: true, minLength: 1 }) as string;
      const description = body.string('description') ?? null;
      const enabled = body.bool('enabled') ?? true;
      const verification = readVerification(body) ?? { type: 'discovery', discovery_url: null };
      const attribute_transformations = readTransformations(body) ?? [];
      const now = state.now();
      const provider: WorkloadIdentityProviderRecord = {
        object: 'organization.workload_identity_provider',
        id: state.newId('wip'),
        name,
        description,
        type,
        issuer,
        audience,
        enabled,
        verification,
        attribute_transformations,
        created_at: now,
        updated_at: now,
      };
      state.workloadIdentityProviders.set(provider.id, provider);
      state.audit('workload_identity_provider.created', { id: provider.id, data: { name, issuer, audience, enabled } });
      return providerObject(provider);
    },
  },
  {
    method: 'GET',
    path: PROVIDER,
    handle: ({ params, state }) => providerObject(requireProvider(state, params.workload_identity_provider_id as string)),
  },
  {
    method: 'POST',
    path: PROVIDER,
    handle: ({ params, body, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      body.only(PROVIDER_FIELDS.filter((f) => f !== 'type'));
      // Everything is read and checked before anything changes: a refused update leaves the provider as it was.
      const next = {
        name: body.string('name', { minLength: 1 }) ?? provider.name,
        issuer: body.string('issuer', { minLength: 1 }) ?? provider.issuer,
        audience: body.string('audience', { minLength: 1 }) ?? provider.audience,
        // `has` is true for an explicit null, which clears the description.
        description: body.has('description') ? (body.string('description', { nullable: true }) ?? null) : provider.description,
        enabled: body.bool('enabled') ?? provider.enabled,
        verification: readVerification(body) ?? provider.verification,
        attribute_transformations: readTransformations(body) ?? provider.attribute_transformations,
      };
      const changes = changed(provider as unknown as Record<string, unknown>, next);
      if (Object.keys(changes).length > 0) {
        Object.assign(provider, next, { updated_at: state.now() });
        state.audit('workload_identity_provider.updated', { id: provider.id, changes_requested: changes });
      }
      return providerObject(provider);
    },
  },
  {
    method: 'DELETE',
    path: PROVIDER,
    handle: ({ params, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      // The provider goes only after its rules: nothing is left pointing at a provider that is gone.
      for (const rule of [...(state.federationRules.get(provider.id)?.values() ?? [])]) deleteRule(state, rule);
      state.federationRules.delete(provider.id);
      state.workloadIdentityProviders.delete(provider.id);
      state.audit('workload_identity_provider.deleted', { id: provider.id, name: provider.name });
      return { object: 'organization.workload_identity_provider.deleted' as const, id: provider.id, deleted: true };
    },
  },

  // Federation rules.
  {
    method: 'GET',
    path: RULES,
    handle: ({ params, query, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      const account = query.string('service_account_id');
      const rules = [...(state.federationRules.get(provider.id)?.values() ?? [])].filter((r) => account === undefined || r.service_account_id === account);
      return cursorIdPage(rules.map(ruleObject), query, PAGE);
    },
  },
  {
    method: 'POST',
    path: RULES,
    handle: ({ params, body, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      body.only(RULE_FIELDS);
      const projectId = body.string('project_id', { required: true, minLength: 1 }) as string;
      const accountId = body.string('service_account_id', { required: true, minLength: 1 }) as string;
      const attribute_matchers = readMatchers(body, true) as FederationRuleRecord['attribute_matchers'];
      const name = body.string('name') ?? null;
      const description = body.string('description') ?? null;
      const enabled = body.bool('enabled') ?? true;
      const permissions = readPermissions(body) ?? { type: 'service_account_default' };
      // The rule binds to a service account that exists, in a project that can still be changed.
      const project = requireActiveProject(state, projectId);
      if (!state.serviceAccounts.get(project.id)?.has(accountId)) throw notFound('service account', accountId, 'service_account_id');
      const now = state.now();
      const rule: FederationRuleRecord = {
        object: 'organization.workload_identity_federation_rule',
        id: state.newId('wifr'),
        workload_identity_provider_id: provider.id,
        project_id: project.id,
        service_account_id: accountId,
        name,
        description,
        enabled,
        attribute_matchers,
        permissions,
        created_at: now,
        updated_at: now,
      };
      state.scoped(state.federationRules, provider.id).set(rule.id, rule);
      state.audit(
        'workload_identity_provider_mapping.created',
        { id: rule.id, identity_provider_id: provider.id, data: { project_id: project.id, service_account_id: accountId, attribute_matchers, permissions } },
        { id: project.id, name: project.name },
      );
      return ruleObject(rule);
    },
  },
  {
    method: 'GET',
    path: RULE,
    handle: ({ params, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      return ruleObject(requireRule(state, provider.id, params.workload_identity_federation_rule_id as string));
    },
  },
  {
    method: 'POST',
    path: RULE,
    handle: ({ params, body, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      const rule = requireRule(state, provider.id, params.workload_identity_federation_rule_id as string);
      body.only(RULE_FIELDS.filter((f) => f !== 'project_id' && f !== 'service_account_id'));
      const nullable = (field: 'name' | 'description') =>
        body.has(field) ? (body.string(field, { nullable: true }) ?? null) : rule[field];
      const next = {
        attribute_matchers: readMatchers(body, false) ?? rule.attribute_matchers,
        name: nullable('name'),
        description: nullable('description'),
        enabled: body.bool('enabled') ?? rule.enabled,
        permissions: readPermissions(body) ?? rule.permissions,
      };
      const changes = changed(rule as unknown as Record<string, unknown>, next);
      if (Object.keys(changes).length > 0) {
        Object.assign(rule, next, { updated_at: state.now() });
        state.audit('workload_identity_provider_mapping.updated', { id: rule.id, identity_provider_id: provider.id, changes_requested: changes }, ruleProject(state, rule));
      }
      return ruleObject(rule);
    },
  },
  {
    method: 'DELETE',
    path: RULE,
    handle: ({ params, state }) => {
      const provider = requireProvider(state, params.workload_identity_provider_id as string);
      const rule = requireRule(state, provider.id, params.workload_identity_federation_rule_id as string);
      deleteRule(state, rule);
      return { object: 'organization.workload_identity_federation_rule.deleted' as const, id: rule.id, deleted: true };
    },
  },
];
