/*
 * `--rate-limit RPM`: the organization's request limit, as a token bucket holding one second of
 * requests and refilling at RPM / 60 a second. A request over the limit is answered 429 before it is
 * processed, with `Retry-After` (seconds, rounded up), `retry-after-ms` and the `x-ratelimit-*`
 * headers the API sends, so a client can pace itself. The clock is injectable for tests.
 */

export interface RateDecision {
  allowed: boolean;
  /** Milliseconds until a request would be allowed (0 when allowed). */
  waitMs: number;
  headers: Record<string, string>;
}

export interface RateLimitStats {
  limited: number;
  /**
   * Requests that arrived while an earlier 429's Retry-After had not yet passed, after the client
   * could have read it (one round trip): a client that ignores Retry-After shows here.
   */
  early: number;
}

export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly perMs: number;
  private readonly capacity: number;
  /** When the last 429 said to come back, and when that answer left. */
  private notBefore = 0;
  private toldAt = 0;
  readonly stats: RateLimitStats = { limited: 0, early: 0 };

  constructor(
    readonly rpm: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = rpm / 60_000;
    this.capacity = Math.max(1, rpm / 60);
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Takes a token for one request, or says how long to wait. `roundTripMs` is the sandbox's latency. */
  take(roundTripMs = 0): RateDecision {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.notBefore > 0 && now < this.notBefore - 1 && now > this.toldAt + roundTripMs + 1) this.stats.early += 1;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, waitMs: 0, headers: this.headers(0) };
    }
    const waitMs = Math.ceil((1 - this.tokens) / this.perMs);
    this.stats.limited += 1;
    this.notBefore = now + waitMs;
    this.toldAt = now;
    return {
      allowed: false,
      waitMs,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))), 'retry-after-ms': String(waitMs), ...this.headers(waitMs) },
    };
  }

  private headers(waitMs: number): Record<string, string> {
    const resetMs = waitMs > 0 ? waitMs : Math.ceil((this.capacity - this.tokens) / this.perMs);
    return {
      'x-ratelimit-limit-requests': String(this.rpm),
      'x-ratelimit-remaining-requests': String(Math.floor(this.tokens)),
      'x-ratelimit-reset-requests': `${resetMs}ms`,
    };
  }
}
