import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AdminClient } from '../../client/index.js';
import { firstHeader } from '../../headers.js';
import { BodyTooLarge } from '../../http-body.js';
import type { Logger } from '../../log.js';
import { VERSION } from '../../version.js';
import type { ResourceServer } from '../access/oauth.js';
import type { Grant, Policy } from '../access/policy.js';
import type { Host } from '../hosts/host.js';
import { NarrowedHost, requestedSelection } from '../hosts/narrowed-host.js';
import { PersonHost } from '../hosts/person-host.js';
import { Authentication, challenge } from './authentication.js';
import type { Dispatch } from './dispatch.js';
import { InFlightCalls } from './in-flight.js';
import { MeteredHost, serveMetrics, type Metrics } from './metrics.js';
import { isLoopback, originRefusal } from './origin.js';
import { answerInSession } from './session-dispatch.js';
import { DEFAULT_SESSION_LIMITS, SessionTable, type SessionLimits } from './sessions.js';
import { answerStateless } from './stateless.js';
import { json, MAX_BODY, rpcError } from './wire.js';
import type { ApprovalPage } from './approval-page.js';

export { isLoopback };

/*
 * Streamable HTTP (README, "Serving over HTTP"): `/mcp` for MCP and `GET /healthz`. Bearer-token auth unless the
 * operator chose `--no-auth` on loopback; Origin checked against DNS rebinding; sessions by default,
 * or a stateless mode in which any replica can answer any request.
 *
 * This file routes a request through its concerns, in order: origin (origin.ts), the open paths,
 * authentication (authentication.ts), metrics, then the stateless (stateless.ts) or the session
 * dispatch (session-dispatch.ts).
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
  /** The approval page under /approvals/ (`--confirm-with approval`); it signs people in itself. */
  approvalPage?: ApprovalPage;
}

export interface RunningHttp {
  url: string;
  server: HttpServer;
  close(): Promise<void>;
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
  options.metrics?.countSessionsWith(() => sessions.size);
  const headerName = options.keyFromHeader?.toLowerCase();
  const auth = new Authentication({ noAuth: options.noAuth, token: options.token, oauth: options.oauth, policy: options.policy, keyHeader: headerName });
  const dispatch: Dispatch = {
    auth,
    hostFor: (req, grant) => hostFor(host, req, grant, options.metrics),
    clientFor: headerName && options.clientForKey
      ? (headers) => {
          const key = firstHeader(headers[headerName]);
          return key ? options.clientForKey?.(key.replace(/^Bearer\s+/i, '')) : undefined;
        }
      : undefined,
    logger: options.logger,
  };

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
    const forbidden = originRefusal(req, options.host);
    if (forbidden) return json(res, 403, rpcError(-32000, forbidden));
    if (url.pathname === '/healthz' && req.method === 'GET') return json(res, 200, { status: 'ok', version: VERSION });
    if (options.oauth && req.method === 'GET' && (url.pathname === '/.well-known/oauth-protected-resource' || url.pathname === auth.resourceMetadataPath)) {
      return json(res, 200, options.oauth.metadata());
    }
    // People, not MCP clients, use the approval page: it signs them in with the issuer itself.
    if (options.approvalPage?.handles(url.pathname)) return options.approvalPage.handle(req, res, url);
    const metricsPath = url.pathname === '/metrics' && options.metrics !== undefined;
    if (url.pathname !== '/mcp' && !metricsPath) return json(res, 404, { error: 'Not found: the MCP endpoint is /mcp.' });
    const who = await auth.admit(req, res);
    if (!who) return;
    if (metricsPath && options.metrics) return serveMetrics(req, res, options.metrics);
    if (headerName && req.method === 'POST' && !req.headers[headerName]) {
      const message = `This server takes the admin key from the ${options.keyFromHeader} header; none was sent.`;
      res.setHeader('www-authenticate', challenge('invalid_request', message));
      return json(res, 401, rpcError(-32001, message));
    }
    if (options.stateless) return answerStateless(req, res, dispatch, inFlight, who);
    return answerInSession(req, res, dispatch, sessions, who);
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

/** The host a request gets: the server's, or a narrowed view when the request asks for less. */
function hostFor(host: Host, req: IncomingMessage, grant: Grant | undefined, metrics: Metrics | undefined): { host: Host } | { error: string } {
  try {
    // The person's grant (scopes, then policy) narrows first; the request's headers only further.
    const base = grant ? new PersonHost(host, grant) : host;
    const selection = requestedSelection(req.headers);
    const served = selection ? new NarrowedHost(base, selection) : base;
    // Counted outermost, so calls a narrowed session refuses are counted too.
    return { host: metrics ? new MeteredHost(served, metrics) : served };
  } catch (error) {
    return { error: (error as Error).message };
  }
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
