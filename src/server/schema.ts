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

/** Drops `additionalProperties: true` (the default) and empty `required` lists: tokens nobody needs. */
function prune(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(prune);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === true) continue;
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue;
    out[key] = prune(value);
  }
  return out;
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
