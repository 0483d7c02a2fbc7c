import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/index.js';
import { createLogger } from '../../src/log.js';
import { ToolHost } from '../../src/server/hosts/tool-host.js';
import { allComposites } from '../../src/reports/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { scriptRunner } from '../../src/scripts/index.js';

/*
 * Every tool's public surface (name, description, schemas, annotations, _meta) is kept as a file
 * under test/__toolsnaps__/, in the manner of github-mcp-server's __toolsnaps__. Any change to what
 * clients see shows up as a diff in review. Update deliberately with `npx vitest run -u`.
 */
const client = new AdminClient({ apiKey: 'sk-admin-snapshot', baseUrl: 'http://127.0.0.1:9/v1' });
const deps = { client, logger: createLogger({ level: 'silent' }), sandbox: false, readOnly: false, redactSecrets: false, composites: allComposites, workflows: allWorkflows, scripts: scriptRunner };
const host = new ToolHost({ ...deps, dynamic: false, toolsets: ['all'] });
const defaultHost = new ToolHost({ ...deps, dynamic: false });
const dynamicHost = new ToolHost({ ...deps, dynamic: true });

describe('tool surface snapshots', () => {
  it.each(host.listTools().map((t) => [t.name, t] as const))('%s', async (name, listing) => {
    await expect(`${JSON.stringify(listing, null, 2)}\n`).toMatchFileSnapshot(`../__toolsnaps__/${name}.snap`);
  });

  it.each(dynamicHost.listTools().map((t) => [t.name, t] as const))('dynamic %s', async (name, listing) => {
    await expect(`${JSON.stringify(listing, null, 2)}\n`).toMatchFileSnapshot(`../__toolsnaps__/dynamic/${name}.snap`);
  });

  it('the list of snapshotted tools is the list of tools', async () => {
    await expect(`${host.listTools().map((t) => t.name).join('\n')}\n`).toMatchFileSnapshot('../__toolsnaps__/_index.snap');
  });

  it('the default listing (no --toolsets, --tools or --dynamic)', async () => {
    await expect(`${defaultHost.listTools().map((t) => t.name).join('\n')}\n`).toMatchFileSnapshot('../__toolsnaps__/_default.snap');
  });
});
