import { AUDIT_LOG_EVENT_TYPES, isTenantEvent } from '../../../tools/audit-logs.js';
import { invalid } from '../errors.js';
import type { QueryParams } from '../params.js';
import type { Route } from '../router.js';
import type { AuditLogRecord } from '../state.js';

/*
 * The audit log, newest first. Cursors are event IDs: `after` continues to older events, `before`
 * returns the page of newer events just before that ID. Tenant-scoped event types are listed only
 * with `tenant_only=true`, which in turn accepts no other types.
 */

const LIMIT = { min: 1, max: 100, default: 20 };
const BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;

/** The documented AuditLog object: the payload sits under the key named by `type`. */
export function auditLogObject(record: AuditLogRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { id: record.id, type: record.type, effective_at: record.effective_at };
  if (record.project) out.project = { id: record.project.id, name: record.project.name };
  out.actor = record.actor;
  out[record.type] = record.payload;
  return out;
}

type Actor = {
  session?: { user?: { id?: string; email?: string } };
  api_key?: { id?: string; user?: { id?: string; email?: string }; service_account?: { id?: string } };
};

function actorIds(actor: Actor | null): string[] {
  if (!actor) return [];
  return [actor.session?.user?.id, actor.api_key?.id, actor.api_key?.user?.id, actor.api_key?.service_account?.id].filter(
    (v): v is string => typeof v === 'string',
  );
}

function actorEmails(actor: Actor | null): string[] {
  if (!actor) return [];
  return [actor.session?.user?.email, actor.api_key?.user?.email].filter((v): v is string => typeof v === 'string').map((e) => e.toLowerCase());
}

/** The objects an event acts on: its `id`, and the IDs listed in bulk events. */
function resourceIds(payload: Record<string, unknown>): string[] {
  const ids: string[] = [];
  if (typeof payload.id === 'string') ids.push(payload.id);
  for (const list of [payload.certificates, payload.configs]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) if (item && typeof (item as { id?: unknown }).id === 'string') ids.push((item as { id: string }).id);
  }
  return ids;
}

function readRange(q: QueryParams): Partial<Record<(typeof BOUNDS)[number], number>> {
  if (q.has('effective_at')) {
    throw invalid('effective_at', "Invalid 'effective_at': send bounds as an object, e.g. effective_at[gte]=1700000000&effective_at[lt]=1700086400.");
  }
  const range: Partial<Record<(typeof BOUNDS)[number], number>> = {};
  for (const bound of BOUNDS) {
    const value = q.int(`effective_at[${bound}]`, { min: 0 });
    if (value !== undefined) range[bound] = value;
  }
  return range;
}

function readFilter(q: QueryParams): (record: AuditLogRecord) => boolean {
  const range = readRange(q);
  const projects = q.array('project_ids');
  const types = q.enumArray('event_types', AUDIT_LOG_EVENT_TYPES);
  const actors = q.array('actor_ids');
  const emails = q.array('actor_emails')?.map((e) => e.toLowerCase());
  const resources = q.array('resource_ids');
  const tenantOnly = q.bool('tenant_only') ?? false;
  if (tenantOnly && types) {
    const other = types.find((t) => !isTenantEvent(t));
    if (other) throw invalid('event_types', `Invalid 'event_types': '${other}' is not tenant-scoped; with tenant_only=true every event type must be.`);
  }
  const projectSet = projects && new Set(projects);
  const typeSet = types && new Set(types);
  const actorSet = actors && new Set(actors);
  const emailSet = emails && new Set(emails);
  const resourceSet = resources && new Set(resources);
  return (record) => {
    const t = record.effective_at;
    if (range.gt !== undefined && !(t > range.gt)) return false;
    if (range.gte !== undefined && !(t >= range.gte)) return false;
    if (range.lt !== undefined && !(t < range.lt)) return false;
    if (range.lte !== undefined && !(t <= range.lte)) return false;
    if (isTenantEvent(record.type) !== tenantOnly) return false;
    if (typeSet && !typeSet.has(record.type)) return false;
    if (projectSet && !(record.project && projectSet.has(record.project.id))) return false;
    const actor = record.actor as Actor | null;
    if (actorSet && !actorIds(actor).some((id) => actorSet.has(id))) return false;
    if (emailSet && !actorEmails(actor).some((email) => emailSet.has(email))) return false;
    if (resourceSet && !resourceIds(record.payload).some((id) => resourceSet.has(id))) return false;
    return true;
  };
}

const listAuditLogs: Route = {
  method: 'GET',
  path: '/organization/audit_logs',
  handle: ({ query: q, state }) => {
    const matches = readFilter(q);
    const limit = q.int('limit', LIMIT) as number;
    // Newest first; among equal times, the later-recorded event first.
    const ordered = state.auditLogs
      .map((record, i) => ({ record, i }))
      .sort((a, b) => b.record.effective_at - a.record.effective_at || b.i - a.i)
      .map(({ record }) => record);
    const position = (name: 'after' | 'before'): number | undefined => {
      const cursor = q.string(name);
      if (cursor === undefined) return undefined;
      const index = ordered.findIndex((record) => record.id === cursor);
      if (index < 0) throw invalid(name, `Invalid '${name}': no audit log event with id '${cursor}'.`);
      return index;
    };
    const afterIndex = position('after');
    const beforeIndex = position('before');
    const start = afterIndex === undefined ? 0 : afterIndex + 1;
    const end = beforeIndex === undefined ? ordered.length : beforeIndex;
    const window = end > start ? ordered.slice(start, end).filter(matches) : [];
    const backwards = beforeIndex !== undefined && afterIndex === undefined;
    const page = backwards ? window.slice(Math.max(0, window.length - limit)) : window.slice(0, limit);
    return {
      object: 'list',
      data: page.map(auditLogObject),
      first_id: page.length > 0 ? (page[0] as AuditLogRecord).id : null,
      last_id: page.length > 0 ? (page[page.length - 1] as AuditLogRecord).id : null,
      has_more: window.length > page.length,
    };
  },
};

export const routes: Route[] = [listAuditLogs];
