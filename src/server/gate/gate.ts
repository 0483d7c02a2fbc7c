import { CancelledError } from '../../client/index.js';
import type { ConfirmWith } from '../../config.js';
import { isApprovalId, stamp, type ApprovalRecord, type CallApproval, type TargetCheck } from './approval.js';
import type { ApprovalStamp, AuditEntry } from './audit.js';
import { digest, type Confirmations, type ElicitAnswer, type IssuedToken } from './confirm.js';
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
export type { ElicitAnswer };

export interface GateContext {
  confirmations: Confirmations;
  confirmWith: ConfirmWith;
  elicit?: (message: string) => Promise<ElicitAnswer>;
  signal?: AbortSignal;
  sandbox: boolean;
  /** Set when the policy says this call needs a person's approval (`--confirm-with approval`). */
  approval?: CallApproval;
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
  /** The preview returned with a fresh token; it shows `issued.warning` when there is one. */
  preview(reading: R, issued: IssuedToken): Promise<ToolResult>;
  /** The targets in a reading, with their state digests, for the approval page to read again. */
  checks?(reading: R): TargetCheck[];
}

/** A call cleared to go ahead: how it was confirmed, what was read under the lock, and the lock. */
export interface Cleared<R> {
  decision: string;
  reading: R;
  /** The token's nonce, when a token cleared it. */
  nonce?: string;
  /** The subject's lock, held until the outcome is known: proven (keepFor) before anything is sent. */
  lock: HeldLock;
  /** Who asked and who approved, when a person's approval cleared it. */
  approval?: ApprovalStamp;
}

export type GateAnswer<R> = Cleared<R> | { result: ToolResult };

/** Audit lines of a call that ends at the gate (previews, refusals, declines). */
export type GateTrail = (outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>) => void;

export async function confirmGate<R>(subject: GateSubject<R>, token: string | undefined, ctx: GateContext, trail: GateTrail): Promise<GateAnswer<R>> {
  const opts = { sandbox: ctx.sandbox };
  if (ctx.approval) return approvalGate(subject, token, ctx, ctx.approval, trail);

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
 * A call the policy says needs a person's approval (approval.ts). Without `confirm`, the subject is
 * read and an approval requested for exactly what was read; the client is sent to its page by URL
 * elicitation where it can be (and the call waits for the decision), otherwise the answer is
 * `approval_pending` with the page's URL and the approval's id. With `confirm` set to that id, the
 * approval is checked, the subject read again under its lock, and the approval used up.
 */
async function approvalGate<R>(subject: GateSubject<R>, given: string | undefined, ctx: GateContext, approval: CallApproval, trail: GateTrail): Promise<GateAnswer<R>> {
  const opts = { sandbox: ctx.sandbox };
  if (given !== undefined && !isApprovalId(given)) {
    const message = `${subject.name} refused: this call needs a person's approval on the approval page (--confirm-with approval), and a confirmation token is not one. Nothing was changed. Call ${subject.name} without confirm to request approval.`;
    trail('refused', { decision: 'token_refused: approval required', message });
    return { result: failure(message, opts) };
  }
  if (given !== undefined) return redeemApproval(subject, given, ctx, approval, trail);

  const read = await subject.read();
  if ('result' in read) return read;
  const state = subject.stateOf(read.reading);
  const record = await approval.approvals.request({
    tool: subject.name,
    effect: approval.effect,
    bound: digest(subject.bound),
    arguments: subject.bound,
    state: state === undefined ? null : digest(state),
    checks: subject.checks?.(read.reading) ?? [],
    preview: await subject.ask(read.reading),
    requester: approval.requester,
    rules: approval.rules,
  });
  trail('preview', { decision: 'approval_requested', approval: stamp(record) });
  if (approval.elicitUrl) {
    const message = `${subject.name} needs a person's approval. Open the approval page, sign in, and approve or reject exactly this change.`;
    const answer = await approval.elicitUrl(message, approval.approvals.url(record.id), record.id);
    if (answer !== 'accept') {
      trail('declined', { decision: `approval_elicitation_${answer}`, approval: stamp(record) });
      return { result: success({ status: answer === 'decline' ? 'declined' : 'cancelled', changed: false, note: `The user ${answer === 'decline' ? 'declined' : 'cancelled'} ${subject.name}. Nothing was changed.` }, opts) };
    }
    // The page is open: the decision usually comes within the call. If not, the id lets the model come back.
    const loaded = await approval.approvals.waitForDecision(record.id, record.expires_at, ctx.signal);
    if (loaded?.decision) {
      approval.complete?.(record.id);
      return redeemApproval(subject, record.id, ctx, approval, trail);
    }
  }
  return { result: pending(subject.name, record, approval, opts) };
}

async function redeemApproval<R>(subject: GateSubject<R>, id: string, ctx: GateContext, approval: CallApproval, trail: GateTrail): Promise<GateAnswer<R>> {
  const opts = { sandbox: ctx.sandbox };
  const approvals = approval.approvals;
  const loaded = await approvals.load(id);
  const refuse = (decision: string, reason: string, extra: Partial<AuditEntry> = {}): { result: ToolResult } => {
    const message = `${subject.name} refused: ${reason}. Nothing was changed.`;
    trail('refused', { decision, message, ...extra });
    return { result: failure(message, opts) };
  };
  if (!loaded) return refuse('approval_unknown', `there is no approval ${id} (it may have aged out, or the store lost its data); call ${subject.name} without confirm to request a new one`);
  const { record, decision } = loaded;
  const stamped = { approval: stamp(record, decision) };
  if (record.tool !== subject.name || record.bound !== digest(subject.bound)) {
    return refuse('approval_mismatch', `approval ${id} was given for ${record.tool === subject.name ? 'other arguments' : record.tool}, not for this call; an approval executes only the call it was requested for`, stamped);
  }
  if (record.requester.sub !== approval.requester.sub) return refuse('approval_other_requester', `approval ${id} was requested by someone else; only its requester can use it`, stamped);
  if (decision?.verdict === 'rejected') {
    trail('declined', { decision: 'approval_rejected', ...stamped });
    const by = decision.by.email ?? `subject ${decision.by.sub}`;
    return { result: success({ status: 'rejected', changed: false, approval_id: id, note: `${by} rejected ${subject.name} at ${new Date(decision.at).toISOString()}. Nothing was changed.` }, opts) };
  }
  if (loaded.expired) {
    await approvals.expired(record);
    return refuse('approval_expired', `approval ${id} expired at ${new Date(record.expires_at).toISOString()}${decision ? ' before it was used' : ' before anyone approved it'}; call ${subject.name} without confirm to request a new one`, stamped);
  }
  if (!decision) {
    trail('preview', { decision: 'approval_pending', ...stamped });
    return { result: pending(subject.name, record, approval, opts) };
  }
  return underLock(ctx, subject.lockKey, async (lock) => {
    const read = await subject.read();
    if ('result' in read) return read;
    const now = subject.stateOf(read.reading);
    // Claimed before the state is compared, as a token is: one refused for a changed target is spent too.
    const claim = await ctx.confirmations.store.claim(`approval:${id}`, Math.max(1, record.expires_at - approvals.clock()) + 3_600_000, record.epoch);
    if (claim === 'used') return refuse('approval_used', `approval ${id} has already been used; each approval executes once`, stamped);
    if (claim === 'stale_epoch') return refuse('approval_stale_epoch', 'the confirmation store lost its data since the approval was requested, so nothing proves it was not used already; call again without confirm', stamped);
    if ((now === undefined ? null : digest(now)) !== record.state) {
      return refuse('approval_target_changed', `the target changed since the preview that was approved, so approval ${id} cannot execute; call ${subject.name} without confirm to preview the current state and ask again`, stamped);
    }
    return { decision: 'approval_approved', reading: read.reading, lock, ...stamped };
  });
}

function pending(name: string, record: ApprovalRecord, approval: CallApproval, opts: { sandbox: boolean }): ToolResult {
  return success(
    {
      status: 'approval_pending',
      approval_id: record.id,
      approval_url: approval.approvals.url(record.id),
      expires_at: new Date(record.expires_at).toISOString(),
      changed: false,
      next_step: `Nothing has changed yet. A person the operator's policy names must open approval_url, sign in and approve. Give the user approval_url; once it is approved, call ${name} again with the same arguments plus confirm set to approval_id (once, before expires_at). Until then that call answers approval_pending.`,
    },
    opts,
  );
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

/** A preview's `warnings`: what its reading found, then why its token will be refused, if it will; none, no field. */
export function withWarnings(found: readonly string[], tokenWarning: string | undefined): { warnings?: string[] } {
  const all = tokenWarning === undefined ? [...found] : [...found, tokenWarning];
  return all.length > 0 ? { warnings: all } : {};
}
