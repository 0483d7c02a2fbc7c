import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/client/index.js';
import { createLogger } from '../../../src/log.js';
import { ToolHost } from '../../../src/server/hosts/tool-host.js';
import { allComposites } from '../../../src/reports/index.js';
import { allWorkflows } from '../../../src/plans/index.js';
import { scriptRunner } from '../../../src/scripts/index.js';

/*
 * Every tool's public surface (name, description, schemas, annotations, _meta) is kept as a file
 * under test/__toolsnaps__/, in the manner of github-mcp-server's __toolsnaps__. Any change to what
 * clients see shows up as a diff in review. Update deliberately with `npx vitest run -u`.
 *
 * Each folder has an index (`_index.snap`, the names in listing order): a run without CI set writes
 * a missing snapshot without failing, but the index it would change already exists, so a new or
 * removed tool fails until the index is updated on purpose. `.ci/run` sets CI=true, which makes a
 * missing snapshot a failure too. A snapshot no tool produces any more fails the orphan check.
 */
const SNAPS = fileURLToPath(new URL('../../__toolsnaps__/', import.meta.url));
const client = new AdminClient({ apiKey: 'sk-admin-snapshot', baseUrl: 'http://127.0.0.1:9/v1' });
const deps = { client, logger: createLogger({ level: 'silent' }), sandbox: false, readOnly: false, redactSecrets: false, composites: allComposites, workflows: allWorkflows, scripts: scriptRunner };
const host = new ToolHost({ ...deps, dynamic: false, toolsets: ['all'] });
const defaultHost = new ToolHost({ ...deps, dynamic: false });
const dynamicHost = new ToolHost({ ...deps, dynamic: true });

describe('tool surface snapshots', () => {
  it.each(host.listTools().map((t) => [t.name, t] as const))('%s', async (name, listing) => {
    await expect(`${JSON.stringify(listing, null, 2)}\n`).toMatchFileSnapshot(`../../__toolsnaps__/${name}.snap`);
  });

  it.each(dynamicHost.listTools().map((t) => [t.name, t] as const))('dynamic %s', async (name, listing) => {
    await expect(`${JSON.stringify(listing, null, 2)}\n`).toMatchFileSnapshot(`../../__toolsnaps__/dynamic/${name}.snap`);
  });

  it('the list of snapshotted tools is the list of tools', async () => {
    await expect(`${host.listTools().map((t) => t.name).join('\n')}\n`).toMatchFileSnapshot('../../__toolsnaps__/_index.snap');
  });

  it('the list of snapshotted dynamic tools is the list of dynamic tools', async () => {
    await expect(`${dynamicHost.listTools().map((t) => t.name).join('\n')}\n`).toMatchFileSnapshot('../../__toolsnaps__/dynamic/_index.snap');
  });

  it('every snapshot file belongs to a tool listed now (no orphans)', () => {
    const files = (folder: string) => readdirSync(`${SNAPS}${folder}`, { withFileTypes: true }).filter((f) => f.isFile()).map((f) => f.name).sort();
    const expected = (names: string[], extra: string[]) => [...names.map((n) => `${n}.snap`), ...extra].sort();
    expect(files('')).toEqual(expected(host.listTools().map((t) => t.name), ['_index.snap', '_default.snap']));
    expect(files('dynamic')).toEqual(expected(dynamicHost.listTools().map((t) => t.name), ['_index.snap']));
  });

  it('the default listing (no --toolsets, --tools or --dynamic)', async () => {
    await expect(`${defaultHost.listTools().map((t) => t.name).join('\n')}\n`).toMatchFileSnapshot('../../__toolsnaps__/_default.snap');
  });
});
