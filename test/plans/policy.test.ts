import { describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import { keyForm, matchesRedacted } from '../../src/reports/names.js';
import type { AuditEntry } from '../../src/server/gate/audit.js';
import { NarrowedHost } from '../../src/server/hosts/narrowed-host.js';
import { PersonHost } from '../../src/server/hosts/person-host.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { pickActiveNonDefaultProject, useSandbox } from '../helpers.js';
import { testHost } from '../host.js';

/*
 * Plans under the policy of single calls: read-only, --project, a person's grant, the audit trail,
 * one use per token, elicitation. Also the key forms people write, and the sandbox's default
 * rate-limit rows for a new project.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 5 }, (started) => ({ sandbox, client } = started));

type Data = Record<string, any>;
const text = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const data = (r: CallToolResult): Data => {
  expect(r.isError, text(r)).toBeFalsy();
  return r.structuredContent as Data;
};
const host = (options: Parameters<typeof testHost>[1] = {}) => testHost(client, { composites: allComposites, workflows: allWorkflows, confirmWith: 'token', ...options });

/** A user key of an active project, straight from the sandbox state. */
function userKey(): { projectId: string; id: string; redacted: string } {
  for (const [projectId, keys] of sandbox.state.projectApiKeys) {
    if (sandbox.state.projects.get(projectId)?.status !== 'active') continue;
    for (const key of keys.values()) if (key.owner.type === 'user') return { projectId, id: key.id, redacted: key.redacted_value };
  }
  throw new Error('no user key');
}

describe('key forms people write', () => {
  it.each([
    ['sk-proj-...abCD', 'sk-proj', 'abcd'],
    ['sk-proj…abCD', 'sk-proj', 'abcd'],
    ['sk-proj-****abCD', 'sk-proj', 'abcd'],
    ['sk-svcacct-...pLuj', 'sk-svcacct', 'pluj'],
    ['...abCD', undefined, 'abcd'],
    ['abCD', undefined, 'abcd'],
    ['sk-proj-0123456789abcdefghijkl9xYz', 'sk-proj', '9xyz'],
  ])('%s', (written, prefix, tail) => {
    expect(keyForm(written)).toEqual(prefix ? { prefix, tail } : { tail });
    expect(matchesRedacted(`${prefix ?? 'sk-proj'}...${tail}`, written)).toBe(true);
  });

  it('a prefix alone, or another kind, names no key', () => {
    expect(keyForm('sk-proj...')).toBeUndefined();
    expect(matchesRedacted('sk-proj...abcd', 'sk-svcacct-...abcd')).toBe(false);
    expect(matchesRedacted('sk-proj...abcd', 'sk-proj-...abce')).toBe(false);
  });

  it('find, spend_report and revoke_key resolve sk-proj-...tail', async () => {
    const key = userKey();
    const written = key.redacted.replace(/^(sk-[a-z]+)\.\.\./, '$1-...');
    const h = host();
    const found = data(await h.call('find', { query: written, kinds: ['api_key'] }));
    expect(found.matches[0]).toMatchObject({ id: key.id, match: 'exact' });
    const spend = data(await h.call('spend_report', { api_key: written.replace('...', '…'), period: 'last_7_days' }));
    expect(spend.api_key.id).toBe(key.id);
    const plan = data(await h.call('revoke_key', { key: `...${key.redacted.slice(-4)}` }));
    expect(plan.steps).toEqual([expect.objectContaining({ tool: 'projects_api_keys_delete', args: { project_id: key.projectId, api_key_id: key.id } })]);
  });
});

describe('the sandbox gives a new project its default rate limits', () => {
  it('so a model limit can be set at once', async () => {
    const h = host();
    const project = data(await h.call('projects_create', { name: `Limits ${Date.now()}` }));
    const rows = data(await h.call('projects_rate_limits_list', { project_id: project.id }));
    expect(rows.data.map((r: Data) => r.model)).toEqual(expect.arrayContaining(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']));
    const updated = data(await h.call('projects_rate_limits_update', { project_id: project.id, rate_limit_id: 'rl-gpt-4o-mini', max_requests_per_1_minute: 100 }));
    expect(updated.max_requests_per_1_minute).toBe(100);
  });
});

describe('plans under the policy of single calls', () => {
  const someone = () => [...sandbox.state.users.values()][5] as { id: string; email: string };

  it('read-only hides the workflows and refuses them by name', async () => {
    const h = host({ readOnly: true });
    expect(h.listTools().map((t) => t.name)).not.toContain('offboard_user');
    expect(text(await h.call('offboard_user', { user: someone().email }))).toMatch(/read-only/);
  });

  it('--project refuses a plan whose steps reach beyond the project, before showing it', async () => {
    const project = pickActiveNonDefaultProject(sandbox.state);
    const refused = await host({ project: project.id }).call('offboard_user', { user: someone().email });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/users_delete.*scoped to project/s);
    expect(text(refused)).not.toMatch(/confirmation_token/);
  });

  it("a person's grant must allow every step", async () => {
    const person = new PersonHost(host(), { allowances: [{ right: 'destructive', toolsets: new Set(['workflows', 'keys']) }], source: 'test policy' });
    const refused = await person.call('offboard_user', { user: someone().email });
    expect(text(refused)).toMatch(/does not allow every step/);
    expect(text(refused)).toMatch(/users_delete.*not available to you/s);
  });

  it('a session narrowed by its request (X-MCP-Tools) must allow every step too', async () => {
    const session = new NarrowedHost(host(), { readOnly: false, tools: ['revoke_key'] });
    const refused = await session.call('revoke_key', { key: userKey().id });
    expect(text(refused)).toMatch(/projects_api_keys_delete is not available in this session/);
  });

  it('each step has its own audit line with the plan id and step number; a token works once', async () => {
    const lines: AuditEntry[] = [];
    const h = host({ audit: { record: (e) => void lines.push(e) } });
    const key = userKey();
    const plan = data(await h.call('revoke_key', { key: key.id }));
    expect(lines.map((l) => [l.tool, l.outcome])).toEqual([['revoke_key', 'preview']]);
    const done = data(await h.call('revoke_key', { key: key.id, confirm: plan.confirmation_token }));
    expect(done.status).toBe('done');
    const step = lines.filter((l) => l.tool === 'projects_api_keys_delete');
    expect(step.map((l) => [l.phase, l.outcome, l.plan, l.step])).toEqual([
      ['request', 'sending', done.plan_id, 1],
      ['result', 'succeeded', done.plan_id, 1],
    ]);
    expect(lines.filter((l) => l.tool === 'revoke_key').map((l) => l.outcome)).toEqual(['preview', 'sending', 'succeeded']);
    const again = await h.call('revoke_key', { key: key.id, confirm: plan.confirmation_token });
    expect(again.isError).toBe(true);
  });

  it('with elicitation the person sees the plan, and declining changes nothing', async () => {
    const asked: string[] = [];
    const h = host({ confirmWith: 'auto' });
    const key = userKey();
    const before = sandbox.requests.filter((r) => r.method === 'DELETE').length;
    const declined = data(await h.call('revoke_key', { key: key.id }, { elicit: async (m) => (asked.push(m), 'decline') }));
    expect(declined.status).toBe('declined');
    expect(asked[0]).toMatch(/Steps:\n1\. projects_api_keys_delete/);
    expect(sandbox.requests.filter((r) => r.method === 'DELETE').length).toBe(before);
    const accepted = data(await h.call('revoke_key', { key: key.id }, { elicit: async () => 'accept' }));
    expect(accepted.status).toBe('done');
  });

  it("rotate_key on a person's key plans nothing and offers revocation", async () => {
    const key = userKey();
    const answer = data(await host().call('rotate_key', { key: key.id }));
    expect(answer.status).toBe('nothing_to_do');
    expect(answer.note).toMatch(/revoke_key/);
  });

  it('onboard_project refuses an active name unless told, and warns when told to create another', async () => {
    const name = pickActiveNonDefaultProject(sandbox.state).name;
    expect(text(await host().call('onboard_project', { name }))).toMatch(/already named.*existing: "use"/s);
    const plan = data(await host().call('onboard_project', { name, existing: 'create' }));
    expect(plan.warnings[0]).toMatch(/duplicate name/);
  });
});

describe("offboard_user's last-owner warning is the single tools' warning", () => {
  it('counts owner groups, as users_delete does, and names the projects left without an owner', async () => {
    const h = host();
    const people = [...sandbox.state.users.values()].filter((u) => u.role === 'reader');
    const [person, other] = people as unknown as [{ id: string; email: string }, { id: string }];
    const ownerRole = [...sandbox.state.roles.values()].find((r) => r.resource_type === 'api.project' && r.predefined_role && r.name === 'owner') as { id: string };
    const group = [...sandbox.state.groups.values()].find((g) => !g.is_scim_managed && !sandbox.state.groupUsers.get(g.id)?.has(person.id)) as { id: string };
    // Owned by the person alone, and owned by the person and an owner group.
    const alone = data(await h.call('projects_create', { name: 'Owned Alone' }));
    const shared = data(await h.call('projects_create', { name: 'Owned With Group' }));
    for (const p of [alone, shared]) data(await h.call('projects_users_create', { project_id: p.id, user_id: person.id, role: 'owner' }));
    data(await h.call('projects_users_create', { project_id: shared.id, user_id: other.id, role: 'member' }));
    data(await h.call('projects_groups_create', { project_id: shared.id, group_id: group.id, role: ownerRole.id }));

    const plan = data(await h.call('offboard_user', { user: person.email }));
    const single = data(await h.call('users_delete', { user_id: person.id }));
    const lastOwner = (warnings: string[] = []) => warnings.filter((w) => /last owner/.test(w)).sort();
    expect(lastOwner(plan.warnings).some((w) => w.includes(alone.id))).toBe(true);
    expect(lastOwner(plan.warnings).some((w) => w.includes(shared.id))).toBe(false);
    expect(lastOwner(plan.warnings)).toEqual(lastOwner(single.warnings));
  });
});

describe('a step the API will refuse', () => {
  it('is left out of the plan with the reason, not offered for confirmation', async () => {
    let found: { projectId: string; id: string } | undefined;
    for (const [projectId, keys] of sandbox.state.projectApiKeys) {
      if (sandbox.state.projects.get(projectId)?.status !== 'archived') continue;
      const key = [...keys.values()][0];
      if (key) found = { projectId, id: key.id };
    }
    if (!found) throw new Error('no key in an archived project');
    const answer = data(await host().call('revoke_key', { key: found.id }));
    expect(answer.status).toBe('nothing_to_do');
    expect(answer.warnings.join('\n')).toMatch(/will be refused: step 1 \(projects_api_keys_delete .*\) is left out of the plan: the project is archived/);
    expect(answer.confirmation_token).toBeUndefined();
  });
});
