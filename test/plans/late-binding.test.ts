import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { ref, workflow, type StepDraft } from '../../src/plans/plan.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { useSandbox } from '../helpers.js';
import { testHost } from '../host.js';

/*
 * Steps that take values from earlier steps' results (a new project's ID, its role IDs): checked
 * before anything runs, bound at run time, and resumable. onboard_project's `groups` and
 * `spend_limit` are the real users; a tiny workflow drafted here drives the engine's edge cases.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 3 }, (started) => ({ sandbox, client } = started));

type Data = Record<string, any>;
const text = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const data = (r: CallToolResult): Data => {
  expect(r.isError, text(r)).toBeFalsy();
  return r.structuredContent as Data;
};
const writes = () => sandbox.requests.filter((r) => r.method !== 'GET').length;

/** A workflow whose draft is `steps` as given. */
const drafted = (steps: StepDraft[]) => workflow({ name: 'test_plan', title: 'Test plan', description: 'test', input: { n: z.number().optional() }, draft: async () => ({ summary: 'test', steps, warnings: [] }) });
const host = (extra: ReturnType<typeof drafted>[] = []) => testHost(client, { workflows: [...allWorkflows, ...extra], confirmWith: 'token' });

describe('onboard_project groups and spend_limit', () => {
  const group = () => [...sandbox.state.groups.values()].find((g) => !g.is_scim_managed) as { id: string; name: string };

  it('refuses an unknown role or group before anything runs, naming what there is', async () => {
    const before = writes();
    const role = await host().call('onboard_project', { name: 'Late Bound A', groups: { [group().name]: 'admin' } });
    expect(text(role)).toMatch(/no role named 'admin' among the roles a new project has: .*member/);
    const unknown = await host().call('onboard_project', { name: 'Late Bound A', groups: { 'No Such Group': 'member' } });
    expect(text(unknown)).toMatch(/No group matches 'No Such Group'/);
    expect(writes()).toBe(before);
  });

  it('resumes a stopped onboarding: only the missing group and limit, role bound now, then nothing', async () => {
    const h = host();
    // As if a plan stopped after creating the project and setting another limit.
    const project = data(await h.call('projects_create', { name: 'Late Bound B' }));
    await client.send({ method: 'POST', path: `/organization/projects/${project.id}/spend_limit`, body: { threshold_amount: 5_000, currency: 'USD', interval: 'month' } });
    const args = { name: 'Late Bound B', existing: 'use', groups: { [group().id]: 'member' }, spend_limit: 75 };
    const plan = data(await h.call('onboard_project', args));
    expect(plan.steps.map((s: Data) => s.tool)).toEqual(['projects_groups_create', 'projects_spend_limit_update']);
    const member = [...sandbox.state.roles.values()].find((r) => r.name === 'member' && r.resource_type === 'api.project' && r.predefined_role);
    expect(plan.steps[0].args).toEqual({ project_id: project.id, group_id: group().id, role: member?.id });
    expect(plan.steps[0].bound_later).toBeUndefined();
    expect(plan.steps[1].effect).toMatch(/Replaces the current hard limit of \$50 with a hard limit of \$75/);
    expect(plan.steps[1].target.threshold_amount).toBe(5_000);
    const done = data(await h.call('onboard_project', { ...args, confirm: plan.confirmation_token }));
    expect(done.status).toBe('done');
    expect(sandbox.state.projectGroups.get(project.id)?.has(group().id)).toBe(true);
    const again = data(await h.call('onboard_project', args));
    expect(again.status).toBe('nothing_to_do');
    expect(again.warnings[0]).toMatch(/already has access/);
  });
});

describe('the plan engine checks and binds values from earlier steps', () => {
  const create: StepDraft = { tool: 'projects_create', args: { name: 'Engine Test' }, effect: 'creates' };

  it('refuses, before anything runs, a step that takes a value from a step it does not wait for, or that its tool would refuse', async () => {
    const bad = drafted([
      create,
      { tool: 'projects_spend_limit_update', args: { project_id: ref(1), threshold_amount: 0, currency: 'USD', interval: 'month' }, effect: 'sets' },
    ]);
    const before = writes();
    const refused = await host([bad]).call('test_plan', {});
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/step 2 \(projects_spend_limit_update\): project_id takes a value from step 1, which it does not wait for/);
    expect(text(refused)).toMatch(/threshold_amount/);
    expect(writes()).toBe(before);
  });

  it('a value missing at run time stops the plan before that step sends anything', async () => {
    const plan = drafted([
      { ...create, args: { name: 'Engine Test 2' } },
      { tool: 'projects_roles_list', args: { project_id: ref(1) }, after: [1], effect: 'reads' },
      { tool: 'projects_groups_create', args: { project_id: ref(1), group_id: [...sandbox.state.groups.keys()][0], role: ref(2, 'id', { name: 'no-such-role' }) }, after: [1, 2], effect: 'grants' },
    ]);
    const h = host([plan]);
    const preview = data(await h.call('test_plan', {}));
    expect(preview.steps[2].bound_later.role).toBe("id of the item with name 'no-such-role' from step 2 (projects_roles_list)");
    const posts = () => sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/groups')).length;
    const before = posts();
    const result = data(await h.call('test_plan', { confirm: preview.confirmation_token }));
    expect(result.status).toBe('stopped');
    expect(result.done.map((d: Data) => [d.step, d.note ?? 'made'])).toEqual([
      [1, 'made'],
      [2, 'read; nothing changed'],
    ]);
    expect(result.failed).toEqual([expect.objectContaining({ step: 3, may_have_happened: false, why: expect.stringMatching(/^not sent: role was to be id/) })]);
    expect(posts()).toBe(before);
  });
});
