import { describe, expect, it } from 'vitest';
import { z, type ZodTypeAny } from 'zod';
import { AdminClient } from '../../../src/client/index.js';
import { allComposites } from '../../../src/reports/index.js';
import type { ServerDeps } from '../../../src/server/hosts/tool-host.js';
import { META_LISTINGS } from '../../../src/server/listing/meta-listing.js';
import { selectTools } from '../../../src/server/listing/registry.js';
import { describeValidation } from '../../../src/server/results/results.js';
import { compactInput, toJsonSchema } from '../../../src/server/listing/schema.js';
import { testHost } from '../../host.js';

/*
 * Nested unions and objects are listed whole, and validation refuses every wrong shape naming the
 * nested field.
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

/*
 * The listed schema says everything validation demands: every property a zod object declares and
 * every one it requires is listed at the same place, at every depth (objects, arrays, unions,
 * nullable and optional wrappers), and no field or required entry lives only in a description.
 */

interface ZodDef {
  typeName?: string;
  innerType?: ZodTypeAny;
  schema?: ZodTypeAny;
  type?: ZodTypeAny;
  options?: readonly ZodTypeAny[] | Map<unknown, ZodTypeAny>;
  shape?: () => Record<string, ZodTypeAny>;
  valueType?: ZodTypeAny;
  effect?: { type: string };
}

type Listed = Record<string, unknown> & { properties?: Record<string, Listed>; required?: string[]; items?: Listed; anyOf?: Listed[]; additionalProperties?: unknown };

/** The listed variants a value may match: the node itself, or each of its anyOf branches. */
const variantsOf = (node: Listed): Listed[] => (Array.isArray(node.anyOf) ? node.anyOf.flatMap(variantsOf) : [node]);

/** Differences between what zod demands and what is listed, by path; empty when the listing tells the whole truth. */
function hidden(schema: ZodTypeAny, listed: Listed, path: string): string[] {
  const def = schema._def as ZodDef;
  switch (def.typeName) {
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
    case 'ZodReadonly':
      return hidden(def.innerType as ZodTypeAny, listed, path);
    case 'ZodEffects':
      // A transform or refinement checks values; the shape is its inner schema's.
      return hidden(def.schema as ZodTypeAny, listed, path);
    case 'ZodObject': {
      const shape = def.shape?.() ?? {};
      const node = variantsOf(listed).find((v) => v.type === 'object' || v.properties !== undefined);
      if (!node) return Object.keys(shape).length > 0 ? [`${path}: an object with ${Object.keys(shape).join(', ')} is not listed as one`] : [];
      const out: string[] = [];
      for (const [key, field] of Object.entries(shape)) {
        const property = node.properties?.[key];
        if (!property) {
          out.push(`${path}.${key}: not listed`);
          continue;
        }
        if (!field.isOptional() && !(node.required ?? []).includes(key)) out.push(`${path}.${key}: required but not listed as required`);
        out.push(...hidden(field, property, `${path}.${key}`));
      }
      return out;
    }
    case 'ZodArray': {
      const node = variantsOf(listed).find((v) => v.type === 'array');
      if (!node?.items) return [`${path}: an array whose items are not listed`];
      return hidden(def.type as ZodTypeAny, node.items, `${path}[]`);
    }
    case 'ZodRecord': {
      const node = variantsOf(listed).find((v) => v.type === 'object');
      const values = node?.additionalProperties;
      if (values === null || typeof values !== 'object') return [`${path}: a record whose values are not listed`];
      return hidden(def.valueType as ZodTypeAny, values as Listed, `${path}{*}`);
    }
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion': {
      const options = [...(def.options instanceof Map ? def.options.values() : (def.options ?? []))];
      const listedVariants = variantsOf(listed);
      // Each zod option must match some listed variant with nothing hidden.
      return options.flatMap((option, i) => {
        const misses = listedVariants.map((variant) => hidden(option, variant, `${path}|${i}`));
        return misses.some((m) => m.length === 0) ? [] : (misses.sort((a, b) => a.length - b.length)[0] ?? [`${path}|${i}: no listed variant`]);
      });
    }
    default:
      return [];
  }
}

/** A value built only from the listed schema, every listed property filled, as a client building arguments from it would. */
function fromListed(node: Listed): unknown {
  const variant = variantsOf(node).find((v) => v.type !== 'null') ?? node;
  if (Array.isArray(variant.enum)) return variant.enum[0];
  if ('const' in variant) return variant.const;
  switch (variant.type) {
    case 'object':
      return Object.fromEntries(Object.entries(variant.properties ?? {}).map(([key, value]) => [key, fromListed(value)]));
    case 'array':
      return variant.items ? [fromListed(variant.items)] : [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      return 'abc';
  }
}

/**
 * Fields validation reports missing from arguments that fill every listed property: what a
 * transform or refinement demands beyond the listed shape, which the structural walk cannot see.
 */
function missingFromListing(schema: ZodTypeAny, listed: Listed): string[] {
  const parsed = schema.safeParse(fromListed(listed));
  if (parsed.success) return [];
  return parsed.error.issues.filter((i) => i.code === 'invalid_type' && i.received === 'undefined').map((i) => `${i.path.join('.')}: required, not listed`);
}

describe('listed schemas say everything validation demands, at every depth', () => {
  const host = testHost(new AdminClient({ apiKey: 'sk-admin-unused', baseUrl: 'http://127.0.0.1:9/v1' }), { composites: allComposites, toolsets: ['all'] });
  const listedByName = new Map(host.listTools().map((t) => [t.name, t]));
  const registered = [...selectTools({ readOnly: false }, allComposites), ...selectTools({ readOnly: false, project: 'proj_scoped' }, allComposites)];

  it.each(registered.map((t) => [t.name, t] as const))('%s', (name, tool) => {
    const listed = (listedByName.get(name)?.inputSchema ?? toJsonSchema(tool.input)) as Listed;
    // Scoped variants are listed as the registry computes them.
    const schema = tool.fixed && Object.keys(tool.fixed).length > 0 ? (compactInput(toJsonSchema(tool.input), name) as Listed) : listed;
    expect(hidden(tool.input, schema, name)).toEqual([]);
    expect(missingFromListing(tool.input, schema)).toEqual([]);
  });

  it('arguments built from a listing that hides a required nested field are refused, and the probe says where', () => {
    // The pattern that hid notification_channel.recipients: listed as {type}, the rest checked in a transform.
    const enforced = z.object({ type: z.enum(['email']), recipients: z.array(z.string()).min(1) });
    const input = z.object({
      channel: z
        .object({ type: z.enum(['email']) })
        .passthrough()
        .transform((value, ctx) => {
          const checked = enforced.safeParse(value);
          if (checked.success) return checked.data;
          for (const issue of checked.error.issues) ctx.addIssue(issue as z.IssueData);
          return z.NEVER;
        }),
    });
    const listed = toJsonSchema(input) as Listed;
    expect(hidden(input, listed, 't')).toEqual([]);
    expect(missingFromListing(input, listed)).toEqual(['channel.recipients: required, not listed']);
  });

  it('the walk finds a required nested field that is only in a description, and a missing property', () => {
    const input = z.object({ channel: z.object({ type: z.enum(['email']), recipients: z.array(z.string()).min(1) }), note: z.string().optional() });
    const listed = { type: 'object', properties: { channel: { type: 'object', properties: { type: { enum: ['email'] } }, description: 'Also recipients (required)' } }, required: ['channel'] };
    expect(hidden(input, listed, 't')).toEqual(['t.channel.type: required but not listed as required', 't.channel.recipients: not listed', 't.note: not listed']);
    const unrequired = { type: 'object', properties: { channel: { type: 'object', properties: { type: { enum: ['email'] }, recipients: { type: 'array', items: { type: 'string' } } }, required: ['type'] }, note: { type: 'string' } }, required: ['channel'] };
    expect(hidden(input, unrequired, 't')).toEqual(['t.channel.recipients: required but not listed as required']);
  });

  it('no nested field is described instead of listed', () => {
    for (const tool of listedByName.values()) {
      expect(JSON.stringify(tool.inputSchema), tool.name).not.toMatch(/\(required\)|Also [a-z_]+:/);
    }
  });
});

/** Paths of every array-valued `type` in a schema (some hosts reject them; MCP Inspector --strict warns). */
function typeLists(node: unknown, path: string): string[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => typeLists(n, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => {
    if (key === 'type' && Array.isArray(value)) return [path];
    if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') return [];
    return typeLists(value, `${path}.${key}`);
  });
}

describe('no array-valued type in any listing mode', () => {
  const client = new AdminClient({ apiKey: 'sk-admin-unused', baseUrl: 'http://127.0.0.1:9/v1' });
  const modes: Array<[string, Partial<ServerDeps>]> = [
    ['default', {}],
    ['--toolsets all', { toolsets: ['all'] }],
    ['--toolsets reports', { toolsets: ['reports'] }],
    ['--dynamic', { dynamic: true }],
    ['--read-only', { readOnly: true }],
    ['--read-only --toolsets all', { readOnly: true, toolsets: ['all'] }],
    ['--project', { project: 'proj_scoped' }],
    ['--project --toolsets all', { project: 'proj_scoped', toolsets: ['all'] }],
  ];

  it.each(modes)('%s', (_mode, deps) => {
    const tools = testHost(client, { composites: allComposites, ...deps }).listTools();
    expect(tools.flatMap((t) => typeLists(t, t.name))).toEqual([]);
  });

  it('nor in the meta-tools, or in what describe_tool shows', async () => {
    expect(META_LISTINGS.flatMap((t) => typeLists(t, t.name))).toEqual([]);
    const host = testHost(client, { composites: allComposites });
    const described = await host.call('describe_tool', { name: 'usage_completions' });
    expect(typeLists(described.structuredContent, 'describe_tool')).toEqual([]);
  });

  it('the walk finds them', () => {
    expect(typeLists({ properties: { a: { type: ['string', 'null'] }, b: { enum: [['x']] } } }, 's')).toEqual(['s.properties.a']);
  });

  it('a nullable or two-type field is listed as anyOf, each type with its own keywords', () => {
    const schema = toJsonSchema(z.object({ at: z.union([z.number().int().nonnegative(), z.string().min(1)]), name: z.string().nullable(), tags: z.array(z.string()).nullable() }));
    expect(schema.properties).toEqual({
      at: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
      name: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      tags: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }] },
    });
  });
});
