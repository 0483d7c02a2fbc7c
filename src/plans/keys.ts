import { z } from 'zod';
import type { AdminKeyRef, AnyKeyRef, KeyRef } from '../reports/names.js';
import type { WorkflowContext } from '../server/gate/workflow.js';
import { activeUse } from '../warnings/index.js';
import { workflow, type StepDraft } from './plan.js';

/*
 * Key workflows: revoke a leaked key, rotate a service account's key, clean out stale keys. A key
 * is named in any form people write it (see names.ts, `anyKey`).
 */

const DAY = 86_400;
const KEY_ARG = z.string().min(1).describe('ID, name, or value (sk-proj-...abcd, …abcd, abcd)');

/** The step that deletes a key, and what deleting it does. */
export function deleteKeyStep(found: AnyKeyRef): StepDraft {
  if (found.kind === 'admin_key') {
    return { tool: 'admin_api_keys_delete', args: { key_id: found.key.id }, effect: `Deletes admin key ${found.key.name} (${found.key.redacted_value}); anything using it gets 401 at once.` };
  }
  const k = found.key;
  return {
    tool: 'projects_api_keys_delete',
    args: { project_id: k.project.id, api_key_id: k.id },
    effect: `Deletes key ${k.name} (${k.redacted_value}) of project ${k.project.name}; requests with it get 401 at once. Its owner (${k.owner}) keeps their access.`,
  };
}

/** "in active use" when the key was used within 7 days: the words of a single delete's preview (src/warnings). */
export function activeUseWarning(key: KeyRef | AdminKeyRef, nowMs: number): string | undefined {
  return activeUse([key], Math.floor(nowMs / 1000))[0];
}

function describeKey(found: AnyKeyRef): Record<string, unknown> {
  const k = found.key;
  return found.kind === 'api_key'
    ? { kind: 'project key', id: k.id, name: k.name, value: k.redacted_value, project: `${found.key.project.name} (${found.key.project.id})`, owner: found.key.owner, last_used_at: k.last_used_at, created_at: k.created_at }
    : { kind: 'admin key', id: k.id, name: k.name, value: k.redacted_value, owner: k.owner, last_used_at: k.last_used_at, created_at: k.created_at };
}

/** Cost over the last 7 days (project keys only) and the audit events that name the key. */
async function incidentFacts(found: AnyKeyRef, ctx: WorkflowContext): Promise<Record<string, unknown>> {
  const now = Math.floor(ctx.now() / 1000);
  const start = Math.floor(now / DAY) * DAY - 6 * DAY;
  const [costs, events] = await Promise.all([
    found.kind === 'api_key'
      ? ctx.client.get<{ data?: Array<{ results?: Array<{ amount?: { value?: number } }> }> }>('/organization/costs', { start_time: start, bucket_width: '1d', limit: 7, api_key_ids: [found.key.id] }, ctx.signal)
      : Promise.resolve(undefined),
    ctx.client.get<{ data?: Array<{ type: string; effective_at: number; actor?: unknown }> }>('/organization/audit_logs', { resource_ids: [found.key.id], limit: 20 }, ctx.signal),
  ]);
  const usd = costs?.data?.flatMap((b) => b.results ?? []).reduce((sum, r) => sum + (r.amount?.value ?? 0), 0);
  return {
    key: describeKey(found),
    ...(usd !== undefined ? { cost_last_7_days_usd: Math.round(usd * 100) / 100 } : {}),
    audit_events: (events.data ?? []).map((e) => ({ type: e.type, effective_at: e.effective_at })),
  };
}

export const revokeKey = workflow({
  name: 'revoke_key',
  title: 'Revoke a key',
  description: 'Incident response: find a key from any form of its value, show owner, last use, 7-day cost and audit events, then delete it.',
  input: { key: KEY_ARG },
  async draft(args, ctx) {
    const found = await ctx.names.anyKey(args.key, ctx.signal);
    const facts = await incidentFacts(found, ctx);
    const warning = activeUseWarning(found.key, ctx.now());
    return { summary: `Revoke ${found.kind === 'api_key' ? 'project' : 'admin'} key ${found.key.name} (${found.key.redacted_value}).`, steps: [deleteKeyStep(found)], warnings: warning ? [warning] : [], facts };
  },
});

export const rotateKey = workflow({
  name: 'rotate_key',
  title: "Rotate a service account's key",
  description: "A new key for the key's service account, then the old one deleted; the new secret is shown once. Not for user keys.",
  input: { key: KEY_ARG, name: z.string().min(1).optional().describe("New key's name; default the old one's") },
  async draft(args, ctx) {
    const found = await ctx.names.anyKey(args.key, ctx.signal);
    const facts = { key: describeKey(found) };
    if (found.kind === 'admin_key' || found.key.owner_type !== 'service_account' || found.key.owner_id === null) {
      const whose = found.kind === 'admin_key' ? 'an admin key' : `a key owned by ${found.key.owner}`;
      return {
        summary: `Rotate ${found.key.name}: not possible through the Admin API.`,
        steps: [],
        warnings: [],
        facts,
        nothing: `${found.key.name} is ${whose}: the Admin API cannot create a key on a person's behalf, so it cannot be rotated here. The owner creates a new key in the dashboard; then revoke this one with revoke_key {"key": "${found.key.id}"}.`,
      };
    }
    const k = found.key;
    const warning = activeUseWarning(k, ctx.now());
    return {
      summary: `Rotate key ${k.name} (${k.redacted_value}) of ${k.owner} in project ${k.project.name}.`,
      steps: [
        {
          tool: 'projects_service_accounts_api_keys_create',
          args: { project_id: k.project.id, service_account_id: k.owner_id, name: args.name ?? k.name },
          effect: `Creates a new key for ${k.owner}; its secret is in the result once: store it before anything else.`,
        },
        { ...deleteKeyStep(found), after: [1], effect: `${deleteKeyStep(found).effect} Runs only after the new key exists.` },
      ],
      warnings: warning ? [`${warning} Deploy the new key before confirming, or expect failures until you do.`] : [],
      facts,
    };
  },
});

export const cleanStaleKeys = workflow({
  name: 'clean_stale_keys',
  title: 'Delete stale keys',
  description: 'Every project key unused for stale_days (or never used and that old), admin keys if asked, deleted in one plan.',
  input: {
    stale_days: z.number().int().min(1).max(3650).optional().describe('Default 90'),
    project: z.string().min(1).optional().describe('ID or name; default every project'),
    admin_keys: z.boolean().optional().describe('Include admin keys; default false'),
  },
  async draft(args, ctx) {
    const days = args.stale_days ?? 90;
    const cutoff = ctx.now() / 1000 - days * DAY;
    const stale = (k: { last_used_at: number | null; created_at: number }) => (k.last_used_at ?? k.created_at) < cutoff;
    const [project, keys, admin] = await Promise.all([
      args.project ? ctx.names.project(args.project, ctx.signal) : Promise.resolve(undefined),
      ctx.names.keys(ctx.signal),
      args.admin_keys ? ctx.names.adminKeys(ctx.signal) : Promise.resolve([]),
    ]);
    const projectKeys = keys.filter((k) => stale(k) && (!project || k.project.id === project.id));
    // Archived projects refuse every change, key deletions included: those keys are named, not planned.
    const archived = projectKeys.filter((k) => k.project.status === 'archived');
    const found: AnyKeyRef[] = [
      ...projectKeys.filter((k) => k.project.status !== 'archived').map((key) => ({ kind: 'api_key' as const, key })),
      ...admin.filter(stale).map((key) => ({ kind: 'admin_key' as const, key })),
    ];
    return {
      summary: `Delete ${found.length} key${found.length === 1 ? '' : 's'} unused for ${days} days${project ? ` in project ${project.name}` : ''}${args.admin_keys ? ', admin keys included' : ''}.`,
      steps: found.map(deleteKeyStep),
      warnings: archived.length > 0 ? [`${archived.length} stale key(s) are in archived projects, which refuse changes, so they are not in the plan: ${archived.map((k) => `${k.name} (${k.id}, ${k.project.name})`).join('; ')}.`] : [],
      nothing: `No key has gone unused for ${days} days${project ? ` in project ${project.name}` : ''}.`,
    };
  },
});
