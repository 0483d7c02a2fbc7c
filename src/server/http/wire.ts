import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../http-body.js';

/* What every HTTP answer and body read shares: JSON-RPC errors, JSON answers, the body cap. */

export const MAX_BODY = 4 << 20;

/** The body as JSON, `undefined` when empty, or NOT_JSON so the caller can answer a parse error. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, MAX_BODY);
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** What readJson gives for a body that is not JSON, so the caller can answer a parse error. */
export const NOT_JSON = Symbol('not JSON');

/** The messages of a POST body: one JSON-RPC message or a batch. */
export function messagesIn(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

export function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
