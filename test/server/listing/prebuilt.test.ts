import { existsSync, readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/client/index.js';
import { createLogger } from '../../../src/log.js';
import { allComposites } from '../../../src/reports/index.js';
import { allWorkflows } from '../../../src/plans/index.js';
import { endpointField, listing, ToolHost, type ServerDeps } from '../../../src/server/hosts/tool-host.js';
import { createMcpServer } from '../../../src/server/hosts/mcp-server.js';
import type { ListingEntry } from '../../../src/server/listing/prebuilt.js';
import { QuickHost } from '../../../src/server/hosts/quick-host.js';
import { allTools } from '../../../src/server/listing/registry.js';

/*
 * The listing built with the package (dist/tool-listing.json) must be exactly what the registry
 * computes from source, and a server answering from it must list the same tools with the same
 * instructions as the full host, for every selection.
 */
const file = new URL('../../../dist/tool-listing.json', import.meta.url);
const client = new AdminClient({ apiKey: 'sk-admin-prebuilt', baseUrl: 'http://127.0.0.1:9/v1' });
const base: ServerDeps = { client, logger: createLogger({ level: 'silent' }), sandbox: false, readOnly: false, dynamic: false, redactSecrets: false };

function built(): ListingEntry[] {
  expect(existsSync(file), 'run npm run build first (npm test does)').toBe(true);
  return JSON.parse(readFileSync(file, 'utf8')) as ListingEntry[];
}

describe('the listing prebuilt at build time', () => {
  it('equals what the registry computes from source', () => {
    const computed = allTools(undefined, allComposites, allWorkflows).map((t) => ({ tool: listing(t), toolset: t.toolset, effect: t.effect, ...endpointField(t) }));
    expect(built()).toEqual(computed);
  });

  it.each([
    ['the default', {}],
    ['every tool', { toolsets: ['all'] }],
    ['dynamic', { dynamic: true }],
    ['read-only', { readOnly: true }],
    ['read-only, every tool', { readOnly: true, toolsets: ['all'] }],
    ['toolsets', { toolsets: ['usage', 'reports'] }],
    ['toolsets and tools', { toolsets: ['keys'], tools: ['projects_list', 'groups_create'] }],
    ['read-only over tools', { readOnly: true, tools: ['projects_create', 'projects_list'] }],
    ['sandbox', { sandbox: true }],
  ] as Array<[string, Partial<ServerDeps>]>)('a quick host lists what the full host lists: %s', async (_label, selection) => {
    const deps = { ...base, ...selection };
    const full = new ToolHost({ ...deps, composites: allComposites, workflows: allWorkflows });
    const quick = new QuickHost(built(), deps, async () => full);
    expect(quick.listTools()).toEqual(full.listTools());
    expect(quick.instructions).toBe(full.instructions);
    expect(quick.mode).toBe(full.mode);
    expect(quick.entries().map((e) => e.tool.name)).toEqual(full.entries().map((e) => e.tool.name));
  });

  it('a quick host refuses unknown names as the full host does, and calls through to it', async () => {
    expect(() => new QuickHost(built(), { ...base, toolsets: ['nope'] }, async () => new ToolHost(base))).toThrow(/Unknown toolset 'nope'/);
    expect(() => new QuickHost(built(), { ...base, tools: ['projects_destroy'] }, async () => new ToolHost(base))).toThrow(/Unknown tool 'projects_destroy'/);
    let loads = 0;
    const quick = new QuickHost(built(), { ...base, readOnly: true }, async () => {
      loads += 1;
      return new ToolHost({ ...base, readOnly: true, composites: allComposites, workflows: allWorkflows });
    });
    const refused = await quick.call('projects_create', { name: 'x' });
    expect(refused.isError).toBe(true);
    await quick.call('projects_create', { name: 'y' });
    expect(loads).toBe(1);
  });

  it('a server starts loading the full host only once its first listing is answered', async () => {
    let loads = 0;
    const quick = new QuickHost(built(), base, async () => {
      loads += 1;
      return new ToolHost({ ...base, composites: allComposites, workflows: allWorkflows });
    });
    const server = createMcpServer(quick);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const mcpClient = new Client({ name: 'prebuilt-test', version: '1.0.0' }, { capabilities: {} });
    await mcpClient.connect(clientSide);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    await tick();
    // Loading while the client waits for initialize or tools/list would delay those answers.
    expect(loads).toBe(0);
    const { tools } = await mcpClient.listTools();
    expect(tools.length).toBe(quick.listTools().length);
    await tick();
    expect(loads).toBe(1);
    await mcpClient.close();
  });
});
