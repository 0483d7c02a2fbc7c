import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seedOrganization } from '../../src/sandbox/seed/index.js';
import { SIZES, parseSize } from '../../src/sandbox/size.js';
import { SandboxState } from '../../src/sandbox/state.js';
import { parseConfig, UsageError } from '../../src/config.js';

const NOW = () => 1_790_000_000;

function digest(state: SandboxState, keep: (key: string) => boolean = () => true): string {
  const replacer = (_: string, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v);
  const hash = createHash('sha256');
  for (const [key, value] of Object.entries(state)) {
    if (key === 'runtimeRng' || typeof value === 'function' || !keep(key)) continue;
    hash.update(key).update(JSON.stringify(value, replacer) ?? 'undefined');
  }
  return hash.digest('hex');
}

const seeded = (size?: (typeof SIZES)[keyof typeof SIZES]) => {
  const state = new SandboxState({ seed: 3, now: NOW });
  seedOrganization(state, size);
  return state;
};

describe('sandbox --size', () => {
  it('small is the organization every test knows: the same state as with no size at all', () => {
    expect(digest(seeded(SIZES.small))).toBe(digest(seeded()));
  });

  it('large grows the small organization: its first projects, users and their keys are the same, and the counts are near the targets', () => {
    const small = seeded();
    const large = seeded(SIZES.large);
    expect(large.projects.size).toBe(300);
    expect(large.users.size).toBe(3_000);
    let keys = 0;
    for (const inner of large.projectApiKeys.values()) keys += inner.size;
    expect(keys).toBeGreaterThan(8_000);
    expect(keys).toBeLessThan(12_000);
    expect([...large.projects.values()].slice(0, 8)).toEqual([...small.projects.values()]);
    expect([...large.users.values()].slice(0, 25)).toEqual([...small.users.values()]);
    for (const id of small.projects.keys()) expect(large.projectApiKeys.get(id)).toEqual(small.projectApiKeys.get(id));
    // Added projects follow the rules: some archived, none of those with service accounts, usage for the rest.
    const added = [...large.projects.values()].slice(8);
    const archived = added.filter((p) => p.status === 'archived');
    expect(archived.length).toBeGreaterThan(0);
    for (const p of archived) expect(large.serviceAccounts.get(p.id)?.size ?? 0).toBe(0);
    const withUsage = new Set(large.activity.map((a) => a.project_id));
    expect(added.filter((p) => withUsage.has(p.id)).length).toBeGreaterThan(added.length * 0.8);
    // Unique names, so a name resolves to one project.
    expect(new Set([...large.projects.values()].map((p) => p.name)).size).toBe(300);
  });

  it('is deterministic for a seed', () => {
    const size = parseSize('40,300,500');
    const a = new SandboxState({ seed: 9, now: NOW });
    const b = new SandboxState({ seed: 9, now: NOW });
    seedOrganization(a, size);
    seedOrganization(b, size);
    expect(a.projects.size).toBe(40);
    expect(digest(a)).toBe(digest(b));
  });

  it('refuses a size it does not know, naming the forms it takes', () => {
    expect(() => parseConfig(['sandbox', '--size', 'medium'], {})).toThrow(UsageError);
    expect(() => parseConfig(['sandbox', '--size', 'medium'], {})).toThrow(/small, large, huge, or counts as PROJECTS,USERS,KEYS/);
    expect(() => parseConfig(['sandbox', '--size', 'toString'], {})).toThrow(/not a size/);
    expect(parseConfig(['sandbox', '--size', 'huge', '--rate-limit', '600'], {})).toMatchObject({ size: SIZES.huge, rateLimitRpm: 600 });
    expect(() => parseConfig(['tools', '--size', 'large'], {})).toThrow(/applies only to 'sandbox'/);
  });
});
