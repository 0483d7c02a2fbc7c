import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, type Connected } from '../connect.js';
import { connectInProcess, testHost } from '../host.js';
import { KEY, Truth } from './truth.js';

/*
 * Plans under trouble. With 30% of upstream requests failing (429, 500, 503, resets), every step's
 * reported outcome must match what plain HTTP finds afterwards. With the server killed in the middle
 * of a plan, calling the workflow again on a new server must finish the job without any request
 * executed twice (counted in the sandbox).
 */

const NOW = Date.UTC(2026, 10, 23, 12) / 1000;
type Data = Record<string, any>;
const texts = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** Where each step's target lives, to check its reported outcome by plain HTTP. */
function targetPath(step: { tool: string; args: Data }): string {
  const a = step.args;
  switch (step.tool) {
    case 'projects_api_keys_delete':
      return `/organization/projects/${a.project_id}/api_keys/${a.api_key_id}`;
    case 'admin_api_keys_delete':
      return `/organization/admin_api_keys/${a.key_id}`;
    case 'projects_users_delete':
      return `/organization/projects/${a.project_id}/users/${a.user_id}`;
    case 'groups_users_delete':
      return `/organization/groups/${a.group_id}/users/${a.user_id}`;
    case 'invites_delete':
      return `/organization/invites/${a.invite_id}`;
    case 'users_delete':
      return `/organization/users/${a.user_id}`;
    default:
      throw new Error(`no target for ${step.tool}`);
  }
}

describe('with --fault-rate 0.3, every step reports what happened', () => {
  let sandbox: Sandbox;
  let client: AdminClient;
  let mcp: Client;
  let truth: Truth;
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 1, now: () => NOW, retryAfterMs: 5 });
    client = new AdminClient({ apiKey: KEY, baseUrl: sandbox.url, maxRetries: 2, backoff: { baseMs: 2, maxMs: 10 } });
    const host = testHost(client, { workflows: allWorkflows, now: () => NOW * 1000 });
    mcp = await connectInProcess(host, 'plans-faults');
    truth = new Truth(sandbox.url);
  });
  afterAll(async () => {
    await mcp.close();
    await client.close();
    await sandbox.close();
  });

  it('offboarding three people and cleaning stale keys: reported outcomes match the sandbox, and calling again finishes', async () => {
    const users = (await truth.users()).slice(0, 3);
    const tally = { steps: 0, done: 0, failed: 0, uncertain: 0, not_started: 0, mismatched: 0, rounds: 0 };
    for (const job of [...users.map((u) => ['offboard_user', { user: u.email }] as const), ['clean_stale_keys', { stale_days: 60 }] as const]) {
      const [tool, args] = job;
      for (let round = 0; round < 12; round++) {
        tally.rounds += 1;
        sandbox.setFaultRate(0.3);
        const preview = (await mcp.callTool({ name: tool, arguments: args })) as CallToolResult;
        const plan = preview.structuredContent as Data | undefined;
        if (preview.isError || !plan) {
          sandbox.setFaultRate(0);
          // An earlier round's delete that reported "may have happened" (its answer lost) did
          // happen: the person is gone, and saying there is no such user is the right answer.
          if (tool === 'offboard_user' && /No user matches/.test(texts(preview))) {
            expect((await truth.users()).map((u) => u.email)).not.toContain(args.user);
            break;
          }
          expect(texts(preview)).toMatch(/OpenAI API error|failed|connection|reset|socket/i);
          continue;
        }
        if (plan.status === 'nothing_to_do') break;
        const run = (await mcp.callTool({ name: tool, arguments: { ...args, confirm: plan.confirmation_token } })) as CallToolResult;
        sandbox.setFaultRate(0);
        if (run.isError) continue; // refused or failed at the gate: nothing ran (checked by the next round's plan)
        const result = run.structuredContent as Data;
        for (const step of result.done ?? []) {
          tally.steps += 1;
          tally.done += 1;
          const { status } = await truth.get(targetPath(step));
          if (status !== 404) tally.mismatched += 1;
        }
        for (const step of result.failed ?? []) {
          tally.steps += 1;
          if (step.may_have_happened) {
            tally.uncertain += 1;
            continue;
          }
          tally.failed += 1;
          const { status } = await truth.get(targetPath(step));
          if (status !== 200) tally.mismatched += 1;
        }
        for (const step of result.not_started ?? []) {
          tally.steps += 1;
          tally.not_started += 1;
          const { status } = await truth.get(targetPath(step));
          if (status !== 200) tally.mismatched += 1;
        }
        if (result.status === 'done') break;
      }
    }
    console.log(`fault drill (30%): ${JSON.stringify(tally)}`);
    expect(tally.mismatched).toBe(0);
    expect(tally.done).toBeGreaterThan(10);
    // Every job finished in the end: the people are gone and no stale key is left.
    sandbox.setFaultRate(0);
    for (const u of users) expect((await truth.get(`/organization/users/${u.id}`)).status).toBe(404);
  });
  it('onboarding with members, a group, limits and an alert: reported outcomes match the sandbox, and calling again finishes', async () => {
    const users = (await truth.users()).slice(6, 8) as Array<{ id: string; email: string }>;
    const group = (await truth.list<{ id: string; name: string }>('/organization/groups'))[1] as { id: string; name: string };
    const name = 'Faulty Onboarding';
    const args = { name, members: users.map((u) => u.email), groups: { [group.id]: 'member' }, spend_limit: 900, spend_alert: { threshold_usd: 300, recipients: ['ops@example.com'] } };
    const projectOf = async () => (await truth.list<{ id: string; name: string; status: string }>('/organization/projects')).filter((p) => p.name === name && p.status === 'active');
    /** Whether a step's change is in the sandbox now (undefined: a read, or nothing to look at). */
    const present = async (step: { tool: string; args: Data }, projectId: string | undefined): Promise<boolean | undefined> => {
      const a = step.args;
      const pid = typeof a.project_id === 'string' ? a.project_id : projectId;
      if (step.tool === 'projects_create') return (await projectOf()).length > 0;
      if (!pid) return false;
      const base = `/organization/projects/${pid}`;
      if (step.tool === 'projects_users_create') return (await truth.get(`${base}/users/${a.user_id}`)).status === 200;
      if (step.tool === 'projects_groups_create') return (await truth.get(`${base}/groups/${a.group_id}`)).status === 200;
      if (step.tool === 'projects_spend_limit_update') return (await truth.get<Data>(`${base}/spend_limit`)).body.threshold_amount === a.threshold_amount;
      if (step.tool === 'projects_spend_alerts_create') return (await truth.list<Data>(`${base}/spend_alerts`)).some((x) => x.threshold_amount === a.threshold_amount);
      return undefined;
    };
    const tally = { steps: 0, done: 0, failed: 0, uncertain: 0, not_started: 0, mismatched: 0, rounds: 0 };
    let finished = false;
    for (let round = 0; round < 12 && !finished; round++) {
      tally.rounds += 1;
      const existing = (await projectOf()).length > 0 ? { existing: 'use' } : {};
      sandbox.setFaultRate(0.3);
      const preview = (await mcp.callTool({ name: 'onboard_project', arguments: { ...args, ...existing } })) as CallToolResult;
      const plan = preview.structuredContent as Data | undefined;
      if (preview.isError || !plan) {
        sandbox.setFaultRate(0);
        continue;
      }
      if (plan.status === 'nothing_to_do') break;
      const run = (await mcp.callTool({ name: 'onboard_project', arguments: { ...args, ...existing, confirm: plan.confirmation_token } })) as CallToolResult;
      sandbox.setFaultRate(0);
      if (run.isError) continue;
      const result = run.structuredContent as Data;
      const projectId = (await projectOf())[0]?.id;
      const check = async (step: { tool: string; args: Data }, expected: boolean) => {
        const now = await present(step, projectId);
        if (now !== undefined && now !== expected) tally.mismatched += 1;
      };
      for (const step of result.done ?? []) (tally.steps += 1), (tally.done += 1), await check(step, true);
      for (const step of result.failed ?? []) {
        tally.steps += 1;
        if (step.may_have_happened) tally.uncertain += 1;
        else (tally.failed += 1), await check(step, false);
      }
      for (const step of result.not_started ?? []) (tally.steps += 1), (tally.not_started += 1), await check(step, false);
      finished = result.status === 'done';
    }
    console.log(`fault drill, onboarding (30%): ${JSON.stringify(tally)}`);
    expect(tally.mismatched).toBe(0);
    sandbox.setFaultRate(0);
    // One project, with everything asked for, whatever the faults did on the way.
    const [project, ...others] = await projectOf();
    expect(others).toEqual([]);
    const base = `/organization/projects/${project?.id}`;
    for (const u of users) expect((await truth.get(`${base}/users/${u.id}`)).status).toBe(200);
    expect((await truth.get(`${base}/groups/${group.id}`)).status).toBe(200);
    expect((await truth.get<Data>(`${base}/spend_limit`)).body.threshold_amount).toBe(90_000);
    expect((await truth.list<Data>(`${base}/spend_alerts`)).filter((x) => x.threshold_amount === 30_000)).toHaveLength(1);
  });
});

describe('a server killed in the middle of a plan', () => {
  let sandbox: Sandbox;
  let truth: Truth;
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 2, now: () => NOW, latencyMs: 20 });
    truth = new Truth(sandbox.url);
  });
  afterAll(() => sandbox.close());

  it('finishes on a second call after a restart, with no request executed twice', async () => {
    const keys = await truth.keys();
    const users = await truth.users();
    const owned = (id: string) => keys.filter((k) => k.owner.type === 'user' && k.owner.user.id === id).length;
    const user = [...users].sort((a, b) => owned(b.id) - owned(a.id))[0] as { id: string; email: string };
    const env = { OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_CONFIRM_WITH: 'token' };
    const deletes = () => sandbox.requests.filter((r) => r.method === 'DELETE' && r.processed);

    let server: Connected = await connectStdio(['--log-level', 'silent'], env);
    const plan = (await server.client.callTool({ name: 'offboard_user', arguments: { user: user.email } })).structuredContent as Data;
    const total = plan.steps.length as number;
    expect(total).toBeGreaterThan(3);
    const start = deletes().length;
    // Kill the server as soon as the sandbox has seen two of the plan's deletes.
    const killed = new Promise<void>((resolve) => {
      const watch = setInterval(() => {
        if (deletes().length - start >= 2) {
          clearInterval(watch);
          process.kill((server.client.transport as unknown as { pid: number }).pid, 'SIGKILL');
          resolve();
        }
      }, 1);
    });
    const confirming = server.client.callTool({ name: 'offboard_user', arguments: { user: user.email, confirm: plan.confirmation_token } }).catch((error: Error) => error);
    await killed;
    await confirming;
    await server.close().catch(() => undefined);
    const doneBeforeKill = deletes().length - start;
    expect(doneBeforeKill).toBeLessThan(total);

    server = await connectStdio(['--log-level', 'silent'], env);
    try {
      const again = (await server.client.callTool({ name: 'offboard_user', arguments: { user: user.email } })).structuredContent as Data;
      expect(again.status).toBe('confirmation_required');
      expect(again.steps.length).toBeLessThan(total);
      const result = (await server.client.callTool({ name: 'offboard_user', arguments: { user: user.email, confirm: again.confirmation_token } })).structuredContent as Data;
      expect(result.status, JSON.stringify(result)).toBe('done');
      const byPath = new Map<string, number>();
      for (const r of deletes().slice(start)) byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
      const twice = [...byPath].filter(([, n]) => n > 1);
      console.log(`kill-restart: ${total} steps planned, ${doneBeforeKill} deletes before the kill, ${again.steps.length} planned after the restart, ${byPath.size} distinct deletes, ${twice.length} executed twice`);
      expect(twice).toEqual([]);
      expect(byPath.size).toBe(total);
      expect((await truth.get(`/organization/users/${user.id}`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
