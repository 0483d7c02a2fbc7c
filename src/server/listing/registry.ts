import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z, type ZodObject, type ZodRawShape, type ZodTypeAny } from 'zod';
import { endpointTools } from '../../../tools/index.js';
import type { CompositeTool } from '../../reports/report.js';
import type { WorkflowTool } from '../gate/workflow.js';
import { compactAnnotations, hintsFor, type Hints } from './annotations.js';
import type { EndpointTool } from '../../../tools/define.js';
import { quoteValue } from '../../../tools/common.js';
import { IDENTIFYING_FIELDS } from '../results/budget.js';
import { prebuiltSchemas } from './prebuilt.js';
import { narrow, type Selection } from './selection.js';
import { compactInput, mergeShapes, shareRepeats, toJsonSchema, type JsonSchema } from './schema.js';
import { viewMeta } from '../../views/resource.js';

export type { CompositeTool, WorkflowTool };

export { TOOLSETS, type Selection } from './selection.js';

/** A tool as the server exposes it: definition, derived schemas and policy facts, computed once. */
export interface RegisteredTool extends Pick<EndpointTool, 'name' | 'title' | 'description' | 'toolset' | 'effect' | 'idempotent'> {
  /** The flat, strict input as exposed (scoping removes `project_id`). */
  input: ZodObject<ZodRawShape>;
  output: ZodTypeAny;
  /** Present for endpoint tools. */
  endpoint?: EndpointTool;
  composite?: CompositeTool;
  /** Present for workflow tools (plans). */
  workflow?: WorkflowTool;
  /** Fields the server fills in itself (project scoping). */
  fixed: Record<string, unknown>;
  /** For list, usage and cost tools: the field names `fields` may keep, per item or per bucket row. */
  selectable?: Selectable;
  inputSchema: JsonSchema;
  /**
   * Reports only. Endpoint tools list none: their results are the API's own objects, which a
   * schema of field names alone constrained nothing about (every property accepted any value)
   * while costing every conversation tokens. Their results still carry structuredContent.
   */
  outputSchema: JsonSchema | undefined;
  /** Every hint with its value, from the effect: what code reads. */
  hints: Hints;
  /** The hints as listed: only those that differ from the MCP defaults (see annotations.ts). */
  annotations: ToolAnnotations | undefined;
  meta: Record<string, unknown> | undefined;
}

/*
 * The fields the server adds. Their meaning, and max_items's range (1 to 10,000), are explained once
 * in the server instructions rather than in every schema that has them: dry_run alone is on 61
 * tools, max_items on 33. The range is still enforced, with a message naming the field.
 */
export const MAX_ITEMS_CAP = 10_000;
const MAX_ITEMS = z
  .number()
  .int()
  .refine((n) => n >= 1 && n <= MAX_ITEMS_CAP, { message: `must be from 1 to ${MAX_ITEMS_CAP}` })
  .optional();
const DRY_RUN = z.boolean().optional();
const CONFIRM = z.string().optional();
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

/**
 * The names `fields` takes, as a refusal or a note lists them: the audit log's hundred event types
 * (keys like `project.created`, under which an event's details sit) are summed up, not listed.
 */
export function selectableNames(names: readonly string[]): string {
  const plain = names.filter((n) => !n.includes('.'));
  const dotted = names.filter((n) => n.includes('.'));
  return dotted.length === 0 ? plain.join(', ') : `${plain.join(', ')}, or any of ${dotted.length} event types (e.g. ${dotted.slice(0, 2).join(', ')})`;
}

function fieldsArgument(selectable: Selectable): ZodTypeAny {
  const valid = new Set([...selectable.names, ...IDENTIFYING_FIELDS]);
  return z
    .array(z.string())
    .superRefine((names, ctx) => {
      // Bounds are checked here rather than listed: every listed token is paid by every conversation.
      if (names.length < 1 || names.length > 100) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give 1 to 100 field names' });
      const unknown = names.filter((n) => !valid.has(n));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${unknown.map(quoteValue).join(', ')} ${unknown.length === 1 ? 'is not a field' : 'are not fields'} of the ${selectable.rows ? 'rows' : 'items'}; valid: ${selectableNames(selectable.names)}`,
        });
      }
    })
    .optional();
}


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
  for (const [name, filter] of Object.entries(tool.filters ?? {})) extras[name] = z.string().min(1).optional().describe(filter.description);
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
    // The endpoint is served as a resource rather than in every listing (endpoints-resource.ts).
    meta: undefined,
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
    // MCP Apps hosts render the four reports with the report view; other clients ignore `_meta`.
    meta: viewMeta(tool.name),
  });
}

/**
 * A workflow tool: destructive, since its plan may delete, so read-only hides it and a grant
 * without destructive rights never sees it. Every step is checked again when the plan is built.
 */
export function registerWorkflow(tool: WorkflowTool): RegisteredTool {
  return finish({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    toolset: 'workflows',
    effect: 'destructive',
    idempotent: false,
    input: z.object({ ...tool.input, confirm: CONFIRM }).strict(),
    output: z.object({}).passthrough(),
    workflow: tool,
    fixed: {},
    meta: undefined,
  });
}

function finish(tool: Omit<RegisteredTool, 'inputSchema' | 'outputSchema' | 'hints' | 'annotations'>): RegisteredTool {
  // Schemas of unscoped tools were computed at build time; scoping changes them, so those are computed.
  const prebuilt = Object.keys(tool.fixed).length === 0 ? prebuiltSchemas()?.get(tool.name) : undefined;
  const hints = hintsFor(tool.effect, tool.idempotent);
  return {
    ...tool,
    inputSchema: prebuilt?.inputSchema ?? compactInput(toJsonSchema(tool.input), tool.name),
    outputSchema: tool.composite ? (prebuilt?.outputSchema ?? shareRepeats(toJsonSchema(tool.output))) : undefined,
    hints,
    annotations: compactAnnotations(hints),
  };
}

/**
 * The tools a server exposes for the given flags. `--toolsets` and `--tools` combine as a union;
 * read-only always wins over both, computed from the same `effect` that sets `readOnlyHint`.
 */
export function selectTools(selection: Selection, composites: readonly CompositeTool[] = [], workflows: readonly WorkflowTool[] = []): RegisteredTool[] {
  return narrow(allTools(selection.project, composites, workflows), selection, knownNames(composites, workflows));
}

/** Every tool name there is, whatever the scope. */
export function knownNames(composites: readonly CompositeTool[] = [], workflows: readonly WorkflowTool[] = []): Set<string> {
  return new Set([...endpointTools, ...composites, ...workflows].map((t) => t.name));
}

/** Every tool, registered for an optional project scope (which hides organization-wide writes). */
export function allTools(project: string | undefined, composites: readonly CompositeTool[] = [], workflows: readonly WorkflowTool[] = []): RegisteredTool[] {
  // Workflows stay under --project: each step is checked against the scope when the plan is built.
  const out: RegisteredTool[] = [...composites.map((c) => registerComposite(c, project)), ...workflows.map(registerWorkflow)];
  for (const tool of endpointTools) {
    const registered = registerEndpoint(tool, project);
    if (registered) out.push(registered);
  }
  return out;
}
