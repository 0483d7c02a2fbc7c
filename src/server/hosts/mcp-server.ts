import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema, type ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AdminClient } from '../../client/index.js';
import { VERSION } from '../../version.js';
import { VIEW_RESOURCE, VIEW_URI, viewHtml } from '../../views/resource.js';
import { ENDPOINTS_RESOURCE, ENDPOINTS_URI, endpointsOf } from './endpoints-resource.js';
import type { CallSession, Host } from './host.js';

/** An MCP server (low-level SDK `Server`) serving a Host. One per connection or session. */
export function createMcpServer(host: Host, clientFor?: (headers: Record<string, string | string[] | undefined>) => AdminClient | undefined): Server {
  const server = new Server({ name: 'openai-admin-mcp', version: VERSION }, { capabilities: { tools: {}, resources: {} }, instructions: host.instructions });
  const tools = host.listTools();
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    // Every tool comes in one page and no cursor is ever issued, so any cursor is one we did not
    // issue: the spec's answer is "invalid params", not the first page again.
    const cursor = request.params?.cursor;
    if (cursor !== undefined) {
      throw protocolError(ErrorCode.InvalidParams, `Invalid cursor ${JSON.stringify(cursor).slice(0, 80)}: this server lists every tool in one page and issues no cursors; call tools/list without one.`);
    }
    // Only now, not at start-up: a load begun earlier would run on this thread while the client
    // still waits for the initialize and tools/list answers.
    host.onListed?.();
    return { tools };
  });
  // The report view (MCP Apps), listed when a tool that uses it is exposed; the endpoints of the
  // endpoint tools this host can call, when it can call any.
  const withView = host.entries().some((e) => (e.tool._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri === VIEW_URI);
  const endpoints = endpointsOf(host);
  const withEndpoints = Object.keys(endpoints).length > 0;
  const resources = [...(withView ? [VIEW_RESOURCE] : []), ...(withEndpoints ? [ENDPOINTS_RESOURCE] : [])];
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    if (withView && uri === VIEW_URI) return { contents: [{ uri: VIEW_URI, mimeType: VIEW_RESOURCE.mimeType, text: viewHtml() }] };
    if (withEndpoints && uri === ENDPOINTS_URI) return { contents: [{ uri, mimeType: ENDPOINTS_RESOURCE.mimeType, text: JSON.stringify(endpoints) }] };
    const served = resources.map((r) => r.uri).join(' and ');
    throw protocolError(ErrorCode.InvalidParams, `Unknown resource '${uri}'. ${served ? `This server serves ${served}.` : 'This server exposes no resources with its current tool selection.'}`);
  });
  // The SDK's Server checks tools/call with its own zod schemas, whose record check takes an object
  // with a `constructor` key for a class instance: such arguments, valid JSON, became an internal
  // error (-32603) before any tool saw them. Arguments are the tool's to validate (the argument door
  // and the tool's schema name the field, and refused writes are audited), so the handler is
  // installed at the protocol level with a schema that checks only the method.
  Protocol.prototype.setRequestHandler.call(server, CallToolEnvelope, async (request, extra) => {
    const params = (request as { params?: unknown }).params;
    if (params === null || typeof params !== 'object' || typeof (params as { name?: unknown }).name !== 'string') {
      throw protocolError(ErrorCode.InvalidParams, 'tools/call needs params.name, the name of the tool (a string), and params.arguments, an object.');
    }
    const { name, arguments: args } = params as { name: string; arguments?: unknown };
    return host.call(name, args, {
      signal: extra.signal,
      elicit: elicitor(server, extra.signal),
      ...urlElicitor(server, extra.signal),
      client: clientFor?.(extra.requestInfo?.headers ?? {}),
      progress: progressSender((params as { _meta?: { progressToken?: string | number } })._meta?.progressToken, extra.sendNotification),
    });
  });
  return server;
}

/**
 * A JSON-RPC error for the SDK to send. Not the SDK's McpError: its message already starts with
 * "MCP error -32602:", which went on the wire, and clients add the same prefix on receipt, so
 * people saw it twice. The SDK sends an error's `code` and `message` as they are.
 */
function protocolError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}

/** tools/call with anything for params: the handler checks the envelope and the host the arguments. */
const CallToolEnvelope = z.object({ method: z.literal('tools/call') }).passthrough();

/** `notifications/progress` for this request, when its caller sent a progress token. */
function progressSender(token: string | number | undefined, send: (notification: ServerNotification) => Promise<void>): CallSession['progress'] {
  if (token === undefined) return undefined;
  return (progress, total) => {
    // Progress is a courtesy: a closed connection must not fail the report.
    send({ method: 'notifications/progress', params: { progressToken: token, progress, total } }).catch(() => undefined);
  };
}

/** URL-mode elicitation (MCP 2025-11-25), when the client declared it: the approval page is sent this way. */
function urlElicitor(server: Server, signal: AbortSignal): Pick<CallSession, 'elicitUrl' | 'elicitationComplete'> {
  const capability = server.getClientCapabilities()?.elicitation as { url?: unknown } | undefined;
  if (capability?.url === undefined) return {};
  return {
    elicitUrl: async (message, url, elicitationId) => (await server.elicitInput({ mode: 'url', message, url, elicitationId }, { signal })).action,
    // A courtesy: a client that went away must not fail the call.
    elicitationComplete: (id) => void server.createElicitationCompletionNotifier(id)().catch(() => undefined),
  };
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
