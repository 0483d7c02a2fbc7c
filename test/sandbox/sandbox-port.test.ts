import { describe, expect, it } from 'vitest';
import { bindSandbox } from '../../src/sandbox-port.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { TEST_ADMIN_KEY } from '../helpers.js';

/*
 * `--sandbox` binds the sandbox's port at start-up and loads the simulator on the first request, so
 * the tool list never waits for it. The loader is counted here; the simulator is the real one.
 */

const projects = async (url: string) => {
  const res = await fetch(`${url}/organization/projects?limit=100&include_archived=true`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  return { status: res.status, body: (await res.json()) as unknown };
};

function countingLoader() {
  const counter = { loads: 0 };
  const load = async () => {
    counter.loads += 1;
    return import('../../src/sandbox/server.js');
  };
  return { counter, load };
}

describe('the sandbox port of --sandbox', () => {
  it('loads the simulator on the first request, once, and answers as a sandbox started at once does', async () => {
    const { counter, load } = countingLoader();
    const port = await bindSandbox({ seed: 5, lazySeed: true }, load);
    const eager = await startSandbox({ seed: 5 });
    try {
      expect(port.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(counter.loads).toBe(0);
      // Requests that arrive together, before the simulator is loaded, all wait for the same load.
      const [first, second] = await Promise.all([projects(port.url), projects(port.url)]);
      expect(counter.loads).toBe(1);
      expect(first.status).toBe(200);
      const reference = await projects(eager.url);
      // The two organizations are seeded alike; only their clocks (created_at) can differ by a second.
      const ids = (r: { body: unknown }) => (r.body as { data: Array<{ id: string; name: string }> }).data.map((p) => [p.id, p.name]);
      expect(ids(first)).toEqual(ids(reference));
      expect(second).toEqual(first);
      await projects(port.url);
      expect(counter.loads).toBe(1);
      expect((await port.load()).state.projects.size).toBeGreaterThan(0);
      expect(counter.loads).toBe(1);
    } finally {
      await port.close();
      await eager.close();
    }
    await expect(fetch(`${port.url}/organization/projects`)).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('answers 500 with the reason when the simulator cannot load, instead of leaving the request hanging', async () => {
    const port = await bindSandbox({ seed: 1 }, () => Promise.reject(new Error('dist/src/sandbox/server.js is missing')));
    try {
      const res = await projects(port.url);
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ error: { type: 'server_error', message: expect.stringContaining('dist/src/sandbox/server.js is missing') } });
    } finally {
      await port.close();
    }
  });

  it('closes its port when no request ever came', async () => {
    const { counter, load } = countingLoader();
    const port = await bindSandbox({ seed: 1 }, load);
    await port.close();
    expect(counter.loads).toBe(0);
    await expect(fetch(`${port.url}/organization/projects`)).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('fails to start, saying why, when its port is taken', async () => {
    const taken = await bindSandbox({ seed: 1 });
    try {
      const port = Number(new URL(taken.url).port);
      await expect(bindSandbox({ seed: 1, port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await taken.close();
    }
  });
});
