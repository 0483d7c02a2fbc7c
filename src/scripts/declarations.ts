import type { RegisteredTool } from '../server/listing/registry.js';
import type { JsonSchema } from '../server/listing/schema.js';

/*
 * The `api` object as TypeScript, for describe_tool run_script: one method per tool the caller may
 * call, its argument type written from the tool's input schema, which is derived from the same zod
 * schema that validates the call. Writes say that they return a pending step, not the API's answer.
 */

export function declarations(tools: readonly RegisteredTool[]): string {
  const lines = tools.map((t) => {
    const args = typeOf(t.inputSchema as JsonSchema, t.inputSchema as JsonSchema);
    const optional = ((t.inputSchema as { required?: string[] }).required ?? []).length === 0;
    const result = t.effect === 'read' ? 'Promise<Result>' : 'Promise<PendingStep>';
    return `  /** ${t.description.replace(/\*\//g, '* /')}${t.effect === 'read' ? '' : ` (${t.effect}: added to the plan)`} */\n  ${t.name}(args${optional ? '?' : ''}: ${args}): ${result};`;
  });
  return [
    '/** Plain data: the structuredContent a direct call returns. Errors throw with the direct call\'s message. */',
    'type Result = Record<string, any>;',
    '/** A write is not run: it becomes plan step `step`, previewed with one confirmation token when the script ends. */',
    "type PendingStep = { pending: true; step: number; tool: string; note: string };",
    'declare const api: {',
    ...lines,
    '};',
    'declare const console: { log(...values: unknown[]): void };',
  ].join('\n');
}

function typeOf(schema: JsonSchema | boolean | undefined, root: JsonSchema): string {
  if (schema === undefined || schema === true) return 'unknown';
  if (schema === false) return 'never';
  const node = schema as Record<string, unknown>;
  if (typeof node.$ref === 'string') {
    const target = resolve(node.$ref, root);
    return target ? typeOf(target, root) : 'unknown';
  }
  if (Array.isArray(node.enum)) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in node) return JSON.stringify(node.const);
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) return (node[key] as JsonSchema[]).map((s) => typeOf(s, root)).join(' | ');
  }
  switch (node.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf(node.items as JsonSchema | undefined, root);
      return /[ |]/.test(item) ? `Array<${item}>` : `${item}[]`;
    }
    case 'object': {
      const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((node.required ?? []) as string[]);
      const fields = Object.entries(properties).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}${required.has(k) ? '' : '?'}: ${typeOf(v, root)}`);
      if (fields.length === 0) return 'Record<string, unknown>';
      return `{ ${fields.join('; ')} }`;
    }
    default:
      return 'unknown';
  }
}

function resolve(ref: string, root: JsonSchema): JsonSchema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node as JsonSchema | undefined;
}
