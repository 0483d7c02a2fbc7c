import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../client/index.js';
import { BodyTooLarge, readBody } from '../http-body.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { Host } from './host.js';
import { createMcpServer } from './mcp-server.js';
import { NarrowedHost, requestedSelection } from './narrowed-host.js';

/*
 * Streamable HTTP (PRODUCT.md §7): `/mcp` for MCP and `GET /healthz`. Bearer-token auth unless the
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
}

export interface RunningHttp {
  url: string;
  server: HttpServer;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_BODY = 4 << 20;
/** Sessions idle this long are closed; a client that comes back initializes a new one. */
const SESSION_IDLE_MS = 30 * 60 * 1000;
/** At most this many live sessions, so a token holder cannot grow memory without bound. */
const MAX_SESSIONS = 1000;


export function isLoopback(host: string): boolean {
  // 127.0.0.0/8 as an address literal only: a DNS name such as 127.attacker.example can point anywhere.
  return LOOPBACK.has(host.replace(/^\[|\]$/g, '')) || /^127(\.\d{1,3}){3}$/.test(host);
}

export class HttpConfigError extends Error {
  override readonly name = 'HttpConfigError';
}

export async function startHttpServer(host: Host, options: HttpOptions): Promise<RunningHttp> {
  if (!options.noAuth && !options.token) {
    throw new HttpConfigError('--http needs OPENAI_ADMIN_MCP_HTTP_TOKEN (clients send it as "Authorization: Bearer <token>"), or --no-auth on a loopback address.');
  }
  if (options.noAuth && !isLoopback(options.host)) {
    throw new HttpConfigError(`--no-auth is allowed only on loopback; ${options.host} is reachable from other machines. Set OPENAI_ADMIN_MCP_HTTP_TOKEN instead.`);
  }
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const lastSeen = new Map<string, number>();
  const sweep = () => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, seen] of lastSeen) {
      if (seen >= cutoff) continue;
      lastSeen.delete(id);
      const transport = sessions.get(id);
      sessions.delete(id);
      void transport?.close();
    }
  };
  const headerName = options.keyFromHeader?.toLowerCase();
  const clientFor = headerName && options.clientForKey
    ? (headers: Record<string, string | string[] | undefined>) => {
        const value = headers[headerName];
        const key = Array.isArray(value) ? value[0] : value;
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A browser page whose own hostname was rebound to 127.0.0.1 sends that name as Host and Origin
    // alike, so on loopback the Host itself must be a loopback name.
    if (isLoopback(options.host) && !hostIsLoopback(req)) {
      return json(res, 403, rpcError(-32000, 'Forbidden: the Host header is not a loopback name (DNS rebinding protection).'));
    }
    if (!originAllowed(req)) return json(res, 403, rpcError(-32000, 'Forbidden: the Origin header does not match this server (DNS rebinding protection).'));
    if (url.pathname === '/healthz' && req.method === 'GET') return json(res, 200, { status: 'ok', version: VERSION });
    if (url.pathname !== '/mcp') return json(res, 404, { error: 'Not found: the MCP endpoint is /mcp.' });
    if (!authorized(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      return json(res, 401, rpcError(-32001, 'Unauthorized: send "Authorization: Bearer <OPENAI_ADMIN_MCP_HTTP_TOKEN>".'));
    }
    if (headerName && req.method === 'POST' && !req.headers[headerName]) {
      return json(res, 401, rpcError(-32001, `This server takes the admin key from the ${options.keyFromHeader} header; none was sent.`));
    }

    if (options.stateless) {
      if (req.method !== 'POST') return json(res, 405, rpcError(-32000, 'Method not allowed: a stateless server answers POST only.'));
      const served = sessionHost(req);
      if ('error' in served) return json(res, 400, rpcError(-32602, served.error));
      const body = await readJson(req);
      if (body === NOT_JSON) return json(res, 400, rpcError(-32700, 'Parse error: the request body is not JSON.'));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      const mcp = createMcpServer(served.host, clientFor);
      res.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }

    sweep();
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing && typeof sessionId === 'string') lastSeen.set(sessionId, Date.now());
    if (req.method === 'POST') {
      const body = await readJson(req);
      if (body === NOT_JSON) return json(res, 400, rpcError(-32700, 'Parse error: the request body is not JSON.'));
      if (existing) return existing.handleRequest(req, res, body);
      if (sessionId !== undefined) return json(res, 404, rpcError(-32001, 'Session not found: initialize a new session.'));
      if (!isInitializeRequest(body)) return json(res, 400, rpcError(-32000, 'Bad request: start with an initialize request (no mcp-session-id yet).'));
      if (sessions.size >= MAX_SESSIONS) return json(res, 503, rpcError(-32000, 'Too many open sessions; close one (DELETE /mcp) or try again later.'));
      const served = sessionHost(req);
      if ('error' in served) return json(res, 400, rpcError(-32602, served.error));
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
          lastSeen.set(id, Date.now());
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) {
          sessions.delete(transport.sessionId);
          lastSeen.delete(transport.sessionId);
        }
      };
      await createMcpServer(served.host, clientFor).connect(transport);
      return transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!existing) return json(res, sessionId === undefined ? 400 : 404, rpcError(-32000, 'A valid mcp-session-id header is required.'));
      return existing.handleRequest(req, res);
    }
    return json(res, 405, rpcError(-32000, 'Method not allowed.'));
  }

  /** The host a session gets: the server's, or a narrowed view when the request asks for less. */
  function sessionHost(req: IncomingMessage): { host: Host } | { error: string } {
    try {
      const selection = requestedSelection(req.headers);
      return { host: selection ? new NarrowedHost(host, selection) : host };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  function authorized(req: IncomingMessage): boolean {
    if (options.noAuth) return true;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const expected = Buffer.from(options.token ?? '');
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
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
      await Promise.all([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
