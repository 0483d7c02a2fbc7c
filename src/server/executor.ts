import { randomBytes } from 'node:crypto';
import { ApiError, BUCKET_SECONDS, CancelledError, ConnectionError, buildPath, serializeQuery, type AdminClient, type BucketWidth, type Query } from '../client/index.js';
import type { ConfirmWith } from '../config.js';
import { redact } from '../log.js';
import { AuditWriteError, type AuditEntry, type AuditSink } from './audit.js';
import { digest, type Confirmations } from './confirm.js';
import type { EndpointTool } from './endpoint.js';
import type { RegisteredTool } from './registry.js';
import { describeFailure, describeValidation, failure, inertJson, success, type ToolResult } from './results.js';

export type ElicitAnswer = 'accept' | 'decline' | 'cancel';

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
}

export interface PlannedRequest {
  method: EndpointTool['method'];
  path: string;
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

/** Runs any endpoint tool: validate, build the request, apply the safety policy, call the client. */
export async function executeEndpoint(tool: RegisteredTool, rawArgs: unknown, ctx: ExecContext): Promise<ToolResult> {
  const endpoint = tool.endpoint;
  if (!endpoint) throw new Error(`${tool.name} is not an endpoint tool`);
  const trail = new Attempt(tool, ctx.audit);
  try {
    return await run(tool, endpoint, rawArgs, ctx, trail);
  } catch (error) {
    if (error instanceof AuditWriteError) return failure(`${tool.name} refused: ${error.message}. Nothing was sent: writes are not made without an audit line.`, ctx);
    throw error;
  }
}

async function run(tool: RegisteredTool, endpoint: EndpointTool, rawArgs: unknown, ctx: ExecContext, trail: Attempt): Promise<ToolResult> {
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const message = describeValidation(tool.name, parsed.error, Object.keys(tool.input.shape));
    trail.final(argumentsOf(rawArgs), 'refused', { decision: 'invalid_arguments', message });
    return failure(message, ctx);
  }
  const args = { ...parsed.data, ...tool.fixed } as Record<string, unknown>;
  const { max_items: maxItems, dry_run: dryRun, confirm, ...fields } = args;
  const request = planRequest(endpoint, fields);

  if (dryRun === true) {
    trail.final(args, 'dry_run');
    return success({ dry_run: true, note: 'Nothing was sent.', request: masked(request) }, ctx);
  }

  let decision: string | undefined;
  try {
    if (tool.effect === 'destructive') {
      const gate = await confirmDestructive(tool, endpoint, request, fields, typeof confirm === 'string' ? confirm : undefined, ctx, trail, args);
      if ('result' in gate) return gate.result;
      decision = gate.decision;
    }
  } catch (error) {
    if (error instanceof AuditWriteError) throw error;
    const message = describeFailure(error, { tool: tool.name, write: false });
    trail.final(args, 'failed', { decision: 'target_fetch_failed', ...statusOf(error), message });
    return failure(message, ctx);
  }

  if (tool.effect !== 'read') trail.request(args, decision);
  try {
    const { result, status, requestId } = await send(tool, endpoint, request, typeof maxItems === 'number' ? maxItems : undefined, ctx);
    if (tool.effect !== 'read') trail.result(args, 'succeeded', { decision, status, request_id: requestId });
    return result;
  } catch (error) {
    if (error instanceof AuditWriteError) {
      return failure(`${tool.name}: the request was sent and succeeded, but ${error.message}. Check the change with the matching retrieve tool.`, ctx);
    }
    const message = describeFailure(error, { tool: tool.name, write: tool.effect !== 'read' });
    if (tool.effect !== 'read') {
      try {
        trail.result(args, 'failed', { decision, ...statusOf(error), may_have_happened: mayHaveHappened(error), message });
      } catch (auditError) {
        // The request went out, so "nothing was sent" would be wrong: report both facts.
        if (auditError instanceof AuditWriteError) return failure(`${message}\nAlso, ${auditError.message}.`, ctx);
        throw auditError;
      }
    }
    return failure(message, ctx);
  }
}

type Gate = { decision: string } | { result: ToolResult };

/**
 * The second step of a destructive call. A token, when given, is always checked; otherwise the
 * human is asked through elicitation where the client can and the mode allows, or a preview with a
 * fresh token is returned.
 */
async function confirmDestructive(
  tool: RegisteredTool,
  endpoint: EndpointTool,
  request: PlannedRequest,
  fields: Record<string, unknown>,
  token: string | undefined,
  ctx: ExecContext,
  trail: Attempt,
  args: Record<string, unknown>,
): Promise<Gate> {
  const targetPath = endpoint.target ? buildPath(endpoint.target, fields) : undefined;
  const target = targetPath ? await fetchTarget(ctx, targetPath) : undefined;
  // A delete of something that is not there is refused now; a replace of a policy that is not set yet is fine.
  if (target && !target.found && endpoint.method === 'DELETE') {
    const message = `${tool.name}: nothing to delete, the target does not exist (GET ${targetPath} answered 404).`;
    trail.final(args, 'refused', { decision: 'target_missing', message });
    return { result: failure(message, ctx) };
  }
  const state = target ? (target.found ? target.state : null) : undefined;

  if (token !== undefined) {
    const verdict = ctx.confirmations.verify(token, tool.name, fields, state);
    if (!verdict.ok) {
      trail.final(args, 'refused', { decision: `token_refused: ${verdict.reason}` });
      return { result: failure(`${tool.name} refused: ${verdict.reason}. Nothing was changed.`, ctx) };
    }
    ctx.confirmations.consume(verdict.nonce);
    return { decision: 'token_accepted' };
  }

  const canElicit = ctx.elicit !== undefined && ctx.confirmWith !== 'token';
  if (ctx.confirmWith === 'elicitation' && !canElicit) {
    const message = `${tool.name} refused: the server confirms with elicitation (--confirm-with elicitation) but this client cannot show a confirmation dialog. Nothing was changed.`;
    trail.final(args, 'refused', { decision: 'elicitation_unavailable', message });
    return { result: failure(message, ctx) };
  }
  if (canElicit && ctx.elicit) {
    const answer = await ctx.elicit(describeForHuman(tool, request, state));
    if (answer !== 'accept') {
      trail.final(args, 'declined', { decision: `elicitation_${answer}` });
      return {
        result: success({ status: answer === 'decline' ? 'declined' : 'cancelled', changed: false, note: `The user ${answer === 'decline' ? 'declined' : 'cancelled'} ${tool.name}. Nothing was changed.` }, ctx),
      };
    }
    // The dialog may have stayed open a while: what the human approved must still be what is there.
    const now = targetPath ? await fetchTarget(ctx, targetPath) : undefined;
    const stateNow = now ? (now.found ? now.state : null) : undefined;
    if (state !== undefined && digest(stateNow) !== digest(state)) {
      trail.final(args, 'refused', { decision: 'elicitation_accept_stale' });
      return { result: failure(`${tool.name} refused: the target changed while the confirmation was open. Nothing was changed; call again to see the current state.`, ctx) };
    }
    return { decision: 'elicitation_accept' };
  }

  const { token: issued, expiresAt } = ctx.confirmations.issue(tool.name, fields, state);
  trail.final(args, 'preview', { decision: 'token_issued' });
  return {
    result: success(
      {
        status: 'confirmation_required',
        action: `${tool.title}: ${tool.description}`,
        request: masked(request),
        ...(state !== undefined ? { target: state } : {}),
        confirmation_token: issued,
        expires_at: new Date(expiresAt).toISOString(),
        next_step: `Nothing has changed yet. Show this preview to the user; if they agree, call ${tool.name} again with the same arguments plus confirm set to confirmation_token (valid 5 minutes, once).`,
      },
      ctx,
    ),
  };
}

function describeForHuman(tool: RegisteredTool, request: PlannedRequest, state: unknown): string {
  const lines = [`${tool.title}: ${tool.description}`, `Request: ${request.method} ${request.path}${request.query ? serializeQuery(request.query as Query) : ''}`];
  // The human approves what this text shows, so nothing in it may render deceptively (bidi, invisible characters).
  if (request.body && Object.keys(request.body).length > 0) lines.push(`Body: ${inertJson(request.body)}`);
  if (state !== undefined) lines.push(`Current state (data from the API): ${inertJson(state)}`);
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
}

async function send(tool: RegisteredTool, endpoint: EndpointTool, request: PlannedRequest, maxItems: number | undefined, ctx: ExecContext): Promise<Sent> {
  if (endpoint.pagination === 'page_token' && maxItems !== undefined && request.query?.page === undefined && typeof request.query?.start_time === 'number') {
    return { result: success(await bucketsAcrossRange(request, maxItems, ctx), ctx), status: 200, requestId: null };
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
    return { result: success(data, ctx), status: 200, requestId: null };
  }
  const response = await ctx.client.send<unknown>({
    method: request.method,
    path: request.path,
    query: request.query as Query | undefined,
    body: request.body,
    idempotent: tool.idempotent,
    signal: ctx.signal,
  });
  const data = response.data !== null && typeof response.data === 'object' && !Array.isArray(response.data) ? (response.data as Record<string, unknown>) : { result: response.data ?? null };
  return { result: success(withSecretsHandled(data, endpoint.secrets, ctx.redactSecrets), ctx), status: response.status, requestId: response.requestId };
}

/**
 * Usage and costs with `max_items`: the range is cut into one-page windows fetched in parallel
 * (the client's range splitting) rather than walked page by page. A result cut short says which
 * start_time continues it, since page tokens cannot point inside a range.
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
  const buckets = end > startTime ? await ctx.client.range({ path: request.path, query: filters as Query, start: startTime, end: cut, width, signal: ctx.signal }) : [];
  return {
    object: 'page',
    data: buckets,
    has_more: cut < end,
    ...(cut < end ? { next_start_time: cut, note: `Cut short at ${buckets.length} buckets (max_items); call again with start_time: ${cut} to continue.` } : {}),
  };
}

async function fetchTarget(ctx: ExecContext, path: string): Promise<{ found: boolean; state?: unknown }> {
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

function statusOf(error: unknown): { status: number | null; request_id: string | null } {
  if (error instanceof ApiError) return { status: error.status, request_id: error.requestId };
  return { status: null, request_id: null };
}

function mayHaveHappened(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500 || error.status === 408;
  if (error instanceof ConnectionError || error instanceof CancelledError) return error.mayHaveReachedServer;
  return false;
}

function argumentsOf(raw: unknown): Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { value: raw };
}

/** The audit lines of one tool call, sharing an attempt id. Reads are never audited. */
class Attempt {
  /** Made on the first audit line: reads, most calls, never need one. */
  private id: string | undefined;

  constructor(
    private readonly tool: RegisteredTool,
    private readonly sink: AuditSink | undefined,
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
    const { max_items: _maxItems, ...rest } = args;
    this.id ??= randomBytes(6).toString('hex');
    this.sink.record({ attempt: this.id, phase, tool: this.tool.name, effect: this.tool.effect, arguments: rest, outcome, ...extra });
  }
}
