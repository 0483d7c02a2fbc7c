import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { expectError, pickArchivedProject, projectsIn, stateSnapshot, useSandbox, withSandboxes } from '../helpers.js';

let client: AdminClient;
const state = useSandbox({ seed: 7 }, (started) => ({ client } = started));

interface Settings {
  object: string;
  default: string;
  enabled_tiers: 'all' | string[];
}

const path = (projectId: string) => `/organization/projects/${projectId}/service_tier_settings`;
const snapshot = () => stateSnapshot(state().serviceTierSettings);
/** A fresh project: it has the settings every new project starts with. */
const newProject = async (name: string) => (await client.post<{ id: string }>('/organization/projects', { name })).id;

describe('seed', () => {
  it('has settings for every seeded project, covering all, a list and Standard only', () => {
    const projects = projectsIn(state());
    for (const p of projects) expect(state().serviceTierSettings.has(p.id), p.name).toBe(true);
    const kinds = [...state().serviceTierSettings.values()].map((s) => (s.enabled_tiers === 'all' ? 'all' : s.enabled_tiers.length === 0 ? 'none' : 'some'));
    expect(new Set(kinds)).toEqual(new Set(['all', 'some', 'none']));
    expect([...state().serviceTierSettings.values()].some((s) => s.default !== 'standard')).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 3 }, { seed: 3 }], ([a, b]) => {
      const names = (s: Sandbox) => [...s.state.serviceTierSettings].map(([id, v]) => [s.state.projects.get(id)?.name, v]);
      expect(names(a)).toEqual(names(b));
    });
  });
});

describe('project service tier settings', () => {
  it('answers the seeded settings in the documented shape', async () => {
    for (const p of projectsIn(state())) {
      const got = await client.get<Settings>(path(p.id));
      const seeded = state().serviceTierSettings.get(p.id)!;
      expect(got).toEqual({ object: 'project.service_tier_settings', default: seeded.default, enabled_tiers: seeded.enabled_tiers });
    }
  });

  it('round trip: a new project starts on standard with every tier; updates change only the fields given', async () => {
    const id = await newProject('Tiers round trip');
    expect(await client.get<Settings>(path(id))).toEqual({ object: 'project.service_tier_settings', default: 'standard', enabled_tiers: 'all' });

    const narrowed = await client.post<Settings>(path(id), { enabled_tiers: ['ultrafast', 'flex', 'flex'] }, { idempotent: true });
    // Duplicates collapse; the list comes back in the API's tier order.
    expect(narrowed).toEqual({ object: 'project.service_tier_settings', default: 'standard', enabled_tiers: ['flex', 'ultrafast'] });

    const defaulted = await client.post<Settings>(path(id), { default: 'scale' }, { idempotent: true });
    expect(defaulted).toEqual({ object: 'project.service_tier_settings', default: 'scale', enabled_tiers: ['flex', 'ultrafast'] });

    const both = await client.post<Settings>(path(id), { default: 'fast', enabled_tiers: [] }, { idempotent: true });
    expect(both).toEqual({ object: 'project.service_tier_settings', default: 'fast', enabled_tiers: [] });
    expect(await client.get<Settings>(path(id))).toEqual(both);

    const reopened = await client.post<Settings>(path(id), { enabled_tiers: 'all' }, { idempotent: true });
    expect(reopened.enabled_tiers).toBe('all');
  });

  it.each([
    [{}, 'default'],
    [{ default: 'flex' }, 'default'],
    [{ default: null }, 'default'],
    [{ enabled_tiers: null }, 'enabled_tiers'],
    [{ enabled_tiers: 'none' }, 'enabled_tiers'],
    [{ enabled_tiers: ['standard'] }, 'enabled_tiers'],
    [{ enabled_tiers: ['flex', 3] }, 'enabled_tiers'],
    [{ default: 'fast', priority: 'fast' }, 'priority'],
  ])('update rejects %j and changes nothing', async (body, param) => {
    const p = projectsIn(state()).find((x) => x.status === 'active')!;
    await expectError(client.post(path(p.id), body), 400, param, { unchanged: snapshot });
  });

  it('archived projects cannot be changed, but can be read', async () => {
    const archived = pickArchivedProject(state());
    await expectError(client.post(path(archived.id), { default: 'fast' }), 400, 'project_id', { code: 'project_archived', unchanged: snapshot });
    expect((await client.get<Settings>(path(archived.id))).object).toBe('project.service_tier_settings');
  });

  it('answers 404 for an unknown project', async () => {
    await expectError(client.get(path('proj_missing')), 404, 'project_id', { code: 'not_found' });
    await expectError(client.post(path('proj_missing'), { default: 'fast' }), 404, 'project_id', { unchanged: snapshot });
  });
});
