import type { Rng } from '../rng.js';
import type { FederationPermissions, FederationRuleRecord, ProviderVerification, SandboxState, WorkloadIdentityProviderRecord } from '../state.js';

/*
 * Workload identity providers and their federation rules: CI and a Kubernetes cluster that reach
 * projects through service accounts without stored keys, with one restricted rule, one disabled
 * rule and one disabled provider that has no rules left. Rules name their project and service
 * account by name (see seed/keys.ts); a rule whose account is missing is skipped.
 */

const DAY = 86_400;

interface ProviderSpec {
  name: string;
  description: string | null;
  issuer: string;
  audience: string;
  enabled: boolean;
  verification: ProviderVerification;
  attribute_transformations: Array<{ attribute: string; expression: string }>;
  createdDaysAgo: number;
  rules: RuleSpec[];
}

interface RuleSpec {
  name: string | null;
  description: string | null;
  project: string;
  serviceAccount: string;
  attribute_matchers: Record<string, string | boolean | number>;
  permissions: FederationPermissions;
  enabled: boolean;
  createdDaysAgo: number;
}

/** A public signing key as a cluster publishes it; the modulus is a placeholder, not a real key. */
const CLUSTER_JWKS = {
  keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: 'prod-2026-01', e: 'AQAB', n: 'sandbox-placeholder-modulus' }],
};

const PROVIDERS: readonly ProviderSpec[] = [
  {
    name: 'GitHub Actions',
    description: 'Deploy and evaluation workflows in the northwind-labs GitHub organization',
    issuer: 'https://token.actions.githubusercontent.com',
    audience: 'https://github.com/northwind-labs',
    enabled: true,
    verification: { type: 'discovery', discovery_url: null },
    attribute_transformations: [{ attribute: 'repository', expression: 'assertion.repository' }],
    createdDaysAgo: 120,
    rules: [
      {
        name: 'platform deploys from main',
        description: 'Production deploys of the platform repository',
        project: 'Default project',
        serviceAccount: 'ci-deploy',
        attribute_matchers: { repository: 'northwind-labs/platform', ref: 'refs/heads/main' },
        permissions: { type: 'service_account_default' },
        enabled: true,
        createdDaysAgo: 118,
      },
      {
        name: 'atlas nightly indexer',
        description: null,
        project: 'Atlas',
        serviceAccount: 'atlas-batch-indexer',
        attribute_matchers: { repository: 'northwind-labs/atlas', event_name: 'schedule' },
        permissions: { type: 'restricted', scopes: ['api.files.read', 'api.responses.write'] },
        enabled: true,
        createdDaysAgo: 90,
      },
    ],
  },
  {
    name: 'GKE prod cluster',
    description: null,
    issuer: 'https://container.googleapis.com/v1/projects/northwind-prod/locations/us-central1/clusters/prod',
    audience: 'openai',
    enabled: true,
    verification: { type: 'uploaded_jwks', jwks: CLUSTER_JWKS },
    attribute_transformations: [],
    createdDaysAgo: 60,
    rules: [
      {
        name: 'etl pipeline pods',
        description: null,
        project: 'Data Platform',
        serviceAccount: 'etl-pipeline',
        attribute_matchers: { sub: 'system:serviceaccount:etl:pipeline' },
        permissions: { type: 'service_account_default' },
        enabled: true,
        createdDaysAgo: 59,
      },
      {
        name: null,
        description: 'Paused while the Airflow migration runs',
        project: 'Data Platform',
        serviceAccount: 'airflow-worker',
        attribute_matchers: { sub: 'system:serviceaccount:airflow:worker', 'kubernetes.io/namespace-active': true },
        permissions: { type: 'service_account_default' },
        enabled: false,
        createdDaysAgo: 40,
      },
    ],
  },
  {
    name: 'Legacy Jenkins',
    description: 'Retired build server; kept disabled for the audit trail',
    issuer: 'https://jenkins.northwind-labs.test/oidc',
    audience: 'openai-admin',
    enabled: false,
    verification: { type: 'discovery', discovery_url: 'https://jenkins.northwind-labs.test/oidc/.well-known/openid-configuration' },
    attribute_transformations: [],
    createdDaysAgo: 400,
    rules: [],
  },
];

export function seedWorkloadIdentity(state: SandboxState, rng: Rng): void {
  const projectsByName = new Map([...state.projects.values()].map((p) => [p.name, p.id] as const));
  for (const spec of PROVIDERS) {
    const created = state.anchor - spec.createdDaysAgo * DAY + rng.int(0, DAY - 1);
    const provider: WorkloadIdentityProviderRecord = {
      object: 'organization.workload_identity_provider',
      id: `wip_${rng.token(24)}`,
      name: spec.name,
      description: spec.description,
      type: 'oidc',
      issuer: spec.issuer,
      audience: spec.audience,
      enabled: spec.enabled,
      verification: structuredClone(spec.verification),
      attribute_transformations: spec.attribute_transformations.map((t) => ({ ...t })),
      created_at: created,
      updated_at: created,
    };
    state.workloadIdentityProviders.set(provider.id, provider);

    for (const ruleSpec of spec.rules) {
      const id = `wifr_${rng.token(24)}`;
      const ruleCreated = Math.max(created, state.anchor - ruleSpec.createdDaysAgo * DAY + rng.int(0, DAY - 1));
      const projectId = projectsByName.get(ruleSpec.project);
      const account = projectId === undefined ? undefined : [...(state.serviceAccounts.get(projectId)?.values() ?? [])].find((a) => a.name === ruleSpec.serviceAccount);
      if (projectId === undefined || account === undefined) continue;
      const rule: FederationRuleRecord = {
        object: 'organization.workload_identity_federation_rule',
        id,
        workload_identity_provider_id: provider.id,
        project_id: projectId,
        service_account_id: account.id,
        name: ruleSpec.name,
        description: ruleSpec.description,
        enabled: ruleSpec.enabled,
        attribute_matchers: { ...ruleSpec.attribute_matchers },
        permissions: structuredClone(ruleSpec.permissions),
        created_at: ruleCreated,
        updated_at: ruleCreated,
      };
      state.scoped(state.federationRules, provider.id).set(rule.id, rule);
    }
  }
}
