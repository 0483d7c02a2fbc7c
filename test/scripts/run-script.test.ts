import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { scriptRunner } from '../../src/scripts/index.js';
import type { AuditEntry } from '../../src/server/gate/audit.js';
import type { ServerDeps } from '../../src/server/hosts/tool-host.js';
import { PersonHost } from '../../src/server/hosts/person-host.js';
import { grantFor, parsePolicy } from '../../src/server/access/policy.js';
import { connectStdio, structured, text } from '../connect.js';
import { useSandbox } from '../helpers.js';
import { connectInProcess, testHost } from '../host.js';

/*
 * run_script's main flows, through the MCP SDK's own Client: an answer in one call, a write that
 * becomes a plan confirmed once, read-only, --scripts off, a policy rule without scripts, the audit
 * trail with the script's id and call numbers, progress, cancellation, and the declarations.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 13 }, (started) => ({ sandbox, client } = started));

type Data = Record<string, any>;
const host = (deps: Partial<ServerDeps> = {}) => testHost(client, { composites: allComposites, workflows: allWorkflows, scripts: scriptRunner, confirmWith: 'token', ...deps });
const ok = (r: unknown): Data => {
  expect((r as CallToolResult).isError, text(r)).toBeFalsy();
  return structured<Data>(r);
};

describe('run_script over stdio (dist/cli.js)', () => {
  it('answers in one call; a write becomes a plan that its confirmation runs once; --scripts off', { timeout: 90_000 }, async () => {
    const server = await connectStdio(['--sandbox', '--log-level', 'silent']);
    const off = await connectStdio(['--sandbox', '--log-level', 'silent', '--scripts', 'off']);
    try {
      const listed = (await server.client.listTools()).tools.map((t) => t.name);
      expect(listed).toContain('run_script');
      const answer = ok(await server.client.callTool({ name: 'run_script', arguments: { code: 'const p = await api.projects_list({}); return p.data.filter((x) => x.status === "active").length;' } }));
      const direct = ok(await server.client.callTool({ name: 'projects_list', arguments: {} }));
      expect(answer.result).toBe((direct.data as Data[]).filter((p) => p.status === 'active').length);
      expect(answer.calls).toBe(1);

      const name = 'Scripted group';
      const preview = ok(await server.client.callTool({ name: 'run_script', arguments: { code: `const g = await api.groups_create({ name: ${JSON.stringify(name)} }); return g;` } }));
      expect(preview.result).toMatchObject({ pending: true, step: 1, tool: 'groups_create' });
      expect(preview.plan.status).toBe('confirmation_required');
      expect(preview.plan.steps).toEqual([expect.objectContaining({ step: 1, tool: 'groups_create', args: { name } })]);
      const count = async () => ((ok(await server.client.callTool({ name: 'call_tool', arguments: { name: 'groups_list', arguments: {} } })).data as Data[]).filter((g) => g.name === name)).length;
      expect(await count()).toBe(0);
      const [first, second] = await Promise.all([
        server.client.callTool({ name: 'run_script', arguments: preview.confirm_with }),
        server.client.callTool({ name: 'run_script', arguments: preview.confirm_with }),
      ]);
      const results = [first, second] as CallToolResult[];
      expect(results.filter((r) => !r.isError).map((r) => structured<Data>(r).status)).toEqual(['done']);
      expect(text(results.find((r) => r.isError))).toMatch(/already been used|each token executes once|confirmation in progress|busy/);
      expect(await count()).toBe(1);

      expect((await off.client.listTools()).tools.map((t) => t.name)).not.toContain('run_script');
      expect(text(await off.client.callTool({ name: 'run_script', arguments: { code: 'return 1' } }))).toMatch(/scripts are off on this server \(--scripts off\)/);
    } finally {
      await Promise.all([server.close(), off.close()]);
    }
  });
});

describe('run_script in process', () => {
  it('audits every write with the script id and call number; a direct call gives the same error message', async () => {
    const lines: AuditEntry[] = [];
    const mcp = await connectInProcess(host({ audit: { record: (e) => lines.push(e) } }));
    try {
      const user = [...sandbox.state.users.values()][0]?.id as string;
      const preview = ok(await mcp.callTool({ name: 'run_script', arguments: { code: `await api.projects_list({ limit: 1 }); await api.users_delete({ user_id: ${JSON.stringify(user)} }); return 1;` } }));
      const id = preview.script_id as string;
      expect(lines.find((l) => l.tool === 'users_delete')).toMatchObject({ script: id, call: 2, outcome: 'preview', decision: 'script_step_planned' });
      const inScript = text(await mcp.callTool({ name: 'run_script', arguments: { code: 'await api.projects_retrieve({ project_id: "proj_missing1" })' } }));
      const direct = text(await mcp.callTool({ name: 'projects_retrieve', arguments: { project_id: 'proj_missing1' } }));
      expect(inScript).toContain(direct.split('\n')[0] as string);
      const invalid = text(await mcp.callTool({ name: 'run_script', arguments: { code: 'await api.groups_create({ nme: "x" })' } }));
      expect(invalid).toMatch(/Invalid arguments for groups_create:\n- name: required; provide a string.\n- 'nme': not a field of groups_create/);
    } finally {
      await mcp.close();
    }
  });

  it('counts calls as progress, and cancellation stops the script and its calls', async () => {
    const h = host();
    const seen: number[] = [];
    const controller = new AbortController();
    const sent = sandbox.requests.length;
    const result = await h.call(
      'run_script',
      { code: 'for (let i = 0; i < 150; i++) await api.projects_list({ limit: 1 }); return "done";', timeout_s: 30 },
      {
        signal: controller.signal,
        progress: (done, total) => {
          seen.push(done);
          expect(total).toBe(200);
          if (done === 3) controller.abort();
        },
      },
    );
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/cancelled/);
    expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
    expect(sandbox.requests.length - sent).toBeLessThan(10);
  });

  it('describe_tool run_script gives the api as TypeScript, from the same schemas', async () => {
    const described = ok(await host().call('describe_tool', { name: 'run_script' }));
    expect(described.api).toMatch(/declare const api: \{/);
    expect(described.api).toMatch(/projects_list\(args\?: \{[^\n]*limit\?: number/);
    expect(described.api).toMatch(/users_delete\(args: \{ user_id: string[^\n]*\): Promise<PendingStep>;/);
    const readOnly = ok(await host({ readOnly: true }).call('describe_tool', { name: 'run_script' }));
    expect(readOnly.api).not.toMatch(/users_delete/);
  });

  it('a policy rule with scripts: false keeps a person from scripts, and its tools from other rules\' scripts', async () => {
    const base = host();
    const noScripts = new PersonHost(base, { allowances: [{ right: 'destructive', scripts: false }], source: 'test' });
    expect(noScripts.listTools().map((t) => t.name)).not.toContain('run_script');
    expect(text(await noScripts.call('run_script', { code: 'return 1' }))).toMatch(/run_script is not available to you: the operator's policy keeps scripts/);
    // One rule reads usage with scripts; another gives members without them: a script reaches only the first.
    // The policy file's field: a boolean, carried into the grant.
    expect(() => parsePolicy({ rules: [{ groups: ['a'], scripts: 'no' }] }, 'policy')).toThrow(/rules\[0\]\.scripts must be true or false, got "no"/);
    const policy = parsePolicy({ rules: [{ groups: ['a'], scripts: false }] }, 'policy');
    expect(grantFor({ sub: 's', right: 'read', emailVerified: false, claims: { groups: ['a'] } } as unknown as Parameters<typeof grantFor>[0], policy)?.allowances).toEqual([{ right: 'read', scripts: false }]);
    const mixed = new PersonHost(base, { allowances: [{ right: 'read', toolsets: new Set(['usage']) }, { right: 'read', toolsets: new Set(['members']), scripts: false }], source: 'test' });
    expect(ok(await mixed.call('users_list', { limit: 1 })).data).toHaveLength(1);
    expect(text(await mixed.call('run_script', { code: 'return await api.users_list({ limit: 1 })' }))).toMatch(/users_list is not available to you/);
  });
});
