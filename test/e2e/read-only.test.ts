import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allComposites } from '../../src/reports/index.js';
import { endpointTools } from '../../tools/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, text, type Connected } from '../connect.js';

let sandbox: Sandbox;
let server: Connected;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 12 });
  server = await connectStdio(['--read-only', '--toolsets', 'all'], { OPENAI_ADMIN_KEY: 'sk-admin-readonly-test', OPENAI_BASE_URL: sandbox.url });
});
afterAll(async () => {
  await server.close();
  await sandbox.close();
});

describe('read-only mode', () => {
  it('lists nothing but reads', async () => {
    const { tools } = await server.client.listTools();
    const reads = endpointTools.filter((t) => t.effect === 'read').map((t) => t.name);
    expect(tools.map((t) => t.name).filter((n) => !allComposites.some((c) => c.name === n)).sort()).toEqual([...reads].sort());
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(server.client.getInstructions()).toMatch(/Read-only mode/);
  });

  it('refuses writes and destructive calls by name and leaves the sandbox untouched', async () => {
    const before = JSON.stringify([...sandbox.state.projects.values()]);
    const invites = sandbox.state.invites.size;
    const project = [...sandbox.state.projects.values()][1];
    for (const [name, args] of [
      ['projects_create', { name: 'nope' }],
      ['projects_archive', { project_id: project?.id }],
      ['invites_create', { email: 'x@example.com', role: 'reader' }],
      ['projects_archive', { project_id: project?.id, dry_run: true }],
    ] as const) {
      const result = await server.client.callTool({ name, arguments: args });
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/refused: the server is read-only/);
    }
    expect(JSON.stringify([...sandbox.state.projects.values()])).toBe(before);
    expect(sandbox.state.invites.size).toBe(invites);
    expect(sandbox.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });

  it('still answers reads', async () => {
    const result = await server.client.callTool({ name: 'projects_list', arguments: {} });
    expect(result.isError).toBeFalsy();
  });
});
