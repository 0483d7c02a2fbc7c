import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import { allComposites } from '../../../src/reports/index.js';
import type { ToolHost } from '../../../src/server/hosts/tool-host.js';
import { PersonHost } from '../../../src/server/hosts/person-host.js';
import { grantFor, parsePolicy } from '../../../src/server/access/policy.js';
import type { RegisteredTool } from '../../../src/server/listing/registry.js';
import type { ToolResult } from '../../../src/server/results/results.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { text } from '../../connect.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { sampleArguments } from '../sample-args.js';

/*
 * A person limited to one project, with every right and toolset otherwise: every tool whose project
 * parameter is optional (taken from the registry, so a new tool is covered without editing this
 * file) must be given one of their projects, or be refused; without one it would read or change
 * every project's data. Directly and through call_tool, against the sandbox over HTTP: a refusal
 * sends nothing, and an allowed call names only the granted project upstream.
 */

/** Argument names through which a tool names projects. */
const PROJECT_PARAMETERS = ['project_id', 'project_ids', 'project', 'projects'];

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
let host: ToolHost;
let person: PersonHost;
let mine: string;
let theirs: string;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 1703 }));
  const withStorage = [...new Set([...sandbox.state.externalStorage.values()].map((r) => r.project_id))];
  mine = withStorage[0] as string;
  theirs = [...sandbox.state.projects.keys()].find((id) => id !== mine) as string;
  host = testHost(client, { composites: allComposites });
  const policy = parsePolicy({ rules: [{ subs: ['dev'], projects: [mine] }] }, 'test');
  const grant = grantFor({ sub: 'dev', emailVerified: false, right: 'destructive', claims: {} }, policy);
  if (!grant) throw new Error('the rule should match dev');
  person = new PersonHost(host, grant);
});
afterAll(() => close());

/** The tools with a project parameter a call may leave out. */
function optionalProjectTools(): Array<{ tool: RegisteredTool; parameter: string }> {
  return host.exposed.flatMap((tool) => {
    const required = new Set(tool.inputSchema.required ?? []);
    const parameter = PROJECT_PARAMETERS.find((p) => p in (tool.inputSchema.properties ?? {}) && !required.has(p));
    return parameter ? [{ tool, parameter }] : [];
  });
}

const ways = {
  directly: (name: string, args: Record<string, unknown>) => person.call(name, args),
  'through call_tool': (name: string, args: Record<string, unknown>) => person.call('call_tool', { name, arguments: args }),
};

async function sent(call: () => Promise<ToolResult>): Promise<{ result: ToolResult; queries: string[] }> {
  const from = sandbox.requests.length;
  const result = await call();
  return { result, queries: sandbox.requests.slice(from).map((r) => decodeURIComponent(`${r.path}?${r.query}`)) };
}

describe('a grant limited to projects, for tools whose project is optional', () => {
  it('covers every such tool in the registry', () => {
    const names = optionalProjectTools().map((t) => t.tool.name);
    expect(names).toContain('external_storage_list');
    expect(names).toContain('usage_costs');
    expect(names).toContain('audit_logs_list');
    expect(names).toContain('spend_report');
    expect(names.length).toBeGreaterThanOrEqual(19);
  });

  it('refuses each one called without a project, directly and through call_tool, and sends nothing', async () => {
    for (const { tool } of optionalProjectTools()) {
      for (const [way, call] of Object.entries(ways)) {
        const { result, queries } = await sent(() => call(tool.name, sampleArguments(tool)));
        expect(result.isError, `${tool.name} ${way}: ${text(result)}`).toBe(true);
        expect(queries, `${tool.name} ${way}`).toEqual([]);
        // The refusal names the tool, the limit and the way forward.
        expect(text(result), `${tool.name} ${way}`).toContain(tool.name);
        expect(text(result), `${tool.name} ${way}`).toMatch(new RegExp(`limited to projects? ${mine}`));
        expect(text(result), `${tool.name} ${way}`).toMatch(/give project_ids?|tools that name one of your projects/);
      }
    }
  });

  it('answers each one the person may use for their project, and names only that project upstream', async () => {
    const usable = optionalProjectTools().filter(({ tool }) => person.entries().some((e) => e.tool.name === tool.name));
    expect(usable.map((u) => u.tool.name)).toContain('external_storage_list');
    for (const { tool, parameter } of usable) {
      const args = { ...sampleArguments(tool), [parameter]: parameter === 'project_id' ? mine : [mine] };
      for (const [way, call] of Object.entries(ways)) {
        const { result, queries } = await sent(() => call(tool.name, args));
        expect(result.isError, `${tool.name} ${way}: ${text(result)}`).toBeFalsy();
        expect(queries.length, `${tool.name} ${way}`).toBeGreaterThan(0);
        for (const query of queries) {
          const named = [...query.matchAll(/proj_[A-Za-z0-9]+/g)].map((m) => m[0]);
          expect(named.length, query).toBeGreaterThan(0);
          expect(new Set(named), query).toEqual(new Set([mine]));
        }
      }
    }
    const storage = await person.call('external_storage_list', { project_id: mine });
    const items = (storage.structuredContent as { data: Array<{ project_id: string }> }).data;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.project_id === mine)).toBe(true);
  });

  it("refuses another project's external storage", async () => {
    for (const [way, call] of Object.entries(ways)) {
      const { result, queries } = await sent(() => call('external_storage_list', { project_id: theirs }));
      expect(text(result), way).toMatch(new RegExp(`project ${theirs} is not one of yours \\(${mine}\\)`));
      expect(queries, way).toEqual([]);
    }
  });
});
