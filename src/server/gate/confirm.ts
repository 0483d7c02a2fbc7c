import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MemoryConfirmationStore, StoreUnavailableError, type ConfirmationStore } from './confirmation-store.js';

/*
 * Confirmation tokens for destructive tools (README, "The safety model"). A token is an HMAC over the tool name,
 * the canonical arguments, a digest of the target's state as the preview fetched it, an expiry and
 * a nonce. The model cannot forge one, and any replica with the same secret can verify it.
 *
 * Single use is the store's job: redeeming claims the nonce there, atomically, so one token executes
 * once per store, concurrent confirms included. With the in-memory store that is once per process.
 * Between replicas that do not share a store only the state digest stands in the way of a replay:
 * it refuses a token once its execution has changed the target, and nothing more (README).
 *
 * Every token also carries the store's epoch (confirmation-store.ts): when the store loses its data,
 * the epoch goes with it, and every token issued before is refused rather than replayed.
 */

/** What a person answered to an elicitation: the gate's and the approvals' shared vocabulary. */
export type ElicitAnswer = 'accept' | 'decline' | 'cancel';

export const TOKEN_TTL_MS = 5 * 60 * 1000;

interface TokenPayload {
  /** Tool name. */
  t: string;
  /** Digest of the canonical arguments. */
  a: string;
  /** Digest of the target's state at preview time, or null when the tool has no target to fetch. */
  s: string | null;
  /** Expiry, ms since 1970. */
  e: number;
  n: string;
  /** The store's epoch when the token was issued; null when the store could not be reached then. */
  p: string | null;
}

export type ConfirmationEvent = 'issued' | 'used' | 'refused';

/** Told of every token issued, redeemed or refused (the server's metrics), without knowing them. */
export interface ConfirmationObserver {
  confirmation(event: ConfirmationEvent): void;
}

/** A token as issued for a preview. */
export interface IssuedToken {
  token: string;
  expiresAt: number;
  /**
   * Set when the store could not be reached as the token was issued: the token then carries no
   * epoch and is certain to be refused at confirm, and the preview must say so rather than offer it
   * as if it would work.
   */
  warning?: string;
}

export type Verdict = { ok: true; nonce: string; stateDigest: string | null } | { ok: false; reason: string };

export class Confirmations {
  private readonly secret: Buffer;
  readonly store: ConfirmationStore;

  constructor(
    secret: string | undefined,
    private readonly now: () => number = Date.now,
    store?: ConfirmationStore,
    private readonly observer?: ConfirmationObserver,
  ) {
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
    this.store = store ?? new MemoryConfirmationStore(now);
  }

  async issue(tool: string, args: Record<string, unknown>, state: unknown): Promise<IssuedToken> {
    // A preview goes on while the store is down (reads do); its token is then refused at confirm.
    let unreachable: string | undefined;
    const epoch = await this.store.epoch().catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError)) throw error;
      unreachable = error.message;
      return null;
    });
    const expiresAt = this.now() + TOKEN_TTL_MS;
    const payload: TokenPayload = {
      t: tool,
      a: digest(args),
      s: state === undefined ? null : digest(state),
      e: expiresAt,
      n: randomBytes(9).toString('base64url'),
      p: epoch,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    this.observer?.confirmation('issued');
    const token = `${body}.${this.sign(body)}`;
    if (unreachable === undefined) return { token, expiresAt };
    return {
      token,
      expiresAt,
      warning: `${unreachable}, so this token cannot be checked against it and will be refused at confirm: preview again once the store is back (reads and previews go on meanwhile)`,
    };
  }

  /**
   * Checks a token against the call it is presented with and, if it is good, uses it up. Returns
   * ok for at most one call per token, however many arrive at once. `currentState` is the target as
   * fetched now (undefined when the tool has no target); callers hold the target's lock around the
   * fetch, this call and the execution, so a second token for the same target sees the first's change.
   */
  async redeem(token: string, tool: string, args: Record<string, unknown>, currentState: unknown): Promise<Verdict> {
    const verdict = await this.verdictOn(token, tool, args, currentState);
    this.observer?.confirmation(verdict.ok ? 'used' : 'refused');
    return verdict;
  }

  /** A confirmation refused before any verdict, because the store could not be asked (fail closed). */
  refusedForStore(): void {
    this.observer?.confirmation('refused');
  }

  private async verdictOn(token: string, tool: string, args: Record<string, unknown>, currentState: unknown): Promise<Verdict> {
    const checked = this.check(token, tool, args);
    if (!checked.ok) return checked;
    const payload = checked.payload;
    if (payload.p === null) {
      return {
        ok: false,
        reason: 'the token was issued while the confirmation store could not be reached, so it cannot be checked against the store; call the tool without confirm to preview again',
      };
    }
    // Claimed before the state is compared: a token refused for a changed target is spent too, so it
    // cannot come back to life if the target changes back.
    // A token from before epochs existed has none, and is refused as issued under another epoch.
    const claim = await this.store.claim(payload.n, payload.e - this.now(), String(payload.p));
    if (claim === 'stale_epoch') {
      return {
        ok: false,
        reason:
          'the confirmation store lost its data since this token was issued (restarted without persistence, flushed or evicted), so nothing proves the token was not used already; call the tool without confirm to preview again',
      };
    }
    if (claim === 'used') return { ok: false, reason: 'the token has already been used; each token executes once' };
    const stateNow = currentState === undefined ? null : digest(currentState);
    if (payload.s !== stateNow) {
      return {
        ok: false,
        reason: 'the target has changed since the preview (or the token was already used); preview again so the human sees the current state',
      };
    }
    return { ok: true, nonce: payload.n, stateDigest: payload.s };
  }

  /** Signature, tool, arguments and expiry: everything that needs no store and no target. */
  private check(token: string, tool: string, args: Record<string, unknown>): { ok: true; payload: TokenPayload } | { ok: false; reason: string } {
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return { ok: false, reason: 'the token is malformed; call the tool without confirm to get a new one' };
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'the token was not issued by this server (bad signature); call the tool without confirm to get a new one' };
    }
    let payload: TokenPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
    } catch {
      return { ok: false, reason: 'the token is malformed; call the tool without confirm to get a new one' };
    }
    if (payload.t !== tool) return { ok: false, reason: `the token was issued for ${payload.t}, not ${tool}` };
    if (payload.a !== digest(args)) {
      return { ok: false, reason: 'the token was issued for different arguments; repeat the exact arguments of the preview, or preview again' };
    }
    if (this.now() > payload.e) return { ok: false, reason: 'the token has expired (tokens last 5 minutes); call the tool without confirm to preview again' };
    return { ok: true, payload };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}

/** A stable digest: keys sorted at every depth, so equal values always hash equally. */
export function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 32);
}

/**
 * JSON with keys sorted at every depth. Iterative: arguments are checked for depth at the door, but
 * a target's state comes from the API, and neither may be able to exhaust the stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Pending work, last first: either text to emit as it is, or a value to write.
  const pending: Array<{ text: string } | { value: unknown }> = [{ value }];
  while (pending.length > 0) {
    const item = pending.pop() as { text: string } | { value: unknown };
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v !== 'object') {
      out.push(typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? 'null'));
    } else if (Array.isArray(v)) {
      pending.push({ text: ']' });
      for (let i = v.length - 1; i >= 0; i--) {
        pending.push({ value: v[i] });
        if (i > 0) pending.push({ text: ',' });
      }
      pending.push({ text: '[' });
    } else {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      pending.push({ text: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, x] = entries[i] as [string, unknown];
        pending.push({ value: x });
        pending.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
      }
      pending.push({ text: '{' });
    }
  }
  return out.join('');
}
