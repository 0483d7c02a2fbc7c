import { setMaxListeners } from 'node:events';
import type { Pool } from 'undici';
import { firstHeader } from '../headers.js';
import { createLogger, type Logger } from '../log.js';
import { VERSION } from '../version.js';
import { BodyProblem, DEFAULT_MAX_RESPONSE_BYTES, UnexpectedEncoding, readBody } from './body.js';
import { ApiError, CancelledError, ConnectionError, ReadOnlyError, UnsafePathError, type ApiErrorFacts } from './errors.js';
import { Aborted, announcedLimit, gateFor, type RequestGate } from './gate.js';
import { collectPages, paginate, type CollectResult, type PageRequest } from './pagination.js';
import { fetchRange, type RangeRequest, type RangeResult } from './ranges.js';
import { hasDotSegment, serializeQuery, type Query } from './query.js';
import { backoffDelay, isRetryableStatus, mayHaveBeenProcessed, retryAfterMs, wasNeverSent, type BackoffPolicy } from './retry.js';

export { ApiError, CancelledError, ConnectionError, ReadOnlyError, UnsafePathError } from './errors.js';
export { buildPath, hasDotSegment, serializeQuery, type Query, type QueryValue } from './query.js';
export type { CollectResult, PageRequest, PaginationStyle } from './pagination.js';
export { BUCKET_SECONDS, RangeMergeError, bucketsPerPage, mapLimited, splitRange, type Bucket, type BucketWidth, type RangePartial, type RangeRequest, type RangeResult, type WindowProgress } from './ranges.js';

export { DEFAULT_MAX_RESPONSE_BYTES } from './body.js';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface ClientOptions {
  /** An admin key (sk-admin-…). */
  apiKey: string;
  /** Default `https://api.openai.com/v1`. */
  baseUrl?: string;
  /** Sent as `OpenAI-Organization`. */
  organization?: string;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /**
   * Deadline per attempt, ms, from sending the request to the last byte of the answer (headers and
   * the whole body, however steadily it trickles in). Default 60 000.
   */
  timeoutMs?: number;
  /**
   * Cap on an answer's size, bytes, counted on the wire and again after decompression; reading
   * stops there and the call fails with `response_too_large`. Default 64 MiB.
   */
  maxResponseBytes?: number;
  /** TCP connect deadline, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Refuse every non-GET request (the second line of defence behind read-only tool filtering). */
  readOnly?: boolean;
  /** Backoff between retries. Defaults: base 500 ms, max 8 s, honour server waits up to 60 s. */
  backoff?: Partial<BackoffPolicy>;
  /** Keep-alive connections to the API. Default 16. */
  connections?: number;
  /**
   * A pool to share with other clients (one per admin key taken from request headers, say). The
   * client then does not own it and leaves it open on close.
   */
  pool?: SharedPool;
  logger?: Logger;
  /** Told of every attempt's answer and every retry (the server's metrics). */
  observer?: RequestObserver;
  /** Paces requests to the API's announced limit and backs off on 429 (see gate.ts). Default: one per origin and key. */
  gate?: RequestGate;
}

/** What the client reports (to the server's metrics): every attempt's answer and every retry. */
export interface RequestObserver {
  /** One attempt finished: its HTTP status, or `error` when no answer came (connection, timeout). */
  upstream(method: string, status: number | 'error', seconds: number): void;
  retry(method: string): void;
}

export type Method = 'GET' | 'POST' | 'DELETE';

export interface RequestOptions {
  method: Method;
  /** Concrete path under the base URL, e.g. `/organization/projects/proj_1`. */
  path: string;
  query?: Query;
  body?: unknown;
  /**
   * Whether repeating the request is harmless. GET and DELETE are; a POST is not unless the caller
   * says so (updates are, creates are not). Non-idempotent requests are retried only when the
   * server provably did not process them.
   */
  idempotent?: boolean;
  /**
   * The caller vouches that this non-GET request changes nothing (a POST that only validates).
   * Read-only mode lets it through; every other non-GET request is still refused.
   */
  safe?: boolean;
  signal?: AbortSignal;
  /** A page walk's next page: it passes the rate-limit gate before requests queued after it (gate.ts). */
  nextPage?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  requestId: string | null;
  retries: number;
  /**
   * An earlier attempt was answered with a timeout, a server error or a lost connection after it
   * may have been processed, so this answer may be to a repeat of a request that already took effect.
   */
  earlierAttemptMayHaveBeenProcessed: boolean;
}

/**
 * The one HTTP client: every Admin API call in this project goes through it. It owns auth,
 * keep-alive, timeouts, cancellation, retries, typed errors and pagination.
 */
export class AdminClient {
  readonly baseUrl: string;
  readonly readOnly: boolean;
  private readonly pool: SharedPool;
  private readonly ownsPool: boolean;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly backoff: BackoffPolicy;
  private readonly logger: Logger;
  private readonly observer: RequestObserver | undefined;
  /** Shared by every client of this admin key: the API's rate limit is per organization, not per client. */
  readonly gate: RequestGate;

  constructor(options: ClientOptions) {
    const url = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    this.baseUrl = url.toString().replace(/\/$/, '');
    this.basePath = url.pathname.replace(/\/$/, '');
    this.readOnly = options.readOnly ?? false;
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.backoff = { baseMs: 500, maxMs: 8_000, maxRetryAfterMs: 60_000, ...options.backoff };
    this.logger = options.logger ?? createLogger({ level: 'silent' });
    this.observer = options.observer;
    this.headers = {
      authorization: `Bearer ${options.apiKey}`,
      'user-agent': `openai-admin-mcp/${VERSION}`,
      accept: 'application/json',
      // Usage and cost pages run to hundreds of KB of repetitive JSON; compressed they are a tenth of
      // that on the wire, which is most of a range walk's time past its one round trip.
      'accept-encoding': 'gzip',
      ...(options.organization ? { 'openai-organization': options.organization } : {}),
    };
    this.gate = options.gate ?? gateFor(url.origin, options.apiKey, options.connections ?? 16);
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? new SharedPool(url.origin, options, this.timeoutMs);
  }

  /**
   * The longest one request may take with all its retries: every attempt's timeout and the longest
   * wait between attempts. A confirmed write is held to it, and its target's lock covers it.
   */
  get requestDeadlineMs(): number {
    return (this.maxRetries + 1) * this.timeoutMs + this.maxRetries * Math.max(this.backoff.maxMs, this.backoff.maxRetryAfterMs);
  }

  /** `nextPage`: this GET continues a page walk (see RequestOptions). */
  get<T>(path: string, query?: Query, signal?: AbortSignal, nextPage?: boolean): Promise<T> {
    return this.request<T>({ method: 'GET', path, query, signal, nextPage });
  }

  post<T>(path: string, body?: unknown, options: { idempotent?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>({ method: 'POST', path, body, ...options });
  }

  delete<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>({ method: 'DELETE', path, signal });
  }

  async request<T>(options: RequestOptions): Promise<T> {
    return (await this.send<T>(options)).data;
  }

  /** Like `request`, with the status, request id and retry count. */
  async send<T>(options: RequestOptions): Promise<ApiResponse<T>> {
    const { method, path } = options;
    // Like the read-only guard, a second line of defence behind the tools' ID validation: a dot
    // segment would be resolved by the server (or a gateway) and land the request on another endpoint.
    if (hasDotSegment(path)) throw new UnsafePathError(path, null, `${method} to a path with a dot segment ('.' or '..', maybe percent-encoded) would address another endpoint`);
    if (this.readOnly && method !== 'GET' && options.safe !== true) throw new ReadOnlyError(method, path);
    const idempotent = options.idempotent ?? method !== 'POST';
    const target = `${this.basePath}${path}${serializeQuery(options.query)}`;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = payload === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' };
    // Whether an attempt so far may have been processed: a cancellation, a failure or a success
    // after it can then say that a write may have happened, or may have happened before this answer.
    let reached = false;
    // The requests of one call (a report's parallel windows) share its signal, each with undici's abort
    // listener on it while it runs: more than Node's default of 10 is by design, not a leak.
    if (options.signal) setMaxListeners(0, options.signal);

    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw new CancelledError(method, path, reached);
      const started = performance.now();
      let status: number;
      let responseHeaders: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        await this.gate.acquire(options.signal, options.nextPage === true);
      } catch (error) {
        if (error instanceof Aborted) throw new CancelledError(method, path, reached);
        throw error;
      }
      let pool: Pool;
      try {
        pool = await this.pool.get();
      } catch (error) {
        this.gate.release(null, null, null);
        throw error;
      }
      // A waiter the gate let through in the same tick as its caller cancelled (or cancelled while
      // the pool was being made) has sent nothing yet: give the slot back and say so.
      if (options.signal?.aborted) {
        this.gate.release(null, null, null);
        throw new CancelledError(method, path, reached);
      }
      try {
        // The deadline is undici's headers timer plus one plain timer while the body is read (readBody),
        // and the caller's signal goes to undici as it is. A signal of our own per attempt (AbortController, or AbortSignal.timeout + any as before) costs
        // a Node AbortSignal per request, and those are promoted to V8's old generation: under steady
        // load that alone kept the heap tens of MB larger than a server making the same GET without one.
        const res = await pool.request({ method, path: target, headers, body: payload, signal: options.signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
        status = res.statusCode;
        responseHeaders = res.headers;
        const length = header(res.headers, 'content-length');
        const limits = { maxBytes: this.maxResponseBytes, deadline: started + this.timeoutMs };
        text = await readBody(res.body, header(res.headers, 'content-encoding'), length === null ? null : Number(length), limits).catch((problem: unknown) => {
          // An answer arrived but cannot be used: an upstream error with its status and request id.
          // Asking again would fetch the same, so it is not retried.
          if (!(problem instanceof BodyProblem)) throw problem;
          const answer = { status: res.statusCode, requestId: header(res.headers, 'x-request-id'), method, path, retries: attempt, earlierAttemptMayHaveBeenProcessed: reached };
          throw unreadable(answer, problem.code, `${method} ${path}: ${problem.message}.`);
        });
        this.gate.release(status, status === 429 ? retryAfterMs(res.headers) : null, announcedLimit(res.headers));
      } catch (error) {
        this.gate.release(null, null, null);
        if (error instanceof UnexpectedEncoding) throw new Error(`${method} ${path}: ${error.message}.`);
        if (error instanceof ApiError) {
          this.observer?.upstream(method, error.status, (performance.now() - started) / 1000);
          throw error;
        }
        // Cancelled mid-attempt: the request may already be at the API.
        if (options.signal?.aborted) throw new CancelledError(method, path, true);
        const code = errorCode(error);
        const neverSent = wasNeverSent(code);
        const earlier = reached;
        reached ||= !neverSent;
        const canRetry = attempt < this.maxRetries && (idempotent || neverSent);
        this.logger.debug('request failed', { method, path, code, attempt, retrying: canRetry });
        this.observer?.upstream(method, 'error', (performance.now() - started) / 1000);
        if (canRetry) {
          this.observer?.retry(method);
          await sleep(backoffDelay(attempt, null, this.backoff), options.signal, method, path, reached);
          continue;
        }
        throw new ConnectionError(describeConnectionFailure(code, method, path, this.timeoutMs / 1000), method, path, reached, attempt, code, earlier);
      }

      const requestId = header(responseHeaders, 'x-request-id');
      this.logger.debug('request', { method, path, status, request_id: requestId, ms: Math.round(performance.now() - started), attempt });
      this.observer?.upstream(method, status, (performance.now() - started) / 1000);
      if (status >= 200 && status < 300) {
        const data = parseSuccess(text, status);
        if (data instanceof BodyProblem) throw unreadable({ status, requestId, method, path, retries: attempt, earlierAttemptMayHaveBeenProcessed: reached }, data.code, `${method} ${path}: ${data.message}.`);
        return { data: data as T, status, requestId, retries: attempt, earlierAttemptMayHaveBeenProcessed: reached };
      }

      const waitMs = retryAfterMs(responseHeaders);
      // A 429 is refused before processing, so even a create can be sent again.
      const canRetry = attempt < this.maxRetries && isRetryableStatus(status) && (idempotent || status === 429);
      if (canRetry) {
        this.observer?.retry(method);
        reached ||= mayHaveBeenProcessed(status);
        await sleep(backoffDelay(attempt, waitMs, this.backoff), options.signal, method, path, reached);
        continue;
      }
      throw toApiError({ status, requestId, method, path, retries: attempt, earlierAttemptMayHaveBeenProcessed: reached }, text, waitMs);
    }
  }

  /** Items across pages, lazily. Stops at `maxItems` or `maxPages`, or when a cursor repeats. */
  paginate<T>(request: PageRequest): AsyncIterable<T> {
    return paginate<T>(this, request);
  }

  /** Items across pages with a note of whether the walk was cut short and where to resume. */
  collect<T>(request: PageRequest): Promise<CollectResult<T>> {
    return collectPages<T>(this, request);
  }

  /**
   * Usage or cost buckets over any range: split into one-page windows, fetched in parallel, merged in
   * order; marked partial, with where to continue, when a window could not finish paging.
   */
  range(request: RangeRequest): Promise<RangeResult> {
    return fetchRange(this, request);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}

/**
 * undici's keep-alive pool, created on the first request. Loading undici costs about a tenth of a
 * second, which a server that is only asked for its tool list should not pay at start-up.
 */
export class SharedPool {
  private pool: Promise<Pool> | undefined;

  constructor(
    private readonly origin: string,
    private readonly options: Pick<ClientOptions, 'connections' | 'connectTimeoutMs'> = {},
    private readonly timeoutMs = 60_000,
  ) {}

  get(): Promise<Pool> {
    this.pool ??= import('undici').then(
      ({ Pool }) =>
        new Pool(this.origin, {
          connections: this.options.connections ?? 16,
          connect: { timeout: this.options.connectTimeoutMs ?? 10_000 },
          keepAliveTimeout: 30_000,
          // Every request sets its own headersTimeout and bodyTimeout (the client's timeoutMs); these are the defaults.
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        }),
    );
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.pool) await (await this.pool).close();
  }
}

/**
 * A success's body. The Admin API answers every success with JSON (and 204 with nothing), so
 * anything else (truncated JSON, whitespace, a proxy's HTML page) is an answer that cannot be read,
 * never a success carrying raw text.
 */
function parseSuccess(text: string, status: number): unknown {
  if (status === 204 || status === 205) return undefined;
  // A test for any non-space rather than trim(), which would copy a megabyte answer to look at it.
  if (!/\S/.test(text)) return new BodyProblem('undecodable_body', `the API answered ${status} with an empty body where JSON was expected`);
  try {
    return JSON.parse(text);
  } catch (error) {
    // Control characters would garble the message a person reads; the text is the upstream's, shown as data.
    const excerpt = `${text.slice(0, 120).replace(/[\u0000-\u001f\u007f]+/g, ' ')}${text.length > 120 ? '…' : ''}`;
    return new BodyProblem('undecodable_body', `the API answered ${status} with a body that is not valid JSON (${(error as Error).message}; ${text.length.toLocaleString('en-US')} characters: ${excerpt})`);
  }
}

/**
 * An answer that arrived and could not be read (over the size cap, not JSON, not inflatable): an
 * upstream error with the answer's status and request id. After a 2xx the API did the work, which
 * callers learn from the status (a write that may have happened).
 */
/** Which request an answer was to, for the error made of it. */
type AnswerOf = Pick<ApiErrorFacts, 'status' | 'requestId' | 'method' | 'path' | 'retries' | 'earlierAttemptMayHaveBeenProcessed'>;

function unreadable(answer: AnswerOf, code: string, message: string): ApiError {
  return new ApiError({ ...answer, type: 'invalid_response', code, param: null, message });
}

function toApiError(answer: AnswerOf, text: string, waitMs: number | null): ApiError {
  let envelope: { error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } } | undefined;
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    envelope = undefined;
  }
  const err = envelope?.error;
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v));
  const message = str(err?.message) ?? (text.trim().slice(0, 200) || `HTTP ${answer.status}`);
  return new ApiError({ ...answer, type: str(err?.type), code: str(err?.code), param: str(err?.param), message, retryAfter: waitMs === null ? null : waitMs / 1000 });
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  return firstHeader(headers[name]) ?? null;
}

/** undici's per-request deadlines: no response headers in time, or the body stalled. The request was sent. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(error: unknown): string | null {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : null;
  return code !== null && TIMEOUT_CODES.has(code) ? 'ETIMEDOUT' : code;
}

function describeConnectionFailure(code: string | null, method: string, path: string, deadlineSeconds: number): string {
  switch (code) {
    case 'ETIMEDOUT':
      return `${method} ${path} timed out: no complete answer within ${deadlineSeconds} s (the deadline covers the headers and the whole body; --request-timeout).`;
    case 'ECONNREFUSED':
      return `Could not connect to the API for ${method} ${path}: connection refused. Check OPENAI_BASE_URL.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Could not resolve the API host for ${method} ${path}. Check OPENAI_BASE_URL and the network.`;
    default:
      return `The connection failed during ${method} ${path}${code ? ` (${code})` : ''}.`;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, method: string, path: string, reached: boolean): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError(method, path, reached));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
