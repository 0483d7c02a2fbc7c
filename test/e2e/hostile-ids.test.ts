import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, structured, text, type Connected } from '../connect.js';

/*
 * The attacks of issue 8 item 1, as an attacker ran them: an ID of ".." moved a request to another
 * endpoint. Each must now be refused before anything is sent, and the refusal audited.
 */

const KEY = 'sk-admin-hostile-ids-5e2a';
let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 83 });
  dir = mkdtempSync(join(tmpdir(), 'oamcp-hostile-ids-'));
});
afterAll(() => sandbox.close());

const env = () => ({ OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url });
const auditLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A project with a reader of the organization in it, who is the target of the escalation. */
function victim() {
  const reader = [...sandbox.state.users.values()].find((u) => u.role === 'reader');
  const project = [...sandbox.state.projects.values()].find((p) => p.status === 'active' && reader && sandbox.state.projectUsers.get(p.id)?.has(reader.id));
  if (!reader || !project) throw new Error('the sandbox has no reader in an active project');
  return { user: reader, project };
}

/** Requests the sandbox receives while `run` runs. */
async function requestsDuring(run: () => Promise<unknown>) {
  const before = sandbox.requests.length;
  await run();
  return sandbox.requests.slice(before);
}

describe('an ID of ".." cannot move a request to another endpoint', () => {
  let server: Connected;
  let file: string;
  beforeAll(async () => {
    file = join(dir, 'unscoped.jsonl');
    server = await connectStdio(['--audit-log', file], env());
  });
  afterAll(() => server.close());
  const call = (name: string, args: Record<string, unknown>) => server.client.callTool({ name, arguments: args });

  it('projects_users_update {project_id: ".."} does not make a user an organization owner', async () => {
    const { user } = victim();
    let result: unknown;
    const sent = await requestsDuring(async () => {
      result = await call('projects_users_update', { project_id: '..', user_id: user.id, role: 'owner' });
    });
    expect(sent).toEqual([]);
    expect(sandbox.state.users.get(user.id)?.role).toBe('reader');
    expect((result as { isError?: boolean }).isError).toBe(true);
    expect(text(result)).toMatch(/project_id '\.\.' is not an ID; use find to look one up/);
  });

  it('projects_users_delete {project_id: ".."} refuses before the preview fetches anything', async () => {
    const { user } = victim();
    let result: unknown;
    const sent = await requestsDuring(async () => {
      result = await call('projects_users_delete', { project_id: '..', user_id: user.id });
    });
    expect(sent).toEqual([]);
    expect(structured(result)).toBeUndefined();
    expect(text(result)).toMatch(/project_id '\.\.' is not an ID/);
    expect(sandbox.state.users.has(user.id)).toBe(true);
  });

  it('groups_users_delete and projects_spend_limit_delete stay on their own endpoints', async () => {
    const { user } = victim();
    const sent = await requestsDuring(async () => {
      const a = await call('groups_users_delete', { group_id: '..', user_id: user.id });
      const b = await call('projects_spend_limit_delete', { project_id: '..' });
      const c = await call('projects_users_update', { project_id: '%2e%2e', user_id: user.id, role: 'owner' });
      const d = await call('projects_users_update', { project_id: '.', user_id: user.id, role: 'owner' });
      for (const r of [a, b, c, d]) expect(text(r)).toMatch(/is not an ID/);
    });
    expect(sent).toEqual([]);
    expect(sandbox.state.users.get(user.id)?.role).toBe('reader');
  });

  it('audits every refusal like any other refused write', () => {
    const refused = auditLines(file).filter((l) => l.outcome === 'refused');
    expect(refused.map((l) => l.tool)).toEqual([
      'projects_users_update',
      'projects_users_delete',
      'groups_users_delete',
      'projects_spend_limit_delete',
      'projects_users_update',
      'projects_users_update',
    ]);
    for (const line of refused) {
      expect(line.decision).toBe('invalid_arguments');
      expect(String(line.message)).toMatch(/is not an ID/);
    }
  });
});

describe('narrowing does not help the attacker', () => {
  it('with --tools projects_users_update, project_id ".." is refused', async () => {
    const { user } = victim();
    const server = await connectStdio(['--tools', 'projects_users_update'], env());
    try {
      let result: unknown;
      const sent = await requestsDuring(async () => {
        result = await server.client.callTool({ name: 'projects_users_update', arguments: { project_id: '..', user_id: user.id, role: 'owner' } });
      });
      expect(sent).toEqual([]);
      expect(text(result)).toMatch(/project_id '\.\.' is not an ID/);
      expect(sandbox.state.users.get(user.id)?.role).toBe('reader');
    } finally {
      await server.close();
    }
  });

  it("with --project P, projects_users_roles_delete {user_id: '..'} cannot delete the project's custom role", async () => {
    const role = [...sandbox.state.roles.values()].find((r) => r.project_id !== null && !r.predefined_role && sandbox.state.projects.get(r.project_id)?.status === 'active');
    if (!role || !role.project_id) throw new Error('the sandbox has no custom project role');
    const server = await connectStdio(['--project', role.project_id], env());
    try {
      const args = { user_id: '..', role_id: role.id };
      let preview: unknown;
      let confirmed: unknown;
      const sent = await requestsDuring(async () => {
        preview = await server.client.callTool({ name: 'projects_users_roles_delete', arguments: args });
        const token = (structured<{ confirmation_token?: string }>(preview) ?? {}).confirmation_token;
        if (token) confirmed = await server.client.callTool({ name: 'projects_users_roles_delete', arguments: { ...args, confirm: token } });
      });
      expect(text(preview)).toMatch(/user_id '\.\.' is not an ID/);
      expect(confirmed).toBeUndefined();
      expect(sent).toEqual([]);
      expect(sandbox.state.roles.has(role.id)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
