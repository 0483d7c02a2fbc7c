import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, text, type Connected } from '../connect.js';
import { DAY, KEY, Truth } from './truth.js';

/*
 * Issue 19, over stdio with the MCP SDK's own client, on two seeds, in the two configurations the
 * README recommends: --read-only (a chat assistant) and --dynamic (an IDE). Answers a careful reader
 * cannot misread: amounts in USD beside cents, data_through and levels from complete days, refusals
 * with the way forward, names where IDs go, "not configured" as an answer, certificates that say
 * what they cover and which expire soon. Expected values come from plain HTTP (truth.ts).
 */

interface Project {
  id: string;
  name: string;
  status: string;
}

describe.each([1, 2])('seed %i', (seed) => {
  let sandbox: Sandbox;
  let truth: Truth;
  let readOnly: Connected;
  let dynamic: Connected;
  let projects: Project[];
  /** A project with a spend limit and one without, by plain HTTP. */
  let limited: { project: Project; threshold: number };
  let unlimited: Project;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed });
    truth = new Truth(sandbox.url);
    const env = { OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url };
    [readOnly, dynamic] = await Promise.all([connectStdio(['--read-only'], env), connectStdio(['--dynamic'], env)]);
    projects = (await truth.list<Project>('/organization/projects', { include_archived: true })).filter((p) => p.status === 'active');
    let found: typeof limited | undefined;
    let none: Project | undefined;
    for (const project of projects) {
      const { status, body } = await truth.get<{ threshold_amount: number }>(`/organization/projects/${project.id}/spend_limit`);
      if (status === 200) found ??= { project, threshold: body.threshold_amount };
      else none ??= project;
    }
    if (!found || !none) throw new Error(`seed ${seed} needs a project with a spend limit and one without`);
    limited = found;
    unlimited = none;
  }, 30_000);
  afterAll(async () => {
    await Promise.all([readOnly?.close(), dynamic?.close()]);
    await sandbox?.close();
  });

  /** A tool called by name (read-only's default listing) or through call_tool (dynamic). */
  const call = (server: Connected, name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
    (server === dynamic ? server.client.callTool({ name: 'call_tool', arguments: { name, arguments: args } }) : server.client.callTool({ name, arguments: args })) as Promise<CallToolResult>;
  const ok = (result: CallToolResult): Record<string, any> => {
    expect(result.isError, text(result)).toBeFalsy();
    return result.structuredContent as Record<string, any>;
  };
  const refused = (result: CallToolResult): string => {
    expect(result.isError, text(result)).toBe(true);
    return text(result);
  };

  it('§1 money says its unit: cents come with USD, and the description says cents', async () => {
    const both = async (check: (server: Connected) => Promise<void>) => Promise.all([readOnly, dynamic].map(check));
    await both(async (server) => {
      const limit = ok(await call(server, 'projects_spend_limit_retrieve', { project_id: limited.project.id }));
      expect(limit.threshold_amount).toBe(limited.threshold);
      expect(limit.threshold_usd).toBe(limited.threshold / 100);
      const alerts = ok(await call(server, 'spend_alerts_list', {}));
      for (const alert of alerts.data) expect(alert.threshold_usd).toBe(alert.threshold_amount / 100);
    });
    const described = ok((await dynamic.client.callTool({ name: 'describe_tool', arguments: { name: 'projects_spend_limit_retrieve' } })) as CallToolResult);
    expect(described.description).toMatch(/cents/);
  });

  it('§2 a period says how much of it has data: data_through, and a level from complete days', async () => {
    await Promise.all([readOnly, dynamic].map(async (server) => {
      const report = ok(await call(server, 'usage_report', { family: 'vector_stores', period: 'last_7_days' }));
      const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
      expect(report.period.data_through).toBe(`${new Date(today * 1000).toISOString().slice(0, 10)}T00:00Z`);
      const buckets = await truth.buckets('/organization/usage/vector_stores', today - 7 * DAY, today);
      const daily = buckets.map((b) => b.results.reduce((s, r) => s + ((r.usage_bytes as number) ?? 0), 0));
      expect(report.totals.usage_bytes_latest, 'the last complete day, not today so far').toBe(daily[daily.length - 1]);
      expect(report.totals.usage_bytes_average).toBe(Math.round(daily.reduce((s, v) => s + v, 0) / daily.length));
      const spend = ok(await call(server, 'spend_report', { period: 'yesterday' }));
      expect(spend.period.data_through).toBe(spend.period.end);
    }));
    const listed = (await readOnly.client.listTools()).tools.find((t) => t.name === 'spend_report');
    expect(JSON.stringify(listed?.inputSchema)).toMatch(/whole days\+today/);
  });

  it('§3 a refusal says the way forward under --read-only', async () => {
    const search = ok((await readOnly.client.callTool({ name: 'search_tools', arguments: { query: 'delete project api key' } })) as CallToolResult);
    expect(search.tools.map((t: { name: string }) => t.name)).not.toContain('projects_api_keys_delete');
    const hidden = search.hidden as Array<{ count: number; why: string; tools: string[] }>;
    expect(hidden[0]?.count).toBeGreaterThan(0);
    expect(hidden[0]?.tools).toContain('projects_api_keys_delete');
    expect(hidden[0]?.why).toMatch(/--read-only/);

    const described = refused((await readOnly.client.callTool({ name: 'describe_tool', arguments: { name: 'projects_api_keys_delete' } })) as CallToolResult);
    expect(described).toMatch(/projects_api_keys_delete exists, but is hidden here: the server is read-only \(--read-only\)/);

    const key = (await truth.keys())[0] as { id: string; project: { id: string } };
    const refusal = refused(await call(readOnly, 'projects_api_keys_delete', { project_id: key.project.id, api_key_id: key.id }));
    expect(refusal).toContain(`DELETE /organization/projects/${key.project.id}/api_keys/${key.id}`);
    expect(refusal).toMatch(/a server started without --read-only .* can run it/);
  });

  it('§4 names where IDs go: a read answers for the ID and says so; a write is refused with the ID', async () => {
    const spaced = projects.find((p) => p.name.includes(' ')) as Project;
    for (const server of [readOnly, dynamic]) {
      const answer = ok(await call(server, 'projects_retrieve', { project_id: spaced.name }));
      expect(answer.id).toBe(spaced.id);
      expect(answer.resolved.project_id).toBe(`'${spaced.name}' is project ${spaced.id}`);
      const lower = ok(await call(server, 'projects_users_list', { project_id: spaced.name.toLowerCase(), limit: 1 }));
      expect(lower.resolved.project_id).toContain(spaced.id);
    }
    const write = refused(await call(dynamic, 'projects_archive', { project_id: spaced.name }));
    expect(write).toContain(`Pass project_id: "${spaced.id}"`);
    expect(write).not.toMatch(/character/);
    const unknown = refused(await call(dynamic, 'projects_retrieve', { project_id: 'No Such Project' }));
    expect(unknown).toMatch(/neither a project ID nor a project's name/);
  });

  it('§5 absence is not an error: an unset spend limit is configured: false', async () => {
    for (const server of [readOnly, dynamic]) {
      const none = ok(await call(server, 'projects_spend_limit_retrieve', { project_id: unlimited.id }));
      expect(none.configured).toBe(false);
      expect(ok(await call(server, 'projects_spend_limit_retrieve', { project_id: limited.project.id })).configured).toBe(true);
      // A project that does not exist is still an error, not "not configured".
      refused(await call(server, 'projects_spend_limit_retrieve', { project_id: 'proj_doesNotExist0000' }));
    }
  });

  it('§6 certificates say what they cover and which expire soon', async () => {
    const raw = await truth.list<{ id: string; certificate_details: { expires_at: number } }>('/organization/certificates');
    for (const server of [readOnly, dynamic]) {
      const listed = ok(await call(server, 'certificates_list', { limit: 100 }));
      for (const cert of listed.data) {
        const expiresAt = raw.find((r) => r.id === cert.id)?.certificate_details.expires_at as number;
        expect(cert.expires).toBe(new Date(expiresAt * 1000).toISOString().slice(0, 10));
        expect(cert.expiring_soon === true).toBe(expiresAt - Date.now() / 1000 < 31 * DAY && cert.expires_in_days <= 30);
      }
    }
    const described = ok((await dynamic.client.callTool({ name: 'describe_tool', arguments: { name: 'certificates_list' } })) as CallToolResult);
    expect(described.description).toMatch(/project activations: projects_certificates_list/);
  });
});
