import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListResourcesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../client/index.js';
import { VERSION } from '../version.js';
import { VIEW_RESOURCE, VIEW_URI, viewHtml } from '../views/resource.js';
import type { CallSession, Host } from './host.js';

/** An MCP server (low-level SDK `Server`) serving a Host. One per connection or session. */
export function createMcpServer(host: Host, clientFor?: (headers: Record<string, string | string[] | undefined>) => AdminClient | undefined): Server {
  const server = new Server({ name: 'openai-admin-mcp', version: VERSION }, { capabilities: { tools: {}, resources: {} }, instructions: host.instructions });
  const tools = host.listTools();
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  // The report view (MCP Apps), listed when a tool that uses it is exposed.
  const withView = host.entries().some((e) => (e.tool._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri === VIEW_URI);
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: withView ? [VIEW_RESOURCE] : [] }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    if (!withView || request.params.uri !== VIEW_URI) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown resource '${request.params.uri}'. ${withView ? `This server serves ${VIEW_URI}.` : 'This server exposes no resources with its current tool selection.'}`);
    }
    return { contents: [{ uri: VIEW_URI, mimeType: VIEW_RESOURCE.mimeType, text: viewHtml() }] };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) =>
    host.call(request.params.name, request.params.arguments, {
      signal: extra.signal,
      elicit: elicitor(server, extra.signal),
      client: clientFor?.(extra.requestInfo?.headers ?? {}),
    }),
  );
  return server;
}

/** A confirmation dialog through `elicitation/create`, when the client declared form elicitation. */
function elicitor(server: Server, signal: AbortSignal): CallSession['elicit'] {
  const capability = server.getClientCapabilities()?.elicitation as { form?: unknown; url?: unknown } | undefined;
  if (!capability || (capability.form === undefined && capability.url !== undefined)) return undefined;
  return async (message) => {
    const answer = await server.elicitInput(
      {
        message,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Approve', description: 'Carry out this change' } },
          required: ['confirm'],
        },
      },
      { signal },
    );
    if (answer.action !== 'accept') return answer.action;
    return answer.content?.confirm === false ? 'decline' : 'accept';
  };
}
