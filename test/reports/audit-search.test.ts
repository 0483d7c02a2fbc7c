import { beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { ToolHost } from '../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { AuditLogRecord, UserRecord } from '../../src/sandbox/state.js';
import { pickProjectNamed, useSandbox } from '../helpers.js';
import { DAY, hostFor, NOW, ok, refused, TODAY } from './support.js';

/*
 * audit_search against the seeded audit log: each filter is recomputed here from the sandbox state
 * and the lines must match it exactly, newest first, across pages.
 */

let sandbox: Sandbox;
let client: AdminClient;
let host: ToolHost;
useSandbox({ seed: 6, now: () => NOW }, (started) => ({ sandbox, client } = started));
beforeAll(() => {
  host = hostFor(client);
});

interface Line {
  time: string;
  type: string;
  actor: string;
  target?: string;
  project?: string;
  details?: string;
}
interface Search {
  period: { start: string; end: string };
  events: Line[];
  has_more: boolean;
  next_cursor?: string;
}

const minute = (unix: number) => `${new Date(unix * 1000).toISOString().slice(0, 16)}Z`;

/** The seeded events in [start, end) that pass `keep`, newest first, as `time type target`. */
function expected(keep: (e: AuditLogRecord) => boolean, start: number, end: number): string[] {
  return sandbox.state.auditLogs
    .map((record, i) => ({ record, i }))
    .filter(({ record }) => record.effective_at >= start && record.effective_at < end && keep(record))
    .sort((a, b) => b.record.effective_at - a.record.effective_at || b.i - a.i)
    .map(({ record }) => `${minute(record.effective_at)} ${record.type} ${typeof record.payload.id === 'string' ? record.payload.id : '-'}`);
}
const line = (e: Line) => `${e.time} ${e.type} ${e.target ?? '-'}`;

/** Every page of a search, following next_cursor. */
async function everything(args: Record<string, unknown>): Promise<Line[]> {
  const lines: Line[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const result = await ok<Search>(host, 'audit_search', { ...args, limit: 25, ...(after ? { after } : {}) });
    lines.push(...result.events);
    if (!result.has_more) {
      expect(result.next_cursor).toBeUndefined();
      return lines;
    }
    expect(result.events).toHaveLength(25);
    after = result.next_cursor;
    expect(after).toBeTruthy();
  }
  throw new Error('too many pages');
}

type Actor = { session?: { user?: { id?: string; email?: string } }; api_key?: { id?: string; user?: { id?: string; email?: string } } };
const actorOf = (e: AuditLogRecord) => e.actor as Actor | null;
// Rolling periods end now (the seeded log's newest events are earlier today).
const NINETY = { start: TODAY - 90 * DAY, end: NOW + 1 };

let owner: UserRecord;
beforeAll(() => {
  // The owner with the most events, so the search spans several pages.
  const owners = [...sandbox.state.users.values()].filter((u) => u.role === 'owner');
  const count = (u: UserRecord) => sandbox.state.auditLogs.filter((e) => actorOf(e)?.session?.user?.id === u.id || actorOf(e)?.api_key?.user?.id === u.id).length;
  owner = owners.sort((a, b) => count(b) - count(a))[0] as UserRecord;
});

describe('filters', () => {
  it('by actor email: every event of that person, newest first, over several pages', async () => {
    const lines = await everything({ actor: owner.email.toUpperCase(), period: 'last_90_days' });
    const truth = expected((e) => actorOf(e)?.session?.user?.email === owner.email || actorOf(e)?.api_key?.user?.email === owner.email, NINETY.start, NINETY.end);
    expect(truth.length).toBeGreaterThan(25);
    expect(lines.map(line)).toEqual(truth);
    for (const e of lines) expect(e.actor).toContain(owner.email);
    // Each event once, compactly: no summary repeating time, type and actor.
    for (const e of lines) expect(e).not.toHaveProperty('summary');
  });

  it('by actor ID: a user ID, and an admin key ID', async () => {
    const byUser = await everything({ actor: owner.id, period: 'last_90_days' });
    expect(byUser.map(line)).toEqual(expected((e) => actorOf(e)?.session?.user?.id === owner.id || actorOf(e)?.api_key?.user?.id === owner.id, NINETY.start, NINETY.end));

    const adminKey = [...sandbox.state.adminApiKeys.values()].find((k) => sandbox.state.auditLogs.some((e) => actorOf(e)?.api_key?.id === k.id));
    if (!adminKey) throw new Error('no admin key acted in the seeded log');
    const byKey = await everything({ actor: adminKey.id, period: 'last_90_days' });
    expect(byKey.length).toBeGreaterThan(0);
    expect(byKey.map(line)).toEqual(expected((e) => actorOf(e)?.api_key?.id === adminKey.id, NINETY.start, NINETY.end));
    for (const e of byKey) expect(e.actor).toMatch(new RegExp(`^key ${adminKey.id}`));
  });

  it('by event types', async () => {
    const types = ['login.failed', 'api_key.deleted'];
    const lines = await everything({ event_types: types, period: 'last_90_days' });
    expect(new Set(lines.map((e) => e.type))).toEqual(new Set(types));
    expect(lines.map(line)).toEqual(expected((e) => types.includes(e.type), NINETY.start, NINETY.end));
  });

  it('by project name', async () => {
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    const lines = await everything({ project: 'atlas', period: 'last_90_days' });
    expect(lines.length).toBeGreaterThan(0);
    for (const e of lines) expect(e.project).toBe('Atlas');
    expect(lines.map(line)).toEqual(expected((e) => e.project?.id === atlas.id, NINETY.start, NINETY.end));
  });

  it('by period, with every filter at once', async () => {
    const start = Date.UTC(2026, 9, 1) / 1000;
    const end = Date.UTC(2026, 9, 20) / 1000;
    const result = await ok<Search>(host, 'audit_search', { start: '2026-10-01', end: '2026-10-20', limit: 100 });
    expect(result.period).toEqual({ start: '2026-10-01T00:00Z', end: '2026-10-20T00:00Z', data_through: '2026-10-20T00:00Z' });
    expect(result.events.map(line)).toEqual(expected(() => true, start, end).slice(0, 100));
    for (const e of result.events) expect(e.time >= '2026-10-01' && e.time < '2026-10-20').toBe(true);

    const narrow = await everything({ actor: owner.email, event_types: ['login.succeeded'], start: '2026-10-01', end: '2026-10-20' });
    expect(narrow.map(line)).toEqual(expected((e) => e.type === 'login.succeeded' && actorOf(e)?.session?.user?.email === owner.email, start, end));
  });

  it('the default period is the last 30 days', async () => {
    const result = await ok<Search>(host, 'audit_search', { limit: 100 });
    // Up to this moment, today included: the audit log is not a whole-day report.
    expect(result.period).toEqual({ start: minute(TODAY - 30 * DAY), end: minute(NOW), name: 'last_30_days', data_through: minute(NOW) });
    const lines = await everything({});
    expect(lines.map(line)).toEqual(expected(() => true, TODAY - 30 * DAY, NOW + 1));
  });
});

describe('paging and order', () => {
  it('one line per event, newest first', async () => {
    const result = await ok<Search>(host, 'audit_search', { period: 'last_7_days', limit: 100 });
    expect(result.events.length).toBeGreaterThan(5);
    const times = result.events.map((e) => e.time);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('next_cursor continues without overlap or gap', async () => {
    const args = { period: 'last_90_days', event_types: ['login.succeeded', 'logout.succeeded'] };
    const whole = await ok<Search>(host, 'audit_search', { ...args, limit: 21 });
    const first = await ok<Search>(host, 'audit_search', { ...args, limit: 7 });
    expect(first.has_more).toBe(true);
    const second = await ok<Search>(host, 'audit_search', { ...args, limit: 7, after: first.next_cursor });
    const third = await ok<Search>(host, 'audit_search', { ...args, limit: 7, after: second.next_cursor });
    expect([...first.events, ...second.events, ...third.events]).toEqual(whole.events);
    expect(new Set(whole.events.map((e) => JSON.stringify(e))).size).toBe(21);
  });

  it('the last page has no cursor', async () => {
    const all = expected((e) => e.type === 'login.failed', NINETY.start, NINETY.end);
    const result = await ok<Search>(host, 'audit_search', { period: 'last_90_days', event_types: ['login.failed'], limit: 100 });
    expect(result.events).toHaveLength(all.length);
    expect(result.has_more).toBe(false);
    expect(result).not.toHaveProperty('next_cursor');
  });
});

describe('errors and our own changes', () => {
  it('an invalid event type is a clear error', async () => {
    const message = await refused(host, 'audit_search', { event_types: ['project.exploded'] });
    expect(message).toMatch(/event_types/);
    expect(message).toMatch(/'project\.exploded' is not an audit event type/);
    expect(message).toMatch(/project\.created/);
  });

  it('end without start is refused', async () => {
    expect(await refused(host, 'audit_search', { end: '2026-10-01' })).toMatch(/end needs a start/);
  });

  it('an unknown project is a clear error', async () => {
    expect(await refused(host, 'audit_search', { project: 'No Such Project' })).toMatch(/No project matches 'No Such Project'.*find/);
  });

  it('a change just made through the server is found with the default period', async () => {
    const created = await ok<{ id: string }>(host, 'projects_create', { name: 'Audit Trail Probe' });
    const result = await ok<Search>(host, 'audit_search', { event_types: ['project.created'] });
    expect(result.events[0]).toMatchObject({ type: 'project.created', target: created.id, time: minute(NOW) });
    const byProject = await ok<Search>(host, 'audit_search', { project: 'Audit Trail Probe', period: 'today' });
    expect(byProject.events.map((e) => e.target)).toContain(created.id);
  });
});
