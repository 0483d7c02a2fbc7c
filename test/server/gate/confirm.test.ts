import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import { ToolHost } from '../../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { sandboxWithClient, TEST_ADMIN_KEY } from '../../helpers.js';
import { testHost } from '../../host.js';
import { CLI, structured, text } from '../../connect.js';

const run = promisify(execFile);
let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
let clock = Date.parse('2026-11-23T12:00:00Z');

const hostWith = (secret: string | undefined) =>
  testHost(client, { confirmSecret: secret, now: () => clock });

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 21 }));
});
afterAll(() => close());
beforeEach(() => {
  clock = Date.parse('2026-11-23T12:00:00Z');
});

function activeProject(skip = 0) {
  const project = [...sandbox.state.projects.values()].filter((p) => p.status === 'active' && p.name !== 'Default project')[skip];
  if (!project) throw new Error('no active project');
  return project;
}
const archiveCalls = (id: string) => sandbox.requests.filter((r) => r.method === 'POST' && r.path === `/organization/projects/${id}/archive`).length;

async function previewArchive(host: ToolHost, projectId: string) {
  const result = await host.call('projects_archive', { project_id: projectId });
  expect(result.isError, text(result)).toBeFalsy();
  return structured<{ status: string; confirmation_token: string; expires_at: string; target: { id: string; status: string } }>(result);
}

describe('destructive tools take two steps', () => {
  it('a call without confirm changes nothing and previews the current state with a token', async () => {
    const host = hostWith('s1');
    const project = activeProject(0);
    const preview = await previewArchive(host, project.id);
    expect(preview.status).toBe('confirmation_required');
    expect(preview.target).toMatchObject({ id: project.id, status: 'active' });
    expect(Date.parse(preview.expires_at) - clock).toBe(5 * 60 * 1000);
    expect(project.status).toBe('active');
    expect(archiveCalls(project.id)).toBe(0);
  });

  it('the right token executes exactly once, and a reused one is refused', async () => {
    const host = hostWith('s1');
    const project = activeProject(0);
    const { confirmation_token: token } = await previewArchive(host, project.id);
    const done = await host.call('projects_archive', { project_id: project.id, confirm: token });
    expect(done.isError, text(done)).toBeFalsy();
    expect(sandbox.state.projects.get(project.id)?.status).toBe('archived');
    const again = await host.call('projects_archive', { project_id: project.id, confirm: token });
    expect(again.isError).toBe(true);
    expect(text(again)).toMatch(/already been used/);
    expect(archiveCalls(project.id)).toBe(1);
  });

  it('a reused token is refused by another replica too, because the target changed', async () => {
    const project = activeProject(0);
    const { confirmation_token: token } = await previewArchive(hostWith('shared'), project.id);
    const first = await hostWith('shared').call('projects_archive', { project_id: project.id, confirm: token });
    expect(first.isError, text(first)).toBeFalsy();
    const replay = await hostWith('shared').call('projects_archive', { project_id: project.id, confirm: token });
    expect(replay.isError).toBe(true);
    expect(text(replay)).toMatch(/changed since the preview/);
    expect(archiveCalls(project.id)).toBe(1);
  });

  it.each([
    ['missing', undefined, /./],
    ['forged', 'eyJ0IjoicHJvamVjdHNfYXJjaGl2ZSJ9.c2lnbmF0dXJl', /not issued by this server/],
    ['malformed', 'not-a-token', /malformed/],
  ])('a %s token changes nothing', async (_label, token, reason) => {
    const host = hostWith('s1');
    const project = activeProject(0);
    const result = await host.call('projects_archive', { project_id: project.id, ...(token ? { confirm: token } : {}) });
    if (token) {
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(reason);
      expect(text(result)).toMatch(/Nothing was changed/);
    }
    expect(project.status).toBe('active');
    expect(archiveCalls(project.id)).toBe(0);
  });

  it('a token with a tampered payload is refused', async () => {
    const host = hostWith('s1');
    const project = activeProject(0);
    const other = activeProject(1);
    const { confirmation_token: token } = await previewArchive(host, project.id);
    const [body, signature] = token.split('.');
    const payload = JSON.parse(Buffer.from(body ?? '', 'base64url').toString()) as Record<string, unknown>;
    payload.e = (payload.e as number) + 3_600_000;
    const tampered = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
    const result = await host.call('projects_archive', { project_id: other.id, confirm: tampered });
    expect(text(result)).toMatch(/not issued by this server/);
    expect(archiveCalls(other.id)).toBe(0);
  });

  it('an expired token is refused (injected clock)', async () => {
    const host = hostWith('s1');
    const project = activeProject(0);
    const { confirmation_token: token } = await previewArchive(host, project.id);
    clock += 5 * 60 * 1000 + 1;
    const result = await host.call('projects_archive', { project_id: project.id, confirm: token });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/expired/);
    expect(project.status).toBe('active');
  });

  it('a token for other arguments or another tool is refused', async () => {
    const host = hostWith('s1');
    const project = activeProject(0);
    const other = activeProject(1);
    const { confirmation_token: token } = await previewArchive(host, project.id);
    const wrongTarget = await host.call('projects_archive', { project_id: other.id, confirm: token });
    expect(text(wrongTarget)).toMatch(/different arguments/);
    const member = [...(sandbox.state.projectUsers.get(project.id)?.keys() ?? [])][0];
    const wrongTool = await host.call('projects_users_delete', { project_id: project.id, user_id: member, confirm: token });
    expect(text(wrongTool)).toMatch(/issued for projects_archive, not projects_users_delete/);
    expect(other.status).toBe('active');
    expect(sandbox.state.projectUsers.get(project.id)?.has(member ?? '')).toBe(true);
  });

  it('a token from one secret is refused by a server with another', async () => {
    const project = activeProject(0);
    const { confirmation_token: token } = await previewArchive(hostWith('alpha'), project.id);
    const result = await hostWith('beta').call('projects_archive', { project_id: project.id, confirm: token });
    expect(text(result)).toMatch(/not issued by this server/);
    expect(project.status).toBe('active');
  });

  it('dry_run on a destructive tool sends nothing and issues no token', async () => {
    const project = activeProject(0);
    const before = sandbox.requests.length;
    const result = await hostWith('s1').call('projects_archive', { project_id: project.id, dry_run: true });
    expect(structured(result)).toMatchObject({ dry_run: true, request: { method: 'POST', path: `/organization/projects/${project.id}/archive` } });
    expect(structured(result)).not.toHaveProperty('confirmation_token');
    expect(sandbox.requests.length).toBe(before);
  });
});

describe('tokens across processes', () => {
  const env = (secret: string) => ({ PATH: process.env.PATH ?? '', OPENAI_ADMIN_KEY: TEST_ADMIN_KEY, OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_CONFIRM_SECRET: secret });
  const cli = (args: string[], secret: string) => run(process.execPath, [CLI, 'call', ...args], { env: env(secret) }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

  it('a token issued by one process is accepted by another with the same secret, and refused with a different one', async () => {
    const project = activeProject(0);
    const args = JSON.stringify({ project_id: project.id });
    const preview = await cli(['projects_archive', args], 'same-secret-0123456789');
    expect(preview.code, preview.stderr).toBe(0);
    const token = (JSON.parse(preview.stdout) as { confirmation_token: string }).confirmation_token;
    const confirmArgs = JSON.stringify({ project_id: project.id, confirm: token });

    const wrong = await cli(['projects_archive', confirmArgs], 'other-secret-0123456789');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/not issued by this server/);
    expect(project.status).toBe('active');

    const right = await cli(['projects_archive', confirmArgs], 'same-secret-0123456789');
    expect(right.code, right.stderr).toBe(0);
    expect(sandbox.state.projects.get(project.id)?.status).toBe('archived');
    expect(archiveCalls(project.id)).toBe(1);
  });
});
