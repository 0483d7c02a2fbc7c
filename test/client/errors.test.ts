import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, ApiError, ReadOnlyError } from '../../src/client/index.js';
import { createLogger } from '../../src/log.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { sandboxWithClient, TEST_ADMIN_KEY } from '../helpers.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
const logLines: string[] = [];

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient(
    { seed: 4 },
    { organization: 'org-sandbox', logger: createLogger({ level: 'debug', write: (line) => logLines.push(line), secrets: () => [TEST_ADMIN_KEY] }) },
  ));
});
afterAll(() => close());

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('typed errors', () => {
  it('turns a 400 into an ApiError with status, type, param, message and request id', async () => {
    const error = await failure(client.get('/organization/projects', { limit: 1000 }));
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe('limit');
    expect(error.message).toMatch(/limit/);
    expect(error.requestId).toMatch(/^req_/);
  });

  it('turns a 404 into an ApiError naming the missing object', async () => {
    const error = await failure(client.get('/organization/projects/proj_missing'));
    expect(error.status).toBe(404);
    expect(error.message).toContain('proj_missing');
    expect(error.requestId).toMatch(/^req_/);
  });

  it('turns a 401 for a non-admin key into an ApiError', async () => {
    const projectKeyClient = new AdminClient({ apiKey: 'sk-proj-notanadminkey123', baseUrl: sandbox.url });
    const error = await failure(projectKeyClient.get('/organization/projects'));
    await projectKeyClient.close();
    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_api_key');
    expect(error.message).toMatch(/admin key/);
  });

  it('never puts the admin key in an error or a log line', async () => {
    await client.get('/organization/projects/proj_missing').catch((e: unknown) => e);
    const error = await failure(client.get('/organization/projects', { limit: -1 }));
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(TEST_ADMIN_KEY);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(TEST_ADMIN_KEY);
    expect(logLines.join('')).not.toContain('test-0123456789');
  });
});

describe('what the client sends', () => {
  it('sends the bearer key, organization header and a versioned User-Agent', async () => {
    await client.get('/organization/projects', { limit: 1 });
    const seen = sandbox.requests.at(-1);
    expect(seen?.headers.authorization).toBe(`Bearer ${TEST_ADMIN_KEY}`);
    expect(seen?.headers['openai-organization']).toBe('org-sandbox');
    expect(seen?.headers['user-agent']).toMatch(/^openai-admin-mcp\/\d+\.\d+\.\d+/);
  });

  it('sends query arrays in bracket form and objects as deep objects', async () => {
    await client.get('/organization/costs', { start_time: 1_700_000_000, group_by: ['project_id', 'line_item'], limit: 1 }).catch(() => undefined);
    const seen = sandbox.requests.at(-1);
    expect(seen?.query).toContain('group_by[]=project_id&group_by[]=line_item');
    await client.get('/organization/audit_logs', { effective_at: { gte: 1, lt: 2 } }).catch(() => undefined);
    expect(sandbox.requests.at(-1)?.query).toContain('effective_at[gte]=1&effective_at[lt]=2');
  });

  it('URL-encodes path segments built from templates', async () => {
    const { buildPath } = await import('../../src/client/index.js');
    expect(buildPath('/organization/projects/{project_id}/users/{user_id}', { project_id: 'a/b', user_id: 'c?d' })).toBe(
      '/organization/projects/a%2Fb/users/c%3Fd',
    );
    // A value that decodes to a dot segment (behind an encoded '/', which some gateways decode) is refused.
    expect(() => buildPath('/organization/projects/{project_id}', { project_id: '../users' })).toThrow(/dot segment/);
  });
});

describe('read-only guard', () => {
  it('refuses every non-GET request before anything is sent', async () => {
    const readOnly = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: sandbox.url, readOnly: true });
    const before = sandbox.requests.length;
    const projects = sandbox.state.projects.size;
    await expect(readOnly.post('/organization/projects', { name: 'nope' })).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(readOnly.delete('/organization/invites/invite-x')).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(readOnly.request({ method: 'POST', path: '/organization/projects/p/archive' })).rejects.toBeInstanceOf(ReadOnlyError);
    expect(sandbox.requests.length).toBe(before);
    expect(sandbox.state.projects.size).toBe(projects);
    // Reads still go out and come back whole.
    const listed = await readOnly.get<{ object: string; data: Array<{ id: string }> }>('/organization/projects');
    expect(listed.object).toBe('list');
    expect(listed.data.map((p) => p.id)).toEqual(expect.arrayContaining([...sandbox.state.projects.keys()].slice(0, 1)));
    expect(sandbox.requests.length).toBe(before + 1);
    await readOnly.close();
  });

  it('lets through only a POST its caller declares safe (a validation), and nothing else', async () => {
    const readOnly = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: sandbox.url, readOnly: true });
    const key = [...sandbox.state.externalKeys.keys()][0] as string;
    const before = sandbox.requests.length;
    await expect(readOnly.request({ method: 'POST', path: `/organization/external_keys/${key}/validate`, safe: true })).resolves.toMatchObject({ status: expect.any(String) });
    expect(sandbox.requests.length).toBe(before + 1);
    // The same request without the declaration, or a write, is refused before it is sent.
    await expect(readOnly.request({ method: 'POST', path: `/organization/external_keys/${key}/validate` })).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(readOnly.request({ method: 'POST', path: '/organization/projects', body: { name: 'nope' }, safe: false })).rejects.toBeInstanceOf(ReadOnlyError);
    expect(sandbox.requests.length).toBe(before + 1);
    await readOnly.close();
  });
});
