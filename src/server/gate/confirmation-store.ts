/*
 * Where confirmations are made exactly-once. A token's signature proves the server issued it; the
 * store is what makes it work once (`claim`), and keeps two confirmations of the same target from
 * running at the same time (`lock`), so the second one sees what the first one did.
 *
 * The in-memory store below holds for one process. Replicas that share the confirmation secret but
 * each keep their own store verify each other's tokens, yet do not see each other's claims or locks
 * (README, "The safety model"). A store shared by the replicas (Redis, say) implements the same
 * operations and makes them hold across them.
 *
 * A shared store can lose its data (Redis restarted without persistence, flushed, its keys evicted),
 * and with it the record of which tokens were used. The store's epoch is what catches that: a value
 * written once, at first use, and carried in every token issued while it stood; a claim under any
 * other epoch is refused, so a store that lost its data fails closed instead of letting tokens replay.
 */

/** The answer to a claim: first use, already used, or issued before the store lost its data. */
export type Claim = 'claimed' | 'used' | 'stale_epoch';

export interface ConfirmationStore {
  /**
   * The store's current epoch, written now if the store has none (first use, or its data was lost).
   * Tokens carry it; `claim` refuses a token whose epoch is not the store's.
   */
  epoch(): Promise<string>;
  /**
   * Records that the token with this nonce has been used, for `ttlMs` (its remaining lifetime), if
   * the store's epoch is still `epoch`, in one atomic step. 'claimed' for exactly one caller per
   * nonce; 'used' for every other, concurrent or later; 'stale_epoch' when the epoch differs.
   */
  claim(nonce: string, ttlMs: number, epoch: string): Promise<Claim>;
  /**
   * Waits until no one else holds `key`, then holds it until released.
   * Rejects, without taking the key, when `signal` aborts while waiting.
   */
  lock(key: string, signal?: AbortSignal): Promise<HeldLock>;
  /** Lets go of connections; the in-memory store has none. */
  close?(): Promise<void>;
}

/**
 * Pending and decided approvals (`--confirm-with approval`), kept where the confirmations are, so
 * that with a shared store any replica serves the approval page and the call. A record is written
 * once; its decision is written once too (the first approve or reject wins, atomically).
 */
export interface ApprovalStore {
  putApproval(id: string, record: string, ttlMs: number): Promise<void>;
  /** The record and its decision, or undefined when there is no such approval (or it aged out). */
  getApproval(id: string): Promise<{ record: string; decision?: string } | undefined>;
  /** Writes the decision if there is none yet: true for exactly one caller per approval. */
  decideApproval(id: string, decision: string, ttlMs: number): Promise<boolean>;
}

/** A lock on one key, as its holder sees it. */
export interface HeldLock {
  /**
   * Proves the lock is still this holder's and keeps it for at least `ms` from now, whatever happens
   * to the holder or the store meanwhile. Resolves false when the lock is gone (lapsed or taken);
   * rejects with StoreUnavailableError when the store cannot say. A holder sends only after true.
   */
  keepFor(ms: number): Promise<boolean>;
  /** Lets the next waiter in; calling it again does nothing. */
  release(): void;
}

/**
 * A shared store that cannot be reached. Destructive confirmations fail closed on it: without the
 * store nothing proves a token has not been used on another replica.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * A shared store's lock on the target stayed held longer than a confirmation waits: another
 * confirmation of it has a request in flight, or a replica died holding it (it frees itself by the
 * request's deadline). Nothing was claimed, so the token stays good.
 */
export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
}

/** Nonces are pruned once this many are held, dropping those whose tokens have expired. */
const PRUNE_AT = 1024;

/**
 * The in-memory store's epoch. The same in every process, so that replicas sharing the secret and no
 * store accept each other's tokens (README, "The safety model"); what that leaves open is in the README.
 */
export const MEMORY_EPOCH = 'memory';

export class MemoryConfirmationStore implements ConfirmationStore, ApprovalStore {
  private readonly used = new Map<string, number>();
  private readonly approvals = new Map<string, { record: string; decision?: string; until: number }>();
  /** A key is held while it has an entry; the entry lists who waits for it, in arrival order. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly now: () => number = Date.now) {}

  async epoch(): Promise<string> {
    return MEMORY_EPOCH;
  }

  async claim(nonce: string, ttlMs: number, epoch: string): Promise<Claim> {
    if (epoch !== MEMORY_EPOCH) return 'stale_epoch';
    // Check and record with no await in between: this is what makes the claim atomic in one process.
    const now = this.now();
    const until = this.used.get(nonce);
    if (until !== undefined && until >= now) return 'used';
    this.used.set(nonce, now + Math.max(0, ttlMs));
    if (this.used.size > PRUNE_AT) {
      for (const [n, expires] of this.used) if (expires < now) this.used.delete(n);
    }
    return 'claimed';
  }

  async lock(key: string, signal?: AbortSignal): Promise<HeldLock> {
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
    return {
      // In one process a lock cannot lapse: it is held until released.
      keepFor: async () => !released,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiting.get(key)?.shift();
        if (next) next();
        else this.waiting.delete(key);
      },
    };
  }

  async putApproval(id: string, record: string, ttlMs: number): Promise<void> {
    const now = this.now();
    for (const [key, entry] of this.approvals) if (entry.until < now) this.approvals.delete(key);
    this.approvals.set(id, { record, until: now + ttlMs });
  }

  async getApproval(id: string): Promise<{ record: string; decision?: string } | undefined> {
    const entry = this.approvals.get(id);
    if (!entry || entry.until < this.now()) return undefined;
    return entry.decision === undefined ? { record: entry.record } : { record: entry.record, decision: entry.decision };
  }

  async decideApproval(id: string, decision: string): Promise<boolean> {
    const entry = this.approvals.get(id);
    if (!entry || entry.decision !== undefined || entry.until < this.now()) return false;
    entry.decision = decision;
    return true;
  }

  /** Keys held or waited for; tests use it to see that every lock was released. */
  get heldKeys(): number {
    return this.waiting.size;
  }
}
