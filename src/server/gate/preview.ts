import { ApiError, buildPath, mapLimited, type AdminClient, type PaginationStyle } from '../../client/index.js';
import { isoMinute } from '../../time.js';
import { activeUse, duplicate, type Usable } from '../../warnings/index.js';
import { lastOwnerWarnings } from '../../warnings/owners.js';
import type { EffectRule, EndpointTool } from '../../../tools/define.js';

/*
 * What a destructive preview knows beyond the target, all driven by data in the tool definitions:
 * refusals the API's rules make certain (no token is offered for them), everything the API changes
 * on its own (named, not just counted), and the warnings that follow from what was read. Names
 * given as IDs are in names-as-ids.ts.
 */

/** Per-item fan-out (one GET per project, say) runs this many at a time. */
const FAN_OUT = 8;

/**
 * The reason the call is certain to fail, or undefined. `seen` shares the GETs between calls (a
 * plan's steps in one project read the project once).
 */
export async function certainRefusal(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, signal?: AbortSignal, seen?: Map<string, Promise<unknown>>): Promise<string | undefined> {
  for (const rule of endpoint.preview?.refuseWhen ?? []) {
    const path = buildPath(rule.get, fields);
    let read = seen?.get(path);
    if (!read) {
      read = getOrUndefined(client, path, signal);
      seen?.set(path, read);
    }
    const state = await read;
    if (state !== undefined && String(dig(state, rule.field)) === fill(rule.equals, fields)) return rule.reason;
  }
  return undefined;
}

/** One kind of affected object as the preview shows it: every one by name, or why they are unknown. */
export type Effect = { effect: string; count: number; items: unknown[]; incomplete?: string } | { effect: string; unknown: string };

export interface Effects {
  /** By label, as shown. */
  shown: Record<string, Effect>;
  /** The raw objects read, by label, for warnings. */
  raw: Record<string, Array<Record<string, unknown>>>;
}

/** Everything the tool's `affects` rules find, read side by side. */
export async function affected(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, signal?: AbortSignal): Promise<Effects> {
  const rules = endpoint.preview?.affects ?? [];
  const lists = new Map<string, Promise<{ items: Array<Record<string, unknown>>; truncated: boolean }>>();
  // Rules that walk the same list (every project, say) read it once.
  const list = (path: string, query: Record<string, string> | undefined, style: Exclude<PaginationStyle, 'page_token'>) => {
    const key = `${path}?${JSON.stringify(query ?? {})}`;
    let found = lists.get(key);
    if (!found) {
      found = client.collect<Record<string, unknown>>({ path, query: { limit: 100, ...query }, style, maxPages: 20, signal });
      lists.set(key, found);
    }
    return found;
  };
  const read = await Promise.all(rules.map((rule) => readRule(rule, fields, list, client, signal).then((r) => [rule, r] as const, (error: unknown) => [rule, { error }] as const)));
  const out: Effects = { shown: {}, raw: {} };
  for (const [rule, result] of read) {
    if ('error' in result) {
      // Never a false "none": a list that could not be read is said to be unknown, with why.
      out.shown[rule.label] = { effect: rule.effect, unknown: `could not be read: ${describe(result.error)}` };
      continue;
    }
    out.raw[rule.label] = result.items;
    out.shown[rule.label] = {
      effect: rule.effect,
      count: result.items.length,
      items: result.items.map((item) => readable(Object.fromEntries([...(rule.each ? [rule.each.as] : []), ...rule.show].map((f) => [f, dig(item, f)]).filter(([, v]) => v !== undefined)))),
      ...(result.incomplete ? { incomplete: result.incomplete } : {}),
    };
  }
  return out;
}

type Lister = (path: string, query: Record<string, string> | undefined, style: Exclude<PaginationStyle, 'page_token'>) => Promise<{ items: Array<Record<string, unknown>>; truncated: boolean }>;

async function readRule(rule: EffectRule, fields: Record<string, unknown>, list: Lister, client: AdminClient, signal?: AbortSignal): Promise<{ items: Array<Record<string, unknown>>; incomplete?: string }> {
  const one = async (scope: Record<string, unknown>) => {
    const path = pathOf(rule.get, scope);
    if (rule.one) {
      const item = await getOrUndefined(client, path, signal);
      return { items: item === undefined ? [] : [item as Record<string, unknown>], truncated: false };
    }
    return list(path, fillQuery(rule.query, scope), rule.style ?? 'cursor_id');
  };
  const keep = (scope: Record<string, unknown>) => (item: Record<string, unknown>) => !rule.where || String(dig(item, rule.where.field)) === fill(rule.where.equals, scope);
  if (!rule.each) {
    const page = await one(fields);
    return { items: page.items.filter(keep(fields)), ...(page.truncated ? { incomplete: 'more exist than were read' } : {}) };
  }
  const each = rule.each;
  const outer = await list(pathOf(each.get, fields), fillQuery(each.query, fields), each.style ?? 'cursor_id');
  const parents = outer.items.filter((p) => !each.skip || String(dig(p, each.skip.field)) !== each.skip.equals);
  const perParent = await mapLimited(parents, FAN_OUT, async (parent) => {
    const scope = { ...fields, [each.as]: parent };
    const page = await one(scope);
    const where = `${String(parent[each.name ?? 'name'] ?? '')} (${String(parent[each.id ?? 'id'])})`;
    return { items: page.items.filter(keep(scope)).map((item) => ({ ...item, [each.as]: where })), truncated: page.truncated };
  });
  const truncated = outer.truncated || perParent.some((p) => p.truncated);
  return { items: perParent.flatMap((p) => p.items), ...(truncated ? { incomplete: 'more exist than were read' } : {}) };
}

/**
 * The warnings a preview gives: objects in active use (the target, or keys that stop working),
 * a project or the organization left without an owner.
 */
export async function warnings(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, target: unknown, effects: Effects, nowSeconds: number, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  const keyLike = (o: unknown): o is Usable => o !== null && typeof o === 'object' && 'last_used_at' in o;
  if (keyLike(target)) out.push(...activeUse([target], nowSeconds, endpoint.toolset === 'keys' ? 'key' : 'target'));
  for (const rule of endpoint.preview?.affects ?? []) if (!rule.kept) out.push(...activeUse((effects.raw[rule.label] ?? []).filter(keyLike), nowSeconds));
  const rule = endpoint.preview?.lastOwner;
  if (rule) {
    const scope = { user: rule.user ? fill(rule.user, fields) : undefined, group: rule.group ? fill(rule.group, fields) : undefined, project: rule.project ? fill(rule.project, fields) : undefined };
    out.push(...(await lastOwnerWarnings(client, scope, signal)));
  }
  return out;
}

/** A write's duplicate warning (an active project with the same name), or none. */
export async function duplicates(client: AdminClient, endpoint: EndpointTool, fields: Record<string, unknown>, signal?: AbortSignal): Promise<string[]> {
  const rule = endpoint.preview?.duplicate;
  if (!rule) return [];
  const value = fill(rule.equals, fields);
  if (value === '') return [];
  try {
    const page = await client.collect<Record<string, unknown>>({ path: buildPath(rule.get, fields), query: { limit: 100, ...rule.query }, style: 'cursor_id', maxPages: 20, signal });
    const wanted = value.trim().toLowerCase();
    return duplicate(rule.noun, rule.field, value, page.items.filter((item) => String(dig(item, rule.field)).trim().toLowerCase() === wanted));
  } catch (error) {
    return [`duplicate check failed: whether another ${rule.noun} has the ${rule.field} '${value}' is unknown (${describe(error)}).`];
  }
}

/** An object as a preview shows it: Unix-second times (`…_at`, `valid_at`) as ISO minutes. */
export function readable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(readable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, /_at$/.test(k) && typeof v === 'number' && Number.isInteger(v) && v > 0 ? isoMinute(v) : readable(v)]),
  );
}

/** Fills `{name}` and `{name.field}` from the fields. */
function fill(template: string, fields: Record<string, unknown>): string {
  return template.replace(/\{([\w.]+)\}/g, (_, name: string) => String(dig(fields, name) ?? ''));
}

/** A path from a template; `{project.id}` (a value the API gave) goes through buildPath's guard like any field. */
function pathOf(template: string, scope: Record<string, unknown>): string {
  const params: Record<string, unknown> = { ...scope };
  const flat = template.replace(/\{(\w+)\.([\w.]+)\}/g, (_, head: string, rest: string) => {
    const key = `${head}__${rest.replace(/\./g, '__')}`;
    params[key] = dig(scope, `${head}.${rest}`);
    return `{${key}}`;
  });
  return buildPath(flat, params);
}

function fillQuery(query: Record<string, string> | undefined, fields: Record<string, unknown>): Record<string, string> | undefined {
  return query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, fill(v, fields)]));
}

function dig(value: unknown, dotted: string): unknown {
  let node = value;
  for (const key of dotted.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

function describe(error: unknown): string {
  if (error instanceof ApiError) return `HTTP ${error.status}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function getOrUndefined(client: AdminClient, path: string, signal?: AbortSignal, query?: Record<string, string>): Promise<unknown> {
  try {
    return await client.get<unknown>(path, query, signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}
