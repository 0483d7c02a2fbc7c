import { z, type ZodObject, type ZodRawShape, type ZodTypeAny } from 'zod';
import { endpointTools } from '../../tools/index.js';
import type { CompositeTool } from '../reports/report.js';
import type { Effect, EndpointTool, Toolset } from './endpoint.js';
import { quoteValue } from '../../tools/common.js';
import { IDENTIFYING_FIELDS } from './budget.js';
import { prebuiltSchemas } from './prebuilt.js';
import { narrow, type Selection } from './selection.js';
import { loosen, mergeShapes, shallow, toJsonSchema, type JsonSchema } from './schema.js';

export type { CompositeTool };

export { TOOLSETS, type Selection } from './selection.js';

/** A tool as the server exposes it: definition, derived schemas and policy facts, computed once. */
export interface RegisteredTool {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  effect: Effect;
  idempotent: boolean;
  /** The flat, strict input as exposed (scoping removes `project_id`). */
  input: ZodObject<ZodRawShape>;
  output: ZodTypeAny;
  /** Present for endpoint tools. */
  endpoint?: EndpointTool;
  composite?: CompositeTool;
  /** Fields the server fills in itself (project scoping). */
  fixed: Record<string, unknown>;
  /** For list, usage and cost tools: the field names `fields` may keep, per item or per bucket row. */
  selectable?: Selectable;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  annotations: {
    title: string;
    readOnlyHint: boolean;
    destructiveHint: boolean;
    idempotentHint: boolean;
    openWorldHint: boolean;
  };
  meta: Record<string, unknown> | undefined;
}

/** The names `fields` accepts, from the output schema's item shape (or, for buckets, their rows' shape). */
export interface Selectable {
  names: string[];
  /** The names are of the rows inside each bucket's `results` (usage and costs). */
  rows: boolean;
}

export function selectableFields(output: ZodTypeAny): Selectable | undefined {
  const data = output instanceof z.ZodObject ? (output.shape as ZodRawShape).data : undefined;
  if (!(data instanceof z.ZodArray) || !(data.element instanceof z.ZodObject)) return undefined;
  const item = data.element.shape as ZodRawShape;
  const results = item.results;
  if (results instanceof z.ZodArray && results.element instanceof z.ZodObject) return { names: Object.keys(results.element.shape as ZodRawShape), rows: true };
  return { names: Object.keys(item), rows: false };
}

function fieldsArgument(selectable: Selectable): ZodTypeAny {
  const valid = new Set([...selectable.names, ...IDENTIFYING_FIELDS]);
  return z
    .array(z.string())
    .min(1)
    .max(100)
    .superRefine((names, ctx) => {
      const unknown = names.filter((n) => !valid.has(n));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${unknown.map(quoteValue).join(', ')} ${unknown.length === 1 ? 'is not a field' : 'are not fields'} of the ${selectable.rows ? 'rows' : 'items'}; valid: ${selectable.names.join(', ')}`,
        });
      }
    })
    .optional()
    .describe(selectable.rows ? 'Keep only these fields per row' : 'Keep only these fields per item');
}

const MAX_ITEMS = z.number().int().min(1).max(10_000).optional().describe('Fetch pages until N items');
const DRY_RUN = z.boolean().optional().describe('Show the request, send nothing');
const CONFIRM = z.string().optional().describe('Token from the preview');

/** Builds the exposed form of one endpoint definition. Exported for tests that check derivation. */
export function registerEndpoint(tool: EndpointTool, project?: string): RegisteredTool | null {
  // A read sent as POST passes the read-only client only when declared `safe`; anything else is a definition bug.
  if (tool.effect === 'read' && tool.method !== 'GET' && tool.safe !== true) throw new Error(`${tool.name}: a read sent as ${tool.method} must be declared safe`);
  if (tool.safe === true && (tool.effect !== 'read' || tool.method !== 'POST')) throw new Error(`${tool.name}: only a POST read can be declared safe`);
  const pathShape: ZodRawShape = { ...tool.input.path };
  const queryShape: ZodRawShape = { ...tool.input.query };
  const fixed: Record<string, unknown> = {};
  if (project) {
    if ('project_id' in pathShape) {
      delete pathShape.project_id;
      fixed.project_id = project;
    } else if (tool.effect !== 'read') {
      return null; // organization-wide writes are hidden when scoped to one project
    } else if ('project_ids' in queryShape) {
      delete queryShape.project_ids;
      fixed.project_ids = [project];
    }
  }
  const extras: ZodRawShape = {};
  if (tool.pagination) extras.max_items = MAX_ITEMS;
  const selectable = tool.effect === 'read' ? selectableFields(tool.output) : undefined;
  if (selectable) extras.fields = fieldsArgument(selectable);
  if (tool.effect !== 'read') extras.dry_run = DRY_RUN;
  if (tool.effect === 'destructive') extras.confirm = CONFIRM;
  const input = z.object(mergeShapes(pathShape, queryShape, tool.input.body, extras)).strict();
  return finish({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    toolset: tool.toolset,
    effect: tool.effect,
    idempotent: tool.idempotent,
    input,
    output: tool.output,
    endpoint: tool,
    fixed,
    ...(selectable ? { selectable } : {}),
    meta: { 'openai-admin/endpoint': `${tool.method} ${tool.path}` },
  });
}

/** Scoped to a project, a report's `project` argument is fixed to it and leaves the schema. */
export function registerComposite(tool: CompositeTool, project?: string): RegisteredTool {
  const shape: ZodRawShape = { ...tool.input };
  const fixed: Record<string, unknown> = {};
  if (project && 'project' in shape) {
    delete shape.project;
    fixed.project = project;
  }
  return finish({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    toolset: tool.toolset,
    effect: 'read',
    idempotent: true,
    input: z.object(shape).strict(),
    output: tool.output,
    composite: tool,
    fixed,
    meta: undefined,
  });
}

function finish(tool: Omit<RegisteredTool, 'inputSchema' | 'outputSchema' | 'annotations'>): RegisteredTool {
  // Schemas of unscoped tools were computed at build time; scoping changes them, so those are computed.
  const prebuilt = Object.keys(tool.fixed).length === 0 ? prebuiltSchemas()?.get(tool.name) : undefined;
  return {
    ...tool,
    inputSchema: prebuilt?.inputSchema ?? toJsonSchema(tool.input),
    // Writes may answer with a preview or a dry run instead of the API object, so no field is required.
    outputSchema: prebuilt?.outputSchema ?? nullsOmitted(shallow(toJsonSchema(tool.effect === 'read' ? tool.output : loosen(tool.output))), tool.output),
    annotations: {
      title: tool.title,
      readOnlyHint: tool.effect === 'read',
      destructiveHint: tool.effect === 'destructive',
      idempotentHint: tool.idempotent,
      openWorldHint: true,
    },
  };
}

/** Results leave out null fields, so a field that can be null is never required. */
function nullsOmitted(schema: JsonSchema, output: ZodTypeAny): JsonSchema {
  if (!schema.required || !(output instanceof z.ZodObject)) return schema;
  const shape = output.shape as ZodRawShape;
  const required = schema.required.filter((key) => !shape[key]?.isNullable());
  const { required: _required, ...rest } = schema;
  return required.length > 0 ? { ...rest, required } : rest;
}

/**
 * The tools a server exposes for the given flags. `--toolsets` and `--tools` combine as a union;
 * read-only always wins over both, computed from the same `effect` that sets `readOnlyHint`.
 */
export function selectTools(selection: Selection, composites: readonly CompositeTool[] = []): RegisteredTool[] {
  return narrow(allTools(selection.project, composites), selection, knownNames(composites));
}

/** Every tool name there is, whatever the scope. */
export function knownNames(composites: readonly CompositeTool[] = []): Set<string> {
  return new Set(endpointTools.map((t) => t.name).concat(composites.map((t) => t.name)));
}

/** Every tool, registered for an optional project scope (which hides organization-wide writes). */
export function allTools(project: string | undefined, composites: readonly CompositeTool[] = []): RegisteredTool[] {
  const out: RegisteredTool[] = composites.map((c) => registerComposite(c, project));
  for (const tool of endpointTools) {
    const registered = registerEndpoint(tool, project);
    if (registered) out.push(registered);
  }
  return out;
}
