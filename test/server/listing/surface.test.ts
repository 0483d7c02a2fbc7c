import { describe, expect, it } from 'vitest';
import { z, type ZodTypeAny } from 'zod';
import { endpointTools } from '../../../tools/index.js';
import { effectiveHints } from '../../../src/server/listing/annotations.js';
import { selectTools, type RegisteredTool } from '../../../src/server/listing/registry.js';
import { referenceCatalog as catalog, type ParamFact } from '../../reference/facts.js';

/*
 * The tools against the reference catalog committed in test/reference/ (`npm run reference`). The
 * catalog predates the pinned SDK: every operation it lists must have its tool, with the catalog's
 * fields, required flags and enums. Operations and fields the SDK added since are checked by the
 * drift tests in test/reference/.
 */

const registered = selectTools({ readOnly: false });

describe('one tool per catalog operation', () => {
  it('has one tool for each of the 119 catalog operations, and unique tool names', () => {
    const names = endpointTools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(catalog).toHaveLength(119);
    expect(catalog.map((op) => op.tool).filter((name) => !names.includes(name))).toEqual([]);
  });

  it.each(catalog.map((op) => [op.tool, op] as const))('%s matches the catalog', (name, op) => {
    const tool = endpointTools.find((t) => t.name === name);
    expect(tool).toBeDefined();
    if (!tool) return;
    expect(`${tool.method} ${tool.path}`).toBe(`${op.method} ${op.path}`);
    expect(tool.effect).toBe(op.effect);
    expect(tool.idempotent).toBe(op.idempotent);
    expect(tool.pagination ?? 'none').toBe(op.pagination);

    expect(Object.keys(tool.input.path ?? {}).sort(), `path fields of ${name}`).toEqual([...op.path_params].sort());
    for (const [field, schema] of Object.entries(tool.input.path ?? {})) expect((schema as ZodTypeAny).isOptional(), `${name}.${field} required`).toBe(false);
    const placed = { query: op.query_params, body: op.body_fields };
    for (const [where, params] of Object.entries(placed) as Array<['query' | 'body', ParamFact[]]>) {
      const shape = tool.input[where] ?? {};
      // The SDK may add fields the catalog lacks (test/reference/sdk-fields.test.ts holds both to the SDK).
      const missing = params.map((p) => bare(p.name)).filter((field) => !(field in shape));
      expect(missing, `${where} fields of ${name} missing from the tool`).toEqual([]);
      for (const param of params) {
        const field = shape[bare(param.name)] as ZodTypeAny;
        expect(!field.isOptional(), `${name}.${param.name} required`).toBe(param.required);
        const allowed = param.enum ?? param.items_enum;
        if (allowed) expectEnum(name, param.name, field, allowed, param.items_enum !== undefined);
      }
    }
  });
});

describe('the zod-to-json-schema guard', () => {
  it.each(registered.map((t) => [t.name, t] as const))('%s keeps every property and required entry', (_name, tool) => {
    expectSchemaMatchesZod(tool);
  });
});

describe('annotations and metadata', () => {
  it.each(registered.map((t) => [t.name, t] as const))('%s is fully annotated', (_name, tool) => {
    expect(tool.title.length).toBeGreaterThan(0);
    expect(tool.description.length).toBeGreaterThan(10);
    expect(tool.description).not.toMatch(/\n/);
    // Listed compactly (only hints that differ from the MCP defaults), read as a client reads them.
    expect(effectiveHints(tool.annotations)).toEqual({
      readOnlyHint: tool.effect === 'read',
      destructiveHint: tool.effect === 'destructive',
      idempotentHint: tool.idempotent,
      openWorldHint: true,
    });
    // An endpoint tool's endpoint is served as a resource, not carried in every listing.
    if (tool.endpoint) expect(tool.meta).toBeUndefined();
    expect(tool.inputSchema).not.toHaveProperty('$schema');
    // Reports keep a typed output schema; endpoint results are the API's objects, with none listed.
    expect(tool.outputSchema?.type).toBe(tool.composite ? 'object' : undefined);
    if (tool.endpoint?.effect === 'read' && tool.endpoint.method !== 'GET' && tool.endpoint.safe !== true) throw new Error(`${tool.name}: a read must be a GET or a POST declared safe`);
  });

  it('read-only mode is computed from the same effect that sets readOnlyHint', () => {
    const readOnly = selectTools({ readOnly: true });
    expect(readOnly.map((t) => t.name).sort()).toEqual(endpointTools.filter((t) => t.effect === 'read').map((t) => t.name).sort());
    expect(catalog.filter((op) => op.effect === 'read').every((op) => readOnly.some((t) => t.name === op.tool))).toBe(true);
    expect(readOnly.every((t) => effectiveHints(t.annotations).readOnlyHint && (t.endpoint?.method === 'GET' || t.endpoint?.safe === true))).toBe(true);
  });

  it('destructive tools take confirm, and every write takes dry_run', () => {
    for (const tool of registered) {
      const props = Object.keys(tool.inputSchema.properties ?? {});
      expect(props.includes('confirm'), tool.name).toBe(tool.effect === 'destructive');
      expect(props.includes('dry_run'), tool.name).toBe(tool.effect !== 'read');
      expect(props.includes('max_items'), tool.name).toBe(tool.endpoint?.pagination !== undefined);
    }
  });
});

/**
 * A documented enum is either listed in the schema, or (where listing it would cost too many tokens)
 * enforced by validation: every documented value passes and anything else fails. Values the SDK
 * added since the catalog are checked by test/reference/sdk-fields.test.ts.
 */
function expectEnum(tool: string, param: string, field: ZodTypeAny, allowed: string[], isArray: boolean): void {
  const listed = enumValues(field);
  if (listed) {
    expect(allowed.filter((value) => !listed.includes(value)), `${tool}.${param}: catalog values missing from the enum`).toEqual([]);
    return;
  }
  const wrap = (v: string) => (isArray ? [v] : v);
  for (const value of allowed) expect(field.safeParse(wrap(value)).success, `${tool}.${param} accepts ${value}`).toBe(true);
  expect(field.safeParse(wrap('not.a.documented.value')).success, `${tool}.${param} rejects other values`).toBe(false);
}

function enumValues(field: ZodTypeAny): string[] | undefined {
  let inner: ZodTypeAny = field;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap();
    else if (inner instanceof z.ZodDefault) inner = inner.removeDefault();
    else if (inner instanceof z.ZodArray) inner = inner.element;
    else break;
  }
  return inner instanceof z.ZodEnum ? [...(inner.options as string[])].sort() : undefined;
}

/** Fails when zod-to-json-schema dropped anything the zod object declares (as it does for zod v4 schemas). */
export function expectSchemaMatchesZod(tool: RegisteredTool): void {
  const shape = tool.input.shape;
  const schema = tool.inputSchema;
  expect(schema.type, `${tool.name} input type`).toBe('object');
  const props = Object.keys(schema.properties ?? {});
  expect(props.sort(), `${tool.name} properties`).toEqual(Object.keys(shape).sort());
  const required = Object.entries(shape)
    .filter(([, field]) => !(field as ZodTypeAny).isOptional())
    .map(([key]) => key)
    .sort();
  expect([...(schema.required ?? [])].sort(), `${tool.name} required`).toEqual(required);
  for (const key of props) {
    const prop = (schema.properties ?? {})[key] as Record<string, unknown>;
    expect(Object.keys(prop).length, `${tool.name}.${key} is not an empty schema`).toBeGreaterThan(0);
  }
}

/** The catalog names some array parameters in their wire form (`project_ids[]`); tools use the bare name. */
function bare(name: string): string {
  return name.replace(/\[\]$/, '');
}
