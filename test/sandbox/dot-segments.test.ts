import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { TEST_ADMIN_KEY, useSandbox } from '../helpers.js';

/*
 * The sandbox answers as a hardened gateway does: a path with a dot segment is a 400, never resolved
 * to another endpoint (which is what `new URL()` would do silently).
 */

let sandbox: Sandbox;
useSandbox({ seed: 13 }, (started) => ({ sandbox } = started));

/** Sends a request line exactly as given: node:http does not normalise the path. */
function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(sandbox.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('dot segments', () => {
  it('are refused with 400 in the OpenAI envelope, literal or percent-encoded, and change nothing', async () => {
    const user = [...sandbox.state.users.values()].find((u) => u.role === 'reader');
    const project = [...sandbox.state.projects.values()][0];
    for (const dots of ['..', '%2e%2e', '%2E%2e', '.%2e', '.']) {
      const path = `/v1/organization/projects/${dots}/users/${user?.id}`;
      const answer = await raw('POST', path, { role: 'owner' });
      expect(answer.status, path).toBe(400);
      expect(answer.body).toEqual({ error: { message: expect.stringMatching(/dot segment/), type: 'invalid_request_error', param: null, code: 'invalid_path' } });
      expect(sandbox.requests.at(-1)?.target).toBe(path);
    }
    expect((await raw('GET', `/v1/organization/projects/${project?.id}/../../users`)).status).toBe(400);
    expect((await raw('GET', '/v1/./organization/users')).status).toBe(400);
    expect(sandbox.state.users.get(user?.id ?? '')?.role).toBe('reader');
  });

  it('answers malformed percent-encoding in a path parameter with 400, not a 500', async () => {
    const answer = await raw('GET', '/v1/organization/projects/%E0%A4%A');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ param: 'project_id', code: 'invalid_path' });
  });

  it('leaves dots inside a segment alone', async () => {
    const answer = await raw('GET', '/v1/organization/projects/proj...x');
    expect(answer.status).toBe(404);
  });
});
