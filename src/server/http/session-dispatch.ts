import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { AttributedHost } from '../hosts/host.js';
import { createMcpServer } from '../hosts/mcp-server.js';
import type { Admitted } from './authentication.js';
import type { Dispatch } from './dispatch.js';
import type { SessionTable } from './sessions.js';
import { json, messagesIn, NOT_JSON, readJson, rpcError } from './wire.js';

/*
 * The default: an initialize opens a session (within the limits of the session table), and every
 * later request names it in `mcp-session-id`.
 */

export async function answerInSession(req: IncomingMessage, res: ServerResponse, dispatch: Dispatch, sessions: SessionTable<StreamableHTTPServerTransport>, who: Admitted): Promise<void> {
  sessions.sweep();
  const sessionId = req.headers['mcp-session-id'];
  const id = typeof sessionId === 'string' ? sessionId : undefined;
  const existing = id === undefined ? undefined : sessions.transport(id);
  // Over OAuth a session belongs to the person (and rights) that opened it: another person's
  // token, even a valid one, cannot use it, read its stream or close it.
  if (existing && id !== undefined && who.caller && sessions.credential(id) !== dispatch.auth.credentialOf(req, who)) {
    return json(res, 403, rpcError(-32001, 'Forbidden: this session was opened by another person, or with other rights; initialize a session of your own.'));
  }
  if (req.method === 'POST') {
    const body = await readJson(req);
    if (body === NOT_JSON) return json(res, 400, rpcError(-32700, 'Parse error: the request body is not JSON.'));
    if (existing && id !== undefined) {
      const requests = messagesIn(body).filter(isJSONRPCRequest);
      sessions.touch(id, requests.some((r) => r.method !== 'initialize'));
      if (requests.length > 0) res.on('close', sessions.begin(id));
      return existing.handleRequest(req, res, body);
    }
    if (sessionId !== undefined) return json(res, 404, rpcError(-32001, 'Session not found: initialize a new session.'));
    if (!isInitializeRequest(body)) return json(res, 400, rpcError(-32000, 'Bad request: start with an initialize request (no mcp-session-id yet).'));
    const served = dispatch.hostFor(req, who.grant);
    if ('error' in served) return json(res, 400, rpcError(-32602, served.error));
    const credential = dispatch.auth.credentialOf(req, who);
    const admission = sessions.admit(credential);
    if (!admission.ok) {
      res.setHeader('retry-after', '5');
      return json(res, 503, rpcError(-32000, admission.reason));
    }
    // The session takes its place in the table now, not when initialization completes, so that
    // a burst of concurrent initialize requests cannot all pass the limits at once.
    const newId = randomUUID();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => newId });
    sessions.add(newId, transport, credential);
    transport.onclose = () => sessions.remove(newId);
    try {
      await createMcpServer(new AttributedHost(served.host, dispatch.auth.identityOf(who.caller), newId), dispatch.clientFor).connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      if (transport.sessionId !== newId) sessions.remove(newId);
    }
    return;
  }
  if (req.method === 'GET' || req.method === 'DELETE') {
    if (!existing || id === undefined) return json(res, sessionId === undefined ? 400 : 404, rpcError(-32000, 'A valid mcp-session-id header is required.'));
    sessions.touch(id, false);
    return existing.handleRequest(req, res);
  }
  return json(res, 405, rpcError(-32000, 'Method not allowed.'));
}
