/** An error answered by the Admin API (or a proxy in front of it), in the OpenAI envelope where there is one. */
/** What an error answer said, and of which request: named, since eleven positions were easy to swap. */
export interface ApiErrorFacts {
  status: number;
  type: string | null;
  code: string | null;
  param: string | null;
  message: string;
  requestId: string | null;
  method: string;
  path: string;
  /** Retries made before giving up. */
  retries: number;
  /** Seconds the server asked us to wait, when it said. */
  retryAfter?: number | null;
  /**
   * An earlier attempt of this request was answered with a timeout, a server error or a lost
   * connection after it may have been processed. This answer (a 404 to a repeated delete, say)
   * may then describe the state that attempt left, not a refusal of the change.
   */
  earlierAttemptMayHaveBeenProcessed?: boolean;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly type: string | null;
  readonly code: string | null;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly method: string;
  readonly path: string;
  readonly retries: number;
  readonly retryAfter: number | null;
  readonly earlierAttemptMayHaveBeenProcessed: boolean;

  constructor(facts: ApiErrorFacts) {
    super(facts.message);
    this.status = facts.status;
    this.type = facts.type;
    this.code = facts.code;
    this.param = facts.param;
    this.requestId = facts.requestId;
    this.method = facts.method;
    this.path = facts.path;
    this.retries = facts.retries;
    this.retryAfter = facts.retryAfter ?? null;
    this.earlierAttemptMayHaveBeenProcessed = facts.earlierAttemptMayHaveBeenProcessed ?? false;
  }
}

/**
 * The request failed without an HTTP answer: connection refused or reset, timeout, or cancelled.
 * `mayHaveReachedServer` tells a caller whether a write may have happened, counting every attempt:
 * a last attempt refused before sending does not undo an earlier one that may have been processed.
 */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';

  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    readonly mayHaveReachedServer: boolean,
    readonly retries: number,
    readonly causeCode: string | null,
    /** An attempt before the last may have been processed (see ApiError). */
    readonly earlierAttemptMayHaveBeenProcessed = false,
  ) {
    super(message);
  }
}

/** The client is read-only and was asked to send a request that could change something. */
export class ReadOnlyError extends Error {
  override readonly name = 'ReadOnlyError';

  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`Refused ${method} ${path}: the client is in read-only mode and sends only GET requests and POSTs declared safe.`);
  }
}

/** The request was cancelled by its caller (for example an MCP `notifications/cancelled`). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';

  constructor(
    readonly method: string,
    readonly path: string,
    /** The cancellation came after a request had gone out, so a write may have happened. */
    readonly mayHaveReachedServer = false,
  ) {
    super(`${method} ${path} was cancelled.`);
  }
}

/**
 * A path that would not stay on its endpoint: a parameter that is empty, a dot segment (`.`, `..`,
 * `%2e%2e`, …) or not encodable. Servers and gateways resolve dot segments against the path, so such
 * a request could land on another endpoint. Refused before anything is sent.
 */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';

  constructor(
    readonly path: string,
    /** The template parameter at fault, when the path was being built. */
    readonly param: string | null,
    reason: string,
  ) {
    super(`Refused path ${path}: ${reason}. Nothing was sent.`);
  }
}
