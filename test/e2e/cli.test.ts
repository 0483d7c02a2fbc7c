import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import { endpointTools } from '../../tools/index.js';
import { CLI } from '../connect.js';

const exec = promisify(execFile);

/** Runs the built CLI with a clean environment; resolves with the exit code and output either way. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('command line', () => {
  it('--version prints the package version and --help the usage', async () => {
    expect((await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--read-only/);
    expect(help.stdout).toMatch(/OPENAI_ADMIN_KEY/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--read-only', 'extra'], /Unknown command 'extra'/],
    [['tools', 'extra'], /Unexpected argument 'extra' after 'tools'/],
    [['launch'], /Unknown command 'launch'/],
    [['--toolsets', 'projects,nope', 'tools'], /Unknown toolset 'nope'.*reports, workflows, projects, members/],
    [['--tools', 'projects_destroy', 'tools'], /Unknown tool 'projects_destroy'/],
    [['--confirm-with', 'maybe'], /--confirm-with expects one of token, elicitation, auto/],
    [['sandbox', '--port', 'eighty'], /--port expects a whole number/],
    [['sandbox', '--fault-rate', '2'], /--fault-rate expects a number from 0 to 1/],
    [['--project', 'atlas', 'tools'], /--project expects a project ID like proj_/],
    [['tools', '--seed', '3'], /--seed applies only to 'sandbox'/],
  ])('%j exits 2 and says what was expected', async (args, message) => {
    const result = await cli(args, { OPENAI_ADMIN_KEY: 'sk-admin-x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('sandbox settings work with --sandbox on every command, and are refused against the real API', async () => {
    const tools = await cli(['tools', '--sandbox', '--seed', '2', '--latency-ms', '1']);
    expect(tools.stderr).toBe('');
    expect(tools.code).toBe(0);
    const real = await cli(['--seed', '2', '--fault-rate', '0.5'], { OPENAI_ADMIN_KEY: 'sk-admin-x' });
    expect(real.code).toBe(2);
    expect(real.stderr).toMatch(/--seed applies only to 'sandbox' and '--sandbox'/);
  });

  it('a mistyped safety variable is an error, never ignored', async () => {
    const result = await cli(['tools'], { OPENAI_ADMIN_MCP_READ_ONLY: 'ture' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/OPENAI_ADMIN_MCP_READ_ONLY='ture' is not a boolean/);
  });

  it('without OPENAI_ADMIN_KEY the server exits 2, names the variable and offers --sandbox', async () => {
    const result = await cli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/OPENAI_ADMIN_KEY is not set/);
    expect(result.stderr).toMatch(/--sandbox/);
  });

  it('tools lists what the flags list, with each tool\'s toolset, effect and endpoint, and --json for machines', async () => {
    const all = await cli(['tools', '--toolsets', 'all']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^tool\s+toolset\s+effect\s+endpoint$/m);
    expect(all.stdout).toMatch(/^projects_archive\s+projects\s+destructive\s+POST \/organization\/projects\/\{project_id\}\/archive$/m);
    expect(all.stdout).toMatch(/^spend_report\s+reports\s+read\s+\(report\)$/m);
    expect(all.stdout).toMatch(new RegExp(`^${endpointTools.length + allComposites.length + allWorkflows.length} tools$`, 'm'));

    const byDefault = await cli(['tools']);
    expect(byDefault.stdout).toMatch(/^call_tool\s+meta\s+as called\s+\(meta-tool\)$/m);
    expect(byDefault.stdout).toMatch(/^projects_users_delete\s+members\s+destructive\s+DELETE /m);
    expect(byDefault.stdout).toMatch(/^offboard_user\s+workflows\s+destructive\s+\(plan\)$/m);
    expect(byDefault.stdout).toMatch(/\d+ tools listed; \d+ more callable through call_tool \(--toolsets all lists every tool\)/);

    const readOnly = await cli(['tools', '--json', '--toolsets', 'all'], { OPENAI_ADMIN_MCP_READ_ONLY: '1' });
    const listed = JSON.parse(readOnly.stdout) as Array<{ name: string; annotations?: { readOnlyHint?: boolean }; _meta: Record<string, string> }>;
    expect(listed.length).toBe(endpointTools.filter((t) => t.effect === 'read').length + allComposites.length);
    expect(listed.every((t) => t.annotations?.readOnlyHint === true && t._meta['openai-admin/effect'] === 'read')).toBe(true);
    const archive = JSON.parse((await cli(['tools', '--json', '--tools', 'projects_archive'])).stdout) as Array<{ _meta: Record<string, string> }>;
    expect(archive[0]?._meta).toEqual({ 'openai-admin/endpoint': 'POST /organization/projects/{project_id}/archive', 'openai-admin/toolset': 'projects', 'openai-admin/effect': 'destructive' });
  });

  it('call runs one tool: exit 0 with the result, exit 1 with the error', async () => {
    const good = await cli(['call', 'projects_list', '{"limit": 2}', '--sandbox']);
    expect(good.code).toBe(0);
    expect((JSON.parse(good.stdout) as { data: unknown[] }).data).toHaveLength(2);
    const bad = await cli(['call', 'projects_retrieve', '{"project_id": "proj_nope"}', '--sandbox']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/OpenAI API error 404/);
    const notJson = await cli(['call', 'projects_list', '{limit: 2}', '--sandbox']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/not valid JSON/);
  });

  it('sandbox prints its base URL first, and the URL answers like the Admin API', async () => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--port', '0', '--seed', '9'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const ok = await fetch(`${url}/organization/projects?limit=1`, { headers: { authorization: 'Bearer sk-admin-cli-test' } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { object: string }).object).toBe('list');
      const refused = await fetch(`${url}/organization/projects`, { headers: { authorization: 'Bearer sk-proj-not-admin' } });
      expect(refused.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
