import { z, type ZodRawShape, type ZodTypeAny } from 'zod';
import { endpointField } from '../../src/server/hosts/tool-host.js';
import type { EndpointTool } from '../../tools/define.js';
import { registerEndpoint } from '../../src/server/listing/registry.js';
import type { SdkField, SdkOperation } from './sdk.js';

/*
 * Comparisons of the pinned SDK with the tools, as pure functions, so their own tests can show that
 * an SDK with a new method or a new field fails, and says which.
 */

/** A tool as the drift tests see it: its name and its endpoint as the endpoints resource publishes it. */
export interface ToolEndpoint {
  name: string;
  endpoint: string | undefined;
}

type Operation = Pick<SdkOperation, 'label' | 'endpoint'>;

/** A tool's endpoint as the server publishes it (the endpoints resource, describe_tool). */
export function publishedEndpoint(tool: EndpointTool): string | undefined {
  const registered = registerEndpoint(tool);
  return registered ? endpointField(registered).endpoint : undefined;
}

/** `POST /organization/projects/{project_id}` → `POST /organization/projects/{}`: the route without parameter names. */
export const routeShape = (endpoint: string) => endpoint.replace(/\{[^}]*\}/g, '{}');

/** `GET /organization/external_keys (externalKeys.list)`: how every message names an SDK operation. */
export const describeOperation = (op: Operation) => `${op.endpoint} (${op.label})`;

/** What is wrong with the tools for one SDK operation, or null when exactly one tool has its endpoint. */
export function toolProblem(op: Operation, tools: readonly ToolEndpoint[]): string | null {
  const matches = tools.filter((t) => t.endpoint === op.endpoint);
  if (matches.length === 1) return null;
  if (matches.length > 1) return `${describeOperation(op)} has ${matches.length} tools: ${matches.map((t) => t.name).join(', ')}`;
  const renamed = tools.filter((t) => t.endpoint !== undefined && routeShape(t.endpoint) === routeShape(op.endpoint));
  const hint = renamed.map((t) => `; ${t.name} has the same route as ${t.endpoint}: name its path parameters as the SDK does`).join('');
  return `${describeOperation(op)} has no tool${hint}`;
}

/** Tools whose endpoint no SDK operation has (or that have none). */
export function toolsWithoutOperation(operations: readonly Operation[], tools: readonly ToolEndpoint[], sdk: string): string[] {
  const known = new Set(operations.map((op) => op.endpoint));
  return tools
    .filter((t) => t.endpoint === undefined || !known.has(t.endpoint))
    .map((t) => (t.endpoint === undefined ? `${t.name} has no endpoint` : `${t.name} (${t.endpoint}) has an endpoint the SDK ${sdk} lacks`));
}

/** Every problem of the tools against the SDK's operations, in one list. */
export function endpointDrift(operations: readonly Operation[], tools: readonly ToolEndpoint[], sdk: string): string[] {
  return [...operations.map((op) => toolProblem(op, tools)).filter((p): p is string => p !== null), ...toolsWithoutOperation(operations, tools, sdk)];
}

// ---------------------------------------------------------------------------------------------
// Fields

export type Where = 'query' | 'body';
export type FieldProblemKind = 'missing' | 'extra' | 'required' | 'values';

export interface FieldProblem {
  /** `tool.where.field:kind`, the key an allow-list entry names. */
  key: string;
  message: string;
}

/** A field the SDK and a tool may disagree on, with why that is right. */
export interface AllowedFieldDifference {
  tool: string;
  where: Where;
  field: string;
  kind: FieldProblemKind;
  reason: string;
}

export const allowKey = (a: Pick<AllowedFieldDifference, 'tool' | 'where' | 'field' | 'kind'>) => `${a.tool}.${a.where}.${a.field}:${a.kind}`;

/**
 * How a tool's query and body fields differ from what the SDK method sends: a field on one side only,
 * a different required flag, an enum value the SDK allows and the tool refuses, or a value the tool
 * lists and the SDK does not allow.
 */
export function fieldDrift(op: Pick<SdkOperation, 'query' | 'body'>, tool: { name: string; input: { query?: ZodRawShape; body?: ZodRawShape } }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (where: Where, field: string, kind: FieldProblemKind, message: string) =>
    problems.push({ key: allowKey({ tool: tool.name, where, field, kind }), message: `${where} field '${field}': ${message}` });
  for (const where of ['query', 'body'] as const) {
    const sdkFields = new Map<string, SdkField>(op[where].map((f) => [f.name, f]));
    const shape = tool.input[where] ?? {};
    for (const [name, sdk] of sdkFields) {
      const field = shape[name] as ZodTypeAny | undefined;
      if (!field) {
        add(where, name, 'missing', `the SDK sends it (${sdk.optional ? 'optional' : 'required'} ${sdk.type}), the tool's input lacks it`);
        continue;
      }
      if (field.isOptional() !== sdk.optional) {
        add(where, name, 'required', `${sdk.optional ? 'optional' : 'required'} in the SDK, ${field.isOptional() ? 'optional' : 'required'} in the tool`);
      }
      if (sdk.values) {
        const refused = sdk.values.filter((v) => !field.safeParse(sdk.array ? [v] : v).success);
        const listed = listedValues(field);
        const unknown = listed ? listed.filter((v) => !(sdk.values as string[]).includes(v)) : [];
        if (refused.length > 0) add(where, name, 'values', `the tool refuses ${refused.map((v) => `'${v}'`).join(', ')}, which the SDK allows`);
        if (unknown.length > 0) add(where, name, 'values', `the tool lists ${unknown.map((v) => `'${v}'`).join(', ')}, which the SDK does not allow`);
      }
    }
    for (const name of Object.keys(shape)) {
      if (!sdkFields.has(name)) add(where, name, 'extra', `in the tool's input, not in the SDK's Params type`);
    }
  }
  return problems;
}

/** The values of a zod enum, under optional, nullable, default, effects and array wrappers. */
export function listedValues(field: ZodTypeAny): string[] | undefined {
  let inner: ZodTypeAny = field;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap();
    else if (inner instanceof z.ZodDefault) inner = inner.removeDefault();
    else if (inner instanceof z.ZodEffects) inner = inner.innerType();
    else if (inner instanceof z.ZodArray) inner = inner.element;
    else break;
  }
  return inner instanceof z.ZodEnum ? [...(inner.options as string[])] : undefined;
}
