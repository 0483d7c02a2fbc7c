/** Statuses worth retrying: timeouts, conflicts from concurrent updates, rate limits and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Answers after which the API may have processed the request: a timeout or a server error may come
 * after the work was done and only the answer was lost. A 429 or a 409 refuses before any change.
 */
export function mayHaveBeenProcessed(status: number): boolean {
  return status === 408 || status >= 500;
}

/** Connection failures in which the request provably never left this machine. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export function wasNeverSent(code: string | null): boolean {
  return code !== null && NOT_SENT_CODES.has(code);
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Upper bound on a server-requested wait; longer waits are not honoured by retrying. */
  maxRetryAfterMs: number;
}

/**
 * How long the server asked us to wait, in ms: `retry-after-ms` first (OpenAI's precise header),
 * then `Retry-After` as seconds or an HTTP date. Null when absent or unreadable.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | null {
  const precise = first(headers['retry-after-ms']);
  if (precise !== undefined) {
    const ms = Number(precise);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  const coarse = first(headers['retry-after']);
  if (coarse === undefined) return null;
  const seconds = Number(coarse);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(coarse);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Exponential backoff with full jitter, unless the server named a wait. */
export function backoffDelay(attempt: number, serverMs: number | null, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (serverMs !== null && serverMs <= policy.maxRetryAfterMs) return serverMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
