import { describe, expect, it } from 'vitest';
import { mapLimited } from '../../src/client/index.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimited after a failure', () => {
  it('starts no new work once one item has failed (a failed range must not keep fetching windows)', async () => {
    let started = 0;
    const run = mapLimited(
      Array.from({ length: 40 }, (_, i) => i),
      4,
      async (i) => {
        started += 1;
        if (i === 0) {
          await wait(5);
          throw new Error('window 0 failed');
        }
        await wait(20);
        return i;
      },
    );
    await expect(run).rejects.toThrow('window 0 failed');
    const atFailure = started;
    await wait(300);
    expect(atFailure).toBeLessThanOrEqual(5);
    expect(started).toBe(atFailure);
  });
});
