import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { AdminClient } from '../../src/client/index.js';
import { AuditTrail, type AuditEntry } from '../../src/server/gate/audit.js';
import { createMcpServer } from '../../src/server/hosts/mcp-server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, structured, text, type Connected } from '../connect.js';
import { testHost } from '../host.js';
import { newActiveCertificate } from '../certificates.js';

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

/** Rounds run in this many lanes at once over the one stdio connection; lane k takes the rounds with round % LANES === k. */
const LANES = 4;

describe('fault drill: 200 calls at a 20% fault rate', () => {
  // The server backs off as in production (500 ms base, full jitter), so a round spends most of its
  // time asleep; the rounds run in LANES concurrent lanes, which also drills concurrent calls through
  // one connection while faults and retries interleave. The limit is for a loaded machine, not a speed claim.
  it('reads come back right, creates never duplicate, every failure is clear', { timeout: 90_000 }, async () => {
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

    const runRound = async (round: number) => {
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
      const target = projects.filter((p) => p.status === 'active' && p.name !== 'Default project')[round % LANES];
      const newName = `Renamed ${round}`;
      renames.push({ projectId: target?.id ?? '', name: newName, ok: record('projects_update', await call('projects_update', { project_id: target?.id, name: newName }), true) });

      // 1 confirmed destructive call (preview + confirm = 2 calls) on a group made for it.
      // Only a group this lane made, so two lanes never preview and confirm the same one.
      const victim = [...sandbox.state.groups.values()].find((g) => laneOf(g.name) === round % LANES && !deletions.some((d) => d.groupId === g.id));
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
    };
    /** The lane a drill group was made in, from its name; undefined for any other group. */
    const laneOf = (name: string) => {
      const made = /^Drill group (\d+)$/.exec(name);
      return made ? Number(made[1]) % LANES : undefined;
    };
    // Each lane renames its own project (its rounds pick the same target) and deletes only its own groups.
    await Promise.all(
      Array.from({ length: LANES }, async (_lane, k) => {
        for (let round = k; round < 20; round += LANES) await runRound(round);
      }),
    );

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

/*
 * The outcome drill: writes and deletes at a 30% fault rate, each checked against the sandbox's own
 * state right after it returns. The MCP SDK's Client drives the server in process (an in-memory
 * transport, so retries back off in at most 8 ms: the drill is about outcomes, and at 5-40 ms its
 * thousands of retried reads slept through much of the drill), with the audit log on. A tool that said a
 * change was done must have made it; one that said it failed must not have; "may have happened" is
 * counted, and allowed only where an answer was actually lost. The fault sequence is seeded and the
 * calls run one at a time, so every run sees the same faults.
 */

type Outcome = 'done' | 'failed' | 'may';

interface DrillOp {
  kind: string;
  tool: string;
  args: Record<string, unknown>;
  /** Whether the change is in the sandbox now. False before the call, by construction. */
  happened: () => boolean;
  /** The request that makes the change, to tell a lost answer from a clean one. */
  method: string;
  path: string;
}

describe('outcome drill: writes and deletes at a 30% fault rate', () => {
  let drillSandbox: Sandbox;
  let api: AdminClient;
  let mcp: Client;
  let auditDir: string;
  let auditPath: string;
  let trail: AuditTrail;
  let apiClient: AdminClient;

  beforeAll(async () => {
    drillSandbox = await startSandbox({ seed: 2026, retryAfterMs: 1 });
    api = new AdminClient({ apiKey: 'sk-admin-drill-setup', baseUrl: drillSandbox.url });
    apiClient = new AdminClient({ apiKey: 'sk-admin-drill', baseUrl: drillSandbox.url, maxRetries: 3, backoff: { baseMs: 1, maxMs: 8 } });
    // Every audit line is fsynced; on tmpfs that costs nothing, where on a disk it was seconds of the drill.
    auditDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'outcome-drill-'));
    auditPath = join(auditDir, 'audit.jsonl');
    trail = new AuditTrail(auditPath, () => []);
    const host = testHost(apiClient, { audit: trail });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createMcpServer(host).connect(serverSide);
    mcp = new Client({ name: 'outcome-drill', version: '1.0.0' });
    await mcp.connect(clientSide);
  });
  afterAll(async () => {
    await mcp.close();
    trail.close();
    rmSync(auditDir, { recursive: true, force: true });
    await apiClient.close();
    await api.close();
    await drillSandbox.close();
  });

  it('every reported outcome matches the sandbox state afterwards', { timeout: 120_000 }, async () => {
    const state = () => drillSandbox.state;
    const readers = [...state().users.values()].filter((u) => u.role === 'reader');
    const reader = (i: number) => readers[i % readers.length] as (typeof readers)[number];
    const ROUNDS = 24;
    const ops: DrillOp[] = [];

    // Fixtures, made with no faults: each op gets a target of its own whose change is not there yet.
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Drill ${round}`;
      ops.push({ kind: 'create', tool: 'groups_create', args: { name: `${name} new group` }, happened: () => [...state().groups.values()].some((g) => g.name === `${name} new group`), method: 'POST', path: '/organization/groups' });
      ops.push({ kind: 'create', tool: 'projects_create', args: { name: `${name} new project` }, happened: () => [...state().projects.values()].some((p) => p.name === `${name} new project`), method: 'POST', path: '/organization/projects' });

      const renamed = (await api.post<{ id: string }>('/organization/groups', { name: `${name} to rename` })).id;
      ops.push({ kind: 'update', tool: 'groups_update', args: { group_id: renamed, name: `${name} renamed` }, happened: () => state().groups.get(renamed)?.name === `${name} renamed`, method: 'POST', path: `/organization/groups/${renamed}` });

      const doomed = (await api.post<{ id: string }>('/organization/groups', { name: `${name} to delete` })).id;
      ops.push({ kind: 'delete', tool: 'groups_delete', args: { group_id: doomed }, happened: () => !state().groups.has(doomed), method: 'DELETE', path: `/organization/groups/${doomed}` });

      const key = (await api.post<{ id: string }>('/organization/admin_api_keys', { name: `drill-key-${round}` })).id;
      ops.push({ kind: 'delete', tool: 'admin_api_keys_delete', args: { key_id: key }, happened: () => !state().adminApiKeys.has(key), method: 'DELETE', path: `/organization/admin_api_keys/${key}` });

      const project = (await api.post<{ id: string }>('/organization/projects', { name: `${name} to archive` })).id;
      ops.push({ kind: 'archive', tool: 'projects_archive', args: { project_id: project }, happened: () => state().projects.get(project)?.status === 'archived', method: 'POST', path: `/organization/projects/${project}/archive` });

      const role = (await api.post<{ id: string }>('/organization/roles', { role_name: `drill-role-${round}`, permissions: ['api.organization.users.read'] })).id;
      const assignee = reader(round);
      await api.post(`/organization/users/${assignee.id}/roles`, { role_id: role });
      const assigned = () => state().roleAssignments.some((a) => a.principal_type === 'user' && a.principal_id === assignee.id && a.role_id === role);
      ops.push({ kind: 'unassign', tool: 'users_roles_delete', args: { user_id: assignee.id, role_id: role }, happened: () => !assigned(), method: 'DELETE', path: `/organization/users/${assignee.id}/roles/${role}` });

      const team = (await api.post<{ id: string }>('/organization/groups', { name: `${name} team` })).id;
      const member = reader(round + 7);
      await api.post(`/organization/groups/${team}/users`, { user_id: member.id });
      ops.push({ kind: 'remove', tool: 'groups_users_delete', args: { group_id: team, user_id: member.id }, happened: () => !state().groupUsers.get(team)?.has(member.id), method: 'DELETE', path: `/organization/groups/${team}/users/${member.id}` });

      const joined = (await api.post<{ id: string }>('/organization/groups', { name: `${name} to join` })).id;
      const joiner = reader(round + 3);
      ops.push({ kind: 'assign', tool: 'groups_users_create', args: { group_id: joined, user_id: joiner.id }, happened: () => state().groupUsers.get(joined)?.has(joiner.id) === true, method: 'POST', path: `/organization/groups/${joined}/users` });

      const limited = (await api.post<{ id: string }>('/organization/projects', { name: `${name} limited` })).id;
      await api.post(`/organization/projects/${limited}/spend_limit`, { threshold_amount: 5_000, currency: 'USD', interval: 'month' }, { idempotent: true });
      ops.push({ kind: 'delete', tool: 'projects_spend_limit_delete', args: { project_id: limited }, happened: () => !state().projectSpendLimits.has(limited), method: 'DELETE', path: `/organization/projects/${limited}/spend_limit` });

      if (round % 2 === 0) {
        const cert = await newActiveCertificate(api, `drill-cert-${round}`);
        ops.push({ kind: 'deactivate', tool: 'certificates_deactivate', args: { certificate_ids: [cert] }, happened: () => state().certificates.get(cert)?.active_in_org === false, method: 'POST', path: '/organization/certificates/deactivate' });
      }
    }
    for (const op of ops) expect(op.happened(), `${op.tool} fixture`).toBe(false);

    drillSandbox.setFaultRate(0.3);
    const firstSeq = drillSandbox.requests.at(-1)?.seq ?? 0;
    // Each op parses only the lines it appended, not the whole file twice.
    const linesFrom = (offset: number) => readFileSync(auditPath).subarray(offset).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEntry);
    const classify = (result: Awaited<ReturnType<Client['callTool']>>): Outcome =>
      !result.isError ? 'done' : /may have happened/.test(text(result)) ? 'may' : 'failed';
    const fromAudit = (line: AuditEntry | undefined): Outcome | 'none' =>
      !line ? 'none' : line.outcome === 'succeeded' ? 'done' : line.may_have_happened === true ? 'may' : 'failed';

    const tally = { matched: 0, mismatched: 0, mayHaveHappened: 0, mayHadHappened: 0, settledByReading: 0 };
    const mismatches: string[] = [];
    const byKind = new Map<string, { done: number; failed: number; may: number }>();
    for (const op of ops) {
      const since = drillSandbox.requests.at(-1)?.seq ?? 0;
      const auditFrom = statSync(auditPath).size;
      let result = await mcp.callTool({ name: op.tool, arguments: op.args });
      const destructive = op.tool.endsWith('_delete') || op.tool === 'projects_archive' || op.tool === 'certificates_deactivate';
      if (destructive && !result.isError) {
        // The preview changed nothing; the confirm is the call whose outcome counts.
        expect(op.happened(), `${op.tool} preview`).toBe(false);
        const token = structured<{ confirmation_token: string }>(result).confirmation_token;
        result = await mcp.callTool({ name: op.tool, arguments: { ...op.args, confirm: token } });
      }
      const outcome = classify(result);
      const lines = linesFrom(auditFrom);
      const last = lines.at(-1);
      const happened = op.happened();
      const counts = byKind.get(op.kind) ?? { done: 0, failed: 0, may: 0 };
      counts[outcome] += 1;
      byKind.set(op.kind, counts);
      expect(fromAudit(last), `${op.tool}: the audit line says what the result says\n${text(result)}\n${JSON.stringify(last)}`).toBe(outcome);
      if (last?.verified) tally.settledByReading += 1;
      if (outcome === 'may') {
        tally.mayHaveHappened += 1;
        if (happened) tally.mayHadHappened += 1;
        // Uncertain only where an answer was lost: some attempt of the change met a fault.
        const attempts = drillSandbox.requests.filter((r) => r.seq > since && r.method === op.method && r.path === op.path);
        expect(attempts.some((r) => r.fault !== null && r.fault !== '429'), `${op.tool}: may have happened without a lost answer\n${text(result)}`).toBe(true);
      } else if ((outcome === 'done') === happened) {
        tally.matched += 1;
      } else {
        tally.mismatched += 1;
        mismatches.push(`${op.tool} ${JSON.stringify(op.args)}: reported ${outcome}, happened ${happened}\n${text(result)}`);
      }
    }
    const faults = drillSandbox.requests.filter((r) => r.seq > firstSeq && r.fault !== null).length;
    const requests = drillSandbox.requests.filter((r) => r.seq > firstSeq).length;
    drillSandbox.setFaultRate(0);

    console.log(
      `outcome drill: ${ops.length} writes and deletes, ${requests} requests, ${faults} faults injected; ` +
        `${tally.matched} matched, ${tally.mismatched} mismatched, ${tally.mayHaveHappened} may-have-happened (${tally.mayHadHappened} of them had happened); ` +
        `${tally.settledByReading} settled by reading the target again\n` +
        [...byKind].map(([kind, c]) => `  ${kind}: ${c.done} done, ${c.failed} failed, ${c.may} may have happened`).join('\n'),
    );
    expect(mismatches).toEqual([]);
    expect(tally.mismatched).toBe(0);
    expect(faults / requests).toBeGreaterThan(0.2);
    // The case the drill exists for happened, and was settled: a lost answer behind a delete.
    expect(tally.settledByReading).toBeGreaterThan(0);
    expect(tally.matched + tally.mayHaveHappened).toBe(ops.length);
  });
});
