import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ZodError } from 'zod';
import { ApiError, CancelledError, ConnectionError, ReadOnlyError } from '../client/index.js';

export type ToolResult = CallToolResult;

export interface ResultOptions {
  /** Marks results that come from the simulated organization. */
  sandbox?: boolean;
}

/** A successful result: structured data plus the same data as compact JSON text. */
export function success(data: Record<string, unknown>, options: ResultOptions = {}): ToolResult {
  const result: ToolResult = {
    content: [{ type: 'text', text: JSON.stringify(data) }],
    structuredContent: data,
  };
  if (options.sandbox) result._meta = { 'openai-admin/sandbox': true };
  return result;
}

/** A failed call. No structuredContent, so clients do not validate it against the output schema. */
export function failure(message: string, options: ResultOptions = {}): ToolResult {
  const result: ToolResult = { content: [{ type: 'text', text: message }], isError: true };
  if (options.sandbox) result._meta = { 'openai-admin/sandbox': true };
  return result;
}

/** Names each bad field, what was wrong and how to fix it. */
export function describeValidation(tool: string, error: ZodError, knownFields: readonly string[]): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(arguments)';
    switch (issue.code) {
      case 'invalid_type':
        return issue.received === 'undefined'
          ? `- ${field}: required; provide a ${issue.expected}.`
          : `- ${field}: expected ${issue.expected}, got ${issue.received}.`;
      case 'unrecognized_keys':
        return `- ${issue.keys.map((k) => `'${k}'`).join(', ')}: not a field of ${tool}; remove it. Valid fields: ${knownFields.join(', ') || 'none'}.`;
      case 'invalid_enum_value':
        return `- ${field}: '${String(issue.received)}' is not allowed; use one of ${issue.options.map((o) => `'${String(o)}'`).join(', ')}.`;
      case 'too_small':
        return `- ${field}: ${issue.message.replace(/^Number must be/, 'must be').replace(/^String must contain/, 'must contain')}.`;
      case 'too_big':
        return `- ${field}: ${issue.message.replace(/^Number must be/, 'must be').replace(/^Array must contain/, 'must contain')}.`;
      default:
        return `- ${field}: ${issue.message}.`;
    }
  });
  return `Invalid arguments for ${tool}:\n${lines.join('\n')}`;
}

/** An upstream or transport failure as an actionable message with status, type and request id. */
export function describeFailure(error: unknown, context: { tool: string; write: boolean }): string {
  if (error instanceof ApiError) {
    const head = `OpenAI API error ${error.status}${error.type ? ` ${error.type}` : ''}${error.code ? ` (${error.code})` : ''}: ${error.message}`;
    const facts = [`request_id: ${error.requestId ?? 'none'}`];
    if (error.param) facts.push(`param: ${error.param}`);
    if (error.retries > 0) facts.push(`retries: ${error.retries}`);
    return `${head}\n${facts.join('; ')}\n${hint(error, context)}`;
  }
  if (error instanceof ConnectionError) {
    const maybe =
      context.write && error.mayHaveReachedServer
        ? 'The request may have reached the API, so the write may have happened: check with the matching list or retrieve tool before trying again.'
        : context.write
          ? 'The request never reached the API, so nothing changed; it is safe to try again.'
          : 'Try again; if it keeps failing, check OPENAI_BASE_URL and the network.';
    return `${error.message} (after ${error.retries} ${error.retries === 1 ? 'retry' : 'retries'})\n${maybe}`;
  }
  if (error instanceof ReadOnlyError) return `${context.tool} refused: the server is read-only, so only GET requests are sent.`;
  if (error instanceof CancelledError) return `${context.tool} was cancelled before it finished.`;
  return `${context.tool} failed: ${(error as Error).message ?? String(error)}`;
}

function hint(error: ApiError, context: { tool: string; write: boolean }): string {
  switch (error.status) {
    case 400:
      return error.param ? `Fix '${error.param}' and call ${context.tool} again.` : `Fix the arguments and call ${context.tool} again.`;
    case 401:
      return 'The admin key is missing or is not an admin key: set OPENAI_ADMIN_KEY to an organization admin key (sk-admin-…).';
    case 403:
      return 'The admin key is not allowed to do this; an organization owner must grant access.';
    case 404:
      return 'Nothing exists with that ID: look it up with the matching list tool (or find) and call again.';
    case 409:
      return 'The request conflicts with the current state: fetch the object again and retry with the current values.';
    case 429:
      return `Rate limited${error.retries > 0 ? ` even after ${error.retries} retries` : ''}; wait${error.retryAfter ? ` ${Math.ceil(error.retryAfter)} s` : ' a little'} and try again.`;
    default:
      if (error.status >= 500) {
        return context.write
          ? 'The API failed while handling the write, so it may or may not have happened: check with the matching list or retrieve tool before trying again.'
          : 'The API failed; try again shortly.';
      }
      return 'See the message above.';
  }
}
