import { z } from 'zod';
import { endpointTools } from '../../tools/index.js';
import { named, periodFields, resolvePeriod } from './periods.js';
import { isoMinute, report } from './report.js';

/*
 * audit_search: the audit log filtered by actor (email or ID), event types, project and period,
 * summarised one line per event, with the cursor to continue.
 */

interface AuditEvent {
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
  description: 'Search the audit log by actor (email or ID), event types, project and period; one line per event, newest first.',
  input: {
    actor: z.string().min(1).optional().describe('Actor email or ID'),
    event_types: eventTypes,
    project: z.string().min(1).optional().describe('Project ID or name'),
    ...periodFields,
    limit: z.number().int().min(1).max(100).optional().describe('Default 20'),
    after: z.string().optional().describe('next_cursor of the previous result'),
  },
  output: z.object({
    period: z.object({ start: z.string(), end: z.string() }),
    events: z.array(
      z.object({ time: z.string(), type: z.string(), actor: z.string(), target: z.string().optional(), project: z.string().optional(), summary: z.string() }),
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
    const project = args.project ? await ctx.names.project(args.project, ctx.signal) : undefined;
    const byEmail = args.actor?.includes('@');
    const page = await ctx.client.get<{ data: AuditEvent[]; has_more: boolean; last_id?: string | null }>(
      '/organization/audit_logs',
      {
        effective_at: { gte: period.start, ...(period.end >= nowSeconds ? {} : { lt: period.end }) },
        ...(args.actor ? (byEmail ? { actor_emails: [args.actor] } : { actor_ids: [args.actor] }) : {}),
        ...(args.event_types ? { event_types: args.event_types as string[] } : {}),
        ...(project ? { project_ids: [project.id] } : {}),
        limit: args.limit ?? 20,
        ...(args.after ? { after: args.after } : {}),
      },
      ctx.signal,
    );
    const events = page.data.map((event) => {
      const actor = describeActor(event.actor);
      const target = targetOf(event);
      const where = event.project?.name ?? event.project?.id;
      return {
        time: isoMinute(event.effective_at),
        type: event.type,
        actor,
        ...(target ? { target } : {}),
        ...(where ? { project: where } : {}),
        summary: `${isoMinute(event.effective_at)} ${event.type} by ${actor}${target ? ` on ${target}` : ''}${where ? ` in ${where}` : ''}`,
      };
    });
    return {
      period: { start: isoMinute(period.start), end: isoMinute(period.end) },
      events,
      has_more: page.has_more,
      ...(page.has_more && page.last_id ? { next_cursor: page.last_id } : {}),
    };
  },
});

function describeActor(actor: AuditEvent['actor']): string {
  if (!actor) return 'system';
  if (actor.session?.user) return actor.session.user.email ?? actor.session.user.id ?? 'a user';
  if (actor.api_key) {
    const owner = actor.api_key.user?.email ?? actor.api_key.service_account?.id;
    return `key ${actor.api_key.id ?? '?'}${owner ? ` (${owner})` : ''}`;
  }
  return actor.type ?? 'unknown';
}

/** The payload sits under the key named by the event type; its `id` is the object acted on. */
function targetOf(event: AuditEvent): string | undefined {
  const payload = event[event.type] as { id?: unknown } | undefined;
  return typeof payload?.id === 'string' ? payload.id : undefined;
}
