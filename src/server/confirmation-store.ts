/*
 * Where confirmations are made exactly-once. A token's signature proves the server issued it; the
 * store is what makes it work once (`claim`), and keeps two confirmations of the same target from
 * running at the same time (`lock`), so the second one sees what the first one did.
 *
 * The in-memory store below holds for one process. Replicas that share the confirmation secret but
 * each keep their own store verify each other's tokens, yet do not see each other's claims or locks
 * (README, "The safety model"). A store shared by the replicas (Redis, say) implements the same two
 * operations and makes both hold across them.
 */

export interface ConfirmationStore {
  /**
   * Records that the token with this nonce has been used, for `ttlMs` (its remaining lifetime).
   * Resolves true for exactly one caller per nonce and false for every other, concurrent or later.
   */
  claim(nonce: string, ttlMs: number): Promise<boolean>;
  /**
   * Waits until no one else holds `key`, then holds it until the returned release is called.
   * Rejects, without taking the key, when `signal` aborts while waiting.
   */
  lock(key: string, signal?: AbortSignal): Promise<() => void>;
  /** Lets go of connections; the in-memory store has none. */
  close?(): Promise<void>;
}

/**
 * A shared store that cannot be reached. Destructive confirmations fail closed on it: without the
 * store nothing proves a token has not been used on another replica.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** Nonces are pruned once this many are held, dropping those whose tokens have expired. */
const PRUNE_AT = 1024;

export class MemoryConfirmationStore implements ConfirmationStore {
  private readonly used = new Map<string, number>();
  /** A key is held while it has an entry; the entry lists who waits for it, in arrival order. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(nonce: string, ttlMs: number): Promise<boolean> {
    // Check and record with no await in between: this is what makes the claim atomic in one process.
    const now = this.now();
    const until = this.used.get(nonce);
    if (until !== undefined && until >= now) return false;
    this.used.set(nonce, now + Math.max(0, ttlMs));
    if (this.used.size > PRUNE_AT) {
      for (const [n, expires] of this.used) if (expires < now) this.used.delete(n);
    }
    return true;
  }

  async lock(key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const queue = this.waiting.get(key);
    if (queue === undefined) {
      this.waiting.set(key, []);
    } else {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const at = queue.indexOf(wake);
          if (at >= 0) queue.splice(at, 1);
          reject(signal?.reason ?? new Error('aborted'));
        };
        queue.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(key)?.shift();
      if (next) next();
      else this.waiting.delete(key);
    };
  }

  /** Keys held or waited for; tests use it to see that every lock was released. */
  get heldKeys(): number {
    return this.waiting.size;
  }
}
