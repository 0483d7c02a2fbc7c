import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { ProjectRecord } from '../../src/sandbox/state.js';
import { pickProjectNamed, useSandbox } from '../helpers.js';
import { hostFor, NOW, ok, refused } from './support.js';

/*
 * Names to IDs in the reports: exact, case-insensitive and prefix matches, ambiguity and unknown
 * names, and the name cache (never stale after our own write; honours its TTL otherwise).
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 4, now: () => NOW }, (started) => ({ sandbox, client } = started));

interface Spend {
  project?: { id: string; name: string };
}
interface Found {
  matches: Array<{ kind: string; id: string; name: string; match: string }>;
}

const projectsListed = (from: number) => sandbox.requests.slice(from).filter((r) => r.method === 'GET' && r.path === '/organization/projects').length;

/** A project added straight to the sandbox state, behind the server's back. */
function addDirectly(name: string): ProjectRecord {
  const project: ProjectRecord = {
    id: sandbox.state.newId('proj'),
    object: 'organization.project',
    name,
    created_at: NOW - 3_600,
    archived_at: null,
    status: 'active',
    external_key_id: null,
    residency: null,
  };
  sandbox.state.projects.set(project.id, project);
  return project;
}

describe('a project reference resolves', () => {
  it.each([
    ['the exact name', 'Atlas'],
    ['the name in another case', 'aTLAS'],
    ['a unique prefix', 'atl'],
    ['a unique prefix with spaces around', '  Support As '],
    ['the ID', ''],
  ])('by %s', async (_label, ref) => {
    const expected = ref === '' || ref.trim().toLowerCase().startsWith('atl') ? pickProjectNamed(sandbox.state, 'Atlas') : pickProjectNamed(sandbox.state, 'Support Assistant');
    const host = hostFor(client);
    const report = await ok<Spend>(host, 'spend_report', { project: ref === '' ? expected.id : ref, period: 'last_month' });
    expect(report.project).toEqual({ id: expected.id, name: expected.name });
  });

  it('an exact name wins over a longer name it prefixes', async () => {
    const host = hostFor(client);
    await ok(host, 'projects_create', { name: 'Atlas Archive' });
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    expect((await ok<Spend>(host, 'spend_report', { project: 'atlas' })).project?.id).toBe(atlas.id);
  });

  it('find names the same project, marking exact and prefix matches', async () => {
    const host = hostFor(client);
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    const exact = await ok<Found>(host, 'find', { query: 'ATLAS', kinds: ['project'] });
    expect(exact.matches[0]).toMatchObject({ kind: 'project', id: atlas.id, name: 'Atlas', match: 'exact' });
    const prefix = await ok<Found>(host, 'find', { query: 'bill', kinds: ['project'] });
    expect(prefix.matches).toEqual([expect.objectContaining({ id: pickProjectNamed(sandbox.state, 'Billing').id, match: 'prefix' })]);
  });

  it('an ambiguous name is refused with every candidate and its ID', async () => {
    const host = hostFor(client);
    const one = await ok<{ id: string }>(host, 'projects_create', { name: 'Apollo One' });
    const two = await ok<{ id: string }>(host, 'projects_create', { name: 'Apollo Two' });
    const message = await refused(host, 'spend_report', { project: 'apollo' });
    expect(message).toMatch(/matches 2 projects/);
    expect(message).toContain(`Apollo One (${one.id})`);
    expect(message).toContain(`Apollo Two (${two.id})`);
    for (const tool of ['usage_report', 'access_review', 'audit_search']) {
      expect(await refused(host, tool, { project: 'Apollo' })).toContain(one.id);
    }
    const found = await ok<Found>(host, 'find', { query: 'apollo', kinds: ['project'] });
    expect(found.matches.map((m) => m.id).sort()).toEqual([one.id, two.id].sort());
    // The full name of one of them is not ambiguous.
    expect((await ok<Spend>(host, 'spend_report', { project: 'apollo two' })).project?.id).toBe(two.id);
  });

  it('an unknown name gives a clear error that points to find', async () => {
    const host = hostFor(client);
    const message = await refused(host, 'spend_report', { project: 'Nonexistent Galaxy' });
    expect(message).toMatch(/No project matches 'Nonexistent Galaxy'/);
    expect(message).toMatch(/\bfind\b/);
    expect(await refused(host, 'access_review', { project: 'proj_doesnotexist' })).toMatch(/No project matches/);
  });
});

describe('the name cache', () => {
  it('is not stale after our own create', async () => {
    const host = hostFor(client);
    expect((await ok<Found>(host, 'find', { query: 'Zephyr', kinds: ['project'] })).matches).toEqual([]);
    // Cached: a second look-up does not list projects again.
    const before = sandbox.requests.length;
    expect((await ok<Found>(host, 'find', { query: 'Zephyr', kinds: ['project'] })).matches).toEqual([]);
    expect(projectsListed(before)).toBe(0);

    const created = await ok<{ id: string }>(host, 'projects_create', { name: 'Zephyr' });
    const found = await ok<Found>(host, 'find', { query: 'Zephyr', kinds: ['project'] });
    expect(found.matches).toEqual([expect.objectContaining({ id: created.id, name: 'Zephyr', match: 'exact' })]);
    expect((await ok<Spend>(host, 'spend_report', { project: 'zephyr' })).project?.id).toBe(created.id);
  });

  it('is not stale after our own rename', async () => {
    const host = hostFor(client);
    const created = await ok<{ id: string }>(host, 'projects_create', { name: 'Nimbus' });
    expect((await ok<Found>(host, 'find', { query: 'Nimbus', kinds: ['project'] })).matches).toHaveLength(1);
    expect((await ok<Found>(host, 'find', { query: 'Cirrus', kinds: ['project'] })).matches).toEqual([]);

    await ok(host, 'projects_update', { project_id: created.id, name: 'Cirrus' });
    expect((await ok<Found>(host, 'find', { query: 'Cirrus', kinds: ['project'] })).matches).toEqual([expect.objectContaining({ id: created.id, name: 'Cirrus' })]);
    expect((await ok<Found>(host, 'find', { query: 'Nimbus', kinds: ['project'] })).matches).toEqual([]);
    expect((await ok<Spend>(host, 'spend_report', { project: 'Cirrus' })).project).toEqual({ id: created.id, name: 'Cirrus' });
    expect(await refused(host, 'spend_report', { project: 'Nimbus' })).toMatch(/No project matches/);
  });

  it('is dropped after a write even when the write fails', async () => {
    const host = hostFor(client);
    expect((await ok<Found>(host, 'find', { query: 'Quasar', kinds: ['project'] })).matches).toEqual([]);
    addDirectly('Quasar');
    // The default project cannot be renamed: the call fails, but the server may not trust its cache either way.
    const defaultProject = [...sandbox.state.projects.values()][0] as ProjectRecord;
    await refused(host, 'projects_update', { project_id: defaultProject.id, name: 'Renamed default' });
    expect((await ok<Found>(host, 'find', { query: 'Quasar', kinds: ['project'] })).matches).toHaveLength(1);
  });

  it('keeps names for 5 minutes, then syncs from the audit log and the end of each list (injected clock)', async () => {
    let clock = NOW * 1000;
    const host = hostFor(client, () => clock);
    expect((await ok<Found>(host, 'find', { query: 'Orion', kinds: ['project'] })).matches).toEqual([]);
    const outside = addDirectly('Orion Direct');

    clock += 299_000;
    const before = sandbox.requests.length;
    expect((await ok<Found>(host, 'find', { query: 'Orion', kinds: ['project'] })).matches).toEqual([]);
    expect(await refused(host, 'spend_report', { project: 'Orion Direct' })).toMatch(/No project matches/);
    expect(sandbox.requests.length - before).toBe(0);

    clock += 1_001;
    const found = await ok<Found>(host, 'find', { query: 'Orion', kinds: ['project'] });
    expect(found.matches).toEqual([expect.objectContaining({ id: outside.id, name: 'Orion Direct', match: 'prefix' })]);
    // The sync: the audit log since the last one, then the project list (re-read, since earlier tests
    // changed projects; unchanged, only what was created after the last project known).
    expect(sandbox.requests.slice(before).map((r) => r.path)).toEqual(['/organization/audit_logs', '/organization/projects']);
    expect((await ok<Spend>(host, 'spend_report', { project: 'orion direct' })).project?.id).toBe(outside.id);

    // A rename made elsewhere shows in the audit log, as the API logs it: seen at the next sync, not before.
    outside.name = 'Orion Renamed';
    sandbox.state.audit('project.updated', { id: outside.id, changes_requested: { title: 'Orion Renamed' } }, { id: outside.id, name: outside.name });
    (sandbox.state.auditLogs.at(-1) as { effective_at: number }).effective_at = Math.floor(clock / 1000);
    clock += 200_000;
    expect((await ok<Spend>(host, 'spend_report', { project: 'orion direct' })).project?.name).toBe('Orion Direct');
    clock += 101_000;
    expect(await refused(host, 'spend_report', { project: 'orion direct' })).toMatch(/No project matches/);
    expect((await ok<Spend>(host, 'spend_report', { project: 'orion renamed' })).project?.id).toBe(outside.id);
  });

  it('fresh: true re-reads at once what the call uses', async () => {
    const host = hostFor(client);
    expect((await ok<Found>(host, 'find', { query: 'Vega', kinds: ['project'] })).matches).toEqual([]);
    const outside = addDirectly('Vega Direct');
    expect((await ok<Found>(host, 'find', { query: 'Vega', kinds: ['project'] })).matches).toEqual([]);
    const before = sandbox.requests.length;
    expect((await ok<Found>(host, 'find', { query: 'Vega', kinds: ['project'], fresh: true })).matches).toEqual([expect.objectContaining({ id: outside.id })]);
    expect(projectsListed(before)).toBe(1);
  });
});

describe('a project given by ID', () => {
  it('fetches alongside the lookup, and a differently-cased ID still gives the canonical answer', async () => {
    const host = hostFor(client);
    const atlas = pickProjectNamed(sandbox.state, 'Atlas');
    const canonical = await ok<{ total_usd: number; project: { id: string } }>(host, 'spend_report', { project: atlas.id, period: 'last_month' });
    expect(canonical.total_usd).toBeGreaterThan(0);
    const from = sandbox.requests.length;
    const shouted = await ok<{ total_usd: number; project: { id: string } }>(host, 'spend_report', { project: atlas.id.toLowerCase(), period: 'last_month' });
    expect(shouted.project.id).toBe(atlas.id);
    expect(shouted.total_usd).toBe(canonical.total_usd);
    // The first costs request went out with the ID as typed (before the lookup answered), the second with the canonical one.
    const costs = sandbox.requests.slice(from).filter((r) => r.path === '/organization/costs').map((r) => decodeURIComponent(r.query));
    expect(costs.some((q) => q.includes(`project_ids[]=${atlas.id.toLowerCase()}`))).toBe(true);
    expect(costs.some((q) => q.includes(`project_ids[]=${atlas.id}`))).toBe(true);
  });
});
