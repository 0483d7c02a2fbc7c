import type { ZodRawShape, ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

export type JsonSchema = Record<string, unknown> & { type?: string; properties?: Record<string, unknown>; required?: string[] };

/**
 * zod (v3 API) to the JSON Schema that MCP clients read: inlined, no `$schema`, no noise. The
 * zod-to-json-schema guard test checks that nothing a zod schema declares is lost here.
 */
export function toJsonSchema(schema: ZodTypeAny): JsonSchema {
  const json = zodToJsonSchema(schema, { $refStrategy: 'none', target: 'jsonSchema7', effectStrategy: 'input' }) as JsonSchema;
  delete json.$schema;
  const pruned = prune(json) as JsonSchema;
  // MCP hosts expect `properties` on the root object, even an empty one.
  return pruned.type === 'object' && !pruned.properties ? { ...pruned, properties: {} } : pruned;
}

/**
 * Drops what costs tokens and tells a model nothing: `additionalProperties` (unknown fields are
 * refused with a clear error anyway), `minLength: 1` on IDs, `minimum: 0` on integers, empty
 * `required` and `properties`, and a `type` beside an `enum` or `const` that already fixes it.
 */
function prune(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(prune);
  if (node === null || typeof node !== 'object') return node;
  const compact = simpleUnion(node as JsonSchema) ?? nullable(node as JsonSchema);
  if (compact) return withoutTypeList(withoutImpliedType(compact));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && typeof value === 'boolean') continue;
    if (key === 'minLength' && value === 1) continue;
    // Counts and amounts (rate limits, cents) are never negative: said by their names, enforced anyway.
    if (key === 'minimum' && value === 0 && (node as JsonSchema).type === 'integer') continue;
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue;
    // No properties constrain nothing: `{type: "object"}` admits the same values.
    if (key === 'properties' && isEmptyObject(value)) continue;
    out[key] = key === 'enum' || key === 'const' ? value : prune(value);
  }
  return withoutTypeList(withoutImpliedType(out));
}

/** Keywords that constrain one JSON type only, so they move into that type's variant. */
const KEYWORDS_OF: Record<string, readonly string[]> = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  array: ['items', 'minItems', 'maxItems', 'uniqueItems'],
  object: ['properties', 'required', 'additionalProperties'],
};

/**
 * A `type` array (`["string", "null"]`, as zod-to-json-schema writes a nullable string) as an
 * `anyOf` of single types, each with its own keywords: the same values, in the form every host's
 * function-calling format accepts (some reject type arrays; MCP Inspector --strict warns on them).
 */
function withoutTypeList<T extends Record<string, unknown>>(node: T): T {
  if (!Array.isArray(node.type)) return node;
  const rest: Record<string, unknown> = { ...node };
  delete rest.type;
  const variants = (node.type as string[]).map((type) => {
    const variant: Record<string, unknown> = { type };
    for (const key of KEYWORDS_OF[type] ?? []) if (key in node) variant[key] = node[key];
    return variant;
  });
  for (const type of node.type as string[]) for (const key of KEYWORDS_OF[type] ?? []) delete rest[key];
  return { ...rest, anyOf: variants } as unknown as T;
}

/**
 * `{type: "string", enum: ["asc", "desc"]}` as `{enum: ["asc", "desc"]}`: in JSON Schema an `enum`
 * or `const` admits only its own values, so a `type` that each of them already has constrains
 * nothing more. About 90 enums in the full listing, some 400 tokens. Kept when a value's type is
 * not among the listed types (which would make the schema contradict itself).
 */
function withoutImpliedType<T extends Record<string, unknown>>(node: T): T {
  const values = Array.isArray(node.enum) ? (node.enum as unknown[]) : 'const' in node ? [node.const] : null;
  if (!values || node.type === undefined) return node;
  const types = new Set(Array.isArray(node.type) ? (node.type as string[]) : [node.type as string]);
  if (!values.every((v) => jsonTypesOf(v).some((t) => types.has(t)))) return node;
  const { type: _implied, ...rest } = node;
  return rest as T;
}

function isEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

function jsonTypesOf(value: unknown): string[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value];
}

/**
 * `anyOf` of bare types (`[{type: integer, minimum: 0}, {type: string, minLength: 1}]`, as a time
 * field comes out) with the bounds of each variant dropped: validation still enforces them with a
 * clear message. It stays an `anyOf`: a `type` array says the same in fewer tokens, but some hosts'
 * function-calling formats reject it (MCP Inspector --strict warns on every one).
 */
function simpleUnion(node: JsonSchema): JsonSchema | null {
  const variants = node.anyOf as JsonSchema[] | undefined;
  if (!Array.isArray(variants) || variants.length < 2) return null;
  const bare = (v: JsonSchema) => typeof v.type === 'string' && Object.keys(v).every((k) => ['type', 'minimum', 'maximum', 'minLength'].includes(k));
  if (!variants.every(bare) || !variants.some((v) => Object.keys(v).length > 1)) return null;
  return { ...node, anyOf: variants.map((v) => ({ type: v.type })) } as JsonSchema;
}

/**
 * An input schema as listed. A field description that only restates the field's name in words
 * (`project_id`: "Project ID (proj_…)", `alert_id` of a spend-alert tool: "Spend alert ID") tells a
 * model nothing its name does not, and every conversation pays for it: it is dropped. A description
 * with anything more (a unit, a default, a rule) is kept whole.
 */
export function compactInput(schema: JsonSchema, tool: string): JsonSchema {
  return withoutEchoes(schema, tool.split('_')) as JsonSchema;
}

function withoutEchoes(node: JsonSchema, context: readonly string[]): JsonSchema {
  if (!node.properties) return node;
  const properties: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(node.properties)) {
    const names = [...field.split('_'), ...context];
    let prop = value as JsonSchema;
    if (typeof prop.description === 'string' && restatesName(prop.description, names)) {
      const { description: _echo, ...rest } = prop;
      prop = rest as JsonSchema;
    }
    // Nested objects (and arrays of them) are named by their field and the tool.
    const items = prop.items as JsonSchema | undefined;
    if (items?.properties) prop = { ...prop, items: withoutEchoes(items, names) };
    properties[field] = withoutEchoes(prop, names);
  }
  return { ...node, properties };
}

/** Words that add nothing to a field's name: "the", "ID", "new" (on an update), "per" (`max_requests_per_1_day`). */
const FILLER = new Set(['a', 'an', 'the', 'of', 'per', 'id', 'ids', 'new']);

/** Whether every word of a description (parentheses aside) is filler or a word of the field or tool name. */
export function restatesName(description: string, names: readonly string[]): boolean {
  const singular = (w: string) => w.replace(/s$/, '');
  const known = new Set(names.map((w) => singular(w.toLowerCase())));
  const words = description
    .replace(/\([^)]*\)/g, ' ')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.length > 0 && words.every((w) => FILLER.has(w) || known.has(singular(w)));
}

/** Title verbs that name the same operation as the name's last word (`Get project` for `projects_retrieve`). */
const SAME_VERB: Record<string, string> = { get: 'retrieve', remove: 'delete', revoke: 'delete', set: 'update', add: 'create', org: 'organization' };

/**
 * Whether a tool's title says only what its name says: every word of the title (plurals and the
 * verbs above aside) is a word of the name, as `List users` is of `users_list`. Such a title is not
 * listed: hosts display the name when there is no title, which then shows the same words, and the
 * full listing pays for about a hundred titles in every conversation. A title with more in it
 * (`Invite user`, `Unassign org role from user`, `Text-to-speech usage`) is listed.
 */
export function titleRestatesName(title: string, name: string): boolean {
  const word = (w: string) => {
    const singular = w.toLowerCase().replace(/ies$/, 'y').replace(/s$/, '');
    return SAME_VERB[singular] ?? singular;
  };
  const known = new Set(name.split('_').map(word));
  const words = title.split(/[^A-Za-z0-9]+/).filter(Boolean).map(word);
  return words.length > 0 && words.every((w) => known.has(w));
}

/** Words a description may add to its tool's name and still say only what the name says. */
const DESCRIPTION_FILLER = new Set(['a', 'an', 'the', 'of', 'its', 'in', 'to', 'from', 'one']);

/**
 * Whether a tool's description says only what its name says (`Get a project API key.` of
 * `projects_api_keys_retrieve`), by the same rule as a title, articles and prepositions aside. Such
 * a description is not listed, as such a title is not: the model reads the name, and each costs
 * every conversation about nine tokens. One with anything more (an effect, a default) is listed.
 */
export function descriptionRestatesName(description: string, name: string): boolean {
  const words = description.split(/[^A-Za-z0-9]+/).filter((w) => w !== '' && !DESCRIPTION_FILLER.has(w.toLowerCase()));
  return titleRestatesName(words.join(' '), name);
}

/**
 * `anyOf: [X, {type: null}]` with X pruned. A nullable enum becomes the enum with `null` among its
 * values (the same set of values, without the wrapper); anything else keeps the `anyOf`, never a
 * `type` array (see simpleUnion).
 */
function nullable(node: JsonSchema): JsonSchema | null {
  const variants = node.anyOf as JsonSchema[] | undefined;
  if (!Array.isArray(variants) || variants.length !== 2) return null;
  const inner = variants.find((v) => v.type !== 'null');
  const isNull = (v: JsonSchema) => v.type === 'null' && Object.keys(v).length === 1;
  if (!inner || !variants.some(isNull) || inner.type === 'null') return null;
  const { anyOf: _anyOf, ...rest } = node;
  const pruned = prune(inner) as JsonSchema;
  if (Array.isArray(pruned.enum)) {
    const { type: _type, ...values } = pruned;
    return { ...values, ...rest, enum: [...(pruned.enum as unknown[]), null] } as JsonSchema;
  }
  return { ...rest, anyOf: [pruned, { type: 'null' }] } as JsonSchema;
}

/**
 * An output schema with each large subtree that occurs more than once (a report's table cell, say)
 * written once under `$defs` and referred to by `$ref`: the same schema, and the reports' listing
 * shorter by the copies. Output schemas only: clients validate them (the MCP SDK with Ajv, which
 * resolves local references); input schemas stay inline for the model.
 */
export function shareRepeats(schema: JsonSchema, minChars = 80): JsonSchema {
  const counts = new Map<string, number>();
  const count = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const text = JSON.stringify(node);
    if (!Array.isArray(node) && text.length >= minChars) counts.set(text, (counts.get(text) ?? 0) + 1);
    for (const child of Object.values(node)) count(child);
  };
  count(schema.properties);
  const shared = new Map<string, string>();
  for (const [text, n] of counts) if (n > 1) shared.set(text, `s${shared.size}`);
  if (shared.size === 0) return schema;
  const defs: Record<string, unknown> = {};
  const replace = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) return node.map(replace);
    const name = shared.get(JSON.stringify(node));
    if (name !== undefined) {
      defs[name] ??= Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replace(v)]));
      return { $ref: `#/$defs/${name}` };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replace(v)]));
  };
  const properties = replace(schema.properties) as Record<string, unknown>;
  return { ...schema, properties, $defs: defs };
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
