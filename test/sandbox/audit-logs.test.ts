import { describe, expect, it } from 'vitest';
import type { AdminClient, Query } from '../../src/client/index.js';
import { AUDIT_DAYS } from '../../src/sandbox/seed/usage.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import auditTools, { AUDIT_LOG_EVENT_TYPES } from '../../tools/audit-logs.js';
import { refusalsLeaving, pickArchivedProject, useSandbox, withSandboxes } from '../helpers.js';

const DAY = 86_400;
/** A fixed clock: Wednesday 2026-02-18 15:30 UTC. */
const NOW = Date.UTC(2026, 1, 18, 15, 30) / 1000;
const ANCHOR = Date.UTC(2026, 1, 18) / 1000;
const PATH = '/organization/audit_logs';

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 7, now: () => NOW }, (started) => ({ sandbox, client } = started));

// Helpers

interface AuditLog {
  id: string;
  type: string;
  effective_at: number;
  project?: { id: string; name: string };
  actor: {
    type: 'session' | 'api_key';
    session?: { user: { id?: string; email?: string }; ip_address: string };
    api_key?: { id: string; type: 'user' | 'service_account'; user?: { id: string; email: string }; service_account?: { id: string } };
  } | null;
  [payload: string]: unknown;
}
interface List {
  object: string;
  data: AuditLog[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

const list = (query: Query = {}) => client.get<List>(PATH, query);

async function all(query: Query = {}): Promise<AuditLog[]> {
  const out: AuditLog[] = [];
  for await (const item of client.paginate<AuditLog>({ path: PATH, query: { limit: 100, ...query }, style: 'cursor_id' })) out.push(item);
  return out;
}

/** A request that must fail with 400 on `param` and log nothing. */
const refused = refusalsLeaving(() => sandbox.state.auditLogs.length);
const expectInvalid = (request: Promise<unknown>, param: string) => refused(request, 400, param);

const ids = (logs: readonly AuditLog[]) => logs.map((l) => l.id);

// Seed

describe('seeded audit log', () => {
  it('holds a few hundred events of documented types over the last 90 days', () => {
    const logs = sandbox.state.auditLogs;
    expect(logs.length).toBeGreaterThan(150);
    expect(logs.length).toBeLessThan(600);
    const types = new Set(logs.map((l) => l.type));
    for (const type of ['login.succeeded', 'login.failed', 'api_key.created', 'api_key.deleted', 'rate_limit.updated', 'invite.sent', 'project.archived']) {
      expect(types, type).toContain(type);
    }
    for (const log of logs) {
      expect(AUDIT_LOG_EVENT_TYPES).toContain(log.type);
      expect(log.effective_at).toBeGreaterThanOrEqual(ANCHOR - AUDIT_DAYS * DAY);
      expect(log.effective_at).toBeLessThan(ANCHOR);
    }
    const times = logs.map((l) => l.effective_at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(logs.map((l) => l.id)).size).toBe(logs.length);
  });

  it('refers to the seeded organization', () => {
    const { state } = sandbox;
    const archived = pickArchivedProject(state);
    const event = state.auditLogs.find((l) => l.type === 'project.archived')!;
    expect(event).toMatchObject({ effective_at: archived.archived_at, project: { id: archived.id, name: archived.name }, payload: { id: archived.id } });
    for (const log of state.auditLogs.filter((l) => l.type === 'rate_limit.updated')) {
      expect(state.rateLimits.get(log.project!.id)?.get(log.payload.id as string)).toBeDefined();
    }
    for (const log of state.auditLogs.filter((l) => l.type === 'invite.sent')) {
      expect(state.invites.get(log.payload.id as string)?.email).toBe((log.payload.data as { email: string }).email);
    }
    for (const log of state.auditLogs) {
      const user = (log.actor as AuditLog['actor'])?.session?.user;
      if (user?.id) expect(state.users.get(user.id)?.email).toBe(user.email);
    }
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 7, now: () => NOW }, { seed: 8, now: () => NOW }], ([again, other]) => {
      expect(again.state.auditLogs.map((l) => l.id)).toEqual(sandbox.state.auditLogs.map((l) => l.id));
      expect(other.state.auditLogs.map((l) => l.id)).not.toEqual(sandbox.state.auditLogs.map((l) => l.id));
    });
  });
});

// Shape and order

describe('list', () => {
  it('answers 20 events by default, newest first, in the documented shape', async () => {
    const page = await list();
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(20);
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(page.data[0]!.id);
    expect(page.last_id).toBe(page.data[19]!.id);
    const times = page.data.map((l) => l.effective_at);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const log of page.data) {
      expect(typeof log.id).toBe('string');
      expect(log[log.type]).toBeTypeOf('object');
      expect(log).not.toHaveProperty('payload');
    }
  });

  it('shows session and API-key actors as documented', async () => {
    const logs = await all();
    const sessions = logs.filter((l) => l.actor?.type === 'session');
    const keys = logs.filter((l) => l.actor?.type === 'api_key');
    expect(sessions.length).toBeGreaterThan(50);
    expect(keys.length).toBeGreaterThan(0);
    for (const log of sessions) {
      expect(Object.keys(log.actor!).sort()).toEqual(['session', 'type']);
      expect(log.actor!.session!.user.email).toMatch(/@/);
      expect(log.actor!.session!.ip_address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    for (const log of keys) {
      expect(['user', 'service_account']).toContain(log.actor!.api_key!.type);
      expect(log.actor!.api_key!.id).toMatch(/^key_/);
      if (log.actor!.api_key!.type === 'user') expect(log.actor!.api_key!.user!.email).toMatch(/@/);
      // Admin-key actions are tied to a project (the default one unless scoped elsewhere).
      expect(log.project).toBeDefined();
    }
    const failed = logs.find((l) => l.type === 'login.failed')!;
    expect(failed['login.failed']).toMatchObject({ error_code: expect.any(String), error_message: expect.any(String) });
    const created = logs.find((l) => l.type === 'api_key.created')!;
    expect(created['api_key.created']).toMatchObject({ id: expect.stringMatching(/^key_/), data: { scopes: expect.any(Array) } });
  });

  it('walks every event exactly once with after, and back with before', async () => {
    const logs = await all({ limit: 37 });
    expect(logs).toHaveLength(sandbox.state.auditLogs.length);
    expect(new Set(ids(logs)).size).toBe(logs.length);
    const times = logs.map((l) => l.effective_at);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const first = await list({ limit: 10 });
    const second = await list({ limit: 10, after: first.last_id! });
    expect(ids(second.data)).toEqual(ids(logs.slice(10, 20)));
    const back = await list({ limit: 10, before: second.first_id! });
    expect(ids(back.data)).toEqual(ids(first.data));
    expect(back.has_more).toBe(false);
    const last = await list({ limit: 100, after: logs[logs.length - 5]!.id });
    expect(last.data).toHaveLength(4);
    expect(last.has_more).toBe(false);
  });

  it('lists a live change first, made with the admin key in the default project', async () => {
    const project = [...sandbox.state.projects.values()][0]!;
    sandbox.state.audit('invite.sent', { id: 'invite-live', data: { email: 'new.hire@northwind-labs.test', role: 'reader' } });
    try {
      const page = await list({ limit: 1 });
      expect(page.data[0]).toMatchObject({
        type: 'invite.sent',
        effective_at: NOW,
        project: { id: project.id, name: project.name },
        actor: { type: 'api_key', api_key: { type: 'user', user: { email: expect.stringMatching(/@/) } } },
        'invite.sent': { id: 'invite-live', data: { email: 'new.hire@northwind-labs.test', role: 'reader' } },
      });
    } finally {
      sandbox.state.auditLogs.pop();
    }
  });
});

// Filters

describe('filters', () => {
  it('effective_at bounds: gt, gte, lt, lte', async () => {
    const logs = await all();
    const pivot = logs[50]!.effective_at;
    const low = logs[120]!.effective_at;
    const check = async (range: Record<string, number>, keep: (t: number) => boolean) => {
      const got = await all({ effective_at: range });
      expect(ids(got)).toEqual(ids(logs.filter((l) => keep(l.effective_at))));
    };
    await check({ gte: pivot }, (t) => t >= pivot);
    await check({ gt: pivot }, (t) => t > pivot);
    await check({ lt: pivot }, (t) => t < pivot);
    await check({ lte: pivot }, (t) => t <= pivot);
    await check({ gte: low, lt: pivot }, (t) => t >= low && t < pivot);
  });

  it('project_ids, event_types, actor_ids, actor_emails and resource_ids', async () => {
    const logs = await all();
    const scoped = logs.find((l) => l.project)!;
    const byProject = await all({ project_ids: [scoped.project!.id] });
    expect(ids(byProject)).toEqual(ids(logs.filter((l) => l.project?.id === scoped.project!.id)));

    const byType = await all({ event_types: ['login.failed', 'api_key.deleted'] });
    expect(ids(byType)).toEqual(ids(logs.filter((l) => l.type === 'login.failed' || l.type === 'api_key.deleted')));

    const person = logs.find((l) => l.actor?.type === 'session' && l.actor.session!.user.id)!.actor!.session!.user;
    const byActor = await all({ actor_ids: [person.id!] });
    expect(byActor.length).toBeGreaterThan(0);
    for (const log of byActor) expect([log.actor?.session?.user.id, log.actor?.api_key?.user?.id]).toContain(person.id);
    const byEmail = await all({ actor_emails: [person.email!.toUpperCase()] });
    expect(ids(byEmail)).toEqual(ids(byActor));

    const keyActor = logs.find((l) => l.actor?.type === 'api_key')!.actor!.api_key!.id;
    const byKey = await all({ actor_ids: [keyActor] });
    expect(byKey.length).toBeGreaterThan(0);
    for (const log of byKey) expect(log.actor!.api_key!.id).toBe(keyActor);

    const archived = logs.find((l) => l.type === 'project.archived')!;
    const target = (archived['project.archived'] as { id: string }).id;
    const byResource = await all({ resource_ids: [target] });
    expect(ids(byResource)).toContain(archived.id);
    for (const log of byResource) expect((log[log.type] as { id?: string }).id).toBe(target);
  });

  it('tenant_only lists only tenant-scoped events, and needs tenant-scoped types', async () => {
    const page = await list({ tenant_only: true });
    expect(page.data).toEqual([]);
    const tenant = await list({ tenant_only: true, event_types: ['tenant.user.added', 'role.bound_to_resource'] });
    expect(tenant.data).toEqual([]);
    await expectInvalid(list({ tenant_only: true, event_types: ['tenant.user.added', 'project.created'] }), 'event_types');
    const plain = await list({ event_types: ['role.bound_to_resource'] });
    expect(plain.data).toEqual([]);
  });
});

// Validation

describe('validation', () => {
  it('limit must be 1..100', async () => {
    expect((await list({ limit: 100 })).data).toHaveLength(100);
    expect((await list({ limit: 1 })).data).toHaveLength(1);
    await expectInvalid(list({ limit: 0 }), 'limit');
    await expectInvalid(list({ limit: 101 }), 'limit');
    await expectInvalid(list({ limit: 'many' }), 'limit');
  });

  it('event_types must be documented types', async () => {
    await expectInvalid(list({ event_types: ['project.exploded'] }), 'event_types');
  });

  it('effective_at takes integer bounds in deep-object form', async () => {
    await expectInvalid(list({ effective_at: { gte: 'last week' } }), 'effective_at[gte]');
    await expectInvalid(list({ effective_at: { lt: -1 } }), 'effective_at[lt]');
    await expectInvalid(list({ effective_at: 1700000000 }), 'effective_at');
  });

  it('unknown cursors and a bad tenant_only are rejected', async () => {
    await expectInvalid(list({ after: 'audit_log-missing' }), 'after');
    await expectInvalid(list({ before: 'audit_log-missing' }), 'before');
    await expectInvalid(list({ tenant_only: 'sometimes' }), 'tenant_only');
  });
});

// Tool

describe('audit_logs_list tool', () => {
  const tool = auditTools.find((t) => t.name === 'audit_logs_list')!;

  it('converts effective_at bounds to Unix seconds', () => {
    const range = tool.input.query!.effective_at!.parse({ gte: '2026-01-01', lt: 1767312000 });
    expect(range).toEqual({ gte: Date.UTC(2026, 0, 1) / 1000, lt: 1767312000 });
    expect(tool.input.query!.effective_at!.safeParse({ gte: 'whenever' }).success).toBe(false);
  });

  it('checks event types against the documented enum', () => {
    expect(tool.input.query!.event_types!.safeParse(['project.created', 'tenant.user.added']).success).toBe(true);
    expect(tool.input.query!.event_types!.safeParse(['project.exploded']).success).toBe(false);
    expect(tool.input.query!.limit!.safeParse(101).success).toBe(false);
    expect(AUDIT_LOG_EVENT_TYPES).toHaveLength(149);
    expect(tool.input.query!.event_types!.safeParse(['external_storage.registered']).success).toBe(true);
  });
});
