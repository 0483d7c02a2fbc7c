import { ApiError, buildPath, type AdminClient } from '../client/index.js';
import type { EndpointTool } from './endpoint.js';

/*
 * What a destructive preview knows beyond the target, all driven by data in the tool definitions:
 * refusals the API's rules make certain (no token is offered for them), the objects the change
 * affects (named, not just counted), and, when an ID argument is really a name, the ID it names.
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

/** Where an ID argument's value is looked up as a name. */
const NAMED: Record<string, { noun: string; path: string; query: Record<string, string | number | boolean>; labels: readonly string[] }> = {
  project_id: { noun: 'project', path: '/organization/projects', query: { include_archived: true, limit: 100 }, labels: ['name'] },
  user_id: { noun: 'user', path: '/organization/users', query: { limit: 100 }, labels: ['name', 'email'] },
  group_id: { noun: 'group', path: '/organization/groups', query: { limit: 100 }, labels: ['name'] },
};

/**
 * "'Billing' is a project name; its ID is proj_…" for every ID field whose value is a name, so a
 * model that passed a name learns the ID instead of reading "not found".
 */
export async function namesGivenAsIds(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, signal?: AbortSignal): Promise<string[]> {
  const hints: string[] = [];
  for (const field of Object.keys(endpoint.input.path ?? {})) {
    const lookup = NAMED[field];
    const value = fields[field];
    if (!lookup || typeof value !== 'string') continue;
    try {
      const page = await client.get<{ data?: Array<Record<string, unknown>> }>(lookup.path, lookup.query, signal);
      const wanted = value.trim().toLowerCase();
      const hit = (page.data ?? []).find((item) => lookup.labels.some((l) => typeof item[l] === 'string' && (item[l] as string).toLowerCase() === wanted));
      if (hit && hit.id !== value) hints.push(`'${value}' is a ${lookup.noun} ${lookup.labels.find((l) => String(hit[l]).toLowerCase() === wanted)}; its ID is ${String(hit.id)}. Pass ${field}: "${String(hit.id)}".`);
    } catch {
      // A hint is a courtesy: failing to look it up leaves the original message as it is.
    }
  }
  return hints;
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
