import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deleted, id, listOf, objectOf, order, serviceAccountId, pageSize } from './common.js';
import { providerId } from './workload-identity-providers.js';

/*
 * Federation rules: which verified tokens of a workload identity provider sign in as which project
 * service account, with what permissions. Rules live under their provider.
 *
 * An update is destructive: narrower matchers or scopes, a different service account's
 * permissions, or enabled:false can lock the matching workloads out of production, as deleting
 * the rule does. The preview shows the rule as it is, and the token is bound to that state.
 */

const ruleId = () => id('Federation rule ID');

/** Claim name → the value the token must carry. */
const matchers = () => z.record(z.union([z.string(), z.boolean(), z.number()]));

const permissionShapes = z.discriminatedUnion('type', [
  z.object({ type: z.literal('service_account_default') }).strict(),
  z.object({ type: z.literal('restricted'), scopes: z.array(z.string().min(1)) }).strict(),
]);
const permissions = () =>
  permissionShapes.optional().describe("Default: the service account's own");

const rule = objectOf('organization.workload_identity_federation_rule', {
  name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  workload_identity_provider_id: z.string().optional(),
  project_id: z.string().optional(),
  service_account_id: z.string().optional(),
  enabled: z.boolean().optional(),
  attribute_matchers: z.record(z.unknown()).optional(),
  permissions: z.object({ type: z.string() }).passthrough().optional(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
});

const RULES = '/organization/workload_identity_providers/{workload_identity_provider_id}/federation_rules';
const RULE = `${RULES}/{workload_identity_federation_rule_id}`;
const rulePath = () => ({ workload_identity_provider_id: providerId(), workload_identity_federation_rule_id: ruleId() });

const tools: EndpointTool[] = [
  endpoint({
    name: 'workload_identity_providers_federation_rules_list',
    title: 'List federation rules',
    description: "List a provider's federation rules.",
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: RULES,
    input: {
      path: { workload_identity_provider_id: providerId() },
      query: {
        limit: pageSize(1, undefined),
        after: after(),
        order: order(),
        service_account_id: z.string().min(1).optional().describe('Only rules for this service account'),
      },
    },
    output: listOf(rule),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'workload_identity_providers_federation_rules_create',
    title: 'Create federation rule',
    description: "Let the provider's tokens whose claims match sign in as a project service account.",
    toolset: 'security',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: RULES,
    input: {
      path: { workload_identity_provider_id: providerId() },
      body: {
        project_id: id('Project of the service account'),
        service_account_id: serviceAccountId(),
        attribute_matchers: matchers().describe('Claim → value, e.g. {"sub":"repo:org/app:ref:refs/heads/main"}'),
        name: z.string().optional(),
        description: z.string().optional(),
        enabled: z.boolean().optional().describe('Default true'),
        permissions: permissions(),
      },
    },
    output: rule,
  }),
  endpoint({
    name: 'workload_identity_providers_federation_rules_retrieve',
    title: 'Get federation rule',
    description: 'Get one federation rule of a provider.',
    toolset: 'security',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: RULE,
    input: { path: rulePath() },
    output: rule,
  }),
  endpoint({
    name: 'workload_identity_providers_federation_rules_update',
    title: 'Update federation rule',
    description: 'Change given fields; narrower matchers or scopes, or enabled:false, can lock workloads out.',
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: RULE,
    input: {
      path: rulePath(),
      body: {
        attribute_matchers: matchers().optional().describe('Replaces all matchers'),
        name: z.string().nullable().optional(),
        description: z.string().nullable().optional(),
        enabled: z.boolean().optional(),
        permissions: permissions(),
      },
    },
    output: rule,
    target: RULE,
    preview: { alone: 'Only this rule: workloads it matches get the new terms; other rules stay.' },
  }),
  endpoint({
    name: 'workload_identity_providers_federation_rules_delete',
    title: 'Delete federation rule',
    description: 'Delete a federation rule, locking the workloads it matched out.',
    toolset: 'security',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: RULE,
    input: { path: rulePath() },
    output: deleted('organization.workload_identity_federation_rule.deleted'),
    target: RULE,
    preview: { alone: 'Only this rule: workloads it matched can no longer act as its service account; the service account and its keys stay.' },
  }),
];

export default tools;
