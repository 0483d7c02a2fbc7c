import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { TEST_ADMIN_KEY } from '../helpers.js';

describe('the sandbox body limit', () => {
  it('answers a body over 1 MiB with 413 in the OpenAI envelope, and creates nothing', async () => {
    const sandbox = await startSandbox({ seed: 2 });
    try {
      const before = sandbox.state.projects.size;
      const res = await fetch(`${sandbox.url}/organization/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(2 << 20) }),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
      expect(sandbox.state.projects.size).toBe(before);
    } finally {
      await sandbox.close();
    }
  });
});
