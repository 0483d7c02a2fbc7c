import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectInProcess, testHost } from '../host.js';
import { diff, orgState, type OrgState } from './org-state.js';
import { KEY, Truth, type RawKey } from './truth.js';

/*
 * Acceptance: admin jobs done through the workflow tools over the MCP SDK's own Client, on two
 * seeds, as an agent would do them: one call for the plan, one to confirm it. Each job's end state
 * is read by plain HTTP (truth.ts) and compared with the state before: exactly the intended objects
 * are added, removed or changed, and nothing else. The ledger (calls, confirmations, result tokens,
 * end state) is printed at the end.
 */

const NOW = Date.UTC(2026, 10, 23, 12) / 1000;

interface Entry {
  seed: number;
  job: string;
  calls: number;
  confirmations: number;
  tokens: number;
  matched: boolean;
}
const ledger: Entry[] = [];
afterAll(() => {
  const rows = ledger.map((e) => `| ${e.seed} | ${e.job} | ${e.calls} | ${e.confirmations} | ${e.tokens} | ${e.matched ? 'matched' : 'NOT MATCHED'} |`);
  console.log(['| seed | job | calls | confirmations | result tokens | end state |', '|---|---|---|---|---|---|', ...rows].join('\n'));
});

const texts = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
type Data = Record<string, any>;

describe.each([1, 2])('seed %i', (seed) => {
  let sandbox: Sandbox;
  let client: AdminClient;
  let mcp: Client;
  let truth: Truth;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed, now: () => NOW });
    client = new AdminClient({ apiKey: KEY, baseUrl: sandbox.url, maxRetries: 0 });
    const host = testHost(client, { composites: allComposites, workflows: allWorkflows, now: () => NOW * 1000 });
    mcp = await connectInProcess(host, 'plans-acceptance');
    truth = new Truth(sandbox.url);
  });
  afterAll(async () => {
    await mcp.close();
    await client.close();
    await sandbox.close();
  });

  /** A job: its calls go through `ask`, which counts calls, confirmations and result tokens. */
  function job(name: string, body: (ask: (tool: string, args: Data) => Promise<Data>, before: OrgState) => Promise<(after: OrgState) => void>): void {
    it(name, async () => {
      const entry: Entry = { seed, job: name, calls: 0, confirmations: 0, tokens: 0, matched: false };
      ledger.push(entry);
      const before = await orgState(truth);
      const ask = async (tool: string, args: Data) => {
        const result = (await mcp.callTool({ name: tool, arguments: args })) as CallToolResult;
        entry.calls += 1;
        if (args.confirm !== undefined) entry.confirmations += 1;
        entry.tokens += encode(texts(result)).length;
        expect(result.isError, texts(result)).toBeFalsy();
        return result.structuredContent as Data;
      };
      const check = await body(ask, before);
      check(await orgState(truth));
      expect(entry.calls).toBeLessThanOrEqual(2);
      expect(entry.confirmations).toBeLessThanOrEqual(1);
      entry.matched = true;
    });
  }

  /** Preview, then confirm with the preview's token: the two calls of every job. */
  async function previewAndConfirm(ask: (tool: string, args: Data) => Promise<Data>, tool: string, args: Data): Promise<{ plan: Data; result: Data }> {
    const plan = await ask(tool, args);
    expect(plan.status).toBe('confirmation_required');
    const result = await ask(tool, { ...args, confirm: plan.confirmation_token });
    expect(result.status, JSON.stringify(result)).toBe('done');
    return { plan, result };
  }

  job('offboard a user', async (ask, before) => {
    const keys = await truth.keys();
    const projects = new Map((await truth.projects()).map((p) => [p.id, p]));
    const users = await truth.users();
    // The person with the most active-project keys: the richest offboarding this seed has.
    const owned = (id: string) => keys.filter((k) => k.owner.type === 'user' && k.owner.user.id === id && projects.get(k.project.id)?.status === 'active');
    const user = [...users].sort((a, b) => owned(b.id).length - owned(a.id).length)[0] as { id: string; email: string };
    const { plan } = await previewAndConfirm(ask, 'offboard_user', { user: user.email });
    expect(plan.steps.at(-1).tool).toBe('users_delete');
    expect(plan.steps.at(-1).effect).toMatch(/also removes/);
    return (after) => {
      const changes = diff(before, after);
      expect(changes.added).toEqual([]);
      expect(changes.changed).toEqual([]);
      const expected = [...before.keys()].filter((k) => {
        const item = JSON.parse(before.get(k) as string) as Data;
        if (k === `user:${user.id}`) return true;
        if (/^(project_user|group_user):/.test(k)) return item.id === user.id;
        if (k.startsWith('api_key:')) return item.owner?.type === 'user' && item.owner.user?.id === user.id;
        if (k.startsWith('admin_key:')) return item.owner?.id === user.id;
        if (k.startsWith('invite:')) return item.email === user.email && item.status === 'pending';
        return false;
      });
      expect(changes.removed).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(1);
    };
  });

  job('onboard a team: project, 3 members, a rate limit, a spend alert', async (ask, before) => {
    const users = await truth.users();
    const [a, b, c] = users.slice(3, 6) as Array<{ id: string; name: string; email: string }>;
    const name = `Atlas Onboarding ${seed}`;
    const { result } = await previewAndConfirm(ask, 'onboard_project', {
      name,
      owners: [a?.email],
      members: [b?.name, c?.id],
      rate_limits: [{ model: 'gpt-4o-mini', max_requests_per_1_minute: 500 }],
      spend_alert: { threshold_usd: 250, recipients: ['finance@example.com'] },
    });
    const projectId = result.done.find((d: Data) => d.tool === 'projects_create').result.id as string;
    return (after) => {
      const changes = diff(before, after);
      expect(changes.removed).toEqual([]);
      expect(changes.changed).toEqual([]);
      const added = changes.added;
      const kinds = (prefix: string) => added.filter((k) => k.startsWith(prefix));
      expect(added.filter((k) => k.startsWith('project:'))).toEqual([`project:${projectId}`]);
      expect(JSON.parse(after.get(`project:${projectId}`) as string).name).toBe(name);
      expect(kinds(`project_user:${projectId}`).sort()).toEqual([a, b, c].map((u) => `project_user:${projectId}:${u?.id}`).sort());
      expect(JSON.parse(after.get(`project_user:${projectId}:${a?.id}`) as string).role).toBe('owner');
      expect(JSON.parse(after.get(`project_user:${projectId}:${b?.id}`) as string).role).toBe('member');
      const limit = JSON.parse(after.get(`rate_limit:${projectId}:rl-gpt-4o-mini`) as string);
      expect(limit.max_requests_per_1_minute).toBe(500);
      const alerts = kinds(`spend_alert:${projectId}`);
      expect(alerts).toHaveLength(1);
      expect(JSON.parse(after.get(alerts[0] as string) as string).threshold_amount).toBe(25_000);
      // Everything else added belongs to the new project: its default rate-limit rows, nothing elsewhere.
      expect(added.every((k) => k.includes(projectId))).toBe(true);
    };
  });

  job('onboard a team with a group and a spend limit', async (ask, before) => {
    const groups = await truth.list<{ id: string; name: string }>('/organization/groups');
    const group = groups[0] as { id: string; name: string };
    const name = `Orion Onboarding ${seed}`;
    const { plan, result } = await previewAndConfirm(ask, 'onboard_project', { name, groups: { [group.name]: 'viewer' }, spend_limit: 1500 });
    // The new project's ID and its role's ID are bound at run time, and the preview says so.
    const grant = plan.steps.find((s: Data) => s.tool === 'projects_groups_create');
    expect(grant.args.role).toEqual({ from_step: 2, where: { name: 'viewer' }, field: 'id' });
    expect(grant.bound_later).toEqual({ project_id: 'id from step 1 (projects_create)', role: "id of the item with name 'viewer' from step 2 (projects_roles_list)" });
    const projectId = result.done.find((d: Data) => d.tool === 'projects_create').result.id as string;
    const done = result.done.find((d: Data) => d.tool === 'projects_groups_create');
    expect(done.args.project_id).toBe(projectId);
    return (after) => {
      const changes = diff(before, after);
      expect(changes.removed).toEqual([]);
      expect(changes.changed).toEqual([]);
      expect(changes.added.filter((k) => k.startsWith('project:'))).toEqual([`project:${projectId}`]);
      expect(changes.added.filter((k) => k.startsWith('project_group:'))).toEqual([`project_group:${projectId}:${group.id}`]);
      expect(JSON.parse(after.get(`spend_limit:${projectId}`) as string).threshold_amount).toBe(150_000);
      expect(changes.added.every((k) => k.includes(projectId))).toBe(true);
    };
  });

  job("rotate a service account's key", async (ask, before) => {
    const projects = new Map((await truth.projects()).map((p) => [p.id, p]));
    const key = (await truth.keys()).find((k) => k.owner.type === 'service_account' && projects.get(k.project.id)?.status === 'active') as RawKey & { project: { id: string } };
    const { result } = await previewAndConfirm(ask, 'rotate_key', { key: key.id });
    const created = result.done.find((d: Data) => d.tool === 'projects_service_accounts_api_keys_create').result;
    expect(created.value).toMatch(/^sk-/);
    expect(created.secret_notice).toMatch(/only once/);
    return (after) => {
      const changes = diff(before, after);
      expect(changes.removed).toEqual([`api_key:${key.project.id}:${key.id}`]);
      expect(changes.changed).toEqual([]);
      expect(changes.added).toHaveLength(1);
      const added = JSON.parse(after.get(changes.added[0] as string) as string) as Data;
      expect(added.owner.service_account.id).toBe(key.owner.service_account.id);
      expect(added.name).toBe(key.name);
    };
  });

  job('revoke a leaked key from its redacted value', async (ask, before) => {
    const projects = new Map((await truth.projects()).map((p) => [p.id, p]));
    const key = (await truth.keys()).find((k) => k.owner.type === 'user' && projects.get(k.project.id)?.status === 'active') as RawKey & { project: { id: string } };
    // As people write it: the dash kept, three dots, the visible tail.
    const written = key.redacted_value.replace(/^(sk-[a-z]+)\.\.\./, '$1-...');
    const { plan } = await previewAndConfirm(ask, 'revoke_key', { key: written });
    expect(plan.facts.key.id).toBe(key.id);
    expect(plan.facts).toHaveProperty('cost_last_7_days_usd');
    expect(Array.isArray(plan.facts.audit_events)).toBe(true);
    return (after) => {
      const changes = diff(before, after);
      expect(changes).toEqual({ added: [], removed: [`api_key:${key.project.id}:${key.id}`], changed: [] });
    };
  });
});
