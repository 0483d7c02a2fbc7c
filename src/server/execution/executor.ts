import { randomBytes } from 'node:crypto';
import { ApiError, BUCKET_SECONDS, CancelledError, ConnectionError, UnsafePathError, buildPath, serializeQuery, type AdminClient, type BucketWidth, type Query } from '../../client/index.js';
import type { ConfirmWith } from '../../config.js';
import { redact } from '../../log.js';
import { isoDate } from '../../time.js';
import type { CallApproval } from '../gate/approval.js';
import { AuditWriteError, type ApprovalStamp, type AuditEntry, type AuditSink } from '../gate/audit.js';
import { digest, TOKEN_TTL_MS, type Confirmations } from '../gate/confirm.js';
import { LockBusyError, StoreUnavailableError, type HeldLock } from '../gate/confirmation-store.js';
import type { EndpointTool } from '../../../tools/define.js';
import { confirmGate, underLock, withWarnings, type ElicitAnswer } from '../gate/gate.js';
import { settleFailure, type Settled, type TargetRead } from '../gate/outcome.js';
import type { PlanStep } from '../gate/workflow.js';
import { affected, certainRefusal, duplicates, readable, warnings, type Effects } from '../gate/preview.js';
import { describeMatch, matchNames, namesGivenAsIds, resolvable, type NameMatch } from '../gate/names-as-ids.js';
import { selectableNames, type RegisteredTool } from '../listing/registry.js';
import { compact, DEFAULT_MAX_RESULT_TOKENS, fitToBudget, IDENTIFYING_FIELDS, selectFields, type CutContext } from '../results/budget.js';
import { describeFailure, describeValidation, failure, inertJson, success, type ToolResult } from '../results/results.js';

export interface ExecContext {
  client: AdminClient;
  confirmations: Confirmations;
  /** Results come from the built-in sandbox. */
  sandbox: boolean;
  /** Mask one-time secrets even in results. */
  redactSecrets: boolean;
  confirmWith: ConfirmWith;
  /** Asks the human through MCP elicitation; absent when the client cannot. */
  elicit?: (message: string) => Promise<ElicitAnswer>;
  audit?: AuditSink;
  signal?: AbortSignal;
  /** The token budget of one result (`--max-result-tokens`); default 8,000. */
  maxResultTokens?: number;
  /** Set when this call is a step of a confirmed plan. */
  step?: PlanStep;
  /** Set when the policy says this call needs a person's approval (`--confirm-with approval`). */
  approval?: CallApproval;
  /** Wall clock in ms, for "in active use"; Date.now unless a test sets it. */
  now?: () => number;
}

export interface PlannedRequest {
  method: EndpointTool['method'];
  path: string;
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

/**
 * One endpoint call as it passes from step to step once its request is built: what was asked, the
 * request it makes, and where it reports. One object rather than the eight or nine positional
 * parameters each step took, several of them records that were easy to pass in the wrong place.
 */
interface Call {
  tool: RegisteredTool;
  endpoint: EndpointTool;
  /** The validated arguments with the server's fixed ones: what the audit line records. */
  args: Record<string, unknown>;
  /** The arguments the request is built from: without the server's own fields and its filters. */
  fields: Record<string, unknown>;
  request: PlannedRequest;
  /** Where the target is read before a change, for a tool that has one. */
  targetPath: string | undefined;
  ctx: ExecContext;
  trail: Attempt;
}

/** Runs any endpoint tool: validate, build the request, apply the safety policy, call the client. */
export async function executeEndpoint(tool: RegisteredTool, rawArgs: unknown, ctx: ExecContext): Promise<ToolResult> {
  const endpoint = tool.endpoint;
  if (!endpoint) throw new Error(`${tool.name} is not an endpoint tool`);
  const trail = new Attempt(tool, ctx.audit, ctx.step);
  try {
    return await run(tool, endpoint, rawArgs, ctx, trail);
  } catch (error) {
    if (error instanceof AuditWriteError) return failure(`${tool.name} refused: ${error.message}. Nothing was sent: writes are not made without an audit line.`, ctx);
    throw error;
  }
}

async function run(tool: RegisteredTool, endpoint: EndpointTool, rawArgs: unknown, ctx: ExecContext, trail: Attempt, renamed = false): Promise<ToolResult> {
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    // "Support Assistant" as project_id: the ID it names, rather than which characters IDs may hold.
    const named = renamed ? [] : namedIdFields(parsed.error);
    if (named.length > 0) {
      const answer = await answerNames(tool, endpoint, argumentsOf(rawArgs), named, ctx, trail);
      if (answer) return answer;
    }
    const message = describeValidation(tool.name, parsed.error, Object.keys(tool.input.shape));
    trail.final(argumentsOf(rawArgs), 'refused', { decision: 'invalid_arguments', message });
    return failure(message, ctx);
  }
  const args = { ...parsed.data, ...tool.fixed } as Record<string, unknown>;
  const { max_items: maxItems, dry_run: dryRun, confirm, fields: selected, ...given } = args;
  // Server-side filters never reach the API, which would refuse a parameter it does not know.
  const filters = Object.entries(endpoint.filters ?? {}).flatMap(([name, f]) => (typeof given[name] === 'string' ? [{ name, field: f.field, value: given[name] as string }] : []));
  const fields = Object.fromEntries(Object.entries(given).filter(([name]) => !(endpoint.filters && name in endpoint.filters)));
  let request: PlannedRequest;
  let targetPath: string | undefined;
  try {
    request = planRequest(endpoint, fields);
    targetPath = endpoint.target ? buildPath(endpoint.target, fields) : undefined;
  } catch (error) {
    // The client's path guard, reached by a value validation did not see (a fixed --project, say).
    if (!(error instanceof UnsafePathError)) throw error;
    const message = describeFailure(error, { tool: tool.name, write: false });
    trail.final(args, 'refused', { decision: 'unsafe_path', message });
    return failure(message, ctx);
  }

  // A write that makes a second object of the same name says so, on the dry run and with the result.
  // A plan's step does not: its plan said so before it was confirmed.
  const dupes = tool.effect === 'write' && !ctx.step ? await duplicates(ctx.client, endpoint, fields, ctx.signal) : [];
  if (dryRun === true && !ctx.step) {
    trail.final(args, 'dry_run');
    const note = endpoint.preview?.duplicate ? 'Nothing was changed: only a read was sent, to look for a duplicate.' : 'Nothing was sent.';
    return success({ dry_run: true, note, request: masked(request), ...(dupes.length > 0 ? { warnings: dupes } : {}) }, ctx);
  }

  const call: Call = { tool, endpoint, args, fields, request, targetPath, ctx, trail };
  let gate: Confirmed | undefined;
  try {
    if (ctx.step && tool.effect !== 'read') {
      const answer = await clearStep(ctx.step, call);
      if ('result' in answer) return answer.result;
      gate = answer;
    } else if (tool.effect === 'destructive') {
      const answer = await confirmDestructive(call, typeof confirm === 'string' ? confirm : undefined);
      if ('result' in answer) return answer.result;
      gate = answer;
      trail.approval = answer.approval;
    }
  } catch (error) {
    if (error instanceof AuditWriteError) throw error;
    if (error instanceof StoreUnavailableError) {
      // Fail closed: without the shared store nothing proves the token was not used on another replica.
      const message = `${tool.name} refused: ${error.message}. Nothing was changed. Confirmed changes need the shared store (--store) so that each token executes once across replicas; reads go on. Try again once the store is back.`;
      trail.final(args, 'refused', { decision: 'store_unavailable', message });
      ctx.confirmations.refusedForStore();
      return failure(message, ctx);
    }
    if (error instanceof LockBusyError) {
      const message = `${tool.name} refused: ${error.message}. Nothing was changed, and the token was not used: try it again later.`;
      trail.final(args, 'refused', { decision: 'target_busy', message });
      ctx.confirmations.refusedForStore();
      return failure(message, ctx);
    }
    const message = describeFailure(error, { tool: tool.name, write: false });
    trail.final(args, 'failed', { decision: 'target_fetch_failed', ...statusOf(error), message });
    return failure(message, ctx);
  }

  // A confirmed call holds its target's lock until its outcome is known (see confirmDestructive).
  try {
    const shaping: Shaping = { maxItems: typeof maxItems === 'number' ? maxItems : undefined, fields: Array.isArray(selected) ? (selected as string[]) : undefined, warnings: dupes, filters };
    const result = await execute(call, shaping, gate);
    // "Atlas" as project_id passes the ID check and is answered 404: a read is answered for the ID it names.
    if (!renamed && NOT_FOUND.has(result)) {
      const pathFields = Object.keys(endpoint.input.path ?? {}).filter(resolvable);
      if (pathFields.length > 0) return (await answerNames(tool, endpoint, argumentsOf(rawArgs), pathFields, ctx, trail)) ?? result;
    }
    return result;
  } finally {
    gate?.lock.release();
  }
}

async function execute(call: Call, shaping: Shaping, gate: Confirmed | undefined): Promise<ToolResult> {
  const { tool, endpoint, request, args, ctx, trail } = call;
  const decision = gate?.decision;
  // Immediately before sending: the lock must still be this call's, kept over the request's whole
  // deadline, or nothing goes out (see holdForSending).
  const deadlineMs = ctx.client.requestDeadlineMs;
  if (gate) {
    const lost = await holdForSending(gate, deadlineMs);
    if (lost !== undefined) {
      const message = `${tool.name} not executed: ${lost} Nothing was sent, so nothing changed; the token is used up. Call ${tool.name} without confirm to preview again.`;
      trail.final(args, 'refused', { decision: 'lock_lost', message });
      return failure(message, ctx);
    }
  }
  if (tool.effect !== 'read') trail.request(args, decision);
  // A confirmed write ends by its deadline, which its lock covers: it never runs unguarded.
  const deadline = gate ? AbortSignal.timeout(deadlineMs) : undefined;
  try {
    const sendCtx = deadline ? { ...ctx, signal: ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline } : ctx;
    const { result, status, requestId, earlierAttempt } = await send(tool, endpoint, request, shaping, sendCtx);
    if (tool.effect !== 'read') {
      trail.result(args, 'succeeded', { decision, status, request_id: requestId, ...(earlierAttempt ? { earlier_attempt_may_have_been_processed: true } : {}) });
    }
    return result;
  } catch (caught) {
    if (caught instanceof AuditWriteError) {
      return failure(`${tool.name}: the request was sent and succeeded, but ${caught.message}. Check the change with the matching retrieve tool.`, ctx);
    }
    // Cut off by its deadline, not cancelled by the caller: a failed attempt, settled as any other.
    const error =
      caught instanceof CancelledError && deadline?.aborted && !ctx.signal?.aborted
        ? new ConnectionError(
            `${caught.method} ${caught.path} did not finish within its deadline of ${seconds(deadlineMs)} (every attempt and wait its retries allow, which the target's lock covers), so it was cut off.`,
            caught.method,
            caught.path,
            caught.mayHaveReachedServer,
            0,
            'DEADLINE',
          )
        : caught;
    // A setting that is not set is an answer, not an error.
    const unset = tool.effect === 'read' && error instanceof ApiError && error.status === 404 ? await notConfigured(endpoint, args, ctx) : undefined;
    if (unset) return success(unset, ctx);
    // A 404 for an argument that is a name, not an ID, says which ID was meant.
    const notFound = error instanceof ApiError && error.status === 404;
    if (tool.effect === 'read') {
      const result = failure(describeFailure(error, { tool: tool.name, write: false }), ctx);
      if (notFound) NOT_FOUND.add(result);
      return result;
    }
    const hints = notFound ? await namesGivenAsIds(ctx.client, Object.keys(endpoint.input.path ?? {}), args, ctx.signal) : [];
    const settled = await settleFailure(error, {
      method: endpoint.method,
      targetPath: gate?.targetPath,
      before: gate?.before,
      read: (path) => fetchTarget(ctx, path),
    });
    try {
      return reportFailure(call, error, settled, decision, hints);
    } catch (auditError) {
      // The request went out, so "nothing was sent" would be wrong: report both facts.
      if (auditError instanceof AuditWriteError) {
        return failure(`${describeFailure(error, { tool: tool.name, write: true })}\nAlso, ${auditError.message}.`, ctx);
      }
      throw auditError;
    }
  }
}

/** The result and audit line of a write whose request failed, as settled by settleFailure. */
function reportFailure(call: Call, error: unknown, settled: Settled, decision: string | undefined, hints: readonly string[] = []): ToolResult {
  const { tool, endpoint, args, ctx, trail } = call;
  const answer = statusOf(error);
  const lastAnswer = answer.status === null ? describeFailure(error, { tool: tool.name, write: true }).split('\n')[0] : `HTTP ${answer.status}`;
  if (settled.kind === 'done') {
    const note = `${tool.name} took effect, although its last answer was ${lastAnswer} (request_id ${answer.request_id ?? 'none'}): an earlier attempt's answer was lost or the API failed after processing it. ${settled.evidence}`;
    trail.result(args, 'succeeded', { decision, ...answer, verified: settled.evidence, message: note });
    return success({ status: 'done', ...(endpoint.method === 'DELETE' ? { deleted: true } : {}), verified: settled.evidence, note }, ctx);
  }
  if (settled.kind === 'not_done') {
    const message = `${describeFailure(error, { tool: tool.name, write: true, checkedNotDone: true })}\nChecked: ${settled.evidence}`;
    trail.result(args, 'failed', { decision, ...answer, may_have_happened: false, verified: settled.evidence, message });
    return failure(message, ctx);
  }
  if (settled.kind === 'uncertain') {
    let message = describeFailure(error, { tool: tool.name, write: true });
    if (settled.evidence) message += `\nChecked: ${settled.evidence}`;
    if (settled.state !== undefined) message += `\nThe target now (data from the API): ${inertJson(settled.state)}`;
    trail.result(args, 'failed', { decision, ...answer, may_have_happened: true, ...(settled.evidence ? { verified: settled.evidence } : {}), message });
    return failure(message, ctx);
  }
  const message = [describeFailure(error, { tool: tool.name, write: true }), ...hints].join('\n');
  trail.result(args, 'failed', { decision, ...answer, may_have_happened: false, message });
  return failure(message, ctx);
}

/** A destructive call cleared to execute: how it was confirmed, the target it read, and its lock. */
interface Confirmed {
  decision: string;
  targetPath?: string;
  /** The target as read under the lock, just before the request goes out. */
  before?: TargetRead;
  lock: HeldLock;
  approval?: ApprovalStamp;
}

/**
 * Proves the target's lock is still this call's and keeps it for the request's whole deadline (with
 * its retries), so that no stall of the store or of this process can let a second confirmation in
 * while the request may be running; past it, the holder's renewals keep it while the outcome is
 * settled. Undefined when it holds; otherwise why the request must not be sent.
 */
async function holdForSending(gate: Confirmed, deadlineMs: number): Promise<string | undefined> {
  try {
    if (await gate.lock.keepFor(deadlineMs)) return undefined;
    return 'its lock on the target lapsed before the request went out (the confirmation store stalled or lost its data), so another confirmation of the same target may be running.';
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    return `its lock on the target could not be proven still held just before sending: ${error.message}.`;
  }
}


type Gate = Confirmed | { result: ToolResult };

/** The lock of a call: its target's, or for a tool without a target its request's. */
function lockKeyOf(request: PlannedRequest, targetPath: string | undefined): string {
  return targetPath ? `GET ${targetPath}` : `${request.method} ${request.path}`;
}

const stateOf = (target: TargetRead | undefined) => (target ? (target.found ? target.state : null) : undefined);

/** The second step of a destructive call, through the one confirmation gate (gate.ts). */
async function confirmDestructive(call: Call, token: string | undefined): Promise<Gate> {
  const { tool, endpoint, request, targetPath, fields, args, ctx, trail } = call;
  // The API's rules make some calls certain to fail: say why now rather than offer or take a token.
  const refusal = await certainRefusal(ctx.client, endpoint, fields, ctx.signal);
  if (refusal) {
    const message = `${tool.name} refused before sending: ${refusal} Nothing was changed.`;
    trail.final(args, 'refused', { decision: 'certain_refusal', message });
    return { result: failure(message, ctx) };
  }
  // What else changes and what to beware of: shown to whoever confirms, model (preview) or human (dialog).
  const beyond = async (target: TargetRead | undefined): Promise<{ effects: Effects; warned: string[] }> => {
    const effects = await affected(ctx.client, endpoint, fields, ctx.signal);
    const warned = await warnings(ctx.client, endpoint, fields, stateOf(target), effects, Math.floor((ctx.now ?? Date.now)() / 1000), ctx.signal);
    return { effects, warned };
  };
  const answer = await confirmGate<TargetRead | undefined>(
    {
      name: tool.name,
      bound: fields,
      // Confirmations of one target take turns from reading it to the result, so of two tokens for
      // the same target the second reads what the first did and is refused.
      lockKey: lockKeyOf(request, targetPath),
      read: async () => {
        const target = targetPath ? await fetchTarget(ctx, targetPath) : undefined;
        // A delete of something that is not there is refused; a replace of a policy that is not set yet is fine.
        if (target && !target.found && request.method === 'DELETE') {
          const hints = await namesGivenAsIds(ctx.client, Object.keys(endpoint.input.path ?? {}), fields, ctx.signal);
          const message = [`${tool.name}: nothing to delete, the target does not exist (GET ${targetPath} answered 404).`, ...hints].join('\n');
          trail.final(args, 'refused', { decision: 'target_missing', message });
          return { result: failure(message, ctx) };
        }
        return { reading: target };
      },
      stateOf,
      checks: (target) => (targetPath && target ? [{ path: targetPath, digest: digest(stateOf(target)) }] : []),
      ask: async (target) => {
        const { effects, warned } = await beyond(target);
        return describeForHuman(tool, request, stateOf(target), effects, warned);
      },
      preview: async (target, issued) => {
        const state = stateOf(target);
        const { effects, warned } = await beyond(target);
        const shown = endpoint.preview?.alone !== undefined && Object.keys(effects.shown).length === 0 ? endpoint.preview.alone : effects.shown;
        return success(
          {
            status: 'confirmation_required',
            action: `${tool.title}: ${tool.description}`,
            request: masked(request),
            ...(state !== undefined ? { target: readable(state) } : {}),
            effects: shown,
            ...withWarnings(warned, issued.warning),
            confirmation_token: issued.token,
            expires_at: new Date(issued.expiresAt).toISOString(),
            next_step: `Nothing has changed yet. Show this preview to the user; if they agree, call ${tool.name} again with the same arguments plus confirm set to confirmation_token (valid 5 minutes, once).`,
          },
          ctx,
        );
      },
    },
    token,
    ctx,
    (outcome, extra) => trail.final(args, outcome, extra),
  );
  if ('result' in answer) return answer;
  return { decision: answer.decision, targetPath, before: answer.reading, lock: answer.lock, ...(answer.approval ? { approval: answer.approval } : {}) };
}

/**
 * A step of a plan the person confirmed as a whole (src/plans): no token of its own, but the same
 * lock, a fresh read of its target, and a claim in the confirmation store, so the step executes at
 * most once (across replicas with --store) and never against a target that changed since the plan.
 * A delete whose target is already gone is done: the plan's end state holds without a request.
 */
async function clearStep(step: PlanStep, call: Call): Promise<Gate> {
  const { request, targetPath, args, ctx, trail } = call;
  return underLock<Confirmed>(ctx, lockKeyOf(request, targetPath), async (lock) => {
    const target = targetPath ? await fetchTarget(ctx, targetPath) : undefined;
    if (target && !target.found && request.method === 'DELETE') {
      trail.final(args, 'skipped', { decision: 'already_gone', message: `GET ${targetPath} answered 404: nothing left to delete.` });
      return { result: success({ status: 'done', already_gone: true, note: 'The target was already gone; nothing was sent.' }, ctx) };
    }
    if (step.state !== undefined && digest(stateOf(target)) !== step.state) {
      const message = `step ${step.step} of plan ${step.plan} refused: its target changed since the plan was shown (GET ${targetPath}). Nothing was sent; call the workflow again to plan from the current state.`;
      trail.final(args, 'refused', { decision: 'plan_target_changed', message });
      return { result: failure(message, ctx) };
    }
    // Claimed under the epoch the plan was confirmed in: a store that lost its data since then lost
    // the record of which steps ran, so the rest of the plan is refused rather than maybe repeated.
    const claim = await ctx.confirmations.store.claim(`${step.plan}:${step.step}`, TOKEN_TTL_MS, step.epoch);
    if (claim !== 'claimed') {
      const message =
        claim === 'used'
          ? `step ${step.step} of plan ${step.plan} refused: it has already been executed; each step executes once.`
          : `step ${step.step} of plan ${step.plan} refused: the confirmation store lost its data since the plan was confirmed, so nothing proves this step has not run already. Nothing was sent; call the workflow again to plan from the current state.`;
      trail.final(args, 'refused', { decision: claim === 'used' ? 'plan_step_used' : 'plan_stale_epoch', message });
      return { result: failure(message, ctx) };
    }
    // The lock is proven held, over the request's whole deadline, just before sending (holdForSending).
    return { decision: 'plan_confirmed', targetPath, before: target, lock };
  });
}

function describeForHuman(tool: RegisteredTool, request: PlannedRequest, state: unknown, effects: Effects, warned: readonly string[]): string {
  const lines = [`${tool.title}: ${tool.description}`, `Request: ${request.method} ${request.path}${request.query ? serializeQuery(request.query as Query) : ''}`];
  // The human approves what this text shows, so nothing in it may render deceptively (bidi, invisible characters).
  if (request.body && Object.keys(request.body).length > 0) lines.push(`Body: ${inertJson(request.body)}`);
  if (state !== undefined) lines.push(`Current state (data from the API): ${inertJson(readable(state))}`);
  for (const [label, effect] of Object.entries(effects.shown)) {
    lines.push('unknown' in effect ? `Also ${label} (${effect.effect}): unknown, ${effect.unknown}` : `Also ${label} (${effect.effect}): ${effect.count}${effect.count > 0 ? `: ${inertJson(effect.items)}` : ''}`);
  }
  for (const warning of warned) lines.push(`Warning: ${warning}`);
  lines.push('Approve this change?');
  return lines.join('\n');
}

/** Splits validated fields into path, query and body as the definition places them. */
export function planRequest(endpoint: EndpointTool, fields: Record<string, unknown>): PlannedRequest {
  const pick = (shape: object | undefined) => {
    if (!shape) return undefined;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) if (fields[key] !== undefined) out[key] = fields[key];
    return out;
  };
  const query = pick(endpoint.input.query);
  const body = pick(endpoint.input.body);
  return {
    method: endpoint.method,
    path: buildPath(endpoint.path, fields),
    ...(query && Object.keys(query).length > 0 ? { query } : {}),
    ...(body && (endpoint.method === 'POST' || Object.keys(body).length > 0) ? { body } : {}),
  };
}

interface Sent {
  result: ToolResult;
  status: number | null;
  requestId: string | null;
  /** An earlier attempt may have been processed before the one that succeeded. */
  earlierAttempt?: boolean;
}

/** What the caller asked of the result's shape: how many items, and which fields of each. */
interface Shaping {
  maxItems: number | undefined;
  fields: string[] | undefined;
  /** Said beside the answer (a duplicate name). */
  warnings?: string[];
  /** Server-side filters given (see EndpointTool.filters). */
  filters?: ReadonlyArray<{ name: string; field: string; value: string }>;
}

async function send(tool: RegisteredTool, endpoint: EndpointTool, request: PlannedRequest, shaping: Shaping, ctx: ExecContext): Promise<Sent> {
  const { maxItems } = shaping;
  const answer = (data: Record<string, unknown>) => success(shaped(tool, endpoint, data, request, shaping, ctx), ctx);
  if (endpoint.pagination === 'page_token' && maxItems !== undefined && request.query?.page === undefined && typeof request.query?.start_time === 'number') {
    return { result: answer(await bucketsAcrossRange(request, maxItems, ctx)), status: 200, requestId: null };
  }
  if (endpoint.pagination && shaping.filters && shaping.filters.length > 0) {
    return { result: answer(await filteredList(endpoint.pagination, request, shaping.filters, maxItems, ctx)), status: 200, requestId: null };
  }
  if (endpoint.pagination && maxItems !== undefined) {
    const result = await ctx.client.collect<unknown>({
      path: request.path,
      query: request.query as Query | undefined,
      style: endpoint.pagination,
      maxItems,
      signal: ctx.signal,
    });
    const cursorField = endpoint.pagination === 'page_token' ? 'page' : 'after';
    const data = {
      object: 'list',
      data: result.items,
      has_more: result.truncated,
      ...(result.truncated
        ? {
            next_cursor: result.nextCursor,
            note:
              result.nextCursor === null
                ? `Cut short at ${result.items.length} items: the API said more exist but gave no cursor to continue from.`
                : `Cut short at ${result.items.length} items (${result.stoppedBy === 'max_items' ? 'max_items' : 'page cap'}); more exist. Call again with ${cursorField}: "${result.nextCursor}" to continue.`,
          }
        : {}),
    };
    return { result: answer(data), status: 200, requestId: null };
  }
  const response = await ctx.client.send<unknown>({
    method: request.method,
    path: request.path,
    query: request.query as Query | undefined,
    body: request.body,
    idempotent: tool.idempotent,
    // Only a declared validation POST of a read tool may pass the read-only guard.
    safe: endpoint.safe === true && tool.effect === 'read',
    signal: ctx.signal,
  });
  const data = response.data !== null && typeof response.data === 'object' && !Array.isArray(response.data) ? (response.data as Record<string, unknown>) : { result: response.data ?? null };
  return {
    result: answer(withSecretsHandled(data, endpoint.secrets, ctx.redactSecrets)),
    status: response.status,
    requestId: response.requestId,
    earlierAttempt: response.earlierAttemptMayHaveBeenProcessed,
  };
}

/**
 * A list filtered by the server: every page is read (within the client's page cap), the rows that
 * match kept, then cut at `max_items`. A walk the page cap stopped says so and where to go on, since
 * rows past it were not looked at.
 */
async function filteredList(style: NonNullable<EndpointTool['pagination']>, request: PlannedRequest, filters: NonNullable<Shaping['filters']>, maxItems: number | undefined, ctx: ExecContext): Promise<Record<string, unknown>> {
  const result = await ctx.client.collect<Record<string, unknown>>({ path: request.path, query: request.query as Query | undefined, style, signal: ctx.signal });
  const matches = (row: Record<string, unknown>) => filters.every((f) => String(row[f.field] ?? '').toLowerCase() === f.value.trim().toLowerCase());
  const kept = result.items.filter(matches);
  const shown = maxItems === undefined ? kept : kept.slice(0, maxItems);
  const said = filters.map((f) => `${f.name} '${f.value}'`).join(', ');
  const notes = [
    ...(shown.length < kept.length ? [`${kept.length} rows match ${said}; the first ${shown.length} are shown (max_items).`] : []),
    ...(result.truncated
      ? [`Partial: the walk stopped after ${result.items.length} rows (${result.stoppedBy ?? 'page cap'}) and the rest were not filtered.${result.nextCursor ? ` Call again with after: "${result.nextCursor}" to filter the rest.` : ''}`]
      : []),
    ...(kept.length === 0 && !result.truncated ? [`No row of ${result.items.length} matches ${said}.`] : []),
  ];
  return {
    object: 'list',
    data: shown,
    has_more: result.truncated || shown.length < kept.length,
    ...(result.truncated ? { partial: true, ...(result.nextCursor ? { next_cursor: result.nextCursor } : {}) } : {}),
    ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
  };
}

/**
 * Every endpoint result on its way out: nulls left out (and zero counters in usage and cost rows),
 * only the asked-for fields kept, and cut at an item boundary if it is over the token budget.
 */
function shaped(tool: RegisteredTool, endpoint: EndpointTool, data: Record<string, unknown>, request: PlannedRequest, shaping: Shaping, ctx: ExecContext): Record<string, unknown> {
  let out = compact(withExpiry(withUsd(data, endpoint.cents), endpoint.expiry), { zeroCountersInRows: endpoint.pagination === 'page_token' });
  if (endpoint.unset && !Array.isArray(out.data)) out = { ...out, configured: true };
  if (shaping.fields && tool.selectable) out = selectFields(out, shaping.fields, tool.selectable.rows);
  if (shaping.warnings && shaping.warnings.length > 0) out = { ...out, warnings: shaping.warnings };
  const continuable = endpoint.pagination === 'page_token' ? 'start_time' in tool.input.shape : 'after' in tool.input.shape;
  const kind = !Array.isArray(out.data) || !endpoint.pagination || !continuable ? 'other' : endpoint.pagination === 'page_token' ? 'buckets' : 'cursor';
  return fitToBudget(out, ctx.maxResultTokens ?? DEFAULT_MAX_RESULT_TOKENS, { tool: tool.name, kind, narrow: waysToNarrow(tool, request, kind, shaping) });
}

/** The ID fields a validation error refuses only because their values are not IDs (names, say); empty if anything else is wrong. */
function namedIdFields(error: import('zod').ZodError): string[] {
  const fields = error.issues.map((issue) => (issue.code === 'custom' && issue.params?.notAnId === true && issue.path.length === 1 ? String(issue.path[0]) : undefined));
  return fields.every((f): f is string => f !== undefined && resolvable(f)) ? fields : [];
}

/**
 * The answer to ID fields that hold names: a read whose names each name one object runs for their
 * IDs and says so in `resolved`; anything else is refused with the IDs or the candidates. Undefined
 * when no field's value names anything, so the caller's own message stands.
 */
async function answerNames(tool: RegisteredTool, endpoint: EndpointTool, rawArgs: Record<string, unknown>, fields: readonly string[], ctx: ExecContext, trail: Attempt): Promise<ToolResult | undefined> {
  const matches = await matchNames(ctx.client, fields, rawArgs, ctx.signal);
  if (matches.length === 0 || matches.every((m) => m.kind === 'none' && !/\s/.test(m.value))) return undefined;
  const unique = matches.filter((m): m is Extract<NameMatch, { kind: 'unique' }> => m.kind === 'unique');
  if (tool.effect === 'read' && unique.length === matches.length) {
    const ids = Object.fromEntries(unique.map((m) => [m.field, m.id]));
    const result = await run(tool, endpoint, { ...rawArgs, ...ids }, ctx, trail, true);
    if (result.isError || !result.structuredContent) return result;
    const resolved = Object.fromEntries(unique.map((m) => [m.field, `'${m.value}' is ${m.noun} ${m.id}`]));
    return success({ ...result.structuredContent, resolved }, ctx);
  }
  const message = `${tool.name} refused: ${tool.effect === 'read' ? 'an ID field holds a name' : 'a write needs IDs, not names'}. Nothing was sent.\n${matches.map(describeMatch).join('\n')}`;
  trail.final(rawArgs, 'refused', { decision: 'name_given_as_id', message });
  return failure(message, ctx);
}

/** Reads that `execute` answered 404, for `run` to try their ID fields as names. */
const NOT_FOUND = new WeakSet<ToolResult>();

/** Each amount in cents also in USD, beside it: `threshold_amount: 300000` gains `threshold_usd: 3000`. */
function withUsd(data: Record<string, unknown>, fields: readonly string[] | undefined): Record<string, unknown> {
  if (!fields || fields.length === 0) return data;
  const add = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
      out[key] = value;
      if (fields.includes(key) && typeof value === 'number') out[`${key.replace(/_amount$/, '')}_usd`] = value / 100;
    }
    return out;
  };
  return Array.isArray(data.data) ? { ...data, data: data.data.map(add) } : (add(data) as Record<string, unknown>);
}

/** Days before expiry from which a certificate is flagged. */
const EXPIRING_SOON_DAYS = 30;

/** Each item's expiry as an ISO date with the days left, flagged when it is near. */
function withExpiry(data: Record<string, unknown>, path: string | undefined): Record<string, unknown> {
  if (!path) return data;
  const now = Math.floor(Date.now() / 1000);
  const add = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    let at: unknown = item;
    for (const key of path.split('.')) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
    if (typeof at !== 'number') return item;
    const days = Math.floor((at - now) / 86_400);
    return { ...item, expires: isoDate(at), expires_in_days: days, ...(days <= EXPIRING_SOON_DAYS ? { expiring_soon: true } : {}) };
  };
  return Array.isArray(data.data) ? { ...data, data: data.data.map(add) } : (add(data) as Record<string, unknown>);
}

/**
 * The answer for a setting the API reports unset with a 404, once its owner (the project) is shown
 * to exist; undefined when the 404 may mean a wrong ID, which stays an error with its hints.
 */
async function notConfigured(endpoint: EndpointTool, args: Record<string, unknown>, ctx: ExecContext): Promise<Record<string, unknown> | undefined> {
  if (!endpoint.unset) return undefined;
  if (endpoint.unset.exists) {
    const owner = await fetchTarget(ctx, buildPath(endpoint.unset.exists, args)).catch(() => ({ found: false }) as TargetRead);
    if (!owner.found) return undefined;
  }
  return { configured: false, note: `Nothing is set: GET ${buildPath(endpoint.path, args)} answered 404, which is how the API reports an unset setting.` };
}

/** What makes this call's answer smaller, from the arguments it has and those it used. */
function waysToNarrow(tool: RegisteredTool, request: PlannedRequest, kind: CutContext['kind'], shaping: Shaping): string {
  const ways: string[] = [];
  const query = request.query ?? {};
  if (kind === 'buckets') {
    ways.push('a shorter period (start_time to end_time)');
    if ('bucket_width' in tool.input.shape && (query.bucket_width ?? '1d') !== '1d') ways.push('a wider bucket_width');
    if (Array.isArray(query.group_by) && query.group_by.length > 0) ways.push('fewer group_by dimensions');
  }
  const names = tool.selectable?.names.filter((n) => !IDENTIFYING_FIELDS.includes(n));
  if (names && names.length > 0) ways.push(`${shaping.fields ? 'fewer fields' : 'fields'} (of ${selectableNames(names)})`);
  if (kind === 'cursor') ways.push('filters or a smaller max_items');
  if (tool.toolset === 'usage') ways.push(`the ${request.path.endsWith('/costs') ? 'spend_report' : 'usage_report'} tool for a summary`);
  return ways.length > 0 ? ways.join(', ') : 'narrower arguments';
}

/**
 * Usage and costs with `max_items`: the range is cut into one-page windows fetched in parallel
 * (the client's range splitting) rather than walked page by page. A result cut short says which
 * start_time continues it, since page tokens cannot point inside a range: cut by max_items, or,
 * like a list walk whose cursor repeats, by a window whose paging could not finish (then it is
 * also marked partial, with a warning).
 */
async function bucketsAcrossRange(request: PlannedRequest, maxItems: number, ctx: ExecContext): Promise<Record<string, unknown>> {
  const { start_time: start, end_time: endGiven, bucket_width: widthGiven, limit: _limit, page: _page, ...filters } = request.query ?? {};
  const width = (widthGiven ?? '1d') as BucketWidth;
  const span = BUCKET_SECONDS[width];
  const startTime = start as number;
  const end = typeof endGiven === 'number' ? endGiven : Math.floor(Date.now() / 1000);
  const first = Math.floor(startTime / span) * span;
  const available = Math.ceil((end - first) / span);
  const cut = available > maxItems ? first + maxItems * span : end;
  const range = end > startTime ? await ctx.client.range({ path: request.path, query: filters as Query, start: startTime, end: cut, width, signal: ctx.signal }) : { buckets: [] };
  const buckets = range.buckets;
  if (range.partial) {
    const next = range.partial.next_start_time;
    return {
      object: 'page',
      data: buckets,
      has_more: true,
      partial: true,
      next_start_time: next,
      warning: range.partial.warning,
      note: `Cut short at ${buckets.length} buckets (${range.partial.reason}); call again with start_time: ${next} to continue.`,
    };
  }
  return {
    object: 'page',
    data: buckets,
    has_more: cut < end,
    ...(cut < end ? { next_start_time: cut, note: `Cut short at ${buckets.length} buckets (max_items); call again with start_time: ${cut} to continue.` } : {}),
  };
}

/** An endpoint's target as the gate reads it before a change (full arguments), or undefined when it names none. */
export async function readTarget(endpoint: EndpointTool, args: Record<string, unknown>, ctx: Pick<ExecContext, 'client' | 'signal'>): Promise<TargetRead | undefined> {
  return endpoint.target ? fetchTarget(ctx, buildPath(endpoint.target, args)) : undefined;
}

async function fetchTarget(ctx: Pick<ExecContext, 'client' | 'signal'>, path: string): Promise<TargetRead> {
  try {
    return { found: true, state: await ctx.client.get<unknown>(path, undefined, ctx.signal) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { found: false };
    throw error;
  }
}

/** One-time secrets (a new key's value) come back once, with a note; `--redact-secrets` masks them. */
function withSecretsHandled(data: Record<string, unknown>, secrets: readonly string[] | undefined, redactSecrets: boolean): Record<string, unknown> {
  if (!secrets || secrets.length === 0) return data;
  let found = false;
  for (const dotted of secrets) {
    const keys = dotted.split('.');
    let node: Record<string, unknown> | undefined = data;
    for (const key of keys.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
    const last = keys[keys.length - 1] as string;
    if (node && typeof node[last] === 'string') {
      found = true;
      if (redactSecrets) node[last] = '[REDACTED: --redact-secrets is on]';
    }
  }
  if (!found) return data;
  return {
    ...data,
    secret_notice: redactSecrets
      ? 'A one-time secret was returned and masked by --redact-secrets; it cannot be retrieved again. Delete this key and create a new one without --redact-secrets if it is needed.'
      : 'This result holds a secret shown only once: store it now in a secret manager. It cannot be retrieved again.',
  };
}

/** Dry runs and previews show the request as it would go out, with anything key-shaped masked. */
function masked(request: PlannedRequest): PlannedRequest {
  return JSON.parse(redact(JSON.stringify(request))) as PlannedRequest;
}

/** 300000 as "300 s", 300 as "0.3 s". */
function seconds(ms: number): string {
  return `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s`;
}

function statusOf(error: unknown): { status: number | null; request_id: string | null } {
  if (error instanceof ApiError) return { status: error.status, request_id: error.requestId };
  return { status: null, request_id: null };
}

function argumentsOf(raw: unknown): Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { value: raw };
}

/** The audit lines of one tool call, sharing an attempt id. Reads are never audited. */
class Attempt {
  /** Made on the first audit line: reads, most calls, never need one. */
  private id: string | undefined;
  /** Who asked and who approved, once a person's approval cleared the call: on every line after. */
  approval: ApprovalStamp | undefined;

  constructor(
    private readonly tool: RegisteredTool,
    private readonly sink: AuditSink | undefined,
    private readonly step?: PlanStep,
  ) {}

  final(args: Record<string, unknown>, outcome: AuditEntry['outcome'], extra: Partial<AuditEntry> = {}): void {
    this.write('final', args, outcome, extra);
  }

  request(args: Record<string, unknown>, decision: string | undefined): void {
    this.write('request', args, 'sending', decision ? { decision } : {});
  }

  result(args: Record<string, unknown>, outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>): void {
    this.write('result', args, outcome, extra);
  }

  private write(phase: AuditEntry['phase'], args: Record<string, unknown>, outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>): void {
    if (!this.sink || this.tool.effect === 'read') return;
    const { max_items: _maxItems, fields: _fields, ...rest } = args;
    this.id ??= randomBytes(6).toString('hex');
    const plan = this.step ? { plan: this.step.plan, step: this.step.step } : {};
    const approval = this.approval ?? this.step?.approval;
    this.sink.record({ attempt: this.id, phase, tool: this.tool.name, effect: this.tool.effect, ...plan, arguments: rest, outcome, ...(approval ? { approval } : {}), ...extra });
  }
}
