import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { RequestBudget } from '../../src/reports/directory.js';
import { NameDirectory } from '../../src/reports/names.js';
import { partialRead } from '../../src/reports/report.js';
import { useSandbox } from '../helpers.js';
import { allComposites } from '../../src/reports/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { testHost } from '../host.js';
import { hostFor, NOW, ok } from './support.js';

/*
 * Costs that grow with the answer, not with the organization: a mid-size sandbox (60 projects, 600
 * users), requests counted by the sandbox itself.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 2, size: '60,600,1200', now: () => NOW }, (started) => ({ sandbox, client } = started));

interface Found {
  matches: Array<{ kind: string; id: string; name: string }>;
  partial?: string;
}
interface OrgReview {
  summary: string;
  projects_without_owner: string[];
  owners_unknown?: string[];
  partial?: string;
}

const since = (from: number) => sandbox.requests.slice(from);

describe('at 60 projects and 600 users', () => {
  it('find reads the organization once; a warm search costs at most 2 requests', async () => {
    const host = hostFor(client);
    const cold = sandbox.requests.length;
    const first = await ok<Found>(host, 'find', { query: 'ci-deploy' });
    expect(first.matches.some((m) => m.kind === 'service_account' && m.name === 'ci-deploy')).toBe(true);
    expect(since(cold).length).toBeGreaterThan(60);

    const warm = sandbox.requests.length;
    const project = [...sandbox.state.projects.values()][40];
    const second = await ok<Found>(host, 'find', { query: project?.name as string });
    expect(second.matches[0]).toMatchObject({ kind: 'project', id: project?.id });
    expect(since(warm).length).toBeLessThanOrEqual(2);
  });

  it('a write through the server re-reads only what it touched', async () => {
    const host = hostFor(client);
    await ok(host, 'find', { query: 'warm-up' });
    const project = [...sandbox.state.projects.values()].find((p, i) => i > 8 && p.status === 'active');
    await ok(host, 'projects_service_accounts_create', { project_id: project?.id, name: 'scale-test-bot' });
    const from = sandbox.requests.length;
    const found = await ok<Found>(host, 'find', { query: 'scale-test-bot' });
    // The new account, and the key the API made for it (found by its owner's name).
    expect(found.matches).toEqual([
      expect.objectContaining({ kind: 'service_account', name: 'scale-test-bot', match: 'exact' }),
      expect.objectContaining({ kind: 'api_key', owner: 'service account scale-test-bot', match: 'owner' }),
    ]);
    // That project's lists and the project list: not every project's again.
    expect(since(from).length).toBeLessThanOrEqual(8);
  });

  it('the organization review never asks each user about each archived project', async () => {
    const host = hostFor(client);
    const state = sandbox.state;
    const archived = [...state.projects.values()].filter((p) => p.status === 'archived');
    expect(archived.length).toBeGreaterThan(1);
    const from = sandbox.requests.length;
    const review = await ok<OrgReview>(host, 'access_review', {});
    expect(review.partial).toBeUndefined();
    const probes = since(from).filter((r) => /^\/organization\/projects\/[^/]+\/users\/[^/]+$/.test(r.path));
    // At most the users who own a key in an archived project, never users × archived projects.
    const keyOwners = archived.reduce((n, p) => n + new Set([...(state.projectApiKeys.get(p.id)?.values() ?? [])].flatMap((k) => (k.owner.type === 'user' ? [k.owner.user_id] : []))).size, 0);
    expect(probes.length).toBeLessThanOrEqual(keyOwners);
    expect(probes.length).toBeLessThan(state.users.size);
    // An archived project whose key owners include no owner is unknown, not ownerless.
    for (const line of review.projects_without_owner) expect(line).not.toMatch(/\[archived\]/);
  });

  it('stops at the request budget with a partial answer that says how to go on, and goes on', async () => {
    const names = new NameDirectory(client);
    const projects = await names.projects();
    const first = new RequestBudget(25);
    const some = await names.keys(undefined, { budget: first });
    expect(first.unread.get('keys')).toBe(projects.length - 25);
    expect(partialRead(first, 'find').partial).toMatch(/Stopped after 25 requests: the keys of 35 project\(s\) are not read yet.*Call find again/);
    // The next call reads on from where the first stopped, and only that.
    const from = sandbox.requests.length;
    const rest = await names.keys(undefined, { budget: new RequestBudget(500) });
    expect(since(from).length).toBe(projects.length - 25);
    expect(rest.length).toBeGreaterThan(some.length);
    let total = 0;
    for (const inner of sandbox.state.projectApiKeys.values()) total += inner.size;
    expect(rest.length).toBe(total);
  });

  it('an offboard preview of a user in many projects reads their memberships, not every project, once the directory is warm', async () => {
    const host = testHost(client, { composites: allComposites, workflows: allWorkflows, now: () => NOW * 1000 });
    const state = sandbox.state;
    const user = [...state.users.values()][40] as { id: string; email: string };
    const active = [...state.projects.values()].filter((p) => p.status === 'active');
    const joined = active.filter((_, i) => i % 4 === 1);
    for (const p of joined) state.scoped(state.projectUsers, p.id).set(user.id, { user_id: user.id, role: 'member', added_at: NOW - 86_400 });
    const inGroups = [...state.groups.values()].filter((g) => state.groupUsers.get(g.id)?.has(user.id)).length;
    const memberships = [...state.projectUsers.values()].filter((m) => m.has(user.id)).length;
    expect(memberships).toBeGreaterThanOrEqual(joined.length);

    // The organization review fills the directory, project members included.
    await ok(host, 'access_review', {});
    const targets = (from: number) => since(from).filter((r) => /^\/organization\/(projects|groups)\/[^/]+\/users\/[^/]+$/.test(r.path));
    // The first preview reads the groups' member lists (one each); the second, nothing but targets and invites.
    for (const round of ['first', 'second']) {
      const from = sandbox.requests.length;
      const plan = await ok<{ steps: Array<{ tool: string }> }>(host, 'offboard_user', { user: user.email, keep_in_org: true });
      expect(plan.steps.filter((s) => s.tool === 'projects_users_delete')).toHaveLength(memberships);
      // One target read per membership: none per project or group of the organization.
      expect(targets(from), round).toHaveLength(memberships + inGroups);
      const lists = since(from).filter((r) => /^\/organization\/projects\/[^/]+\/users$/.test(r.path));
      expect(lists.length, round).toBeLessThanOrEqual(memberships);
      if (round === 'second') expect(since(from).filter((r) => /^\/organization\/groups\/[^/]+\/users$/.test(r.path))).toHaveLength(0);
    }
    const from = sandbox.requests.length;
    await ok(host, 'offboard_user', { user: user.email, keep_in_org: true });
    expect(since(from).length).toBeLessThan(active.length / 2);
  });
});
