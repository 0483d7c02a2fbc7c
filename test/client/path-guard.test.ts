import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, UnsafePathError, buildPath } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { sandboxWithClient } from '../helpers.js';

/*
 * The client's second line of defence behind the tools' ID validation, like its read-only guard:
 * a path with a dot segment in any form is refused before anything is sent.
 */

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 12 }));
});
afterAll(() => close());

const DOTS = ['.', '..', '%2e', '%2e%2e', '%2E%2e', '.%2E', '%252e%252e', '..%2fusers', '..%5Cusers'];

describe('buildPath', () => {
  it('refuses a value that is, or decodes to, a dot segment, and an empty or unencodable one', () => {
    for (const value of [...DOTS, '../users', '..\\users', '', '\ud800']) {
      expect(() => buildPath('/organization/projects/{project_id}/users', { project_id: value }), JSON.stringify(value)).toThrow(UnsafePathError);
    }
    expect(() => buildPath('/organization/projects/{project_id}', {})).toThrow(/project_id' is missing/);
  });

  it('keeps dots that are part of an ID', () => {
    expect(buildPath('/organization/projects/{project_id}/rate_limits/{rate_limit_id}', { project_id: 'proj_1', rate_limit_id: 'rl-gpt-3.5-turbo' })).toBe(
      '/organization/projects/proj_1/rate_limits/rl-gpt-3.5-turbo',
    );
    expect(buildPath('/x/{a}', { a: '...' })).toBe('/x/...');
    expect(buildPath('/x/{a}', { a: 'a..b' })).toBe('/x/a..b');
  });
});

describe('AdminClient.send', () => {
  it('refuses a concrete path with a dot segment, literal or encoded, for every method, and sends nothing', async () => {
    const before = sandbox.requests.length;
    for (const dots of DOTS) {
      const path = `/organization/projects/${dots}/users/user-1`;
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const error = await client.send({ method, path, body: method === 'POST' ? { role: 'owner' } : undefined }).catch((e: unknown) => e);
        expect(error, `${method} ${path}`).toBeInstanceOf(UnsafePathError);
        expect((error as UnsafePathError).message).toMatch(/dot segment/);
      }
    }
    await expect(client.get('/organization/./users')).rejects.toBeInstanceOf(UnsafePathError);
    await expect(client.collect({ path: '/organization/projects/../users', style: 'cursor_id' })).rejects.toBeInstanceOf(UnsafePathError);
    expect(sandbox.requests.length).toBe(before);
  });

  it('still sends ordinary paths', async () => {
    const project = [...sandbox.state.projects.values()][0];
    await expect(client.get(`/organization/projects/${project?.id}`)).resolves.toMatchObject({ id: project?.id });
  });
});
