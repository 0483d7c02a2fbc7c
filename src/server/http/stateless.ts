import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJSONRPCNotification, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../log.js';
import { AttributedHost } from '../hosts/host.js';
import { createMcpServer } from '../hosts/mcp-server.js';
import type { Admitted } from './authentication.js';
import type { Dispatch } from './dispatch.js';
import type { InFlightCalls } from './in-flight.js';
import { json, messagesIn, NOT_JSON, readJson, rpcError } from './wire.js';

/*
 * `--stateless`: every POST is answered on its own by a fresh MCP server, so any replica can answer
 * any request. A cancellation arrives in a POST of its own and reaches the call through the
 * in-flight table.
 */

export async function answerStateless(req: IncomingMessage, res: ServerResponse, dispatch: Dispatch, inFlight: InFlightCalls, who: Admitted): Promise<void> {
  if (req.method !== 'POST') return json(res, 405, rpcError(-32000, 'Method not allowed: a stateless server answers POST only.'));
  const served = dispatch.hostFor(req, who.grant);
  if ('error' in served) return json(res, 400, rpcError(-32602, served.error));
  const body = await readJson(req);
  if (body === NOT_JSON) return json(res, 400, rpcError(-32700, 'Parse error: the request body is not JSON.'));
  const credential = dispatch.auth.credentialOf(req, who);
  const messages = messagesIn(body);
  for (const message of messages) cancelInFlight(inFlight, credential, message, dispatch.logger);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  const mcp = createMcpServer(new AttributedHost(served.host, dispatch.auth.identityOf(who.caller)), dispatch.clientFor);
  const stop = () => {
    void transport.close();
    void mcp.close();
  };
  // Closing this POST's transport aborts the call's signal and ends its stream without an
  // answer, as a receiver of a cancellation should. One call per POST: batches (gone from the
  // protocol since 2025-06-18) are not tracked, since stopping one would stop them all.
  const requests = messages.filter(isJSONRPCRequest);
  const call = requests.length === 1 && requests[0]?.method === 'tools/call' ? requests[0] : undefined;
  const forget = call ? inFlight.track(credential, call.id, stop) : undefined;
  res.on('close', () => {
    forget?.();
    stop();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** Stops the call a `notifications/cancelled` names, when this replica is running it. */
function cancelInFlight(inFlight: InFlightCalls, credential: string, message: unknown, logger: Logger): void {
  if (!isJSONRPCNotification(message) || message.method !== 'notifications/cancelled') return;
  const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
  if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
  const outcome = inFlight.cancel(credential, requestId);
  if (outcome === 'ambiguous') logger.warn('cancellation not applied: two calls in flight share this credential and request id', { request_id: String(requestId) });
  else logger.debug('cancellation', { request_id: String(requestId), outcome });
}
