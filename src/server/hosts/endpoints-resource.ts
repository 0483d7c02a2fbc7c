import type { Host } from './host.js';

/*
 * The Admin API method and path of every endpoint tool, as one resource instead of a `_meta` entry
 * on each tool in `tools/list`. Hosts do not show `_meta` to the model, yet every client received
 * those 143 paths with every listing, about 2,700 o200k tokens of the 21,000 that PRODUCT.md §9 P2
 * allows. A client that wants them reads this resource once; `describe_tool` and
 * `openai-admin-mcp tools --json` still give a tool's endpoint beside it.
 */

export const ENDPOINTS_URI = 'openai-admin://endpoints';

/** The resource as `resources/list` shows it. */
export const ENDPOINTS_RESOURCE = {
  uri: ENDPOINTS_URI,
  name: 'endpoints',
  title: 'Endpoint of each tool',
  description: 'The Admin API method and path each endpoint tool calls, by tool name (JSON).',
  mimeType: 'application/json',
} as const;

/** The `_meta` key that names a tool's endpoint where it is given (describe_tool, `tools --json`). */
export const ENDPOINT_META_KEY = 'openai-admin/endpoint';

/** `{tool: "METHOD path"}` for every endpoint tool the host can call; empty when it calls none. */
export function endpointsOf(host: Pick<Host, 'entries'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of host.entries()) if (entry.endpoint !== undefined) out[entry.tool.name] = entry.endpoint;
  return out;
}
