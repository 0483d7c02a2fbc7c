import { beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/index.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { useSandbox } from '../helpers.js';
import type { ToolHost } from '../../src/server/hosts/tool-host.js';
import { DAY, hostFor, NOW, ok, refused, TODAY } from '../reports/support.js';
import { KEY, Truth } from './truth.js';

/*
 * Issue 19, item 6: summaries that keep their promises. audit_search counts events per actor and
 * per type over a whole period, access_review groups keys by owner, and projects_rate_limits_list
 * filters by model on the server. Real HTTP to the sandbox on two seeds; expected values come from
 * plain HTTP (truth.ts), never from the code under test.
 */

interface Counts {
  counts: Record<string, number>;
  partial?: string;
  events: unknown[];
}
/** An owners line as key_columns lays it out. */
interface Owner {
  owner: string;
  type: string;
  all_stale: boolean;
  keys: string[];
}
const ownerOf = (line: string): Owner => {
  const [owner, type, , stale, keys] = line.split(' | ') as [string, string, string, string, string];
  return { owner, type, all_stale: stale === 'all stale', keys: keys.split('; ') };
};
const rowsOf = (counts: Record<string, number>) => Object.entries(counts).map(([of, events]) => ({ of, events }));
const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

describe.each([1, 2])('seed %i', (seed) => {
  let client: AdminClient;
  let host: ToolHost;
  let truth: Truth;
  useSandbox({ seed, now: () => NOW }, (started) => {
    client = started.client;
    truth = new Truth(started.sandbox.url);
  });
  beforeAll(() => {
    host = hostFor(client);
  });

  const window = { start: TODAY - 90 * DAY, end: TODAY };

  it('audit_search counts the whole period per actor, named, most active first', async () => {
    const [events, users] = await Promise.all([truth.audit({}, window.start, window.end), truth.users()]);
    expect(events.length).toBeGreaterThan(100); // more than one page of the API
    const named = new Map(users.map((u) => [u.id, `${u.name} <${u.email}> (${u.id})`]));
    const byUser = new Map<string, number>();
    for (const e of events) {
      const id = e.actor?.session?.user?.id;
      if (id) byUser.set(named.get(id) ?? id, (byUser.get(named.get(id) ?? id) ?? 0) + 1);
    }
    const result = await ok<Counts>(host, 'audit_search', { ...window, count_by: 'actor', limit: 100 });
    expect(result.partial).toBeUndefined();
    const rows = rowsOf(result.counts);
    expect(total(result.counts)).toBe(events.length);
    const sorted = rows.map((c) => c.events);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    // Every user who acted in a session has a row with their name, email and exact count.
    for (const [label, n] of byUser) expect(result.counts[label], label).toBe(n);
    // The most active person, as asked: the top user row is the user with the most events.
    const top = [...byUser].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const topUserRow = rows.find((c) => named.has(/\((user-[^)]+)\)$/.exec(c.of)?.[1] ?? ''));
    expect(topUserRow?.events).toBe(top[1]);

    // A limit keeps the top rows and sums the rest, so the total still adds up.
    const cut = rowsOf((await ok<Counts>(host, 'audit_search', { ...window, count_by: 'actor', limit: 1 })).counts);
    expect(cut).toHaveLength(2);
    expect(cut[0]).toEqual(rows[0]);
    expect(cut[1]?.of).toMatch(/^\(\d+ others\)$/);
    expect((cut[0]?.events ?? 0) + (cut[1]?.events ?? 0)).toBe(events.length);
  });

  it('audit_search counts per event type, with the filters applied', async () => {
    const events = await truth.audit({}, window.start, window.end);
    const byType = new Map<string, number>();
    for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    const result = await ok<Counts>(host, 'audit_search', { ...window, count_by: 'type', limit: 100 });
    expect(result.counts).toEqual(Object.fromEntries(byType));
    expect(result.events).toEqual([]);

    const [type] = [...byType].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const only = await truth.audit({ event_types: [type] } as Record<string, string[]>, window.start, window.end);
    const filtered = await ok<Counts>(host, 'audit_search', { ...window, count_by: 'actor', event_types: [type] });
    expect(total(filtered.counts)).toBe(only.length);
    expect(await refused(host, 'audit_search', { count_by: 'actor', after: 'x' })).toMatch(/after: counts cover the whole period/);
  });

  it('access_review groups keys by owner, and says which owners hold only stale keys', async () => {
    const keys = await truth.keys();
    const staleBefore = NOW - 90 * DAY;
    const stale = (k: { last_used_at: number | null; created_at: number }) => (k.last_used_at ?? k.created_at) < staleBefore;
    const owners = new Map<string, typeof keys>();
    for (const k of keys) {
      const id = k.owner.type === 'service_account' ? k.owner.service_account.id : k.owner.user.id;
      owners.set(id, [...(owners.get(id) ?? []), k]);
    }
    const answer = await ok<{ owners: string[]; next_cursor?: string; flags: string[] }>(host, 'access_review', { group_keys_by: 'owner', max_items: 500 });
    const result = { ...answer, owners: answer.owners.map(ownerOf) };
    expect(result.next_cursor).toBeUndefined();
    expect(result.owners).toHaveLength(owners.size);
    for (const [id, owned] of owners) {
      const row = result.owners.find((o) => o.owner.endsWith(`(${id})`));
      expect(row, id).toBeDefined();
      expect(row?.keys.map((line) => /\(([^)]+)\)/.exec(line)?.[1]).sort()).toEqual(owned.map((k) => k.id).sort());
      expect(row?.all_stale, id).toBe(owned.every(stale));
      if (owned[0]?.owner.type === 'service_account') expect(row?.owner).toContain(owned[0].owner.service_account.name);
    }
    // "Service accounts whose keys are all stale", in one call: the rows, and the flag naming them.
    const expectedAccounts = [...owners].filter(([, owned]) => owned[0]?.owner.type === 'service_account' && owned.every(stale)).map(([id]) => id).sort();
    const found = result.owners.filter((o) => o.type === 'service_account' && o.all_stale).map((o) => /\(([^)]+)\)$/.exec(o.owner)?.[1]).sort();
    expect(found).toEqual(expectedAccounts);
    expect(expectedAccounts.length + result.owners.filter((o) => o.all_stale).length).toBeGreaterThan(0);
    // Owners with only stale keys lead, and a page of them continues with the cursor.
    const firstFresh = result.owners.findIndex((o) => !o.all_stale);
    expect(result.owners.slice(firstFresh === -1 ? result.owners.length : firstFresh).every((o) => !o.all_stale)).toBe(true);
    const first = await ok<{ owners: string[]; next_cursor?: string }>(host, 'access_review', { group_keys_by: 'owner', max_items: 2 });
    const second = await ok<{ owners: string[] }>(host, 'access_review', { group_keys_by: 'owner', max_items: 2, cursor: first.next_cursor });
    expect([...first.owners, ...second.owners]).toEqual(answer.owners.slice(0, 4));
    if (expectedAccounts.length > 0) expect(answer.flags.join('\n')).toMatch(/^all_keys_stale: /m);
    expect(await refused(host, 'access_review', { group_keys_by: 'owner', user: 'x' })).toMatch(/group_keys_by: a user review/);
  });

  it('projects_rate_limits_list keeps one model, read across every page', async () => {
    const projects = (await truth.projects()).filter((p) => p.status === 'active');
    const project = projects[0] as { id: string };
    const rows = await truth.list<{ id: string; model: string }>(`/organization/projects/${project.id}/rate_limits`);
    expect(rows.length).toBeGreaterThan(4);
    const target = rows[rows.length - 1] as { model: string }; // on the last page of pages of 2
    const expected = rows.filter((r) => r.model === target.model);
    const result = await ok<{ data: Array<{ id: string; model: string }>; has_more: boolean; note?: string }>(host, 'projects_rate_limits_list', {
      project_id: project.id,
      model: target.model.toUpperCase(),
      limit: 2,
    });
    expect(result.data.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(result.has_more).toBe(false);
    const none = await ok<{ data: unknown[]; note?: string }>(host, 'projects_rate_limits_list', { project_id: project.id, model: 'no-such-model' });
    expect(none.data).toEqual([]);
    expect(none.note).toContain(`No row of ${rows.length} matches model 'no-such-model'`);
    // The schema says the filter is the server's, since the API has none.
    const listed = host.listTools().find((t) => t.name === 'projects_rate_limits_list');
    expect(JSON.stringify(listed?.inputSchema)).toMatch(/"model":\{"type":"string".*server-side/);
  });
});

it('audit_search says partial when the page cap cuts the count', async () => {
  const sandbox = await startSandbox({ seed: 1, now: () => NOW });
  const client = new AdminClient({ apiKey: KEY, baseUrl: sandbox.url, maxRetries: 0 });
  try {
    // More events in one day than the count reads (200 pages of 100).
    const day = TODAY - 200 * DAY;
    for (let i = 0; i < 20_050; i++) sandbox.state.auditLogs.push({ id: `audit_bulk_${i}`, type: 'api_key.updated', effective_at: day + (i % 80_000), actor: null, payload: { id: 'key_bulk' } });
    const result = await ok<Counts>(hostFor(client), 'audit_search', { start: day, end: day + DAY, count_by: 'type' });
    expect(total(result.counts)).toBe(20_000);
    expect(result.partial).toMatch(/^only the newest 20000 events were counted \(max_pages\), back to /);
  } finally {
    await client.close();
    await sandbox.close();
  }
}, 60_000);

