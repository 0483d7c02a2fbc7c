import { ApiError, buildPath, type AdminClient } from '../client/index.js';
import type { EndpointTool } from './endpoint.js';

/*
 * What a destructive preview knows beyond the target, all driven by data in the tool definitions:
 * refusals the API's rules make certain (no token is offered for them), the objects the change
 * affects (named, not just counted). Names given as IDs are in names-as-ids.ts.
 */

/** The reason the call is certain to fail, or undefined. */
export async function certainRefusal(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, signal?: AbortSignal): Promise<string | undefined> {
  for (const rule of endpoint.preview?.refuseWhen ?? []) {
    const state = await getOrUndefined(client, buildPath(rule.get, fields), signal);
    if (state !== undefined && String(dig(state, rule.field)) === fill(rule.equals, fields)) return rule.reason;
  }
  return undefined;
}

/** The affected objects, by label, each reduced to its `show` fields. */
export async function affected(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const rule of endpoint.preview?.affects ?? []) {
    // A list that cannot be read leaves the preview without it rather than failing it.
    const page = await getOrUndefined(client, buildPath(rule.get, fields), signal, rule.query).catch(() => undefined);
    const items = ((page as { data?: unknown[] } | undefined)?.data ?? []).filter((item) => String(dig(item, rule.field)) === fill(rule.equals, fields));
    out[rule.label] = items.map((item) => Object.fromEntries(rule.show.map((f) => [f, dig(item, f)])));
  }
  return out;
}

function fill(template: string, fields: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(fields[name] ?? ''));
}

function dig(value: unknown, dotted: string): unknown {
  let node = value;
  for (const key of dotted.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

async function getOrUndefined(client: AdminClient, path: string, signal?: AbortSignal, query?: Record<string, string>): Promise<unknown> {
  try {
    return await client.get<unknown>(path, query, signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}
