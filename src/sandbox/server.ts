import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gzip as gzipBody } from 'node:zlib';
import { BodyTooLarge, readBody } from '../http-body.js';
import { SandboxError, invalid, unauthorized } from './errors.js';
import { FaultInjector, type FaultDecision, type ScriptedFault } from './faults.js';
import { RateLimiter, type RateDecision, type RateLimitStats } from './rate-limit.js';
import { Body, QueryParams } from './params.js';
import { PLANTED_PATH, plantRecords } from './planted.js';
import { Router } from './router.js';
import { allRoutes } from './routes/index.js';
import { seedOrganization } from './seed/index.js';
import { parseSize, SIZES, type OrgSize } from './size.js';
import { SandboxState } from './state.js';

export interface SandboxOptions {
  /** Seeds the organization and the fault sequence. Default 1. */
  seed?: number;
  /** Delay added to every response. */
  latencyMs?: number;
  /** Fraction (0–1) of requests answered with a fault. */
  faultRate?: number;
  /** Sent as `retry-after-ms` (and rounded up as `Retry-After`) on injected 429s. Default 100. */
  retryAfterMs?: number;
  /** `small` (default, the organization every test knows), `large`, `huge`, or explicit counts. */
  size?: OrgSize | string;
  /** Requests per minute the organization may make; over it, 429 with `Retry-After`. Default unlimited. */
  rateLimitRpm?: number;
  port?: number;
  host?: string;
  /** The sandbox clock, Unix seconds. Tests inject one to make time-dependent data exact. */
  now?: () => number;
  /**
   * Build the organization on the first request (or first look at `state`) instead of at start.
   * `--sandbox` uses it so the MCP server answers its tool list before ~100 ms of seeding.
   */
  lazySeed?: boolean;
  /**
   * A server the sandbox neither creates nor binds: the caller routes its requests to `handle`, `port`
   * says where its connections arrive, and `close` closes it. `--sandbox` binds its port before this
   * module is loaded (see src/sandbox-port.ts).
   */
  server?: Server;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path under /v1, without the query string. */
  path: string;
  /** The request target exactly as it arrived on the request line, before any parsing or dot-segment resolution. */
  target: string;
  query: string;
  /** Milliseconds on the sandbox's monotonic clock when the request arrived. */
  receivedAt: number;
  status: number | 'reset';
  fault: FaultDecision['kind'] | null;
  /** Answered 429 by `--rate-limit`. */
  rateLimited?: boolean;
  /** Whether the handler ran (a fault answered after processing still counts). */
  processed: boolean;
  requestId: string;
  /** Headers as received, for tests that check what a client sent (auth included). Never logged. */
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Sandbox {
  /** Base URL ending in /v1. */
  url: string;
  state: SandboxState;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** The `--rate-limit` bucket's counters; undefined without a limit. */
  rateLimit: RateLimitStats | undefined;
  /** Scripts exact faults for upcoming requests. */
  fault(fault: ScriptedFault): void;
  /** Drops scripted faults that no request has met yet. */
  clearFaults(): void;
  setFaultRate(rate: number): void;
  setLatency(ms: number): void;
  /** Answers one request, as the sandbox's own server does (for a server given in the options). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  const state = new SandboxState({ seed, now: options.now });
  const size = typeof options.size === 'string' ? parseSize(options.size) : (options.size ?? SIZES.small);
  let seeded = false;
  const ensureSeeded = () => {
    if (seeded) return;
    seeded = true;
    seedOrganization(state, size);
  };
  if (!options.lazySeed) ensureSeeded();
  const router = new Router(allRoutes);
  const faults = new FaultInjector(seed, options.faultRate ?? 0);
  const retryAfterMs = options.retryAfterMs ?? 100;
  let latencyMs = options.latencyMs ?? 0;
  const limiter = options.rateLimitRpm ? new RateLimiter(options.rateLimitRpm) : undefined;
  const requests: RecordedRequest[] = [];
  let seq = 0;

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const receivedAt = performance.now();
    seq += 1;
    const record: RecordedRequest = {
      seq,
      method: req.method ?? 'GET',
      path: '',
      target: req.url ?? '',
      query: '',
      receivedAt,
      status: 0,
      fault: null,
      processed: false,
      requestId: `req_${seed.toString(16)}${seq.toString(16).padStart(10, '0')}`,
      headers: req.headers,
      body: undefined,
    };
    requests.push(record);
    // The limit counts requests as they arrive, as the API's edge does.
    const rate = limiter?.take(latencyMs);
    readBody(req, MAX_BODY_BYTES)
      .then(async (raw) => {
        if (latencyMs > 0) await delay(latencyMs);
        const outcome = serve(record, req, raw, rate);
        if (outcome === 'reset') {
          record.status = 'reset';
          req.socket.destroy();
          return;
        }
        record.status = outcome.status;
        send(res, outcome.status, outcome.body, { 'x-request-id': record.requestId, ...outcome.headers }, acceptsGzip(req.headers['accept-encoding']));
      })
      .catch((error: unknown) => {
        const failure =
          error instanceof BodyTooLarge
            ? new SandboxError(413, 'invalid_request_error', 'The request body is larger than 1 MiB.')
            : new SandboxError(500, 'server_error', 'The sandbox failed to read the request.');
        record.status = failure.status;
        send(res, failure.status, failure.toBody(), { 'x-request-id': record.requestId });
      });
  };
  const server = options.server ?? createServer(handleRequest);

  function serve(record: RecordedRequest, req: IncomingMessage, raw: string, rate: RateDecision | undefined): Outcome | 'reset' {
    const method = record.method;
    // `new URL()` resolves dot segments silently (/projects/../users becomes /users), which is how an
    // ID of '..' once reached another endpoint. A hardened gateway refuses them; so does the sandbox,
    // so that a client regression shows as a 400 in every test rather than as a request that worked.
    const rawPath = (req.url ?? '/').split('?', 1)[0] as string;
    if (hasRawDotSegment(rawPath)) {
      record.path = rawPath.startsWith('/v1/') ? rawPath.slice(3) : rawPath;
      return errorOutcome(invalid(null, `Invalid URL (${method} ${rawPath}): the path has a dot segment ('.' or '..', maybe percent-encoded), which is not allowed.`, 'invalid_path'));
    }
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (!url.pathname.startsWith('/v1/')) {
      return errorOutcome(new SandboxError(404, 'invalid_request_error', `Invalid URL (${method} ${url.pathname}): the API lives under /v1.`));
    }
    const path = url.pathname.slice(3);
    record.path = path;
    record.query = url.search;

    if (rate && !rate.allowed) {
      record.rateLimited = true;
      return { ...errorOutcome(new SandboxError(429, 'requests', 'Rate limit reached for requests per minute in this organization. Please retry after the time in Retry-After.', null, 'rate_limit_exceeded')), headers: rate.headers };
    }
    const fault = faults.decide(method, path);
    record.fault = fault?.kind ?? null;
    if (fault && !fault.afterProcessing) return faultOutcome(fault);

    const outcome = handle(record, req, method, path, url.searchParams, raw);
    if (fault) return faultOutcome(fault);
    return rate ? { ...outcome, headers: { ...outcome.headers, ...rate.headers } } : outcome;
  }

  function handle(record: RecordedRequest, req: IncomingMessage, method: string, path: string, search: URLSearchParams, raw: string): Outcome {
    try {
      ensureSeeded();
      authenticate(req.headers.authorization);
      if (path === PLANTED_PATH) {
        // The sandbox's own door for planted records: outside the router, so no tool can reach it.
        if (method !== 'POST') throw new SandboxError(405, 'invalid_request_error', `Method ${method} is not allowed on /v1${path}; use POST.`);
        const body = parseJson(raw);
        record.body = body;
        const added = plantRecords(state, body);
        record.processed = true;
        return { status: 201, body: { object: 'sandbox.records', added } };
      }
      const match = router.match(method, path);
      if (match === null) throw new SandboxError(404, 'invalid_request_error', `Invalid URL (${method} /v1${path}).`);
      if ('allowed' in match) {
        throw new SandboxError(405, 'invalid_request_error', `Method ${method} is not allowed on /v1${path}; use ${match.allowed.join(' or ')}.`);
      }
      const body = parseJson(raw);
      record.body = body;
      const result = match.route.handle({ params: match.params, query: new QueryParams(search), body: new Body(body), state });
      record.processed = true;
      return { status: 200, body: result };
    } catch (error) {
      if (error instanceof SandboxError) return errorOutcome(error);
      process.stderr.write(`sandbox: handler failed for ${method} ${path}: ${(error as Error).stack ?? String(error)}\n`);
      return errorOutcome(new SandboxError(500, 'server_error', 'The sandbox hit an internal error.'));
    }
  }

  function faultOutcome(fault: FaultDecision): Outcome | 'reset' {
    switch (fault.kind) {
      case 'reset':
        return 'reset';
      case '429':
        return {
          ...errorOutcome(new SandboxError(429, 'rate_limit_exceeded', 'Rate limit reached for requests. Please retry later.', null, 'rate_limit_exceeded')),
          headers: { 'retry-after-ms': String(retryAfterMs), 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
        };
      case '500':
        return errorOutcome(new SandboxError(500, 'server_error', 'The server had an error while processing your request.'));
      case '503':
        return errorOutcome(new SandboxError(503, 'server_error', 'The server is overloaded. Please retry later.'));
    }
  }

  if (!options.server) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
  }
  const port = options.server ? (options.port ?? 0) : (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${port}/v1`,
    get state() {
      ensureSeeded();
      return state;
    },
    requests,
    rateLimit: limiter?.stats,
    fault: (fault) => faults.script(fault),
    clearFaults: () => faults.clear(),
    setFaultRate: (rate) => {
      faults.rate = rate;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    handle: handleRequest,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Outcome {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function errorOutcome(error: SandboxError): Outcome {
  return { status: error.status, body: error.toBody() };
}

/** A `.` or `..` segment, literal or percent-encoded once (`%2e`, `%2E`), as a gateway decoding once would see it. */
function hasRawDotSegment(path: string): boolean {
  return path.split('/').some((segment) => {
    const decoded = segment.replace(/%2e/gi, '.');
    return decoded === '.' || decoded === '..';
  });
}

function authenticate(header: string | undefined): void {
  if (!header) {
    throw unauthorized("You didn't provide an API key. Send an admin key in the Authorization header: 'Authorization: Bearer sk-admin-…'.");
  }
  const match = /^Bearer\s+(\S+)$/.exec(header);
  if (!match) throw unauthorized("Malformed Authorization header: expected 'Bearer <key>'.");
  const key = match[1] as string;
  if (!key.startsWith('sk-admin-')) {
    throw unauthorized('Incorrect API key provided: the Admin API needs an admin key (sk-admin-…). Create one in the organization settings.');
  }
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw invalid(null, 'The request body is not valid JSON.');
  }
}


/** Bodies smaller than this go uncompressed, as the API's edge sends them. */
const GZIP_MIN_BYTES = 1_024;

function acceptsGzip(value: string | string[] | undefined): boolean {
  const listed = (Array.isArray(value) ? value.join(',') : (value ?? '')).toLowerCase().split(',');
  return listed.some((entry) => {
    const [coding, ...params] = entry.trim().split(';');
    return coding?.trim() === 'gzip' && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

/**
 * The JSON body, gzipped when the client accepts it and it is worth it, as the API's edge does. zlib
 * runs in libuv's thread pool, so a large page does not hold up the requests queued behind it.
 */
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, gzip = false): void {
  if (res.headersSent || res.destroyed) return;
  // A frozen answer is one a route shares between identical requests (costs pages): encoded once.
  const shared = typeof body === 'object' && body !== null && Object.isFrozen(body) ? body : undefined;
  const known = shared ? encodedAnswers.get(shared) : undefined;
  const text = known?.text ?? JSON.stringify(body);
  const plain = () => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const packed = (buffer: Buffer) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', vary: 'accept-encoding', 'content-length': buffer.length, ...headers });
    res.end(buffer);
  };
  if (shared && !known) encodedAnswers.set(shared, { text });
  if (!gzip || text.length < GZIP_MIN_BYTES) return plain();
  if (known?.gzip) return packed(known.gzip);
  gzipBody(text, { level: 1 }, (error, buffer) => {
    if (!error && shared) encodedAnswers.set(shared, { text, gzip: buffer });
    if (res.headersSent || res.destroyed) return;
    if (error) return plain();
    packed(buffer);
  });
}

/** The JSON text (and gzip) of shared answers, dropped with the answer. */
const encodedAnswers = new WeakMap<object, { text: string; gzip?: Buffer }>();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
