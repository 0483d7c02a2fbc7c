import { z } from 'zod';
import type { Query } from '../client/index.js';
import { endpointTools } from '../../tools/index.js';
import { matchesRedacted, pickOrNone } from './names.js';
import { describePeriod, periodShape, named, periodFields, resolvePeriod } from './periods.js';
import { FRESH, isoMinute, report, ReportError, type ReportContext } from './report.js';

/*
 * audit_search: the audit log filtered by actor (a user by email, name or ID, or an API key by
 * name or ID), event types, project and period, one compact line per event with the details that
 * say what changed, and the cursor to continue. An actor that matches nothing is refused, never
 * answered with an empty list.
 */

export interface AuditEvent {
  id: string;
  type: string;
  effective_at: number;
  project?: { id: string; name?: string } | null;
  actor?: {
    type?: string;
    session?: { user?: { id?: string; email?: string } };
    api_key?: { id?: string; type?: string; user?: { id?: string; email?: string }; service_account?: { id?: string } };
  } | null;
  [payload: string]: unknown;
}

/** The same event-type validation as audit_logs_list, taken from its definition. */
const eventTypes = endpointTools.find((t) => t.name === 'audit_logs_list')?.input.query?.event_types ?? z.array(z.string()).optional();

export const auditSearch = report({
  name: 'audit_search',
  title: 'Audit search',
  description: 'The audit log by actor, event types, project and period; newest first.',
  input: {
    actor: z.string().min(1).optional().describe('User or key: email, name or ID'),
    event_types: eventTypes,
    project: z.string().min(1).optional().describe('Project ID or name'),
    ...periodFields,
    limit: z.number().int().min(1).max(100).optional().describe('Events, default 20'),
    after: z.string().optional().describe('Cursor from the previous result'),
    count_by: z.enum(['actor', 'type']).optional().describe('Tally, most first'),
    fresh: FRESH,
  },
  output: z.object({
    period: periodShape,
    actor: z.string().optional(),
    /** With count_by: events per actor (name <email> (ID), or key) or per type, most first; `limit` entries, then the rest as one. */
    counts: z.record(z.number()).optional(),
    partial: z.string().optional(),
    events: z.array(
      z.object({
        time: z.string(),
        type: z.string(),
        actor: z.string(),
        target: z.string().optional(),
        project: z.string().optional(),
        /** What identifies the change: the payload's fields, flattened and cut short. */
        details: z.string().optional(),
      }),
    ),
    has_more: z.boolean(),
    next_cursor: z.string().optional(),
  }),
  async run(args, ctx) {
    // Unlike spend and usage (whole days), the audit log is read up to this moment by default: the
    // last 30 days include today, and a period ending now has no upper bound, so a change made a
    // second ago is found.
    const nowMs = ctx.now();
    const nowSeconds = Math.floor(nowMs / 1000);
    const period = args.period === undefined && args.start === undefined && args.end === undefined ? { start: named('last_30_days', nowMs).start, end: nowSeconds } : resolvePeriod(args, nowMs);
    const [project, actor] = await Promise.all([args.project ? ctx.names.project(args.project, ctx.signal) : undefined, args.actor ? resolveActor(args.actor, ctx) : undefined]);
    const filters = {
      effective_at: { gte: period.start, ...(period.end >= nowSeconds ? {} : { lt: period.end }) },
      ...(actor ? (actor.id ? { actor_ids: [actor.id] } : { actor_emails: [actor.email as string] }) : {}),
      ...(args.event_types ? { event_types: args.event_types as string[] } : {}),
      ...(project ? { project_ids: [project.id] } : {}),
    };
    // The audit log has no buckets to fill: it holds every event up to this moment.
    const described = { ...describePeriod(period, args.period ?? (args.start === undefined ? 'last_30_days' : undefined)), data_through: isoMinute(Math.min(period.end, nowSeconds)) };
    if (args.count_by) {
      if (args.after) throw new ReportError('after: counts cover the whole period in one answer, so there is no page to continue. Leave it out, or narrow the period.');
      return { period: described, ...(actor ? { actor: actor.label } : {}), ...(await countEvents(args.count_by, filters, args.limit ?? 20, ctx)), events: [], has_more: false };
    }
    const page = await ctx.client.get<{ data: AuditEvent[]; has_more: boolean; last_id?: string | null }>(
      '/organization/audit_logs',
      { ...filters, limit: args.limit ?? 20, ...(args.after ? { after: args.after } : {}) },
      ctx.signal,
    );
    if (actor && !actor.id && page.data.length === 0 && !args.after) {
      throw new ReportError(`No user or API key matches '${args.actor}', and no event matching these filters has that email as actor. Use find to look the name up.`);
    }
    const events = page.data.map((event) => {
      const target = targetOf(event);
      const where = event.project?.name ?? event.project?.id;
      const details = detailsOf(event);
      return {
        time: isoMinute(event.effective_at),
        type: event.type,
        actor: describeActor(event.actor),
        ...(target ? { target } : {}),
        ...(where ? { project: where } : {}),
        ...(details ? { details } : {}),
      };
    });
    return {
      period: described,
      ...(actor ? { actor: actor.label } : {}),
      events,
      has_more: page.has_more,
      ...(page.has_more && page.last_id ? { next_cursor: page.last_id } : {}),
    };
  },
});

/** Pages of 100, at most this many: 20,000 events, a busy month's log, before the count says partial. */
const COUNT_MAX_PAGES = 200;

/**
 * Events per actor or type over the whole filtered period, most first (ties by name). Users are
 * named from the member list; a key is named by its ID and owner. A walk cut by the page cap says
 * so, with how far back it got, rather than passing for the whole period.
 */
async function countEvents(by: 'actor' | 'type', filters: Query, rows: number, ctx: ReportContext): Promise<{ counts: Record<string, number>; partial?: string }> {
  const [walk, users] = await Promise.all([
    ctx.client.collect<AuditEvent>({ path: '/organization/audit_logs', query: { ...filters, limit: 100 }, style: 'cursor_id', maxPages: COUNT_MAX_PAGES, signal: ctx.signal }),
    by === 'actor' ? ctx.names.users(ctx.signal) : Promise.resolve([]),
  ]);
  const named = new Map(users.map((u) => [u.id, `${u.name} <${u.email}> (${u.id})`]));
  const tally = new Map<string, number>();
  for (const event of walk.items) {
    const key = by === 'type' ? event.type : actorLabel(event.actor, named);
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  const sorted = [...tally].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const oldest = walk.items.at(-1)?.effective_at;
  const rest = sorted.slice(rows);
  return {
    // Past `limit`, the rest are one row, so the counts still add up to the events counted.
    // An object keeps its keys' order (none is an integer), so the most active stays first.
    counts: Object.fromEntries([...sorted.slice(0, rows), ...(rest.length > 0 ? [[`(${rest.length} others)`, rest.reduce((sum, [, n]) => sum + n, 0)] as const] : [])]),
    ...(walk.truncated
      ? { partial: `only the newest ${walk.items.length} events were counted (${walk.stoppedBy ?? 'page cap'})${oldest ? `, back to ${isoMinute(oldest)}` : ''}; narrow the period or filters for a complete count` }
      : {}),
  };
}

/** Who acted, for counting: a user by name and email, a key by ID and owner. */
function actorLabel(actor: AuditEvent['actor'], users: ReadonlyMap<string, string>): string {
  const userId = actor?.session?.user?.id;
  if (userId) return users.get(userId) ?? describeActor(actor);
  const keyOwner = actor?.api_key?.user?.id;
  if (actor?.api_key && keyOwner && users.has(keyOwner)) return `key ${actor.api_key.id ?? '?'} of ${users.get(keyOwner)}`;
  return describeActor(actor);
}

interface ResolvedActor {
  /** The ID to filter by; absent for an email that is no current user's (a former member, say). */
  id?: string;
  email?: string;
  label: string;
}

/** A user by ID, email or name, else an admin or project key by ID, name or redacted value; never a guess. */
async function resolveActor(ref: string, ctx: ReportContext): Promise<ResolvedActor> {
  const user = pickOrNone('user', ref, await ctx.names.users(ctx.signal), (u) => [u.email, u.name], (u) => `${u.name} <${u.email}> (${u.id})`);
  if (user) return { id: user.id, label: `${user.name} <${user.email}> (${user.id})` };
  const [adminKeys, projectKeys] = await Promise.all([ctx.names.adminKeys(ctx.signal), ctx.names.keys(ctx.signal)]);
  const keys = [
    ...adminKeys.map((k) => ({ id: k.id, name: k.name, redacted: k.redacted_value, label: `admin key ${k.name} (${k.id})` })),
    ...projectKeys.map((k) => ({ id: k.id, name: k.name, redacted: k.redacted_value, label: `key ${k.name} (${k.id}) of ${k.owner} in ${k.project.name}` })),
  ];
  const byValue = keys.filter((k) => matchesRedacted(k.redacted, ref));
  const key = byValue.length === 1 ? byValue[0] : pickOrNone('API key', ref, keys, (k) => [k.name], (k) => k.label);
  if (key) return { id: key.id, label: key.label };
  if (ref.includes('@')) return { email: ref.trim(), label: `${ref.trim()} (not a current member)` };
  throw new ReportError(`No user or API key matches '${ref}'. Give a user's email, name or ID, or a key's name or ID; find looks names up.`);
}

/**
 * What identifies the change, compactly: the payload's fields other than its id (which is the
 * target), with `data` and `changes_requested` flattened one level, long values cut.
 */
function detailsOf(event: AuditEvent): string | undefined {
  const payload = event[event.type];
  if (!payload || typeof payload !== 'object') return undefined;
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === null || value === undefined || parts.length >= 6) return;
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(k, v);
      return;
    }
    const text = Array.isArray(value) ? value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('|') : String(value);
    parts.push(`${key}=${text.length > 60 ? `${text.slice(0, 57)}...` : text}`);
  };
  for (const [key, value] of Object.entries(payload as Record<string, unknown>)) if (key !== 'id') add(key, value);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export function describeActor(actor: AuditEvent['actor']): string {
  if (!actor) return 'system';
  if (actor.session?.user) return actor.session.user.email ?? actor.session.user.id ?? 'a user';
  if (actor.api_key) {
    const owner = actor.api_key.user?.email ?? actor.api_key.service_account?.id;
    return `key ${actor.api_key.id ?? '?'}${owner ? ` (${owner})` : ''}`;
  }
  return actor.type ?? 'unknown';
}

/** The payload sits under the key named by the event type; its `id` is the object acted on. */
export function targetOf(event: AuditEvent): string | undefined {
  const payload = event[event.type] as { id?: unknown } | undefined;
  return typeof payload?.id === 'string' ? payload.id : undefined;
}
