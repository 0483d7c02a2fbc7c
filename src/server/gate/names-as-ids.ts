import { buildPath, type AdminClient } from '../../client/index.js';
import type { PaginationStyle } from '../../../tools/define.js';

/*
 * Names where IDs go. A model often passes "Atlas" or "Support Assistant" as
 * project_id. When the value exactly names one object of that kind (ignoring case), the ID is known:
 * a read is answered for it, saying so; a write is refused with the ID to pass. A name shared by
 * several objects lists them; a name that matches nothing says so, briefly.
 */

interface Kind {
  noun: string;
  /** A list GET, a template over the call's other fields (service accounts live in a project). */
  path: string;
  query: Record<string, string | number | boolean>;
  style: PaginationStyle;
  /** The fields a person would call the object by. */
  labels: readonly string[];
}

/** Where each ID field's value is looked up as a name. */
const KINDS: Record<string, Kind> = {
  project_id: { noun: 'project', path: '/organization/projects', query: { include_archived: true, limit: 100 }, style: 'cursor_id', labels: ['name'] },
  user_id: { noun: 'user', path: '/organization/users', query: { limit: 100 }, style: 'cursor_id', labels: ['name', 'email'] },
  group_id: { noun: 'group', path: '/organization/groups', query: { limit: 1000 }, style: 'cursor_next', labels: ['name'] },
  service_account_id: { noun: 'service account', path: '/organization/projects/{project_id}/service_accounts', query: { limit: 100 }, style: 'cursor_id', labels: ['name'] },
  api_key_id: { noun: 'API key', path: '/organization/projects/{project_id}/api_keys', query: { limit: 100 }, style: 'cursor_id', labels: ['name'] },
  key_id: { noun: 'admin API key', path: '/organization/admin_api_keys', query: { limit: 100 }, style: 'cursor_id', labels: ['name'] },
  certificate_id: { noun: 'certificate', path: '/organization/certificates', query: { limit: 100 }, style: 'cursor_id', labels: ['name'] },
};

/** Name lookups read at most this many items per kind: enough for real organizations, bounded for huge ones. */
const MAX_ITEMS = 2_000;

export type NameMatch =
  | { field: string; value: string; kind: 'unique'; id: string; noun: string; label: string }
  | { field: string; value: string; kind: 'ambiguous'; noun: string; candidates: Array<{ id: string; label: string }> }
  | { field: string; value: string; kind: 'none'; noun: string };

/** Whether an ID field's value can be looked up as a name. */
export function resolvable(field: string): boolean {
  return field in KINDS;
}

/**
 * Whether a value reads as a name a person would type: letters or digits, with spaces and common
 * punctuation, nothing that steers a path (`/`, `?`, `#`, `%`, `\`, controls, dot segments). Only
 * those are looked up: a hostile ID is refused without a single request.
 */
export function looksLikeName(value: string): boolean {
  return value.length <= 200 && /\p{L}/u.test(value) && /^[\p{L}\p{N} _.,'&()@+:-]+$/u.test(value) && !/^\.+$/.test(value.trim());
}

/**
 * Looks each of `fields` up as a name of its kind. Fields whose kind has no lookup, whose value is
 * not a string, or whose list cannot be read are left out: a lookup is a courtesy, never a new error.
 */
export async function matchNames(client: AdminClient, fields: readonly string[], args: Record<string, unknown>, signal?: AbortSignal): Promise<NameMatch[]> {
  const out: NameMatch[] = [];
  for (const field of fields) {
    const kind = KINDS[field];
    const value = args[field];
    if (!kind || typeof value !== 'string' || !looksLikeName(value)) continue;
    let items: Array<Record<string, unknown>>;
    try {
      items = (await client.collect<Record<string, unknown>>({ path: buildPath(kind.path, args), query: kind.query, style: kind.style, maxItems: MAX_ITEMS, signal })).items;
    } catch {
      continue;
    }
    const wanted = value.trim().toLowerCase();
    const labelOf = (item: Record<string, unknown>) => kind.labels.map((l) => item[l]).find((v): v is string => typeof v === 'string' && v.toLowerCase() === wanted);
    const hits = items.filter((item) => item.id !== value && labelOf(item) !== undefined);
    if (hits.length === 1) {
      const hit = hits[0] as Record<string, unknown>;
      out.push({ field, value, kind: 'unique', id: String(hit.id), noun: kind.noun, label: labelOf(hit) as string });
    } else if (hits.length > 1) {
      out.push({ field, value, kind: 'ambiguous', noun: kind.noun, candidates: hits.map((h) => ({ id: String(h.id), label: describe(h, kind) })) });
    } else {
      out.push({ field, value, kind: 'none', noun: kind.noun });
    }
  }
  return out;
}

/** One line per match for a refusal: the ID to pass, the candidates, or that nothing has that name. */
export function describeMatch(match: NameMatch): string {
  switch (match.kind) {
    case 'unique':
      return `${match.field}: '${match.value}' names the ${match.noun} ${match.id}${match.label === match.value ? '' : ` (${match.label})`}. Pass ${match.field}: "${match.id}".`;
    case 'ambiguous':
      return `${match.field}: '${match.value}' names ${match.candidates.length} ${match.noun}s: ${match.candidates
        .slice(0, 10)
        .map((c) => `${c.label} (${c.id})`)
        .join('; ')}. Pass one of these IDs.`;
    case 'none':
      return `${match.field}: '${match.value}' is neither a ${match.noun} ID nor a ${match.noun}'s name; look it up with find.`;
  }
}

function describe(item: Record<string, unknown>, kind: Kind): string {
  return kind.labels.map((l) => item[l]).filter((v): v is string => typeof v === 'string').join(', ') || String(item.id);
}

/**
 * "'Billing' is the project named so; its ID is proj_…" for every ID path field whose value names
 * one object, so a model that passed a name learns the ID instead of reading "not found".
 */
export async function namesGivenAsIds(client: AdminClient, pathFields: readonly string[], args: Record<string, unknown>, signal?: AbortSignal): Promise<string[]> {
  return (await matchNames(client, pathFields, args, signal)).filter((m) => m.kind !== 'none').map(describeMatch);
}
