import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/client/index.js';
import { MAX_ARGUMENT_CHARS, MAX_ARGUMENT_DEPTH, checkArguments } from '../../../src/server/gate/argument-limits.js';
import { redactArguments, shorten, type AuditEntry } from '../../../src/server/gate/audit.js';
import { canonicalJson, digest } from '../../../src/server/gate/confirm.js';
import { text } from '../../connect.js';
import { testHost } from '../../host.js';

/** `levels` objects inside each other, built without recursion. */
function nested(levels: number, leaf: unknown = 'bottom'): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('checkArguments', () => {
  it('allows 32 levels and refuses the 33rd, naming the top-level field', () => {
    // The arguments object itself is the first level.
    expect(checkArguments({ name: nested(MAX_ARGUMENT_DEPTH - 1) })).toBeNull();
    expect(checkArguments({ name: nested(MAX_ARGUMENT_DEPTH) })).toMatchObject({ field: 'name', decision: 'arguments_over_limit' });
    expect(checkArguments({ name: nested(200_000) })?.message).toMatch(/nested more than 32 levels/);
  });

  it('refuses a cycle as too deep instead of walking it forever', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(checkArguments({ loop })?.field).toBe('loop');
  });

  it('refuses more than 256 KB of JSON, and many small values as well as one large one', () => {
    expect(checkArguments({ text: 'x'.repeat(MAX_ARGUMENT_CHARS - 100) })).toBeNull();
    expect(checkArguments({ text: 'x'.repeat(MAX_ARGUMENT_CHARS + 1) })).toMatchObject({ field: 'text', decision: 'arguments_over_limit' });
    expect(checkArguments({ list: Array.from({ length: 200_000 }, () => 1) })?.field).toBe('list');
    expect(checkArguments(Object.fromEntries(Array.from({ length: 40_000 }, (_v, i) => [`key${i}`, i])))?.message).toMatch(/larger than 256 KB/);
  });

  it('refuses lone surrogates in values and keys, and accepts whole characters', () => {
    expect(checkArguments({ a: { b: ['ok', 'x\ud800'] } })).toMatchObject({ field: 'a.b.1', decision: 'invalid_arguments' });
    expect(checkArguments({ a: 'tail\udc00' })?.message).toMatch(/lone surrogate \(\\udc00 at index 4\)/);
    expect(checkArguments({ ['k\ud800']: 1 })?.message).toMatch(/field name with a lone surrogate/);
    expect(checkArguments({ a: '😀 ok é' })).toBeNull();
  });

  it('refuses values that are not JSON (in-process callers)', () => {
    expect(checkArguments({ n: 10n })?.message).toMatch(/is a bigint/);
    expect(checkArguments({ f: () => 1 })?.message).toMatch(/is a function/);
  });
});

describe('walkers over argument values are not recursive', () => {
  it('shorten summarises beyond 32 levels at any depth, and keeps __proto__ as data', () => {
    const deep = shorten(nested(100_000));
    expect(JSON.stringify(deep)).toMatch(/nested deeper than 32 levels/);
    const args = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}') as Record<string, unknown>;
    const out = redactArguments(args);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('shorten caps how many values one line records', () => {
    const out = shorten({ list: Array.from({ length: 50_000 }, (_v, i) => i) }) as { list: unknown[] };
    expect(out.list.length).toBeLessThan(10_002);
    expect(out.list.at(-1)).toMatch(/more items/);
  });

  it('canonicalJson writes what the recursive version wrote, and survives any depth', () => {
    const value = { b: [1, 'two', null, { d: true, c: [] }], a: { z: undefined, y: 1.5 }, '\u2028': 'x' };
    expect(canonicalJson(value)).toBe('{"a":{"y":1.5},"b":[1,"two",null,{"c":[],"d":true}],"\u2028":"x"}');
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]');
    expect(canonicalJson(undefined)).toBe('null');
    expect(digest(nested(100_000))).toHaveLength(32);
  });
});

describe('the door in the host', () => {
  const entries: AuditEntry[] = [];
  // Nothing here may reach the API: the client points at a closed port.
  const client = new AdminClient({ apiKey: 'sk-admin-door-test', baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 0 });
  const host = (dynamic: boolean) =>
    testHost(client, { dynamic, audit: { record: (e) => entries.push(e) } });

  it('refuses before validation, names the field, and audits writes but not reads', async () => {
    const refused = await host(false).call('projects_create', { name: nested(5_000) });
    expect(text(refused)).toBe(
      'Invalid arguments for projects_create:\n- name: is nested more than 32 levels deep (objects and arrays); arguments may nest at most 32 levels, so flatten the value. Nothing was sent.',
    );
    expect(entries.at(-1)).toMatchObject({ tool: 'projects_create', outcome: 'refused', decision: 'arguments_over_limit' });
    const count = entries.length;
    const read = await host(false).call('projects_list', { after: 'x'.repeat(MAX_ARGUMENT_CHARS + 1) });
    expect(text(read)).toMatch(/after: makes the arguments larger than 256 KB/);
    expect(entries.length).toBe(count);
  });

  it('gives a lone surrogate in a path ID a validation refusal, not "URI malformed"', async () => {
    const result = await host(false).call('projects_users_delete', { project_id: '\ud800', user_id: 'user-1' });
    expect(text(result)).toMatch(/^Invalid arguments for projects_users_delete:\n- project_id: holds a lone surrogate/);
    expect(entries.at(-1)).toMatchObject({ tool: 'projects_users_delete', outcome: 'refused', decision: 'invalid_arguments' });
  });

  it('keeps a refusal with thousands of problems short: the first ones named, the rest counted', async () => {
    const values = await host(false).call('audit_logs_list', { event_types: Array.from({ length: 2_000 }, () => '..') });
    expect(text(values)).toMatch(/^Invalid arguments for audit_logs_list:\n- event_types\.0: '\.\.' is not an audit event type/);
    expect(text(values)).toMatch(/- event_types\.19: .*\n- and 1980 more problems \(2000 in all\); fix these and call again to see any left\.$/);
    expect(text(values).length).toBeLessThan(5_000);
    const keys = await host(false).call('projects_create', { name: 'Keys', ...Object.fromEntries(Array.from({ length: 3_000 }, (_v, i) => [`k${i}`, i])) });
    expect(text(keys)).toMatch(/^Invalid arguments for projects_create:\n- 'k0', 'k1', .*'k19' and 2980 more: not a field of projects_create; remove it\. Valid fields: name,/);
    expect(text(keys).length).toBeLessThan(1_000);
  });

  it('applies through call_tool too, audited under the tool it names', async () => {
    const result = await host(true).call('call_tool', { name: 'groups_delete', arguments: { group_id: nested(40) } });
    expect(text(result)).toMatch(/^Invalid arguments for groups_delete:\n- group_id: is nested more than 32 levels/);
    expect(entries.at(-1)).toMatchObject({ tool: 'groups_delete', outcome: 'refused', decision: 'arguments_over_limit' });
    expect(JSON.stringify(redactArguments(entries.at(-1)?.arguments ?? {}))).toMatch(/nested deeper than 32 levels/);
  });
});
