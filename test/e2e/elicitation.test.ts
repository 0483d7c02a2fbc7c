import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { connectStdio, structured, text, type Connected } from '../connect.js';

let sandbox: Sandbox;
let answer: ElicitResult = { action: 'decline' };
const asked: string[] = [];
let human: Connected;

const ELICITING = { elicitation: { form: {} } };
const env = () => ({ OPENAI_ADMIN_KEY: 'sk-admin-elicit-test', OPENAI_BASE_URL: sandbox.url });
const withHuman = (args: string[] = []) =>
  connectStdio(args, env(), (client) => {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return answer;
    });
  }, ELICITING);

function project(skip: number) {
  const p = [...sandbox.state.projects.values()].filter((x) => x.status === 'active' && x.name !== 'Default project')[skip];
  if (!p) throw new Error('no project');
  return p;
}
const archives = (id: string) => sandbox.requests.filter((r) => r.method === 'POST' && r.path === `/organization/projects/${id}/archive`).length;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 31 });
  human = await withHuman();
});
afterAll(async () => {
  await human.close();
  await sandbox.close();
});

describe('confirmation through elicitation', () => {
  it.each(['decline', 'cancel'] as const)('%s changes nothing, and the result says so', async (action) => {
    answer = { action };
    const target = project(0);
    asked.length = 0;
    const result = await human.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id } });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({ status: action === 'decline' ? 'declined' : 'cancelled', changed: false });
    expect(text(result)).toMatch(/Nothing was changed/);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain(target.name);
    expect(asked[0]).toMatch(/Archive project/);
    expect(target.status).toBe('active');
    expect(archives(target.id)).toBe(0);
  });

  it('accept with confirm=false is a decline', async () => {
    answer = { action: 'accept', content: { confirm: false } };
    const target = project(0);
    const result = await human.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id } });
    expect(structured(result)).toMatchObject({ status: 'declined' });
    expect(archives(target.id)).toBe(0);
  });

  it('accept executes exactly once, without a token', async () => {
    answer = { action: 'accept', content: { confirm: true } };
    const target = project(0);
    const result = await human.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id } });
    expect(result.isError, text(result)).toBeFalsy();
    expect(structured(result)).toMatchObject({ id: target.id, status: 'archived' });
    expect(structured(result)).not.toHaveProperty('confirmation_token');
    expect(archives(target.id)).toBe(1);
  });

  it('a valid token is still accepted from a client that can elicit, without asking', async () => {
    const target = project(1);
    const tokenServer = await withHuman(['--confirm-with', 'token']);
    try {
      asked.length = 0;
      const preview = await tokenServer.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id } });
      const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
      expect(token).toBeTruthy();
      expect(asked).toHaveLength(0);
      answer = { action: 'decline' };
      const done = await human.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id, confirm: token } });
      // Different process, different random secret: the token is checked (and refused), never bypassed by a dialog.
      expect(text(done)).toMatch(/not issued by this server/);
      expect(asked).toHaveLength(0);
      const same = await tokenServer.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id, confirm: token } });
      expect(same.isError, text(same)).toBeFalsy();
      expect(archives(target.id)).toBe(1);
    } finally {
      await tokenServer.close();
    }
  });

  it('a client without the capability gets the token flow', async () => {
    const plain = await connectStdio([], env());
    try {
      const target = project(1);
      asked.length = 0;
      const result = await plain.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id } });
      expect(structured(result)).toMatchObject({ status: 'confirmation_required' });
      expect(asked).toHaveLength(0);
      expect(archives(target.id)).toBe(0);
    } finally {
      await plain.close();
    }
  });

  it('--confirm-with elicitation refuses when the client cannot ask the human', async () => {
    const plain = await connectStdio(['--confirm-with', 'elicitation'], env());
    try {
      const target = project(1);
      const result = await plain.client.callTool({ name: 'projects_archive', arguments: { project_id: target.id } });
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/cannot show a confirmation dialog/);
      expect(archives(target.id)).toBe(0);
    } finally {
      await plain.close();
    }
  });
});
