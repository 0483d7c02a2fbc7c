import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { selectTools } from '../../src/server/registry.js';
import { describeValidation } from '../../src/server/results.js';
import { toJsonSchema } from '../../src/server/schema.js';

/*
 * Nested unions and objects listed by a short schema (tools/common.ts `listedAs`) to save tokens:
 * the listing is short, validation still refuses every wrong shape and names the nested field.
 */

const tools = new Map(selectTools({ readOnly: false }).map((t) => [t.name, t]));

function refusal(tool: string, args: Record<string, unknown>): string {
  const registered = tools.get(tool);
  if (!registered) throw new Error(`no tool ${tool}`);
  const parsed = registered.input.safeParse(args);
  if (parsed.success) return 'accepted';
  return describeValidation(tool, parsed.error, Object.keys(registered.input.shape));
}

describe('short listings keep strict validation', () => {
  it.each([
    ['external_storage_create', { project_id: 'proj_x', provider: { type: 'aws', bucket: 'b' } }, /provider\.role_arn: required/],
    ['external_storage_create', { project_id: 'proj_x', provider: { type: 'gcp', bucket: 'b', role_arn: 'r' } }, /provider\.workload_identity_pool_id: required/],
    ['workload_identity_providers_create', { name: 'n', type: 'oidc', issuer: 'i', audience: 'a', verification: { type: 'uploaded_jwks' } }, /verification\.jwks: required/],
    ['workload_identity_providers_update', { workload_identity_provider_id: 'p', verification: { type: 'discovery', discovery_url: null, jwks: {} } }, /'verification\.jwks': not a field of verification/],
    ['workload_identity_providers_create', { name: 'n', type: 'oidc', issuer: 'i', audience: 'a', attribute_transformations: [{ attribute: 'x' }] }, /attribute_transformations\.0\.expression: required/],
    ['workload_identity_providers_federation_rules_update', { workload_identity_provider_id: 'p', workload_identity_federation_rule_id: 'r', permissions: { type: 'restricted' } }, /permissions\.scopes: required/],
    ['workload_identity_providers_federation_rules_update', { workload_identity_provider_id: 'p', workload_identity_federation_rule_id: 'r', permissions: { type: 'service_account_default', scopes: [] } }, /'permissions\.scopes': not a field of permissions/],
    ['spend_alerts_create', { threshold_amount: 1, currency: 'USD', interval: 'month', notification_channel: { type: 'email', recipients: ['not-an-email'] } }, /notification_channel\.recipients\.0: Invalid email/],
    ['spend_alerts_create', { threshold_amount: 1, currency: 'USD', interval: 'month', notification_channel: { type: 'email' } }, /notification_channel\.recipients: required/],
    ['projects_hosted_tool_permissions_update', { project_id: 'proj_x', web_search: {} }, /web_search\.enabled: required/],
  ] as const)('%s refuses a wrong nested shape, naming the field', (tool, args, message) => {
    expect(refusal(tool, args as Record<string, unknown>)).toMatch(message);
  });

  it('a right shape passes through unchanged, and unknown keys of a plain object are dropped as before', () => {
    const rule = tools.get('workload_identity_providers_federation_rules_update');
    const permissions = { type: 'restricted', scopes: ['api.all.read'] };
    expect(rule?.input.parse({ workload_identity_provider_id: 'p', workload_identity_federation_rule_id: 'r', permissions }).permissions).toEqual(permissions);
    const hosted = tools.get('projects_hosted_tool_permissions_update');
    expect(hosted?.input.parse({ project_id: 'proj_x', mcp: { enabled: true, extra: 1 }, web_search: null })).toMatchObject({ mcp: { enabled: true }, web_search: null });
    expect(hosted?.input.parse({ project_id: 'proj_x', mcp: { enabled: true, extra: 1 } }).mcp).not.toHaveProperty('extra');
  });
});

describe('generic listing savings in toJsonSchema', () => {
  it('drops a type that an enum or const already fixes, and empty nested properties', () => {
    const schema = toJsonSchema(z.object({ order: z.enum(['asc', 'desc']), role: z.enum(['a']).nullable(), kind: z.literal('x'), any: z.object({}).passthrough() }));
    expect(schema.properties).toEqual({ order: { enum: ['asc', 'desc'] }, role: { enum: ['a', null] }, kind: { const: 'x' }, any: { type: 'object' } });
  });

  it('keeps properties on the root object, and drops the type of a number const too', () => {
    expect(toJsonSchema(z.object({}))).toEqual({ type: 'object', properties: {} });
    expect(toJsonSchema(z.object({ n: z.literal(1.5) })).properties).toEqual({ n: { const: 1.5 } });
  });
});
