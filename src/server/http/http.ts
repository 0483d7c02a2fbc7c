import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, isJSONRPCNotification, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../../client/index.js';
import { firstHeader } from '../../headers.js';
import { BodyTooLarge, readBody } from '../../http-body.js';
import type { AuditCaller } from '../gate/audit.js';
import type { Logger } from '../../log.js';
import { VERSION } from '../../version.js';
import { AttributedHost, type Host } from '../hosts/host.js';
import { DEFAULT_SESSION_LIMITS, SessionTable, type SessionLimits } from './sessions.js';
import { InFlightCalls } from './in-flight.js';
import { createMcpServer } from '../hosts/mcp-server.js';
import { MeteredHost, type Metrics } from './metrics.js';
import type { Caller, ResourceServer } from '../access/oauth.js';
import { NarrowedHost, requestedSelection } from '../hosts/narrowed-host.js';
import { PersonHost } from '../hosts/person-host.js';
import { grantKey } from '../access/grant.js';
import { grantFor, type Grant, type Policy } from '../access/policy.js';

/*
 * Streamable HTTP (README, "Serving over HTTP"): `/mcp` for MCP and `GET /healthz`. Bearer-token auth unless the
 * operator chose `--no-auth` on loopback; Origin checked against DNS rebinding; sessions by default,
 * or a stateless mode in which any replica can answer any request.
 */

export interface HttpOptions {
  host: string;
  port: number;
  /** Required unless `noAuth`. */
  token?: string;
  noAuth: boolean;
  stateless: boolean;
  /** Take the admin key from this request header; it is used for that request only, never stored. */
  keyFromHeader?: string;
  /** Builds a client for a key taken from a header. */
  clientForKey?: (key: string) => AdminClient;
  logger: Logger;
  /** Close a session after this long without a request (`--session-idle-timeout`). Default 30 minutes. */
  sessionIdleMs?: number;
  /** The other session limits; tests lower them. */
  sessionLimits?: Partial<Omit<SessionLimits, 'idleMs'>>;
  /** Clock for session expiry (ms). Tests inject one instead of waiting. */
  now?: () => number;
  /** OAuth resource server (`--oauth-issuer`, `--oauth-audience`): JWT access tokens instead of the static token. */
  oauth?: ResourceServer;
  /** The operator's policy (`--policy`): which people get which rights, toolsets and projects. With `oauth` only. */
  policy?: Policy;
  /** Served at `GET /metrics`, behind the same bearer token as /mcp; absent, /metrics is a 404. */
  metrics?: Metrics;
}

export interface RunningHttp {
  url: string;
  server: HttpServer;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_BODY = 4 << 20;

export function isLoopback(host: string): boolean {
  // 127.0.0.0/8 as an address literal only: a DNS name such as 127.attacker.example can point anywhere.
  return LOOPBACK.has(host.replace(/^\[|\]$/g, '')) || /^127(\.\d{1,3}){3}$/.test(host);
}

export class HttpConfigError extends Error {
  override readonly name = 'HttpConfigError';
}

export async function startHttpServer(host: Host, options: HttpOptions): Promise<RunningHttp> {
  if (!options.noAuth && !options.token && !options.oauth) {
    throw new HttpConfigError('--http needs OPENAI_ADMIN_MCP_HTTP_TOKEN (clients send it as "Authorization: Bearer <token>"), or --no-auth on a loopback address.');
  }
  if (options.noAuth && !isLoopback(options.host)) {
    throw new HttpConfigError(`--no-auth is allowed only on loopback; ${options.host} is reachable from other machines. Set OPENAI_ADMIN_MCP_HTTP_TOKEN instead.`);
  }
  const limits = sessionLimits(options);
  const sessions = new SessionTable<StreamableHTTPServerTransport>(limits, options.now);
  // Expiry also runs on every request; the timer closes sessions on a server nobody is calling.
  const sweeper = setInterval(() => sessions.sweep(), Math.max(1000, Math.min(limits.unusedMs, 60_000)));
  sweeper.unref();
  const inFlight = new InFlightCalls();
  const resourceMetadataPath = options.oauth ? `/.well-known/oauth-protected-resource${new URL(options.oauth.options.audience).pathname.replace(/\/$/, '')}` : undefined;
  const resourceMetadataUrl = options.oauth ? new URL(resourceMetadataPath ?? '', options.oauth.options.audience).toString() : undefined;
  /** RFC 6750 with RFC 9728's resource_metadata, so an MCP client can find the authorization server. */
  const oauthChallenge = (error: string, description: string) =>
    `Bearer resource_metadata="${resourceMetadataUrl}", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"${error === 'insufficient_scope' ? ', scope="admin:read"' : ''}`;
  options.metrics?.countSessionsWith(() => sessions.size);
  /** Keys the credential hashes, so the session and call tables never hold a token or an admin key. */
  const credentialKey = randomBytes(32);
  const headerName = options.keyFromHeader?.toLowerCase();
  const clientFor = headerName && options.clientForKey
    ? (headers: Record<string, string | string[] | undefined>) => {
        const key = firstHeader(headers[headerName]);
        return key ? options.clientForKey?.(key.replace(/^Bearer\s+/i, '')) : undefined;
      }
    : undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!(error instanceof BodyTooLarge)) options.logger.error('HTTP request failed', { error: (error as Error).message });
      if (res.headersSent) res.end();
      else if (error instanceof BodyTooLarge) json(res, 413, rpcError(-32600, `Request body larger than ${MAX_BODY >> 20} MiB.`));
      else json(res, 500, rpcError(-32603, 'Internal error'));
    });
  });
  // Behind a load balancer that keeps upstream connections alive (nginx, an ALB: 60 s idle), the
  // server must not be the one to close an idle connection first: a POST the balancer sends on a
  // connection closing under it is answered 502 and, not being idempotent, never resent.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A browser page whose own hostname was rebound to 127.0.0.1 sends that name as Host and Origin
    // alike, so on loopback the Host itself must be a loopback name.
    if (isLoopback(options.host) && !hostIsLoopback(req)) {
      return json(res, 403, rpcError(-32000, 'Forbidden: the Host header is not a loopback name (DNS rebinding protection).'));
    }
    if (!originAllowed(req)) return json(res, 403, rpcError(-32000, 'Forbidden: the Origin header does not match this server (DNS rebinding protection).'));
    if (url.pathname === '/healthz' && req.method === 'GET') return json(res, 200, { status: 'ok', version: VERSION });
    if (options.oauth && req.method === 'GET' && (url.pathname === '/.well-known/oauth-protected-resource' || url.pathname === resourceMetadataPath)) {
      return json(res, 200, options.oauth.metadata());
    }
    const metricsPath = url.pathname === '/metrics' && options.metrics !== undefined;
    if (url.pathname !== '/mcp' && !metricsPath) return json(res, 404, { error: 'Not found: the MCP endpoint is /mcp.' });
    let caller: Caller | undefined;
    let grant: Grant | undefined;
    if (options.oauth) {
      const verdict = await oauthCaller(req, options.oauth);
      if ('refused' in verdict) {
        const status = verdict.refused.error === 'insufficient_scope' ? 403 : 401;
        res.setHeader('www-authenticate', oauthChallenge(verdict.refused.error, verdict.refused.message));
        return json(res, status, rpcError(-32001, `${status === 401 ? 'Unauthorized' : 'Forbidden'}: ${verdict.refused.message}.`));
      }
      caller = verdict.caller;
      grant = grantFor(caller, options.policy);
      if (!grant) {
        const who = caller.email && caller.emailVerified ? caller.email : `subject ${caller.sub}`;
        return json(res, 403, rpcError(-32001, `Forbidden: no rule of this server's policy (--policy) grants ${who} any access. Ask the operator to add your group or email.`));
      }
    }
    const refusal = options.oauth ? undefined : authRefusal(req);
    if (refusal) {
      // A bare `Bearer` challenge reads as "this server speaks OAuth" to clients such as the
      // Inspector, which then start an authorization flow that cannot succeed. The error code says
      // the token itself is wrong, so they show the message instead.
      res.setHeader('www-authenticate', challenge('invalid_token', refusal));
      return json(res, 401, rpcError(-32001, `Unauthorized: ${refusal}`));
    }
    if (metricsPath && options.metrics) {
      if (req.method !== 'GET') return json(res, 405, { error: 'Method not allowed: /metrics answers GET.' });
      const { contentType, body } = await options.metrics.render();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (headerName && req.method === 'POST' && !req.headers[headerName]) {
      const message = `This server takes the admin key from the ${options.keyFromHeader} header; none was sent.`;
      res.setHeader('www-authenticate', challenge('invalid_request', message));
      return json(res, 401, rpcError(-32001, message));
    }

    if (options.stateless) {
      if (req.method !== 'POST') return json(res, 405, rpcError(-32000, 'Method not allowed: a stateless server answers POST only.'));
      const served = sessionHost(req, grant);
      if ('error' in served) return json(res, 400, rpcError(-32602, served.error));
      const body = await readJson(req);
      if (body === NOT_JSON) return json(res, 400, rpcError(-32700, 'Parse error: the request body is not JSON.'));
      const credential = credentialOf(req, caller, grant);
      const messages = messagesIn(body);
      for (const message of messages) cancelInFlight(credential, message);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      const mcp = createMcpServer(new AttributedHost(served.host, identityOf(caller)), clientFor);
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
      return;
    }

    sessions.sweep();
    const sessionId = req.headers['mcp-session-id'];
    const id = typeof sessionId === 'string' ? sessionId : undefined;
    const existing = id === undefined ? undefined : sessions.transport(id);
    // Over OAuth a session belongs to the person (and rights) that opened it: another person's
    // token, even a valid one, cannot use it, read its stream or close it.
    if (existing && id !== undefined && caller && sessions.credential(id) !== credentialOf(req, caller, grant)) {
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
      const served = sessionHost(req, grant);
      if ('error' in served) return json(res, 400, rpcError(-32602, served.error));
      const credential = credentialOf(req, caller, grant);
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
        await createMcpServer(new AttributedHost(served.host, identityOf(caller), newId), clientFor).connect(transport);
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

  /**
   * Who is calling, as one opaque string: the admin key from `--key-from-header` when the server
   * takes one, else the bearer token, else one anonymous caller. A keyed hash, so the tables that
   * hold it never hold a secret.
   */
  function credentialOf(req: IncomingMessage, caller?: Caller, grant?: Grant): string {
    const key = headerName ? firstHeader(req.headers[headerName])?.replace(/^Bearer\s+/i, '') : undefined;
    // Over OAuth the person, not the token: a refreshed token keeps its sessions and quota; the
    // rights are part of it, so a session never outlives a narrowing of them.
    const person = caller ? `person:${JSON.stringify([caller.sub, grant ? grantKey(grant) : null])}` : undefined;
    const material = key !== undefined ? `admin-key:${key}${person ? `|${person}` : ''}` : person ?? (options.noAuth ? 'anonymous' : `bearer:${bearerOf(req)}`);
    return createHmac('sha256', credentialKey).update(material).digest('base64url');
  }

  /** Who the audit log says is calling: the token's person over OAuth, else how the caller got in. */
  function identityOf(caller: Caller | undefined): AuditCaller {
    if (caller) return { sub: caller.sub, ...(caller.email ? { email: caller.email } : {}), ...(caller.clientId ? { client_id: caller.clientId } : {}) };
    return options.noAuth ? 'anonymous' : 'http-token';
  }

  /** Stops the call a `notifications/cancelled` names, when this replica is running it. */
  function cancelInFlight(credential: string, message: unknown): void {
    if (!isJSONRPCNotification(message) || message.method !== 'notifications/cancelled') return;
    const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const outcome = inFlight.cancel(credential, requestId);
    if (outcome === 'ambiguous') options.logger.warn('cancellation not applied: two calls in flight share this credential and request id', { request_id: String(requestId) });
    else options.logger.debug('cancellation', { request_id: String(requestId), outcome });
  }

  /** The host a session gets: the server's, or a narrowed view when the request asks for less. */
  function sessionHost(req: IncomingMessage, grant?: Grant): { host: Host } | { error: string } {
    try {
      // The person's grant (scopes, then policy) narrows first; the request's headers only further.
      const base = grant ? new PersonHost(host, grant) : host;
      const selection = requestedSelection(req.headers);
      const served = selection ? new NarrowedHost(base, selection) : base;
      // Counted outermost, so calls a narrowed session refuses are counted too.
      return { host: options.metrics ? new MeteredHost(served, options.metrics) : served };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  /** Why the request is not authorized, or undefined when it is. */
  function authRefusal(req: IncomingMessage): string | undefined {
    if (options.noAuth) return undefined;
    const given = bearerOf(req);
    if (given === '') return 'no bearer token was sent; send "Authorization: Bearer <OPENAI_ADMIN_MCP_HTTP_TOKEN>".';
    const expected = Buffer.from(options.token ?? '');
    const actual = Buffer.from(given);
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return undefined;
    return 'the bearer token does not match OPENAI_ADMIN_MCP_HTTP_TOKEN.';
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    server,
    async close() {
      clearInterval(sweeper);
      await sessions.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sessionLimits(options: HttpOptions): SessionLimits {
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_LIMITS.idleMs;
  return {
    ...DEFAULT_SESSION_LIMITS,
    // A session nobody used never outlives one that was used.
    unusedMs: Math.min(DEFAULT_SESSION_LIMITS.unusedMs, idleMs),
    ...options.sessionLimits,
    idleMs,
  };
}

async function oauthCaller(req: IncomingMessage, oauth: ResourceServer): Promise<{ caller: Caller } | { refused: { error: string; message: string } }> {
  const token = bearerOf(req);
  if (token === '') return { refused: { error: 'invalid_token', message: 'no access token was sent; authorize with the authorization server named in the resource metadata' } };
  try {
    return { caller: await oauth.verify(token) };
  } catch (error) {
    const refused = error as { error?: string; message: string };
    return { refused: { error: refused.error ?? 'invalid_token', message: refused.message } };
  }
}

function bearerOf(req: IncomingMessage): string {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

/** The messages of a POST body: one JSON-RPC message or a batch. */
function messagesIn(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

/** An RFC 6750 challenge; quotes and backslashes, which its error_description cannot hold, become apostrophes. */
function challenge(error: 'invalid_token' | 'invalid_request', description: string): string {
  return `Bearer realm="openai-admin-mcp", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`;
}

/**
 * Browsers send Origin; a page on another site must not reach a server on localhost through DNS
 * rebinding. No Origin (a non-browser client) is fine; otherwise its host must be loopback or the
 * Host the request was sent to.
 */
function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).hostname;
  } catch {
    return false;
  }
  return isLoopback(originHost) || originHost === requestHostOf(req);
}

/** The Host header names a loopback address (or is absent, as only non-browser HTTP/1.0 clients leave it). */
function hostIsLoopback(req: IncomingMessage): boolean {
  const host = requestHostOf(req);
  return host === '' || isLoopback(host);
}

function requestHostOf(req: IncomingMessage): string {
  return (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

/** The body as JSON, `undefined` when empty, or NOT_JSON so the caller can answer a parse error. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, MAX_BODY);
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** What readJson gives for a body that is not JSON, so the caller can answer a parse error. */
const NOT_JSON = Symbol('not JSON');

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
