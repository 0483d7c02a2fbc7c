import { AUDIT_DAYS } from './usage.js';
import type { Rng } from '../rng.js';
import type { SandboxState } from '../state.js';

const DAY = 86_400;

/**
 * Adds an audit event for something seeded after the audit log itself, when it falls in the log's
 * window: made by an owner in the dashboard, kept in time order.
 */
export function auditSeeded(state: SandboxState, rng: Rng, type: string, at: number, payload: Record<string, unknown>): void {
  if (at < state.anchor - AUDIT_DAYS * DAY || at >= state.anchor) return;
  const owners = [...state.users.values()].filter((u) => u.role === 'owner');
  if (owners.length === 0) return;
  const owner = rng.pick(owners);
  const event = {
    id: `audit_log-${rng.token(24)}`,
    type,
    effective_at: at,
    actor: { type: 'session', session: { user: { id: owner.id, email: owner.email }, ip_address: `203.0.113.${rng.int(2, 254)}` } },
    payload,
  };
  const logs = state.auditLogs;
  let i = logs.length;
  while (i > 0 && (logs[i - 1] as (typeof logs)[number]).effective_at > at) i--;
  logs.splice(i, 0, event);
}
