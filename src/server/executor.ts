import { ApiError, buildPath, type AdminClient, type Query } from '../client/index.js';
import type { Confirmations } from './confirm.js';
import type { EndpointTool } from './endpoint.js';
import type { RegisteredTool } from './registry.js';
import { describeFailure, describeValidation, failure, success, type ToolResult } from './results.js';

export interface ExecContext {
  client: AdminClient;
  confirmations: Confirmations;
  /** Results come from the built-in sandbox. */
  sandbox: boolean;
  /** Mask one-time secrets even in results. */
  redactSecrets: boolean;
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
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) return failure(describeValidation(tool.name, parsed.error, Object.keys(tool.input.shape)), ctx);

  const { max_items: maxItems, dry_run: dryRun, confirm, ...fields } = { ...parsed.data, ...tool.fixed } as Record<string, unknown>;
  const request = planRequest(endpoint, fields);
  if (dryRun === true) {
    return success({ dry_run: true, note: 'Nothing was sent.', request }, ctx);
  }

  try {
    if (tool.effect === 'destructive') {
      const target = endpoint.target ? await fetchTarget(ctx, buildPath(endpoint.target, fields)) : undefined;
      // A delete of something that is not there is refused now; a replace of a policy that is not set yet is fine.
      if (target && !target.found && endpoint.method === 'DELETE') {
        return failure(`${tool.name}: nothing to delete, the target does not exist (GET ${buildPath(endpoint.target ?? '', fields)} answered 404).`, ctx);
      }
      const state = target ? (target.found ? target.state : null) : undefined;
      if (typeof confirm !== 'string') return preview(tool, request, fields, state, ctx);
      const verdict = ctx.confirmations.verify(confirm, tool.name, fields, state);
      if (!verdict.ok) return failure(`${tool.name} refused: ${verdict.reason}. Nothing was changed.`, ctx);
      ctx.confirmations.consume(verdict.nonce);
    }
    return await send(tool, endpoint, request, typeof maxItems === 'number' ? maxItems : undefined, ctx);
  } catch (error) {
    return failure(describeFailure(error, { tool: tool.name, write: tool.effect !== 'read' }), ctx);
  }
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

async function send(tool: RegisteredTool, endpoint: EndpointTool, request: PlannedRequest, maxItems: number | undefined, ctx: ExecContext): Promise<ToolResult> {
  if (endpoint.pagination && maxItems !== undefined) {
    const result = await ctx.client.collect<unknown>({
      path: request.path,
      query: request.query as Query | undefined,
      style: endpoint.pagination,
      maxItems,
      signal: ctx.signal,
    });
    const cursorField = endpoint.pagination === 'page_token' ? 'page' : 'after';
    return success(
      {
        object: 'list',
        data: result.items,
        has_more: result.truncated,
        ...(result.truncated
          ? {
              next_cursor: result.nextCursor,
              note: `Cut short at ${result.items.length} items (${result.stoppedBy === 'max_items' ? 'max_items' : 'page cap'}); more exist. Call again with ${cursorField}: "${result.nextCursor}" to continue.`,
            }
          : {}),
      },
      ctx,
    );
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
  return success(withSecretsHandled(data, endpoint.secrets, ctx.redactSecrets), ctx);
}

async function fetchTarget(ctx: ExecContext, path: string): Promise<{ found: boolean; state?: unknown }> {
  try {
    return { found: true, state: await ctx.client.get<unknown>(path, undefined, ctx.signal) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { found: false };
    throw error;
  }
}

function preview(tool: RegisteredTool, request: PlannedRequest, fields: Record<string, unknown>, state: unknown, ctx: ExecContext): ToolResult {
  const { token, expiresAt } = ctx.confirmations.issue(tool.name, fields, state);
  return success(
    {
      status: 'confirmation_required',
      action: `${tool.title}: ${tool.description}`,
      request,
      ...(state !== undefined ? { target: state } : {}),
      confirmation_token: token,
      expires_at: new Date(expiresAt).toISOString(),
      next_step: `Nothing has changed yet. Show this preview to the user; if they agree, call ${tool.name} again with the same arguments plus confirm set to confirmation_token (valid 5 minutes, once).`,
    },
    ctx,
  );
}

/** One-time secrets (a new key's value) come back once, with a note; `--redact-secrets` masks them. */
function withSecretsHandled(data: Record<string, unknown>, secrets: readonly string[] | undefined, redact: boolean): Record<string, unknown> {
  if (!secrets || secrets.length === 0) return data;
  let found = false;
  const copy = structuredClone(data);
  for (const dotted of secrets) {
    const keys = dotted.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const key of keys.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
    const last = keys[keys.length - 1] as string;
    if (node && typeof node[last] === 'string') {
      found = true;
      if (redact) node[last] = '[REDACTED: --redact-secrets is on]';
    }
  }
  if (!found) return copy;
  return {
    ...copy,
    secret_notice: redact
      ? 'A one-time secret was returned and masked by --redact-secrets; it cannot be retrieved again. Delete this key and create a new one without --redact-secrets if it is needed.'
      : 'This result holds a secret shown only once: store it now in a secret manager. It cannot be retrieved again.',
  };
}
