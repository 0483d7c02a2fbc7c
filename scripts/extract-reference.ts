import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * `npm run reference [DIR]`: reads the Admin API reference (catalog.json and openai-admin-openapi.json,
 * by default in ../shared/reference beside the repo) and writes the facts the tests need into
 * test/reference/, so that a clone with nothing beside it runs every test.
 *
 * Facts only: operation names, methods, paths, effects, parameter names, types, enums and required
 * flags, and the structure of each 200 response schema. Every description, summary, example and
 * vendor extension is dropped, so no prose of the reference is copied into the repo.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sourceDir = resolve(process.argv[2] ?? resolve(repoRoot, '../shared/reference'));
const outDir = resolve(repoRoot, 'test/reference');

// ---------------------------------------------------------------------------------------------
// The catalog

interface SourceParam {
  name: string;
  type?: string;
  required?: boolean;
  enum?: string[];
  items_enum?: string[];
}
interface SourceOp {
  tool_name_safe: string;
  method: string;
  path: string;
  classification: string;
  idempotency: { idempotent: boolean };
  path_params: SourceParam[];
  query_params: SourceParam[];
  request_body: { fields: SourceParam[] } | null;
  pagination: { style: string } | null;
}

/** One parameter as the tests use it. */
interface ParamFact {
  name: string;
  type: string;
  required: boolean;
  enum?: string[];
  items_enum?: string[];
}

/** One operation of the reference catalog, facts only. */
interface OperationFact {
  tool: string;
  method: string;
  path: string;
  effect: string;
  idempotent: boolean;
  pagination: string;
  path_params: string[];
  query_params: ParamFact[];
  body_fields: ParamFact[];
}

function paramFact(p: SourceParam): ParamFact {
  return {
    name: p.name,
    type: p.type ?? 'unknown',
    required: p.required === true,
    ...(p.enum ? { enum: [...p.enum] } : {}),
    ...(p.items_enum ? { items_enum: [...p.items_enum] } : {}),
  };
}

function operationFact(op: SourceOp): OperationFact {
  return {
    tool: op.tool_name_safe,
    method: op.method,
    path: op.path,
    effect: op.classification,
    idempotent: op.idempotency.idempotent,
    pagination: op.pagination?.style ?? 'none',
    path_params: op.path_params.map((p) => p.name),
    query_params: op.query_params.map(paramFact),
    body_fields: (op.request_body?.fields ?? []).map(paramFact),
  };
}

// ---------------------------------------------------------------------------------------------
// Response schemas

/** JSON Schema keywords that state structure or constraints. Anything else (prose, examples, x-*) is dropped. */
const SCHEMA_KEYWORDS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  'discriminator',
  'format',
  'nullable',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function schemaFacts(schema: Json): Json {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYWORDS.has(key)) continue;
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, schemaFacts(sub)]));
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      out[key] = value.map(schemaFacts);
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'object' ? schemaFacts(value) : value;
    } else if (key === 'discriminator' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.discriminator = Object.fromEntries(Object.entries(value).filter(([k]) => k === 'propertyName' || k === 'mapping'));
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Names of the component schemas a schema refers to, directly or through other components. */
function collectRefs(schema: Json, components: Record<string, Json>, into: Set<string>): void {
  if (Array.isArray(schema)) return schema.forEach((s) => collectRefs(s, components, into));
  if (schema === null || typeof schema !== 'object') return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = /^#\/components\/schemas\/(.+)$/.exec(value)?.[1];
      if (!name) throw new Error(`Unsupported $ref ${value}`);
      if (into.has(name)) continue;
      const target = components[name];
      if (target === undefined) throw new Error(`Dangling $ref ${value}`);
      into.add(name);
      collectRefs(target, components, into);
    } else collectRefs(value, components, into);
  }
}

interface OpenApi {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>>;
  components: { schemas: Record<string, Json> };
}

/** Keys sorted, so a refresh from an unchanged reference rewrites nothing. */
function sorted(value: Json): Json {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sorted(value[k] as Json)]),
  );
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  for (const file of ['catalog.json', 'openai-admin-openapi.json']) {
    if (!existsSync(resolve(sourceDir, file))) {
      process.stderr.write(`No ${file} in ${sourceDir}. Pass the reference directory: npm run reference -- /path/to/reference\n`);
      process.exit(2);
    }
  }
  const catalog = JSON.parse(readFileSync(resolve(sourceDir, 'catalog.json'), 'utf8')) as SourceOp[];
  const openapi = JSON.parse(readFileSync(resolve(sourceDir, 'openai-admin-openapi.json'), 'utf8')) as OpenApi;

  const operations = catalog.map(operationFact);
  const responses: Record<string, Json> = {};
  const used = new Set<string>();
  for (const op of operations) {
    const schema = openapi.paths[op.path]?.[op.method.toLowerCase()]?.responses?.['200']?.content?.['application/json']?.schema;
    if (schema === undefined) throw new Error(`${op.tool}: the OpenAPI document has no 200 JSON schema for ${op.method} ${op.path}`);
    responses[`${op.method} ${op.path}`] = schemaFacts(schema);
    collectRefs(schema, openapi.components.schemas, used);
  }
  const schemas = Object.fromEntries([...used].sort().map((name) => [name, schemaFacts(openapi.components.schemas[name] as Json)]));

  mkdirSync(outDir, { recursive: true });
  const write = (file: string, value: unknown) => writeFileSync(resolve(outDir, file), `${JSON.stringify(value, null, 2)}\n`);
  write('catalog.json', operations);
  write('responses.json', sorted({ responses, components: { schemas } } as Json));
  process.stdout.write(
    `Wrote ${operations.length} operations and ${Object.keys(responses).length} response schemas (${used.size} components) from ${sourceDir} to ${outDir}\n`,
  );
}

main();
