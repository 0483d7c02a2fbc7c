import { createHash } from 'node:crypto';

/*
 * How fast the client may send, per admin key. The API limits requests per minute per organization
 * and says so in `x-ratelimit-limit-requests`; past it, it answers 429 with `Retry-After`. A report
 * that fans out over thousands of projects would otherwise meet the limit head on and spend its
 * retries. So every request of one key passes one gate:
 * - a token bucket at the rate the API announced (one second of burst), so the client paces itself
 *   below the limit instead of discovering it;
 * - a concurrency window that halves on a 429 and grows back by one per window of successes (AIMD);
 * - after a 429, nobody sends until its Retry-After has passed: the retry and every other request
 *   of that key wait for it, rather than each meeting its own 429;
 * - the next page of a page walk goes before the requests queued behind it. A walk has one request
 *   out at a time: queued behind a fan-out, each of its pages would wait for the whole queue, so a
 *   200-page user list finished last, alone, one round trip per page, with the rate left unused
 *   (the first find at 2,000 projects took 1.30× the rate-limit floor of its requests).
 * Clients made per request for the same key (`--key-from-header`) share the gate.
 */

export interface GateOptions {
  /** The most requests in flight at once (the pool's connections). */
  maxConcurrency: number;
  now?: () => number;
}

export interface GateStats {
  /** Requests that waited for a token, the window or a Retry-After. */
  waited: number;
  /** 429s seen. */
  limited: number;
  concurrency: number;
  /** Requests per minute the API announced; null until it has. */
  announcedRpm: number | null;
}

export class Aborted extends Error {}

interface Waiter {
  resolve: () => void;
}

export class RequestGate {
  private window: number;
  private active = 0;
  private readonly queue: Waiter[] = [];
  /** Next pages of page walks, served before `queue`. */
  private readonly pages: Waiter[] = [];
  private pausedUntil = 0;
  private perMs: number | null = null;
  private capacity = 1;
  private tokens = 1;
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  readonly stats: GateStats;

  constructor(private readonly options: GateOptions) {
    this.window = options.maxConcurrency;
    this.now = options.now ?? (() => performance.now());
    this.last = this.now();
    this.stats = { waited: 0, limited: 0, concurrency: this.window, announcedRpm: null };
  }

  /**
   * Resolves when this request may be sent; rejects with `Aborted` if the signal fires first.
   * `nextPage`: the request continues a page walk, and goes before the others waiting.
   */
  acquire(signal?: AbortSignal, nextPage = false): Promise<void> {
    const lane = nextPage ? this.pages : this.queue;
    if (this.pages.length === 0 && (nextPage || this.queue.length === 0) && this.ready()) {
      this.take();
      return Promise.resolve();
    }
    this.stats.waited += 1;
    return new Promise<void>((resolve, reject) => {
      const entry: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = lane.indexOf(entry);
        if (at >= 0) lane.splice(at, 1);
        reject(new Aborted('cancelled while waiting for the rate limit'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.push(entry);
      this.pump();
    });
  }

  /** Requests waiting for the gate. */
  get waiting(): number {
    return this.pages.length + this.queue.length;
  }

  /**
   * Gives the slot back with what the answer said: its status, the wait a 429 asked for, and the
   * limit the API announced. `status` is null for a connection failure.
   */
  release(status: number | null, retryAfterMs: number | null, announcedRpm: number | null): void {
    this.active = Math.max(0, this.active - 1);
    if (announcedRpm !== null && announcedRpm > 0 && announcedRpm !== this.stats.announcedRpm) {
      this.stats.announcedRpm = announcedRpm;
      this.perMs = announcedRpm / 60_000;
      this.capacity = Math.max(1, announcedRpm / 60);
      this.tokens = Math.min(this.tokens, this.capacity);
    }
    if (status === 429) {
      this.stats.limited += 1;
      this.window = Math.max(1, Math.floor(this.window / 2));
      this.tokens = 0;
      this.last = this.now();
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + (retryAfterMs ?? 1_000));
    } else if (status !== null && status < 500) {
      this.window = Math.min(this.options.maxConcurrency, this.window + 1 / Math.max(1, this.window));
    }
    this.stats.concurrency = Math.floor(this.window);
    this.pump();
  }

  private refill(): void {
    const now = this.now();
    if (this.perMs !== null) this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }

  private ready(): boolean {
    if (this.active >= Math.floor(this.window)) return false;
    if (this.now() < this.pausedUntil) return false;
    this.refill();
    return this.perMs === null || this.tokens >= 1;
  }

  private take(): void {
    this.active += 1;
    if (this.perMs !== null) this.tokens -= 1;
  }

  private pump(): void {
    while (this.waiting > 0 && this.ready()) {
      this.take();
      ((this.pages.length > 0 ? this.pages : this.queue).shift() as Waiter).resolve();
    }
    if (this.waiting === 0 || this.timer || this.active >= Math.floor(this.window)) return;
    // Waiting for time (a Retry-After, or the next token), not for a slot: wake when it has passed.
    const now = this.now();
    const untilToken = this.perMs !== null && this.tokens < 1 ? (1 - this.tokens) / this.perMs : 0;
    const wait = Math.max(1, Math.ceil(Math.max(this.pausedUntil - now, untilToken)));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, wait);
    this.timer.unref?.();
  }
}

/** One gate per API origin and admin key, shared by every client of that key. */
const gates = new Map<string, RequestGate>();
const MAX_GATES = 1_000;

export function gateFor(origin: string, apiKey: string, maxConcurrency: number): RequestGate {
  // Keyed by a hash, so the map never holds a key in the clear.
  const id = createHash('sha256').update(`${origin}\n${apiKey}`).digest('base64url');
  let gate = gates.get(id);
  if (gate) {
    gates.delete(id);
  } else {
    gate = new RequestGate({ maxConcurrency });
    if (gates.size >= MAX_GATES) gates.delete(gates.keys().next().value as string);
  }
  gates.set(id, gate);
  return gate;
}

/** `x-ratelimit-limit-requests`, when the answer carries it. */
export function announcedLimit(headers: Record<string, string | string[] | undefined>): number | null {
  const raw = headers['x-ratelimit-limit-requests'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(value) && value > 0 ? value : null;
}
