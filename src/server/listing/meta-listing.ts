import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/*
 * The three meta-tools as `tools/list` shows them, written out as plain JSON so a server answering
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

export const META_NAMES: ReadonlySet<string> = new Set(META_LISTINGS.map((t) => t.name));
