import { CancelledError } from '../../client/index.js';
import type { ConfirmWith } from '../../config.js';
import type { AuditEntry } from './audit.js';
import { digest, type Confirmations } from './confirm.js';
import type { HeldLock } from './confirmation-store.js';
import { failure, success, type ToolResult } from '../results/results.js';

/*
 * The confirmation gate (README, "The safety model"), one implementation for every call that changes something
 * only after a person agreed: a single destructive tool (its target) and a plan (its steps and all
 * their targets). A token, when given, is checked against what is read now under the subject's
 * lock; otherwise the human is asked through elicitation where the client can and the mode allows,
 * or a preview with a fresh token is returned.
 */

/** How a person answered a confirmation asked through the client (MCP elicitation). */
export type ElicitAnswer = 'accept' | 'decline' | 'cancel';

export interface GateContext {
  confirmations: Confirmations;
  confirmWith: ConfirmWith;
  elicit?: (message: string) => Promise<ElicitAnswer>;
  signal?: AbortSignal;
  sandbox: boolean;
}

/** What is being confirmed. `R` is what one reading of it holds (a target, a plan). */
export interface GateSubject<R> {
  /** The tool the token is issued for. */
  name: string;
  /** The arguments the token is bound to. */
  bound: Record<string, unknown>;
  /** Confirmations of one subject take turns from reading it to the result. */
  lockKey: string;
  /** Reads the subject now; a result instead ends the call (nothing to delete, a refused step). */
  read(): Promise<{ reading: R } | { result: ToolResult }>;
  /** The part of a reading the token is bound to; undefined when there is nothing to read. */
  stateOf(reading: R): unknown;
  /** The elicitation text: what the human approves. */
  ask(reading: R): Promise<string>;
  /** The preview returned with a fresh token. */
  preview(reading: R, issued: { token: string; expiresAt: number }): Promise<ToolResult>;
}

/** A call cleared to go ahead: how it was confirmed, what was read under the lock, and the lock. */
export interface Cleared<R> {
  decision: string;
  reading: R;
  /** The token's nonce, when a token cleared it. */
  nonce?: string;
  /** The subject's lock, held until the outcome is known: proven (keepFor) before anything is sent. */
  lock: HeldLock;
}

export type GateAnswer<R> = Cleared<R> | { result: ToolResult };

/** Audit lines of a call that ends at the gate (previews, refusals, declines). */
export type GateTrail = (outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>) => void;

export async function confirmGate<R>(subject: GateSubject<R>, token: string | undefined, ctx: GateContext, trail: GateTrail): Promise<GateAnswer<R>> {
  const opts = { sandbox: ctx.sandbox };

  if (token !== undefined) {
    return underLock(ctx, subject.lockKey, async (lock) => {
      const read = await subject.read();
      if ('result' in read) return read;
      const { reading } = read;
      const verdict = await ctx.confirmations.redeem(token, subject.name, subject.bound, subject.stateOf(reading));
      if (!verdict.ok) {
        trail('refused', { decision: `token_refused: ${verdict.reason}` });
        return { result: failure(`${subject.name} refused: ${verdict.reason}. Nothing was changed.`, opts) };
      }
      return { decision: 'token_accepted', reading, nonce: verdict.nonce, lock };
    });
  }

  const read = await subject.read();
  if ('result' in read) return read;
  const { reading } = read;
  const state = subject.stateOf(reading);

  const canElicit = ctx.elicit !== undefined && ctx.confirmWith !== 'token';
  if (ctx.confirmWith === 'elicitation' && !canElicit) {
    const message = `${subject.name} refused: the server confirms with elicitation (--confirm-with elicitation) but this client cannot show a confirmation dialog. Nothing was changed.`;
    trail('refused', { decision: 'elicitation_unavailable', message });
    return { result: failure(message, opts) };
  }
  if (canElicit && ctx.elicit) {
    const answer = await ctx.elicit(await subject.ask(reading));
    if (answer !== 'accept') {
      trail('declined', { decision: `elicitation_${answer}` });
      return {
        result: success(
          { status: answer === 'decline' ? 'declined' : 'cancelled', changed: false, note: `The user ${answer === 'decline' ? 'declined' : 'cancelled'} ${subject.name}. Nothing was changed.` },
          opts,
        ),
      };
    }
    // The dialog may have stayed open a while: what the human approved must still be what is there.
    // The lock is taken only now, so an open dialog never holds up another confirmation.
    return underLock(ctx, subject.lockKey, async (lock) => {
      const again = await subject.read();
      if ('result' in again) return again;
      const now = again.reading;
      if (state !== undefined && digest(subject.stateOf(now)) !== digest(state)) {
        trail('refused', { decision: 'elicitation_accept_stale' });
        return { result: failure(`${subject.name} refused: the target changed while the confirmation was open. Nothing was changed; call again to see the current state.`, opts) };
      }
      return { decision: 'elicitation_accept', reading: now, lock };
    });
  }

  const issued = await ctx.confirmations.issue(subject.name, subject.bound, state);
  trail('preview', { decision: 'token_issued' });
  return { result: await subject.preview(reading, issued) };
}

/**
 * Runs `step` holding the lock on `key`. A step that clears the call takes the lock with it (released
 * once the outcome is known); any other ending releases it here. A shared store that cannot be
 * reached (StoreUnavailableError) or whose lock stays held too long (LockBusyError) throws: callers
 * refuse, closed.
 */
export async function underLock<G extends object>(ctx: Pick<GateContext, 'confirmations' | 'signal'>, key: string, step: (lock: HeldLock) => Promise<G | { result: ToolResult }>): Promise<G | { result: ToolResult }> {
  let lock: HeldLock;
  try {
    lock = await ctx.confirmations.store.lock(key, ctx.signal);
  } catch (error) {
    if (ctx.signal?.aborted) throw new CancelledError('LOCK', key, false);
    throw error;
  }
  let handedOver = false;
  try {
    const gate = await step(lock);
    handedOver = !('result' in gate);
    return gate;
  } finally {
    if (!handedOver) lock.release();
  }
}
