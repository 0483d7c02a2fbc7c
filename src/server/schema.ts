import { z, type ZodRawShape, type ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

export type JsonSchema = Record<string, unknown> & { type?: string; properties?: Record<string, unknown>; required?: string[] };

/**
 * zod (v3 API) to the JSON Schema that MCP clients read: inlined, no `$schema`, no noise. The
 * zod-to-json-schema guard test checks that nothing a zod schema declares is lost here.
 */
export function toJsonSchema(schema: ZodTypeAny): JsonSchema {
  const json = zodToJsonSchema(schema, { $refStrategy: 'none', target: 'jsonSchema7', effectStrategy: 'input' }) as JsonSchema;
  delete json.$schema;
  return prune(json) as JsonSchema;
}

/**
 * Drops what costs tokens and tells a model nothing: `additionalProperties` (unknown fields are
 * refused with a clear error anyway), `minLength: 1` on IDs, and empty `required` lists.
 */
function prune(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(prune);
  if (node === null || typeof node !== 'object') return node;
  const compact = simpleUnion(node as JsonSchema);
  if (compact) return compact;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && typeof value === 'boolean') continue;
    if (key === 'minLength' && value === 1) continue;
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue;
    out[key] = prune(value);
  }
  return out;
}

/**
 * `anyOf` of bare types (`[{type: integer, minimum: 0}, {type: string}]`, as a time field or a
 * nullable string comes out) written as one `type` array: the same contract in a third of the
 * tokens. Bounds on a variant are dropped; validation still enforces them with a clear message.
 */
function simpleUnion(node: JsonSchema): JsonSchema | null {
  const variants = node.anyOf as JsonSchema[] | undefined;
  if (!Array.isArray(variants) || variants.length < 2) return null;
  const bare = variants.every((v) => typeof v.type === 'string' && Object.keys(v).every((k) => ['type', 'minimum', 'maximum', 'minLength'].includes(k)));
  if (!bare) return null;
  const { anyOf: _anyOf, ...rest } = node;
  return { ...rest, type: [...new Set(variants.map((v) => v.type as string))] } as unknown as JsonSchema;
}

/**
 * The top level of an output schema: the field names and which are always there, nothing more.
 * Clients compile a validator for every tool's output schema when they list the tools; with types
 * and nesting that cost a client about 125 ms and every conversation about 5,000 tokens for 119
 * tools, against about 45 ms and 3,400 tokens for names alone. The results show the values anyway.
 */
export function shallow(schema: JsonSchema): JsonSchema {
  const properties: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties ?? {})) properties[key] = {};
  return { type: 'object', properties, ...(schema.required && schema.required.length > 0 ? { required: schema.required } : {}) };
}

/** One flat object out of several shapes, refusing a name defined twice. */
export function mergeShapes(...shapes: Array<ZodRawShape | undefined>): ZodRawShape {
  const merged: ZodRawShape = {};
  for (const shape of shapes) {
    if (!shape) continue;
    for (const [key, value] of Object.entries(shape)) {
      if (key in merged) throw new Error(`Field '${key}' is defined twice`);
      merged[key] = value;
    }
  }
  return merged;
}

/** Every property optional, for results that may be a preview or a dry run instead of the API object. */
export function loosen(schema: ZodTypeAny): ZodTypeAny {
  return schema instanceof z.ZodObject ? schema.partial() : schema;
}
