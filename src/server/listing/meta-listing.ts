import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/*
 * The meta-tools as `tools/list` shows them, written out as plain JSON so a server answering
 * from the prebuilt listing (QuickHost) can list them without loading zod. mcp.ts validates their
 * arguments with zod; a test checks that these schemas are what that zod derives.
 */
export const META_LISTINGS: readonly Tool[] = [
  {
    name: 'search_tools',
    title: 'Search tools',
    description: 'Find Admin API tools by keywords, listed or not; returns names with one-line summaries.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Keywords, e.g. "archive project"' },
        limit: { type: 'integer', minimum: 1, maximum: 50, description: 'Default 10' },
      },
      required: ['query'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'describe_tool',
    title: 'Describe tool',
    description: "A tool's input schema and annotations.",
    inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'call_tool',
    title: 'Call tool',
    description: 'Run any Admin API tool by name with its arguments, under the same validation and safety policy.',
    inputSchema: { type: 'object', properties: { name: { type: 'string' }, arguments: { type: 'object' } }, required: ['name'] },
  },
];

/**
 * run_script (src/scripts, PRODUCT.md §13), listed beside the meta-tools unless `--scripts off`.
 * Its limits are named here once: the server enforces them with errors that say which was hit.
 */
export const RUN_SCRIPT_LISTING: Tool = {
  name: 'run_script',
  title: 'Run script',
  description:
    'Answer a question that takes many calls in one: JavaScript (an async function body) run in a QuickJS isolate with no network, files or host objects. `await api.<tool>(args)` calls any tool you may call, under the same policy; results are plain data; return the answer. Writes never run inside: each becomes a step of one plan, returned with a preview and a confirmation token; call again with steps and confirm as given. describe_tool run_script gives the api as TypeScript. Limits: 64 MB, 10 s (up to 60), 200 calls.',
  inputSchema: {
    type: 'object',
    properties: {
      code: { type: 'string', description: 'e.g. const p = await api.projects_list({}); return p.data.length;' },
      timeout_s: { type: 'integer', minimum: 1, maximum: 60 },
      max_calls: { type: 'integer', minimum: 1, maximum: 200 },
      memory_mb: { type: 'integer', minimum: 8, maximum: 64 },
      steps: { type: 'array', items: { type: 'object', properties: { tool: { type: 'string' }, args: { type: 'object' } }, required: ['tool', 'args'] } },
      confirm: { type: 'string' },
    },
  },
  annotations: { openWorldHint: false },
};

/** The meta-tools a listing shows: run_script among them unless scripts are off. */
export function metaListings(scripts: boolean): readonly Tool[] {
  return scripts ? [...META_LISTINGS, RUN_SCRIPT_LISTING] : META_LISTINGS;
}

export const META_NAMES: ReadonlySet<string> = new Set([...META_LISTINGS, RUN_SCRIPT_LISTING].map((t) => t.name));
