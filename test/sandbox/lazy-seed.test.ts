import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { TEST_ADMIN_KEY } from '../helpers.js';

describe('lazy seeding (--sandbox)', () => {
  it('serves the same organization as eager seeding, built on the first request', async () => {
    const eager = await startSandbox({ seed: 5 });
    const lazy = await startSandbox({ seed: 5, lazySeed: true, now: () => eager.state.now() });
    try {
      const get = async (url: string) => (await fetch(`${url}/organization/projects?limit=100&include_archived=true`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).json();
      expect(await get(lazy.url)).toEqual(await get(eager.url));
      expect([...lazy.state.users.keys()]).toEqual([...eager.state.users.keys()]);
    } finally {
      await eager.close();
      await lazy.close();
    }
  });
});
